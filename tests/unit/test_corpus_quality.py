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
MIN_PRECISION = 0.97
MIN_RECALL = 0.97
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


_REFERENCE_LABEL = re.compile(r"(?:ordernummer|ordernr|factuur|invoice_no|ticket #)\W*$", re.I)


def test_unlabelled_nine_digit_numbers_are_not_bsns(corpus: list[LabelledLine]) -> None:
    """Every 9-digit number that is not labelled fails the 11-proef, lacks BSN context,
    or is labelled as an order, invoice or ticket number (with BSN words elsewhere)."""
    invalid_with_context = valid_without_context = valid_as_reference = 0
    for line in corpus:
        labelled = {(lab.start, lab.end) for lab in line.labels if lab.rule_id == "pii.bsn"}
        for m in _NINE_DIGITS.finditer(line.text):
            if (m.start(), m.end()) in labelled:
                continue
            valid = bsn.is_valid(m.group())
            context = _has_bsn_context(line.text, m.start(), m.end())
            reference = _REFERENCE_LABEL.search(line.text[: m.start()]) is not None
            assert not (valid and context and not reference), line
            invalid_with_context += (not valid) and context
            valid_without_context += valid and not context
            valid_as_reference += valid and context and reference
    assert invalid_with_context >= 50
    assert valid_without_context >= 50
    assert valid_as_reference >= 20


def test_other_graded_labels_are_valid(corpus: list[LabelledLine]) -> None:
    for line in corpus:
        for lab in line.labels:
            if lab.rule_id == "pii.iban":
                assert iban.is_valid(lab.value), line
            elif lab.rule_id == "pii.payment_card":
                assert luhn.is_valid(re.sub(r"[ -]", "", lab.value)), line
            elif lab.rule_id == "pii.phone":
                regions = [r for r in ("NL", "BE", "DE") if _valid_phone(lab.value, r)]
                assert regions, line


def _valid_phone(value: str, region: str) -> bool:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and (
        phonenumbers.region_code_for_number(number) == region
    )


def _labels(corpus: list[LabelledLine], rule_id: str) -> list[str]:
    return [lab.value for line in corpus for lab in line.labels if lab.rule_id == rule_id]


# Every written form of issue 11, each needed at least MIN_FORM times among the labels.
MIN_FORM = 5
PHONE_FORMS = {
    "06-12345678": r"06-\d{8}",
    "06 1234 5678": r"06 \d{4} \d{4}",
    "0612345678": r"06\d{8}",
    "+31 6 1234 5678": r"\+31 6 \d{4} \d{4}",
    "+31(0)6 12345678": r"\+31 ?\(0\)6[ -]\d{8}",
    "+31 (0) 20 123 4567": r"\+31 \(0\) \d{2,3} \d{3} \d{3,4}",
    "0031 6 ...": r"0031 6 [\d ]+",
    "020-1234567": r"0\d{2}-\d{7}",
    "(020) 123 45 67": r"\(0\d{2}\) \d{3} \d{2} \d{2}",
    "010 - 123 45 67": r"0\d{2} - \d{3} \d{2} \d{2}",
    "0800/0900": r"0[89]00[- ][\d ]+",
    "Belgian 0475/12.34.56": r"04\d{2}/\d{2}\.\d{2}\.\d{2}",
    "Belgian 02/512 34 56": r"0[1-9]\d?/\d{2,3}[. ]\d{2}[. ]\d{2}",
    "Belgian +32": r"(?:\+|00)32 .+",
    "German national": r"0[1-9]\d{1,3}[ /-]\d{5,8}",
    "German +49": r"(?:\+|00)49 .+",
}


@pytest.fixture(scope="module")
def big_corpus() -> list[LabelledLine]:
    """Enough lines that every rare form shows up several times."""
    return generate(15000, seed=SEED)


@pytest.mark.parametrize("form", PHONE_FORMS)
def test_generator_writes_every_phone_form(big_corpus: list[LabelledLine], form: str) -> None:
    regex = re.compile(PHONE_FORMS[form])
    assert sum(1 for v in _labels(big_corpus, "pii.phone") if regex.fullmatch(v)) >= MIN_FORM


def test_generator_writes_ibans_of_every_sepa_country_in_any_case(
    big_corpus: list[LabelledLine],
) -> None:
    values = _labels(big_corpus, "pii.iban")
    countries = {v[:2].upper() for v in values}
    assert {"BE", "MT", "NO", "NL", "DE", "FR", "GB", "CH", "PL", "SM", "VA"} <= countries
    assert len(countries) >= 35
    lengths = {len(v.replace(" ", "")) for v in values}
    assert min(lengths) == 15 and max(lengths) == 31  # Norway 15, Belgium 16 ... Malta 31
    assert sum(v.islower() for v in values) >= MIN_FORM
    assert sum(not v.islower() and not v.isupper() for v in values) >= MIN_FORM
    assert sum(" " in v for v in values) >= MIN_FORM
    assert sum(" " not in v for v in values) >= MIN_FORM


def test_generator_writes_hard_negatives_for_phones(big_corpus: list[LabelledLine]) -> None:
    negatives = [line.text for line in big_corpus if not line.labels]
    for shape in (
        r"Ordernummer 06\d{8}",  # a mobile number's shape, labelled as an order
        r"(?:Pagina's|Artikelen) 0\d{3,4}-0\d{3,4}",  # ranges
        r"EUR \d{1,3}\.\d{3}\.\d{3},\d{2}",  # amounts
        r"versie \d\.\d{1,2}\.\d{5,8}",  # long version strings
        r"Transaction id \d{15,16}",  # a valid card number labelled as a transaction
        r"Zone [1-9]\d{3} ?[A-Z]{2}",  # postcodes
    ):
        regex = re.compile(shape)
        assert sum(1 for t in negatives if regex.search(t)) >= MIN_FORM, shape


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
