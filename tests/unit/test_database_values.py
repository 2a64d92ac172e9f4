"""How the database scanner spends the engine's time on sampled values: values that can
be no entity skip it, each distinct value is read once, and neither changes what a
column is classified as (checked against the engine reading every value on its own)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from faker import Faker

from dgp.engine.detector import Detection, Detector
from dgp.scanners.database import scanner
from dgp.scanners.database.columns import classify_name, words
from dgp.scanners.database.values import (
    ENTITY_CATEGORY,
    ColumnValues,
    EntityCount,
    classify_values,
    could_be_entity,
)
from dgp.scanners.session import detector_for

MIN_CONFIDENCE = 0.5
CONTEXTS = ("value", "bsn", "telefoon", "geboortedatum", "iban", "email", "postcode")


@pytest.fixture(scope="module")
def detector() -> Detector:
    return detector_for(scanner.EVERY_DETECTION)


def short_numbers(rng: random.Random) -> list[str]:
    """Ids, amounts, house numbers, counts: plain numbers of 1 to 7 digits."""
    values = []
    for _ in range(400):
        digits = rng.randint(1, 7)
        whole = str(rng.randint(10 ** (digits - 1) if digits > 1 else 0, 10**digits - 1))
        kind = rng.choice(("int", "negative", "decimal", "comma"))
        if kind == "negative":
            whole = "-" + whole
        elif kind in ("decimal", "comma") and len(whole.lstrip("-")) > 1:
            cut = rng.randint(1, len(whole) - 1)
            whole = whole[:cut] + ("." if kind == "decimal" else ",") + whole[cut:]
        values.append(whole)
    return values


def iso_times(rng: random.Random) -> list[str]:
    """Dates, timestamps with and without fractions and zones, times of day."""
    values = []
    for _ in range(400):
        date = f"{rng.randint(1900, 2030)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"
        clock = f"{rng.randint(0, 23):02}:{rng.randint(0, 59):02}:{rng.randint(0, 59):02}"
        values.append(
            rng.choice(
                (
                    date,
                    f"{date} {clock}",
                    f"{date} {clock}.{rng.randint(0, 999999)}",
                    f"{date}T{clock}+0{rng.randint(0, 2)}:00",
                    f"{date} {clock}+01",
                    f"{date}T{clock}Z",
                    clock,
                )
            )
        )
    return values


def test_plain_numbers_of_fewer_than_8_digits_are_no_entity_in_any_context(
    detector: Detector,
) -> None:
    values = short_numbers(random.Random(1))
    assert not any(could_be_entity(v, named=True) for v in values)
    for context in CONTEXTS:
        text = "\n".join(f"{context}: {v}" for v in values)
        found = [d for d in detector.detect(text) if d.rule_id in ENTITY_CATEGORY]
        assert found == [], (context, found[:3])


def test_dates_and_times_are_no_entity_where_the_name_says_nothing(detector: Detector) -> None:
    values = iso_times(random.Random(2))
    assert not any(could_be_entity(v, named=False) for v in values)
    assert all(could_be_entity(v, named=True) for v in values)  # "geboortedatum": read
    found = detector.detect("\n".join(f"value: {v}" for v in values))
    assert [d for d in found if d.rule_id in ENTITY_CATEGORY] == []


@pytest.mark.parametrize(
    "value",
    [
        "12345678",  # a BSN that lost its leading zero, a KvK number
        "612345678",  # a mobile number kept as a number
        "0612345678",
        "+31612345678",
        "4111111111111111",  # a card number kept as a number
        "10.0.0.1",  # an IP address: more than one dot
        "1.234.567.890",
        "NL91ABNA0417164300",
        "1985-03-02x",
        "klant@voorbeeld.nl",
        "12:34 bij Jansen",
    ],
)
def test_values_that_may_hold_an_entity_go_to_the_engine(value: str) -> None:
    assert could_be_entity(value, named=False)


def reference(detector: Detector, context: str, values: list[str]) -> ColumnValues:
    """The engine reading every sampled value on its own, none skipped or merged."""
    out = ColumnValues()
    for value in values:
        text = " ".join(value.split())
        if not text:
            continue
        if len(text) == 8 and text.isdigit():
            text = "0" + text
        out.sampled += 1
        prefix = f"{context}: "
        rules = {
            d.rule_id: d
            for d in detector.detect(prefix + text)
            if d.rule_id in ENTITY_CATEGORY and d.start >= len(prefix)
        }
        for rule_id, det in rules.items():
            count = out.entities.setdefault(rule_id, EntityCount())
            count.matched += 1
            count.confidence = max(count.confidence, det.confidence)
            count.low_confidence = count.low_confidence and det.confidence < MIN_CONFIDENCE
    return out


def column(fake: Faker, rng: random.Random, make: Callable[[], str], rows: int) -> list[str]:
    """A column of `rows` values: mostly `make`, with repeats, blanks and noise."""
    values: list[str] = []
    for _ in range(rows):
        roll = rng.random()
        if roll < 0.1 and values:
            values.append(rng.choice(values))  # a repeat
        elif roll < 0.15:
            values.append("")
        elif roll < 0.25:
            values.append(str(rng.randint(0, 9_999_999)))
        elif roll < 0.3:
            values.append(fake.date_time().isoformat(sep=" "))
        else:
            values.append(make())
    return values


def makers(fake: Faker, rng: random.Random) -> dict[str, Callable[[], str]]:
    return {
        "email": fake.email,
        "telefoon": fake.phone_number,
        "iban": fake.iban,
        "klant_ref": lambda: fake.ssn().lstrip("0"),
        "geboortedatum": lambda: fake.date_of_birth().isoformat(),
        "postcode": fake.postcode,
        "bedrag": lambda: f"{rng.randint(0, 99999)}.{rng.randint(0, 99):02}",
        "aangemaakt": lambda: fake.date_time().isoformat(sep=" "),
        "omschrijving": lambda: rng.choice(("fiets", "lamp", "stoel")) + f" {rng.randint(1, 9)}",
        "diagnose": lambda: rng.choice(("diabetes type 2", "astma", "migraine")),
        "id": lambda: str(rng.randint(1, 500_000)),
    }


@pytest.mark.parametrize("seed", range(3))
def test_a_column_is_classified_as_the_engine_reading_every_value_would(
    detector: Detector, seed: int
) -> None:
    fake, rng = Faker("nl_NL"), random.Random(seed)
    fake.seed_instance(seed)
    for name, make in makers(fake, rng).items():
        values = column(fake, rng, make, rng.choice((20, 300, 1000)))
        got = classify_values(detector, name, values, MIN_CONFIDENCE)
        context = " ".join(words(name)) if classify_name(name) is not None else "value"
        want = reference(detector, context, values)
        assert got.sampled == want.sampled, name
        assert {r: c.matched for r, c in got.entities.items()} == {
            r: c.matched for r, c in want.entities.items()
        }, name
        for min_share in (0.05, 0.2, 0.5):
            mine, theirs = got.best(min_share), want.best(min_share)
            assert (mine and (mine[0], mine[1])) == (theirs and (theirs[0], theirs[1])), name


class Recording:
    """A detector that remembers the text it was given."""

    def __init__(self, detector: Detector) -> None:
        self.detector, self.texts = detector, []  # type: ignore[var-annotated]

    def detect(self, text: str) -> list[Detection]:
        self.texts.append(text)
        return self.detector.detect(text)


def test_each_distinct_value_is_read_once_and_counts_as_often_as_sampled(
    detector: Detector,
) -> None:
    values = ["jan@voorbeeld.nl"] * 600 + [f"notitie {i}" for i in range(400)] + ["17"] * 50
    recording = Recording(detector)
    got = classify_values(recording, "contact", values, MIN_CONFIDENCE)  # type: ignore[arg-type]
    read = "\n".join(recording.texts)
    assert read.count("jan@voorbeeld.nl") == 1 and read.count("notitie 7\n") == 1
    assert ": 17\n" not in read + "\n"  # a short number: not read at all
    assert got.sampled == 1050
    email = got.entities["pii.email"]
    assert email.matched == 600 and email.examples and len(email.examples) == 1
    assert got.best(0.2) is not None and got.best(0.2)[1] == pytest.approx(600 / 1050)  # type: ignore[index]


def test_warm_up_compiles_the_detector_of_sampled_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[float] = []
    monkeypatch.setattr(scanner, "session_warm_up", lambda: None)
    monkeypatch.setattr(scanner, "detector_for", lambda c: asked.append(c))
    scanner.warm_up()
    assert asked == [scanner.EVERY_DETECTION]
