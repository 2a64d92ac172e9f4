"""Special-category (art. 9) and criminal (art. 10) lexicons as patterns.

A lexicon hit alone is not a finding: the detector keeps it only when personal
data stands near it (SPEC: "only when near personal data").
"""

from __future__ import annotations

import re

from dgp.engine.lexicons import SPECIAL_CATEGORIES
from dgp.engine.patterns import PatternSpec, always

NEAR_PERSONAL_DATA = 150  # characters between a lexicon word and a personal-data detection


def _lexicon_regex(words: tuple[str, ...]) -> str:
    parts = []
    for word in words:
        stem = re.escape(word.rstrip("*")).replace("\\ ", " ")
        # (a bounded suffix: the matcher then knows how far back a match can start)
        parts.append(stem + (r"[A-Za-z]{0,40}" if word.endswith("*") else ""))
    return r"\b(?:" + "|".join(parts) + r")\b"


SPECIAL_PATTERNS: tuple[PatternSpec, ...] = tuple(
    PatternSpec(
        f"special.{category}",
        _lexicon_regex(words),
        always(0.7),
        caseless=True,
        priority=1,
        near_prefix="pii.",
        near_distance=NEAR_PERSONAL_DATA,
    )
    for category, words in SPECIAL_CATEGORIES.items()
)
