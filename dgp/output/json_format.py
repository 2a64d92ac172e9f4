"""The JSON report: the scan and its findings exactly as the domain models dump them."""

from __future__ import annotations

from collections.abc import Sequence

from dgp.domain.finding import Finding
from dgp.domain.scan import Scan
from dgp.output._common import json_text


def render(scan: Scan, findings: Sequence[Finding], *, tool_version: str) -> str:
    """`{"findings": [...], "scan": ...}`, keys sorted, findings in the given order.

    Indented by two, with each finding on one line of its own: a report of a
    large tree holds hundreds of thousands of them, and Python's JSON encoder
    writes indented JSON a hundred times slower than single lines. `jq` and
    `Finding.from_dict` read it back unchanged. The tool version is not part
    of this format (the scan and findings are the whole document).
    """
    del tool_version  # accepted for a uniform signature across formats
    lines = ",\n".join("    " + json_text(f.to_dict(), sort_keys=True) for f in findings)
    listed = f"[\n{lines}\n  ]" if findings else "[]"
    scan_text = json_text(scan.to_dict(), indent=2, sort_keys=True).replace("\n", "\n  ")
    return f'{{\n  "findings": {listed},\n  "scan": {scan_text}\n}}\n'
