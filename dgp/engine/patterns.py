"""What a pattern is: a hyperscan regex, a check, and the rule it reports."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from dgp.engine.context import ContextWords

# (text, start, end) -> confidence in 0..1, or None when the candidate is not real.
Check = Callable[[str, int, int], float | None]


@dataclass(frozen=True)
class PatternSpec:
    """One candidate pattern.

    `regex` is hyperscan syntax matched against UTF-8 bytes; it finds candidates
    fast. Hyperscan cannot track the start of large bounded repeats, so a
    pattern may be only a trigger: then `value`, a Python regex, is matched at
    the trigger's start and gives the real span (its group `v` when it has one,
    e.g. the password inside a connection string). `check` validates the value
    and gives the confidence. `python`, when set, replaces `regex` for finding
    spans in Python: it may use lookbehind, which hyperscan lacks.
    `priority` decides which of two overlapping detections is kept.

    `context` names the words without which the check gives at most
    `bare_confidence` (None: without them it rejects). When that is below the
    detector's threshold, the matcher skips candidates with no context word
    near, before any Python work (e.g. the dates in every log timestamp).
    `near_prefix` likewise skips candidates with no hit of a rule starting with
    it within `near_distance` characters (special categories count only near
    personal data).
    """

    rule_id: str
    regex: str
    check: Check
    caseless: bool = False
    multiline: bool = False
    value: re.Pattern[str] | None = None
    python: str | None = None
    priority: int = 0
    context: ContextWords | None = None
    bare_confidence: float | None = None
    near_prefix: str | None = None
    near_distance: int = 0

    def needs_context(self, min_confidence: float) -> bool:
        if self.context is None:
            return False
        return self.bare_confidence is None or self.bare_confidence < min_confidence


def always(confidence: float) -> Check:
    def check(text: str, start: int, end: int) -> float:
        return confidence

    return check
