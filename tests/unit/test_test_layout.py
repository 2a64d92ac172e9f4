"""The test tree itself: `pytest tests` (the README's command) collects every tier in
one run, and pytest's default import mode needs each test module's basename to be
unique across the tiers, or collection stops with an "import file mismatch"."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_test_module_basenames_are_unique_across_tiers() -> None:
    names = Counter(path.name for path in TESTS.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
