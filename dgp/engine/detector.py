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
    checksum) are dropped. `detect_many` does the work of `detect` for many texts
    at once, stage by stage: a code scan's batches of small files go that way.
    Not thread-safe: use one Detector per thread.
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
        """The detections in one text, sorted by start."""
        return self.detect_many([text])[0]

    def detect_many(self, texts: Sequence[str]) -> list[list[Detection]]:
        """`detect` of each text, done stage by stage over them all: hyperscan reads every
        text, then each rule's candidates are checked together, then the special
        categories near the personal data found. Each text's detections are its own,
        as if it were alone; a batch of small files (a repository's) takes about a
        fifth less time than one call per file: each stage's code and tables stay in
        the CPU's caches, and the windows of every text go to hyperscan in one call."""
        matcher = self._matcher
        scanned = [matcher.scan(text) for text in texts]
        found = self._resolved(texts, matcher.candidates(scanned))
        if self._near_prefixes and any(found):  # special categories: near personal data
            anchors = [
                {
                    prefix: sorted(d.start for d in kept if d.rule_id.startswith(prefix))
                    for prefix in self._near_prefixes
                }
                for kept in found
            ]
            near = matcher.near_candidates(scanned, anchors)
            if any(near):
                for kept, more in zip(found, self._resolved(texts, near), strict=True):
                    kept += more
        for kept in found:
            kept.sort(key=lambda d: (d.start, d.end, d.rule_id))
        return [_keep_special_near_personal_data(kept) for kept in found]

    def _resolved(
        self, texts: Sequence[str], candidates: list[list[Candidate]]
    ) -> list[list[Detection]]:
        """For each text, the candidates that pass their checks, overlaps resolved within
        each family. Candidates are checked rule by rule across the texts."""
        by_rule: dict[int, list[tuple[int, int, list[int]]]] = {}
        for index, found in enumerate(candidates):
            for pid, start, ends in found:
                by_rule.setdefault(pid, []).append((index, start, ends))
        families: list[dict[str, list[tuple[int, Detection]]]] = [{} for _ in texts]
        for pid, items in by_rule.items():
            spec, family = self.specs[pid], self._families[pid]
            for index, start, ends in items:
                hit = self._validate(spec, texts[index], start, ends)
                if hit is not None:
                    families[index].setdefault(family, []).append((spec.priority, hit))
        return [
            [d for group in groups.values() for d in _resolve_overlaps(group)] if groups else []
            for groups in families
        ]

    def _validate(
        self, spec: PatternSpec, text: str, start: int, ends: list[int]
    ) -> Detection | None:
        """The candidate's first span (longest first) that passes the rule's check."""
        if spec.value is not None:
            m = spec.value.match(text, start, start + MAX_VALUE_CHARS)
            if m is None:
                return None
            start, end = m.span("v") if "v" in spec.value.groupindex else m.span()
            ends = [end]
        check = spec.check
        for end in ends:
            confidence = check(text, start, end)
            if confidence is not None:
                if confidence < self.min_confidence:
                    return None
                return Detection(spec.rule_id, start, end, text[start:end], confidence)
        return None


def _family(rule_id: str) -> str:
    prefix = rule_id.split(".", 1)[0]
    return "data" if prefix in ("pii", "secret") else prefix


def _resolve_overlaps(found: list[tuple[int, Detection]]) -> list[Detection]:
    """Keep the highest-priority detection of each overlapping group; ties go to the longer,
    then to the earlier, then to the first rule id in order (so the result does not hang
    on the order in which the rules were checked)."""
    if len(found) == 1:
        return [found[0][1]]
    found.sort(key=lambda pd: (-pd[0], pd[1].start - pd[1].end, pd[1].start, pd[1].rule_id))
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
