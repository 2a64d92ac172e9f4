"""Report formats for `dgp scan`: text for a terminal, JSON, SARIF 2.1.0 and CSV.

    writer = open_report("sarif", out, tool_version=dgp.__version__)
    writer.write(page)        # as many times as there are pages of findings
    writer.close(scan)        # the finished scan: the document is complete

Each format is written as a stream: findings go out as they are given and the writer
keeps only what its summary needs (counts per severity, a rule's description), so a
report of any size takes the memory of one page. Findings appear in the order given.
`render` gives the whole report as one string (small reports, tests).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import TextIO

from dgp.domain.finding import Finding
from dgp.domain.scan import Scan
from dgp.output import csv_format, json_format, sarif, text
from dgp.output._common import ReportWriter

FORMATS: tuple[str, ...] = ("text", "json", "sarif", "csv")

_WRITERS: dict[str, Callable[..., ReportWriter]] = {
    "text": text.TextWriter,
    "json": json_format.JsonWriter,
    "sarif": sarif.SarifWriter,
    "csv": csv_format.CsvWriter,
}


def open_report(fmt: str, out: TextIO, *, tool_version: str) -> ReportWriter:
    """A writer of the report in format `fmt` (one of FORMATS) to `out` (opened with
    newline="": CSV rows end in CRLF)."""
    try:
        writer = _WRITERS[fmt]
    except KeyError:
        raise ValueError(f"unknown output format {fmt!r} (one of: {', '.join(FORMATS)})") from None
    return writer(out, tool_version=tool_version)


def render(fmt: str, scan: Scan, findings: Sequence[Finding], *, tool_version: str) -> str:
    """The report for `scan` and its `findings` in format `fmt`, as one string."""
    out = io.StringIO(newline="")
    writer = open_report(fmt, out, tool_version=tool_version)
    writer.write(findings)
    writer.close(scan)
    return out.getvalue()


__all__ = ["FORMATS", "ReportWriter", "open_report", "render"]
