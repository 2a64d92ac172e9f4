"""Helpers shared by the report formats.

Findings carry text taken from scanned, untrusted files (evidence, paths, sheet
names). Formats that end up on a terminal or in a spreadsheet must neutralise
it; the helpers here do that in one place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from dgp.domain.finding import Finding
from dgp.domain.scan import Scan
from dgp.domain.score import COUNTED_STATUSES, score_counts
from dgp.domain.severity import Severity
from dgp.domain.text import BIDI_CONTROLS, UNSAFE

TOOL_NAME = "DataGuardian Pro"

# Severities from most to least severe: the order reports list them in.
SEVERITIES_DESC: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -s.rank))

# Terminal escape sequences, removed whole so that no "[31m" debris is left:
# CSI (ESC [ ... final, or the 8-bit CSI), OSC (ESC ] ... BEL or ST), the DCS,
# SOS, PM and APC strings (ESC P/X/^/_ ... ST), and the other two-byte escapes.
_ESCAPE_SEQUENCE = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]
    | (?:\x1b\]|\x9d) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)?
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]) [^\x1b\x9c]* (?:\x1b\\|\x9c)?
    | \x1b [ -/]* [0-~]
    """,
    re.VERBOSE,
)

# What json.dumps leaves as is: C0 controls it escapes itself (a raw newline in its output is
# its own indentation).
_JSON_UNSAFE = re.compile(UNSAFE.pattern.replace("\\x00-\\x1f", ""))


def json_text(document: Any, **options: Any) -> str:
    """JSON as UTF-8 text, with every control character, bidi override, line separator and
    stray surrogate written as a \\u escape: a viewer or terminal showing the file shows
    them as escapes, and any JSON reader still gets the original characters back."""
    return json_escaped(json.dumps(document, ensure_ascii=False, **options))


def json_escaped(text: str) -> str:
    """JSON text made by json.dumps(ensure_ascii=False), escaped as `json_text` does: for
    a document put together from parts, escaped once as a whole."""
    if text.isascii() and "\x7f" not in text:  # the common case, checked at memory speed
        return text
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)  # C0: dumps did


_WHITESPACE_CONTROLS = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029"
# Bidirectional overrides and isolates (dgp.domain.text) go too.

_CONTROL_TABLE: dict[int, str | None] = {}
for _code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]:
    _CONTROL_TABLE[_code] = None
for _char in _WHITESPACE_CONTROLS:
    _CONTROL_TABLE[ord(_char)] = " "
for _char in BIDI_CONTROLS:
    _CONTROL_TABLE[ord(_char)] = None


def clean_text(value: object) -> str:
    """`value` as one line of printable text.

    Terminal escape sequences and bidi controls are removed, line breaks and
    other whitespace controls become spaces, and any other control character
    (C0, DEL, C1) is dropped.
    """
    if value is None:
        return ""
    text = str(value)
    text = _ESCAPE_SEQUENCE.sub("", text)
    return text.translate(_CONTROL_TABLE)


def legal_refs_text(finding: Finding) -> str:
    """ "GDPR art. 9; UAVG art. 22" style."""
    return "; ".join(str(ref) for ref in finding.legal_refs)


class ReportWriter(Protocol):
    """A report written as a stream: pages of findings, then the finished scan."""

    def write(self, findings: Sequence[Finding]) -> None: ...

    def close(self, scan: Scan) -> None: ...


class SeverityCounter:
    """Findings per severity, most severe first, counted as they pass (the summary of a
    streamed report)."""

    def __init__(self) -> None:
        self.counts = {sev: 0 for sev in SEVERITIES_DESC}
        self.counted: dict[Severity, int] = {}  # what the score counts (dgp.domain.score)

    def add(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.counts[finding.severity] += 1
            if finding.status in COUNTED_STATUSES:
                self.counted[finding.severity] = self.counted.get(finding.severity, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def score(self, scan: Scan) -> float:
        """The scan's stored score, or the score of the findings counted."""
        return scan.score if scan.score is not None else score_counts(self.counted)
