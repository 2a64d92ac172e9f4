"""The detection engine: text in, validated detections out. No I/O."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from dgp.domain.options import DEFAULT_MIN_CONFIDENCE
from dgp.engine.entities import PII_PATTERNS
from dgp.engine.matcher import Candidate, Matcher
from dgp.engine.patterns import PatternSpec
from dgp.engine.secrets import SECRET_PATTERNS
from dgp.engine.special import NEAR_PERSONAL_DATA, SPECIAL_PATTERNS

MAX_VALUE_CHARS = 1024  # a value regex reads at most this far from its candidate's start
ALL_PATTERNS: tuple[PatternSpec, ...] = PII_PATTERNS + SECRET_PATTERNS + SPECIAL_PATTERNS


class Detection(NamedTuple):
    """One finding of the engine (a named tuple: the engine makes one per finding, and a
    tuple costs a third of a frozen dataclass to make)."""

    rule_id: str
    start: int  # character offset, inclusive
    end: int  # character offset, exclusive
    value: str  # the full value: it is masked and hashed before it leaves the scanner
    confidence: float


class Detector:
    """Finds PII, special-category data and secrets in one pass over a text.

    Candidates come from one hyperscan database; only candidates are validated.
    Scanners may add their own patterns (code anti-patterns) to the same pass.
    Of overlapping detections of one family (personal data and secrets are one
    family; every other rule-id prefix is its own) the higher priority wins.
    Detections below `min_confidence` (e.g. a bare number that only passes a
    checksum) are dropped. Not thread-safe: use one Detector per thread.
    """

    def __init__(
        self,
        min_confidence: float = DEFAULT_MIN_CONFIDENCE,
        rule_ids: Iterable[str] | None = None,
        extra_patterns: Sequence[PatternSpec] = (),
    ) -> None:
        wanted = set(rule_ids) if rule_ids is not None else None
        specs = (*ALL_PATTERNS, *extra_patterns)
        self.specs = tuple(s for s in specs if wanted is None or s.rule_id in wanted)
        self.min_confidence = min_confidence
        self._matcher = Matcher(self.specs, min_confidence)
        self._near_prefixes = sorted({s.near_prefix for s in self.specs if s.near_prefix})
        self._families = [_family(s.rule_id) for s in self.specs]
        # Patterns that count only near others' detections are searched after those
        # are known; overlaps are resolved per family, so no family may hold both kinds.
        later = {_family(s.rule_id) for s in self.specs if s.near_prefix}
        now = {_family(s.rule_id) for s in self.specs if not s.near_prefix}
        if later & now:
            raise ValueError(f"families {sorted(later & now)} mix near_prefix patterns")

    def detect(self, text: str) -> list[Detection]:
        kept = self._resolved(text, self._matcher.candidates(text))
        if self._near_prefixes and kept:  # special categories: near the personal data found
            anchors = {
                prefix: sorted(d.start for d in kept if d.rule_id.startswith(prefix))
                for prefix in self._near_prefixes
            }
            kept += self._resolved(text, self._matcher.near_candidates(text, anchors))
        kept.sort(key=lambda d: (d.start, d.end, d.rule_id))
        return _keep_special_near_personal_data(kept)

    def _resolved(self, text: str, candidates: list[Candidate]) -> list[Detection]:
        """The candidates that pass their checks, overlaps resolved within each family."""
        families: dict[str, list[tuple[int, Detection]]] = {}
        for pid, start, ends in candidates:
            hit = self._validate(self.specs[pid], text, start, ends)
            if hit is not None:
                family = families.setdefault(self._families[pid], [])
                family.append((self.specs[pid].priority, hit))
        return [d for group in families.values() for d in _resolve_overlaps(group)]

    def _validate(
        self, spec: PatternSpec, text: str, start: int, ends: list[int]
    ) -> Detection | None:
        if spec.value is not None:
            m = spec.value.match(text, start, start + MAX_VALUE_CHARS)
            if m is None:
                return None
            spans = [m.span("v") if "v" in spec.value.groupindex else m.span()]
        else:
            spans = [(start, end) for end in ends]  # longest first
        for vstart, vend in spans:
            confidence = spec.check(text, vstart, vend)
            if confidence is not None:
                if confidence < self.min_confidence:
                    return None
                return Detection(spec.rule_id, vstart, vend, text[vstart:vend], confidence)
        return None


def _family(rule_id: str) -> str:
    prefix = rule_id.split(".", 1)[0]
    return "data" if prefix in ("pii", "secret") else prefix


def _resolve_overlaps(found: list[tuple[int, Detection]]) -> list[Detection]:
    """Keep the highest-priority detection of each overlapping group; ties go to the longer."""
    found.sort(key=lambda pd: (-pd[0], -(pd[1].end - pd[1].start), pd[1].start))
    starts: list[int] = []  # kept spans, sorted by start; they never overlap each other
    ends: list[int] = []
    kept: list[Detection] = []
    for _, det in found:
        i = bisect.bisect_left(starts, det.start)
        if i > 0 and ends[i - 1] > det.start:
            continue
        if i < len(starts) and starts[i] < det.end:
            continue
        starts.insert(i, det.start)
        ends.insert(i, det.end)
        kept.insert(i, det)
    return kept


def _keep_special_near_personal_data(dets: list[Detection]) -> list[Detection]:
    anchors = [d.start for d in dets if d.rule_id.startswith("pii.")]
    if not anchors:
        return [d for d in dets if not d.rule_id.startswith("special.")]
    result = []
    for d in dets:
        if d.rule_id.startswith("special."):
            i = bisect.bisect_left(anchors, d.start - NEAR_PERSONAL_DATA)
            if i == len(anchors) or anchors[i] > d.end + NEAR_PERSONAL_DATA:
                continue
        result.append(d)
    return result
