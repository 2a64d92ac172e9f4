"""The SARIF 2.1.0 report: one run, one rule per distinct rule id, one result per finding.

Made for code-scanning consumers (GitHub code scanning, IDE viewers): levels and
`security-severity` follow the conventions those tools read, locations are
relative URIs against the `SRCROOT` base, and every result carries the
finding's stable fingerprint as `partialFingerprints["dgp/v1"]`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from dgp.domain.finding import Finding, FindingStatus, Location
from dgp.domain.scan import Scan, ScanStatus
from dgp.domain.score import band
from dgp.domain.severity import Severity
from dgp.output._common import TOOL_NAME, clean_text, json_text, scan_score

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


def render(scan: Scan, findings: Sequence[Finding], *, tool_version: str) -> str:
    return json_text(build_log(scan, findings, tool_version=tool_version), indent=2) + "\n"


def build_log(scan: Scan, findings: Sequence[Finding], *, tool_version: str) -> dict[str, Any]:
    """The SARIF log as a dict (what `render` serialises)."""
    rule_ids = sorted({f.rule_id for f in findings})
    rule_index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    rules = [_rule(rule_id, [f for f in findings if f.rule_id == rule_id]) for rule_id in rule_ids]
    score = scan_score(scan, findings)

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
        "results": [_result(f, rule_index[f.rule_id]) for f in findings],
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


def _rule(rule_id: str, findings: list[Finding]) -> dict[str, Any]:
    """One reportingDescriptor: text comes from the rule's first finding, the
    severity is the highest any of its findings has, the legal references are
    all its findings cite."""
    first = findings[0]
    severity = max((f.severity for f in findings), key=lambda s: s.rank)
    legal_refs = list(dict.fromkeys(str(ref) for f in findings for ref in f.legal_refs))
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
