"""Detection quality of the engine on the labelled corpus (tests/corpus.py).

Run with ``pytest -s tests/unit/test_corpus_quality.py`` to see the precision/recall table.
"""

import re
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # `import tests.corpus` and `import dgp` from the repo root
    sys.path.insert(0, str(_ROOT))

import phonenumbers  # noqa: E402
import pytest  # noqa: E402
from stdnum import iban, luhn  # noqa: E402
from stdnum.nl import bsn  # noqa: E402

from tests.corpus import GRADED_RULES, LabelledLine, format_table, generate, misses  # noqa: E402

SEED = 20240131
N_LINES = 3000
MIN_PRECISION = 0.95
MIN_RECALL = 0.95
MIN_LABELS_PER_RULE = 100

_BSN_CONTEXT = re.compile(
    r"bsn|burgerservicenummer|sofinummer|sofi|persoonsnummer|citizen service number",
    re.IGNORECASE,
)
_NINE_DIGITS = re.compile(r"(?<![\w.])\d{9}(?![\w])")


def _has_bsn_context(text: str, start: int, end: int, window: int = 60) -> bool:
    return bool(_BSN_CONTEXT.search(text[max(0, start - window) : end + window]))


@pytest.fixture(scope="module")
def corpus() -> list[LabelledLine]:
    return generate(N_LINES, seed=SEED)


# ------------------------------------------------------------------ the corpus itself


def test_generator_is_deterministic() -> None:
    assert generate(400, seed=7) == generate(400, seed=7)
    assert generate(400, seed=7) != generate(400, seed=8)


def test_pii_share(corpus: list[LabelledLine]) -> None:
    share = sum(1 for line in corpus if line.labels) / len(corpus)
    assert 0.45 <= share <= 0.55
    assert all(not line.labels for line in generate(300, seed=SEED, pii_share=0.0))


def test_label_offsets_match_text(corpus: list[LabelledLine]) -> None:
    for line in corpus:
        for label in line.labels:
            assert line.text[label.start : label.end] == label.value, line
            assert "\n" not in line.text


def test_every_graded_rule_is_well_represented(corpus: list[LabelledLine]) -> None:
    for rule_id in GRADED_RULES:
        count = sum(1 for line in corpus for lab in line.labels if lab.rule_id == rule_id)
        assert count >= MIN_LABELS_PER_RULE, (rule_id, count)


def test_bsn_labels_are_valid_and_have_context(corpus: list[LabelledLine]) -> None:
    for line in corpus:
        for lab in line.labels:
            if lab.rule_id == "pii.bsn":
                assert bsn.is_valid(lab.value), line
                assert _has_bsn_context(line.text, lab.start, lab.end, window=40), line


def test_unlabelled_nine_digit_numbers_are_not_bsns(corpus: list[LabelledLine]) -> None:
    """Every 9-digit number that is not labelled fails the 11-proef or lacks BSN context."""
    invalid_with_context = valid_without_context = 0
    for line in corpus:
        labelled = {(lab.start, lab.end) for lab in line.labels if lab.rule_id == "pii.bsn"}
        for m in _NINE_DIGITS.finditer(line.text):
            if (m.start(), m.end()) in labelled:
                continue
            valid = bsn.is_valid(m.group())
            context = _has_bsn_context(line.text, m.start(), m.end())
            assert not (valid and context), line
            invalid_with_context += (not valid) and context
            valid_without_context += valid and not context
    assert invalid_with_context >= 50
    assert valid_without_context >= 50


def test_other_graded_labels_are_valid(corpus: list[LabelledLine]) -> None:
    for line in corpus:
        for lab in line.labels:
            if lab.rule_id == "pii.iban":
                assert iban.is_valid(lab.value), line
            elif lab.rule_id == "pii.payment_card":
                assert luhn.is_valid(re.sub(r"[ -]", "", lab.value)), line
            elif lab.rule_id == "pii.phone":
                number = phonenumbers.parse(lab.value, "NL")
                assert phonenumbers.is_valid_number(number), line
                assert phonenumbers.region_code_for_number(number) == "NL", line


# ------------------------------------------------------------------ the engine on it


@pytest.fixture(scope="module")
def scored(corpus: list[LabelledLine]):
    from dgp.engine.detector import Detector

    metrics, missed = misses(Detector(), corpus, GRADED_RULES)
    print(f"\nEngine quality on {len(corpus)} corpus lines (seed {SEED}):")
    print(format_table(metrics))
    return metrics, missed


@pytest.mark.parametrize("rule_id", GRADED_RULES)
def test_engine_precision_and_recall(scored, rule_id: str) -> None:
    metrics, missed = scored
    m = metrics[rule_id]
    fn_examples = [text for _, text in missed.fn.get(rule_id, [])[:5]]
    fp_examples = [f"{det.value!r} in {text!r}" for det, text in missed.fp.get(rule_id, [])[:5]]
    assert m.tp > 0, f"{rule_id}: no true positives at all"
    assert m.precision >= MIN_PRECISION, (
        f"{rule_id}: precision {m.precision:.3f} < {MIN_PRECISION}; false positives e.g.:\n"
        + "\n".join(fp_examples)
    )
    assert m.recall >= MIN_RECALL, (
        f"{rule_id}: recall {m.recall:.3f} < {MIN_RECALL}; missed e.g.:\n" + "\n".join(fn_examples)
    )
