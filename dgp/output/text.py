"""The text report: a summary for a terminal.

Every piece of text that may come from a scanned file (evidence, paths, sheet
names, the target, error messages) goes through `clean_text`, so a crafted file
cannot send escape sequences to the user's terminal.
"""

from __future__ import annotations

from collections.abc import Sequence

from dgp.domain.finding import Finding, FindingStatus
from dgp.domain.scan import Scan
from dgp.domain.score import band
from dgp.output._common import (
    SEVERITIES_DESC,
    TOOL_NAME,
    clean_text,
    legal_refs_text,
    scan_score,
    severity_counts,
)

_INDENT = "  "


def render(scan: Scan, findings: Sequence[Finding], *, tool_version: str) -> str:
    score = scan_score(scan, findings)
    counts = severity_counts(findings)
    counts_text = ", ".join(f"{n} {sev.value}" for sev, n in counts.items())

    lines = [
        f"{TOOL_NAME} {clean_text(tool_version)} - scan report",
        f"Target:   {clean_text(scan.target)}",
        f"Scan:     {clean_text(scan.id)} ({clean_text(scan.kind)}), status {scan.status.value}",
        f"Score:    {score:.1f}/100 ({band(score)})",
        f"Findings: {counts_text}",
    ]
    if scan.error:
        lines.append(f"Error:    {clean_text(scan.error)}")
    if scan.stats.truncated:
        lines.append(
            "Note:     the scan stopped at a size, item or time limit; results are incomplete"
        )

    if not findings:
        lines += ["", "No findings."]
    for severity in SEVERITIES_DESC:
        group = [f for f in findings if f.severity is severity]
        if not group:
            continue
        lines += ["", f"{severity.value.upper()} ({len(group)})"]
        for finding in group:
            lines += _finding_lines(finding)

    total = len(findings)
    lines += [
        "",
        f"Total: {total} finding{'' if total == 1 else 's'} ({counts_text}); "
        f"score {score:.1f} ({band(score)})",
    ]
    return "\n".join(lines) + "\n"


def _finding_lines(finding: Finding) -> list[str]:
    parts = [
        f"[{finding.severity.value.upper()}] {clean_text(finding.rule_id)}",
        clean_text(finding.location.describe()) or "-",
        clean_text(finding.title),
    ]
    evidence = clean_text(finding.evidence)
    if evidence:
        parts.append(evidence)
    line = _INDENT + "  ".join(parts)
    if finding.status is not FindingStatus.OPEN:
        line += f"  ({finding.status.value.replace('_', ' ')})"
    lines = [line]
    refs = legal_refs_text(finding)
    if refs:
        lines.append(_INDENT * 3 + clean_text(refs))
    return lines
