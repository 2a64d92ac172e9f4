"""Hostile input: no rule may take time that grows faster than its input.

Every pattern of the engine and of the code kind gets long runs of its own
characters and words (a line of a million "a"s after an e-mail address took
18 minutes once). Time is compared between sizes, never against a clock: a
linear rule takes about 4x as long on 40k characters as on 10k, a quadratic
one 16x. Each figure is the best of several runs, and a family over the bound
is measured again with more runs before it counts, so a busy machine does not
fail the test; quadratic work still does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from dgp.domain.evidence import ValueHasher
from dgp.domain.finding import Location
from dgp.domain.job import ScanJob
from dgp.domain.options import CodeOptions
from dgp.engine.detector import Detector
from dgp.scanners.code.rules import CODE_PATTERNS
from dgp.scanners.session import ScanSession

SIZES = (10_000, 20_000, 40_000)
RATIO_BOUND = 8.0  # linear: ~4 (40k / 10k); quadratic: ~16
SCREEN_BOUND = 6.0  # one run at 10k and 40k; a family above it is measured properly
RUNS, RERUNS = 3, 9
WORDS_PER_PATTERN = 4

Text = Callable[[int], str]


def _fill(unit: str, prefix: str = "") -> Text:
    return lambda n: prefix + unit * max(1, (n - len(prefix)) // len(unit))


def _own_material(source: str) -> tuple[set[str], set[str]]:
    """The characters and the words a regex's source names (literals and classes)."""
    chars = {c for c in source if c.isprintable() and c not in "\\()[]{}|?*^$"}
    chars |= set(" ._-@:/'\"=0123456789aA")
    words = sorted({w for w in re.findall(r"[A-Za-z][A-Za-z_]{1,}", source) if len(w) <= 24})
    # a spread of them: a list of names or keywords gives the same work for each
    step = max(1, len(words) // WORDS_PER_PATTERN)
    return chars, set(words[::step][:WORDS_PER_PATTERN])


def _texts(detector: Detector) -> dict[str, Text]:
    """Families of hostile texts, deduplicated across the patterns that share them."""
    families: dict[str, Text] = {
        # the probe's own findings
        "e-mail then a run of letters": _fill("a", "x a@b.nl "),
        "e-mail then a run of 'a.'": _fill("a.", "x jan@b.nl "),
        "log call then 'bsn ' repeated": _fill("bsn ", "log.info("),
        "run of e-mails": _fill("a@b.nl "),
        "run of digits": _fill("1"),
        "run of digit groups": _fill("1234 "),
        "run of IBAN-like groups": _fill("NL91 ABNA "),
        "run of capitalised words": _fill("Jan De "),
        "password assignments": _fill('password = "x', "x "),
        "quotes and base64": _fill("'Ab3+"),
        "http path": _fill("/user", "http://example.nl"),
    }
    for spec in detector.specs:
        for source in filter(None, (spec.regex, spec.python)):
            chars, words = _own_material(source)
            for c in sorted(chars):
                families.setdefault(f"run of {c!r}", _fill(c))
            for w in sorted(words):
                for sep in (" ", "."):
                    families.setdefault(f"{w!r} + {sep!r}", _fill(w + sep))
    return families


def _best_time(fn: Callable[[str], object], text: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.process_time()
        fn(text)
        best = min(best, time.process_time() - t0)
    return best


def _growth(fn: Callable[[str], object], make: Text, runs: int) -> float:
    small, _, large = (_best_time(fn, make(n), runs) for n in SIZES)
    return large / max(small, 1e-6)


def _superlinear(fn: Callable[[str], object], families: dict[str, Text]) -> dict[str, float]:
    """The families whose time grows faster than linear: a quick screen of every family
    (one run at the smallest and largest size), then best-of runs over all sizes for
    those it flags, then more runs before one counts."""
    slow = {}
    small, large = SIZES[0], SIZES[-1]
    for name, make in families.items():
        screen = _best_time(fn, make(large), 1) / max(_best_time(fn, make(small), 1), 1e-6)
        if screen <= SCREEN_BOUND:
            continue
        if (
            _growth(fn, make, RUNS) > RATIO_BOUND
            and (ratio := _growth(fn, make, RERUNS)) > RATIO_BOUND
        ):
            slow[name] = ratio
    return slow


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(extra_patterns=CODE_PATTERNS)


def test_every_rule_is_linear_in_runs_of_its_own_characters(detector: Detector) -> None:
    families = _texts(detector)
    assert len(families) > 150  # every pattern contributed its material
    assert _superlinear(detector.detect, families) == {}


def test_the_whole_text_path_of_a_scan_is_linear(tmp_path: Path) -> None:
    """Through ScanSession.scan_text: lines, columns, masking and the per-rule cap."""
    job = ScanJob(kind="code", target=str(tmp_path), options=CodeOptions())
    hasher = ValueHasher(b"k" * 32)

    def scan(text: str) -> object:
        session = ScanSession(job, hasher, extra_patterns=CODE_PATTERNS)
        return session.scan_text(text, Location(path="t.txt"))

    families = {
        "e-mails on one line": _fill("a@b.nl "),
        "log calls with personal fields": _fill("log.info(user.email) "),
        "log call then 'bsn ' repeated": _fill("bsn ", "log.info("),
        "e-mail then a run of letters": _fill("a", "x a@b.nl "),
    }
    assert _superlinear(scan, families) == {}


def test_a_number_after_a_long_iban_like_word_costs_time_linear_in_the_word(
    detector: Detector,
) -> None:
    """Cards and phones are looked for inside an IBAN before them: "AB12" then a run of
    letters, a dash and a number once took time exponential in the run (seconds at 24
    letters, hours at 36): growth is compared between run lengths."""

    def text(n: int) -> str:
        return "x AB12" + "C" * n + "-4539 1488 0343 6467 or AB12" + "C" * n + "-020 555 1234\n"

    def detect(t: str) -> object:
        return detector.detect(t)

    short, long = (_best_time(detect, text(n), RUNS) for n in (8, 24))
    assert long / max(short, 1e-6) < RATIO_BOUND
