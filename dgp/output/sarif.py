"""The SARIF 2.1.0 report: one run, one rule per distinct rule id, one result per finding.

Made for code-scanning consumers (GitHub code scanning, IDE viewers): levels and
`security-severity` follow the conventions those tools read, locations are
relative URIs against the `SRCROOT` base, and every result carries the
finding's stable fingerprint as `partialFingerprints["dgp/v1"]`.

The rules come before the results in the document and are known only at the end
(a rule's severity is the highest of its findings; `ruleIndex` counts in the sorted
rule ids), so results are written as they come to a temporary file of the writer's
own, with their rule index left open, and copied behind the rules at the end.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any, TextIO
from urllib.parse import quote

from dgp.domain.finding import Finding, FindingStatus, Location
from dgp.domain.scan import Scan, ScanStatus
from dgp.domain.score import band
from dgp.domain.severity import Severity
from dgp.output._common import TOOL_NAME, SeverityCounter, clean_text, json_escaped

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "SRCROOT"
FINGERPRINT_KEY = "dgp/v1"

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

# GitHub code scanning reads `security-severity` (a number as a string, 0.0-10.0).
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}

# Location fields that have no SARIF counterpart: kept in the location's property bag.
_LOCATION_PROPERTIES = (
    "page",
    "sheet",
    "cell",
    "paragraph",
    "section",
    "selector",
    "table",
    "column_name",
    "bbox",
)

_SUCCESSFUL = frozenset({ScanStatus.DONE, ScanStatus.DEGRADED})

# Characters that may stay as they are in a URL we pass through: the reserved
# set of RFC 3986 plus "%" so existing escapes are not escaped twice.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


_RESULTS_MARK = "@@dgp-results@@"  # where the results go in the document's skeleton
_OPEN_INDEX = '"ruleIndex": -1,'  # a result's rule index, not known yet
_RECORD_END = "\x00"  # ends a spooled result (escaped JSON holds no raw NUL)
_RULE_END = "\x01"  # ends a spooled result's rule id
_RESULT_INDENT = " " * 8  # the depth of runs[0].results[i] in the indented document
_COPY_CHARS = 1 << 20


@dataclass
class _RuleSeen:
    """What a rule's descriptor needs, gathered over its findings: the first one's text,
    the highest severity, every legal reference cited."""

    first: Finding
    severity: Severity
    legal_refs: dict[str, None] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        if finding.severity.rank > self.severity.rank:
            self.severity = finding.severity
        for ref in finding.legal_refs:
            self.legal_refs[str(ref)] = None


class SarifWriter:
    def __init__(self, out: TextIO, *, tool_version: str) -> None:
        self._out = out
        self._tool_version = tool_version
        self._rules: dict[str, _RuleSeen] = {}
        self._counter = SeverityCounter()
        self._spool = tempfile.TemporaryFile(  # noqa: SIM115 (closed in close())
            "w+", encoding="utf-8", newline="", prefix="dgp-sarif-"
        )

    def write(self, findings: Sequence[Finding]) -> None:
        self._counter.add(findings)
        records = []
        for f in findings:
            seen = self._rules.get(f.rule_id)
            if seen is None:
                seen = self._rules[f.rule_id] = _RuleSeen(f, f.severity)
            seen.add(f)
            text = json.dumps(_result(f, -1), ensure_ascii=False, indent=2)
            records.append(f"{f.rule_id}{_RULE_END}{json_escaped(text)}{_RECORD_END}")
        self._spool.write("".join(records))

    def close(self, scan: Scan) -> None:
        """The document: its start with the rules, the results, its end."""
        try:
            rule_ids = sorted(self._rules)
            index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
            rules = [_rule(rule_id, self._rules[rule_id]) for rule_id in rule_ids]
            score = self._counter.score(scan)
            document = _document(scan, rules, score, self._tool_version, bool(rule_ids))
            text = json_escaped(json.dumps(document, ensure_ascii=False, indent=2))
            if not rule_ids:
                self._out.write(text + "\n")
                return
            head, tail = text.split(f"\n{_RESULT_INDENT}{json.dumps(_RESULTS_MARK)}\n")
            self._out.write(head)
            separator = "\n"
            for rule_id, result in self._spooled():
                numbered = result.replace(_OPEN_INDEX, f'"ruleIndex": {index[rule_id]},', 1)
                self._out.write(separator + _RESULT_INDENT)
                self._out.write(numbered.replace("\n", "\n" + _RESULT_INDENT))
                separator = ",\n"
            self._out.write("\n" + tail + "\n")
        finally:
            self._spool.close()

    def _spooled(self) -> Iterator[tuple[str, str]]:
        """The spooled results in order: (rule id, result as indented JSON)."""
        self._spool.seek(0)
        rest = ""
        while chunk := self._spool.read(_COPY_CHARS):
            *records, rest = (rest + chunk).split(_RECORD_END)
            for record in records:
                rule_id, _, result = record.partition(_RULE_END)
                yield rule_id, result
        if rest:
            raise ValueError("the SARIF writer's temporary file ends in the middle of a result")


def build_log(scan: Scan, findings: Sequence[Finding], *, tool_version: str) -> dict[str, Any]:
    """The SARIF log as a dict (what SarifWriter writes, for findings in memory)."""
    seen: dict[str, _RuleSeen] = {}
    counter = SeverityCounter()
    counter.add(findings)
    for f in findings:
        seen.setdefault(f.rule_id, _RuleSeen(f, f.severity)).add(f)
    rule_ids = sorted(seen)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    rules = [_rule(rule_id, seen[rule_id]) for rule_id in rule_ids]
    document = _document(scan, rules, counter.score(scan), tool_version, False)
    document["runs"][0]["results"] = [_result(f, index[f.rule_id]) for f in findings]
    return document


def _document(
    scan: Scan, rules: list[dict[str, Any]], score: float, tool_version: str, results: bool
) -> dict[str, Any]:
    """The log with its results left out: a mark where they go (`results`), or none."""
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": tool_version,
                "rules": rules,
            }
        },
        "invocations": [_invocation(scan)],
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The root of the scanned target."}},
        },
        "columnKind": "unicodeCodePoints",
        "results": [_RESULTS_MARK] if results else [],
        "properties": {
            "scanId": scan.id,
            "kind": scan.kind,
            "target": scan.target,
            "status": scan.status.value,
            "score": score,
            "band": band(score),
            "truncated": scan.stats.truncated,
        },
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def _rule(rule_id: str, seen: _RuleSeen) -> dict[str, Any]:
    """One reportingDescriptor: text comes from the rule's first finding, the
    severity is the highest any of its findings has, the legal references are
    all its findings cite."""
    first = seen.first
    severity = seen.severity
    legal_refs = list(seen.legal_refs)
    refs = "; ".join(legal_refs)
    help_text = first.remediation
    if refs:
        help_text = f"{help_text}\n\nLegal basis: {refs}" if help_text else f"Legal basis: {refs}"
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "name": _rule_name(rule_id),
        "shortDescription": {"text": first.title or rule_id},
        "fullDescription": {"text": first.description or first.title or rule_id},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {
            "category": first.category,
            "legal_refs": legal_refs,
            "security-severity": SECURITY_SEVERITY[severity],
            "tags": ["privacy", first.category] if first.category else ["privacy"],
        },
    }
    if help_text:
        descriptor["help"] = {"text": help_text}
    return descriptor


def _rule_name(rule_id: str) -> str:
    """A readable identifier: "pii.bsn" -> "PiiBsn"."""
    parts = [p for p in rule_id.replace("-", ".").replace("_", ".").split(".") if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) or rule_id


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    message = finding.title
    if finding.evidence:
        message = f"{message}: {finding.evidence}" if message else finding.evidence
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        # Viewers print the message as is: no terminal escapes from scanned text.
        "message": {"text": clean_text(message) or finding.rule_id},
    }
    location = _location(finding.location)
    if location:
        result["locations"] = [location]
    result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    suppression = _suppression(finding.status)
    if suppression:
        result["suppressions"] = [suppression]
    properties: dict[str, Any] = {
        "confidence": round(finding.confidence, 3),
        "category": finding.category,
        "status": finding.status.value,
    }
    if finding.value_hash is not None:
        properties["value_hash"] = finding.value_hash
    result["properties"] = properties
    return result


def _location(loc: Location) -> dict[str, Any]:
    location: dict[str, Any] = {}
    physical: dict[str, Any] = {}
    artifact = _artifact_location(loc)
    if artifact:
        physical["artifactLocation"] = artifact
        region = _region(loc)
        if region:
            physical["region"] = region
        location["physicalLocation"] = physical
    properties = {
        name: list(value) if isinstance(value, tuple) else value
        for name in _LOCATION_PROPERTIES
        if (value := getattr(loc, name)) is not None
    }
    if loc.url is not None and loc.path is not None:
        properties["url"] = loc.url  # the artifact is the file; keep where it came from
    if properties:
        location["properties"] = properties
    return location


def _artifact_location(loc: Location) -> dict[str, Any]:
    if loc.path:
        posix = PurePath(loc.path).as_posix()
        if posix.startswith("/"):
            # An absolute path: a file URI of its own, not relative to SRCROOT.
            return {"uri": "file://" + quote(posix, safe="/")}
        if posix.startswith("./"):
            posix = posix[2:]
        return {"uri": quote(posix, safe="/"), "uriBaseId": SRCROOT}
    if loc.url:
        return {"uri": quote(loc.url, safe=_URL_SAFE)}
    return {}


def _region(loc: Location) -> dict[str, Any]:
    """startLine/startColumn/endColumn, all 1-based; SARIF needs startLine >= 1."""
    if loc.line is None or loc.line < 1:
        return {}
    region: dict[str, Any] = {"startLine": loc.line}
    if loc.column is not None and loc.column >= 1:
        region["startColumn"] = loc.column
        if loc.end_column is not None and loc.end_column > loc.column:
            region["endColumn"] = loc.end_column
    return region


def _suppression(status: FindingStatus) -> dict[str, Any] | None:
    """Triaged findings are reported as suppressed so consumers do not re-open them."""
    if status is FindingStatus.FALSE_POSITIVE:
        return {"kind": "external", "status": "accepted", "justification": "false positive"}
    if status is FindingStatus.ACCEPTED_RISK:
        return {"kind": "external", "status": "accepted", "justification": "accepted risk"}
    return None


def _invocation(scan: Scan) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": scan.status in _SUCCESSFUL}
    if scan.started_at is not None:
        invocation["startTimeUtc"] = _utc(scan.started_at)
    if scan.finished_at is not None:
        invocation["endTimeUtc"] = _utc(scan.finished_at)
    notifications = []
    if scan.error:
        level = "warning" if scan.status in _SUCCESSFUL else "error"
        notifications.append({"level": level, "message": {"text": clean_text(scan.error)}})
    if scan.stats.truncated:
        notifications.append(
            {
                "level": "warning",
                "message": {
                    "text": "The scan stopped at a size, item or time limit; "
                    "results are incomplete."
                },
            }
        )
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def _utc(moment: datetime) -> str:
    """SARIF date-times are UTC with a "Z" designator."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
