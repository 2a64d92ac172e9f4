"""The CSV report: a header row, then one row per finding.

The file is meant to be opened in a spreadsheet, and its text cells hold what
was scanned from users' files. Each text cell is therefore flattened to one
line without control characters, and a cell that a spreadsheet would run as a
formula (starting with = + - @ tab or CR) gets a leading single quote.

Rows end in CRLF (RFC 4180): write to a file opened with `newline=""`, or as bytes.
Rows are written as findings come; the scan itself is not part of the format.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import TextIO

from dgp.domain.finding import Finding
from dgp.domain.scan import Scan
from dgp.output._common import clean_text, legal_refs_text

COLUMNS: tuple[str, ...] = (
    "id",
    "severity",
    "rule_id",
    "category",
    "title",
    "path",
    "line",
    "column",
    "page",
    "sheet",
    "cell",
    "evidence",
    "confidence",
    "legal_refs",
    "remediation",
    "status",
    "fingerprint",
)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class CsvWriter:
    def __init__(self, out: TextIO, *, tool_version: str) -> None:
        del tool_version  # one row per finding is the whole format
        self._rows = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        self._started = False  # nothing is written before the first page or the end

    def write(self, findings: Sequence[Finding]) -> None:
        self._start()
        self._rows.writerows(_row(finding) for finding in findings)

    def close(self, scan: Scan) -> None:
        del scan  # the rows are the report
        self._start()

    def _start(self) -> None:
        if not self._started:
            self._rows.writerow(COLUMNS)
            self._started = True


def _row(finding: Finding) -> list[str]:
    loc = finding.location
    values: list[object] = [
        finding.id,
        finding.severity.value,
        finding.rule_id,
        finding.category,
        finding.title,
        loc.path if loc.path is not None else loc.url,
        loc.line,
        loc.column,
        loc.page,
        loc.sheet,
        loc.cell,
        finding.evidence,
        round(finding.confidence, 3),
        legal_refs_text(finding),
        finding.remediation,
        finding.status.value,
        finding.fingerprint,
    ]
    return [_cell(value) for value in values]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)  # numbers are ours, not scanned text: left as numbers
    return neutralise(clean_text(value))


def neutralise(text: str) -> str:
    """Prefix a cell a spreadsheet would read as a formula with a single quote.

    Leading spaces are looked past, as some spreadsheets trim them on import.
    """
    if text.lstrip(" ").startswith(FORMULA_PREFIXES):
        return "'" + text
    return text
