"""The one score formula, used by every scanner and by the organisation view.

    score = 100 * exp(-(10*c + 5*h + 2*m + 0.5*l) / K),  K = 50

where c, h, m and l count the critical, high, medium and low findings that still
matter (status open or accepted_risk; false positives and fixed findings do not
count; info findings weigh nothing). The exponent's weights are all positive, so
adding a finding, or raising one's severity, can only lower the score: the
function is monotone by construction. The result is rounded to one decimal.

Bands: >= 90 good, >= 70 fair, >= 50 poor, otherwise critical.

The organisation score is the weighted mean of the latest scan of each target,
weighted by the scan's kind (DPIA .25, database .20, code .15, website .15,
document .10, image .05, API .05, AI model .05); kinds without a weight (soc2,
report) weigh .05. Weights are normalised over the scans present.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from dgp.domain.finding import Finding, FindingStatus
from dgp.domain.severity import Severity

K = 50.0
SEVERITY_WEIGHTS: Mapping[Severity, float] = {
    Severity.CRITICAL: 10.0,
    Severity.HIGH: 5.0,
    Severity.MEDIUM: 2.0,
    Severity.LOW: 0.5,
    Severity.INFO: 0.0,
}
COUNTED_STATUSES = frozenset({FindingStatus.OPEN, FindingStatus.ACCEPTED_RISK})

KIND_WEIGHTS: Mapping[str, float] = {
    "dpia": 0.25,
    "database": 0.20,
    "code": 0.15,
    "website": 0.15,
    "document": 0.10,
    "image": 0.05,
    "api": 0.05,
    "ai_model": 0.05,
}
DEFAULT_KIND_WEIGHT = 0.05


def score_counts(counts: Mapping[Severity, int]) -> float:
    """Score from a count of findings per severity."""
    penalty = sum(SEVERITY_WEIGHTS[sev] * n for sev, n in counts.items())
    return round(100.0 * math.exp(-penalty / K), 1)


def score_findings(findings: Iterable[Finding]) -> float:
    counts: dict[Severity, int] = {}
    for f in findings:
        if f.status in COUNTED_STATUSES:
            counts[f.severity] = counts.get(f.severity, 0) + 1
    return score_counts(counts)


def band(score: float) -> str:
    if score >= 90:
        return "good"
    if score >= 70:
        return "fair"
    if score >= 50:
        return "poor"
    return "critical"


def organisation_score(latest_scores: Iterable[tuple[str, float]]) -> float | None:
    """Weighted mean of (kind, score) pairs, one per target's latest scan."""
    total = weight_sum = 0.0
    for kind, value in latest_scores:
        weight = KIND_WEIGHTS.get(kind, DEFAULT_KIND_WEIGHT)
        total += weight * value
        weight_sum += weight
    if weight_sum == 0:
        return None
    return round(total / weight_sum, 1)
