"""The one score formula: deterministic, monotone, banded."""

import itertools

import pytest

from dgp.domain.finding import Finding, FindingStatus, Location
from dgp.domain.score import band, organisation_score, score_counts, score_findings
from dgp.domain.severity import Severity

SEVERITIES = list(Severity)


def _finding(sev: Severity, status: FindingStatus = FindingStatus.OPEN) -> Finding:
    return Finding(
        id="f",
        scan_id="s",
        scanner="code",
        rule_id="pii.bsn",
        category="pii",
        severity=sev,
        confidence=1.0,
        title="t",
        description="d",
        location=Location(path="a"),
        evidence="",
        value_hash=None,
        legal_refs=[],
        remediation="r",
        fingerprint="x",
        status=status,
    )


def test_no_findings_is_perfect() -> None:
    assert score_findings([]) == 100.0
    assert band(100.0) == "good"


@pytest.mark.parametrize(
    "counts", [dict(zip(SEVERITIES, c, strict=True)) for c in itertools.product(range(3), repeat=5)]
)
def test_more_findings_never_raise_the_score(counts: dict[Severity, int]) -> None:
    base = score_counts(counts)
    for sev in SEVERITIES:
        more = dict(counts)
        more[sev] += 1
        assert score_counts(more) <= base


def test_worse_findings_never_raise_the_score() -> None:
    for lower, higher in itertools.pairwise(SEVERITIES):
        assert score_counts({higher: 1}) <= score_counts({lower: 1})
    assert score_counts({Severity.CRITICAL: 1}) < score_counts({Severity.HIGH: 1})


def test_known_values() -> None:
    # 100 * exp(-(10 + 5 + 2 + 0.5) / 50)
    assert score_counts({s: 1 for s in SEVERITIES}) == 70.5
    assert score_counts({Severity.INFO: 100}) == 100.0


def test_deterministic() -> None:
    findings = [_finding(Severity.HIGH), _finding(Severity.MEDIUM)]
    assert len({score_findings(findings) for _ in range(20)}) == 1


def test_false_positives_and_fixed_do_not_count() -> None:
    assert score_findings([_finding(Severity.CRITICAL, FindingStatus.FALSE_POSITIVE)]) == 100.0
    assert score_findings([_finding(Severity.CRITICAL, FindingStatus.FIXED)]) == 100.0
    assert score_findings([_finding(Severity.CRITICAL, FindingStatus.ACCEPTED_RISK)]) < 100.0


@pytest.mark.parametrize(
    "value,expected",
    [
        (100, "good"),
        (90, "good"),
        (89.9, "fair"),
        (70, "fair"),
        (69.9, "poor"),
        (50, "poor"),
        (49.9, "critical"),
        (0, "critical"),
    ],
)
def test_bands(value: float, expected: str) -> None:
    assert band(value) == expected


def test_organisation_score_weights() -> None:
    assert organisation_score([]) is None
    assert organisation_score([("dpia", 80.0)]) == 80.0
    # dpia .25 and image .05: (0.25*100 + 0.05*40) / 0.30
    assert organisation_score([("dpia", 100.0), ("image", 40.0)]) == 90.0
    # a lower scan score never raises the organisation score
    assert organisation_score([("code", 50.0), ("database", 90.0)]) < organisation_score(
        [("code", 60.0), ("database", 90.0)]
    )
