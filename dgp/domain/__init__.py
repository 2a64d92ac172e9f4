"""The domain: scans, findings, severities and the score. No I/O here."""

from dgp.domain.finding import Finding, FindingStatus, LegalRef, Location
from dgp.domain.scan import Scan, ScanStats, ScanStatus
from dgp.domain.score import band, organisation_score, score_findings
from dgp.domain.severity import Severity

__all__ = [
    "Finding",
    "FindingStatus",
    "LegalRef",
    "Location",
    "Scan",
    "ScanStats",
    "ScanStatus",
    "Severity",
    "band",
    "organisation_score",
    "score_findings",
]
