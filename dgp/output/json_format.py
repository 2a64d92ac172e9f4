"""The JSON report: the scan and its findings exactly as the domain models dump them."""

from __future__ import annotations

from collections.abc import Sequence

from dgp.domain.finding import Finding
from dgp.domain.scan import Scan
from dgp.output._common import json_text


def render(scan: Scan, findings: Sequence[Finding], *, tool_version: str) -> str:
    """`{"scan": ..., "findings": [...]}`, keys sorted, findings in the given order.

    `Finding.from_dict` reads each finding back unchanged. The tool version is
    not part of this format (the scan and findings are the whole document).
    """
    del tool_version  # accepted for a uniform signature across formats
    document = {
        "scan": scan.to_dict(),
        "findings": [finding.to_dict() for finding in findings],
    }
    return json_text(document, indent=2, sort_keys=True) + "\n"
