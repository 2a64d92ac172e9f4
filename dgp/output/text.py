"""The text report for a terminal: each finding printed as it comes, then a summary.

Every piece of text that may come from a scanned file (evidence, paths, sheet
names, the target, error messages) goes through `clean_text`, so a crafted file
cannot send escape sequences to the user's terminal. Only the counts per severity
are kept for the summary, so a scan of any size prints in the memory of a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from dgp.domain.finding import Finding, FindingStatus
from dgp.domain.scan import Scan
from dgp.domain.score import band
from dgp.output._common import TOOL_NAME, SeverityCounter, clean_text, legal_refs_text

_INDENT = "  "


class TextWriter:
    def __init__(self, out: TextIO, *, tool_version: str) -> None:
        self._out = out
        self._counter = SeverityCounter()
        # written with the first finding or the summary: a scan that fails at once prints none
        self._title: str | None = f"{TOOL_NAME} {clean_text(tool_version)} - scan report\n"

    def _start(self) -> None:
        if self._title is not None:
            self._out.write(self._title)
            self._title = None

    def write(self, findings: Sequence[Finding]) -> None:
        if not findings:
            return
        if not self._counter.total:
            self._start()
            self._out.write("\n")
        self._counter.add(findings)
        self._out.write("".join(_finding_lines(f) for f in findings))
        self._out.flush()  # a terminal shows each page as it comes

    def close(self, scan: Scan) -> None:
        self._start()
        score = self._counter.score(scan)
        names = f"{clean_text(scan.id)} ({clean_text(scan.kind)})"
        total = self._counter.total
        counts_text = ", ".join(f"{n} {sev.value}" for sev, n in self._counter.counts.items())
        lines = [
            "",
            f"Target:   {clean_text(scan.target)}",
            f"Scan:     {names}, status {scan.status.value}",
            f"Score:    {score:.1f}/100 ({band(score)})",
            f"Findings: {counts_text}",
        ]
        if scan.error:
            lines.append(f"Error:    {clean_text(scan.error)}")
        if scan.stats.truncated:
            lines.append(
                "Note:     the scan stopped at a size, item or time limit; results are incomplete"
            )
        if not total:
            lines.append("No findings.")
        lines.append(
            f"Total: {total} finding{'' if total == 1 else 's'} ({counts_text}); "
            f"score {score:.1f} ({band(score)})"
        )
        self._out.write("\n".join(lines) + "\n")


def _finding_lines(finding: Finding) -> str:
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
    refs = legal_refs_text(finding)
    if refs:
        line += "\n" + _INDENT * 3 + clean_text(refs)
    return line + "\n"
