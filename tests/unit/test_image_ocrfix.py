"""OCR misreadings of identifiers undone (dgp.scanners.image.ocrfix), on many generated
values with the confusions Tesseract makes, and the text that must stay as it was read."""

from __future__ import annotations

import random

import pytest

from dgp.documents.ocr import OcrWord
from dgp.engine import validators
from dgp.scanners.image import ocrfix
from tests import imagefixtures as f

LINE = (1, 1, 1)
LOOKS_LIKE_DIGIT = {"0": "Oo", "1": "lI|"}
IBAN_DIGIT_LOOKALIKES = {"0": "OoDQ", "1": "lI|L", "2": "Z", "5": "S", "6": "G", "8": "B"}
IBAN_LETTER_LOOKALIKES = {"O": "0", "I": "1", "S": "5", "B": "8", "Z": "2", "G": "6"}


def words(*texts: str, line: tuple[int, int, int] = LINE) -> list[OcrWord]:
    return [OcrWord(t, (i * 100, 0, i * 100 + 90, 20), line, 90.0) for i, t in enumerate(texts)]


def texts(found: list[OcrWord]) -> list[str]:
    return [w.text for w in found]


def misread_iban(iban: str, rng: random.Random) -> str:
    """The IBAN with one to three look-alikes where OCR puts them."""
    shape = validators.IBAN_SHAPES[iban[:2]]
    chars = list(iban)
    places = [
        i
        for i, c in enumerate(chars)
        if (shape[i] == "n" and c in IBAN_DIGIT_LOOKALIKES)
        or (shape[i] == "a" and i >= 4 and c in IBAN_LETTER_LOOKALIKES)
    ]
    for i in rng.sample(places, min(len(places), rng.randint(1, 3))):
        options = IBAN_DIGIT_LOOKALIKES.get(chars[i]) or IBAN_LETTER_LOOKALIKES[chars[i]]
        chars[i] = rng.choice(options)
    return "".join(chars)


def split(text: str, rng: random.Random, parts: int) -> list[str]:
    cuts = sorted(rng.sample(range(1, len(text)), parts - 1))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


@pytest.mark.parametrize("seed", range(200))
def test_misread_and_split_ibans_read_as_the_iban(seed: int) -> None:
    rng = random.Random(seed)
    iban = f.person(seed).iban
    misread = misread_iban(iban, rng)
    tokens = split(misread, rng, rng.randint(1, 3))
    found = ocrfix.correct(words("IBAN:", *tokens[:-1], tokens[-1] + rng.choice(("", ".", ","))))
    assert found[0].text == "IBAN:"
    assert found[1].text.rstrip(".,") == iban
    assert found[1].box == (100, 0, len(tokens) * 100 + 90, 20)  # the union of the parts


@pytest.mark.parametrize("seed", range(100))
def test_ibans_valid_as_read_are_left_to_the_engine(seed: int) -> None:
    iban = f.person(seed).iban
    for tokens in ([iban], f.grouped(iban).split(" ")):
        assert texts(ocrfix.correct(words("IBAN:", *tokens))) == ["IBAN:", *tokens]


@pytest.mark.parametrize("seed", range(200))
def test_an_iban_with_a_wrong_digit_stays_invalid(seed: int) -> None:
    """Look-alikes are replaced only when the checksum then holds: a misread that is also
    wrong in a digit (or a number that is no IBAN) is not made into one."""
    rng = random.Random(seed)
    iban = f.person(seed).iban
    at = rng.randrange(4, len(iban))
    if iban[at].isdigit():
        wrong = iban[:at] + str((int(iban[at]) + rng.randint(1, 9)) % 10) + iban[at + 1 :]
    else:
        wrong = (
            iban[:at] + chr((ord(iban[at]) - 65 + rng.randint(1, 25)) % 26 + 65) + iban[at + 1 :]
        )
    tokens = split(misread_iban(wrong, rng), rng, rng.randint(1, 2))
    found = ocrfix.correct(words("IBAN:", *tokens))
    assert not any(validators.is_iban(w.text) for w in found)


def test_iban_parts_on_two_lines_or_after_punctuation_are_not_joined() -> None:
    first, rest = "NL91ABNA04", "17164300"
    two_lines = words(first) + words(rest, line=(1, 1, 2))
    assert texts(ocrfix.correct(two_lines)) == [first, rest]
    assert texts(ocrfix.correct(words(first + ",", rest))) == [first + ",", rest]


@pytest.mark.parametrize("seed", range(100))
def test_look_alikes_in_numbers_read_as_digits(seed: int) -> None:
    rng = random.Random(seed)
    person = f.person(seed)
    for value in (person.bsn, person.phone):
        tokens = value.split(" ")
        token = rng.randrange(len(tokens))
        chars = list(tokens[token])
        places = [i for i, c in enumerate(chars) if c in LOOKS_LIKE_DIGIT]
        if not places:
            continue
        for i in rng.sample(places, min(len(places), max(1, len(chars) // 3))):
            chars[i] = rng.choice(LOOKS_LIKE_DIGIT[chars[i]])
        tokens[token] = "".join(chars)
        assert texts(ocrfix.correct(words("Nummer:", *tokens))) == ["Nummer:", *value.split(" ")]


@pytest.mark.parametrize(
    "text",
    ["IO", "Ol", "I", "lol", "Oost", "Il1O", "O", "Hotel", "l.O", "COVID-19", "A4", "10:30"],
)
def test_words_are_not_numbers(text: str) -> None:
    """A word with more look-alikes than digits, or with other letters, stays as read."""
    assert texts(ocrfix.correct(words("zie", text))) == ["zie", text]


@pytest.mark.parametrize("seed", range(150))
def test_split_email_addresses_are_joined(seed: int) -> None:
    rng = random.Random(seed)
    email = f.person(seed).email
    local, domain = email.split("@")
    choices = [
        [local, "@", domain],
        [local + "@", domain],
        [local, "@" + domain],
    ]
    joiners = [i for i, c in enumerate(local) if c in "._-" and 0 < i < len(local) - 1]
    if joiners:
        at = rng.choice(joiners)
        choices += [[local[: at + 1], local[at + 1 :] + "@" + domain]]
        choices += [[local[:at], local[at:] + "@" + domain]]
    tokens = rng.choice(choices)
    end = rng.choice(("", ".", ","))
    tokens[-1] += end
    found = ocrfix.correct(words("E-mail:", *tokens, "graag"))
    assert texts(found) == ["E-mail:", email + end, "graag"]


@pytest.mark.parametrize("seed", range(60))
def test_an_email_address_broken_at_a_line_end_is_joined(seed: int) -> None:
    email = f.person(seed).email
    local, domain = email.split("@")
    name, tld = domain.rsplit(".", 1)
    breaks = [(local + "@", domain)]
    if "." not in name:  # "jan@mail.example." could be a whole address before a full stop
        breaks.append((f"{local}@{name}.", tld))
    for first, second in breaks:
        found = ocrfix.correct(words("Mail", first) + words(second, "bedankt", line=(1, 1, 2)))
        assert texts(found) == ["Mail", email, "bedankt"]


@pytest.mark.parametrize(
    "tokens",
    [
        ["mail", "naar", "jan@voorbeeld.nl"],  # a word before an address, with a real space
        ["Jan", "jan@voorbeeld.nl"],
        ["E-mail:", "jan@voorbeeld.nl"],
        ["jan@voorbeeld.nl", "of", "piet@voorbeeld.nl"],
        ["@", "twitter"],
        ["jan@", "voorbeeld"],  # no domain after the "@"
        ["jan@voorbeeld.nl", "@piet"],  # a second "@"
    ],
)
def test_words_that_are_no_split_address_stay_apart(tokens: list[str]) -> None:
    assert texts(ocrfix.correct(words(*tokens))) == tokens


@pytest.mark.parametrize("seed", range(60))
def test_a_domain_split_inside_or_its_dot_read_as_a_comma_is_joined(seed: int) -> None:
    rng = random.Random(seed)
    email = f.person(seed).email
    local, domain = email.split("@")
    name, tld = domain.rsplit(".", 1)
    cut = rng.randrange(1, len(name))  # inside the first label: "jan@voo" + "rbeeld.nl"
    first_label_end = name.find(".") if "." in name else len(name)
    cut = min(cut, first_label_end - 1) if first_label_end > 1 else 1
    pieces = [(f"{local}@{domain[:cut]}", domain[cut:])]
    if "." not in name:
        pieces.append((f"{local}@{name}", rng.choice((",", "\u201a")) + tld))
    for first, second in pieces:
        found = ocrfix.correct(words("Mail", first, second, "bedankt"))
        assert texts(found) == ["Mail", email, "bedankt"], (first, second)


def test_a_complete_address_at_a_line_end_takes_nothing_from_the_next_line() -> None:
    found = ocrfix.correct(words("Mail", "jan@voorbeeld.nl.") + words("nl", line=(1, 1, 2)))
    assert texts(found) == ["Mail", "jan@voorbeeld.nl.", "nl"]


def spaced(texts: tuple[str, str], gap: int, height: int = 40) -> list[OcrWord]:
    """Two words on one line, `gap` pixels apart, each 30 pixels a character wide."""
    first = OcrWord(texts[0], (0, 0, 30 * len(texts[0]), height), LINE, 90.0)
    left = first.box[2] + gap
    second = OcrWord(texts[1], (left, 0, left + 30 * len(texts[1]), height), LINE, 90.0)
    return [first, second]


@pytest.mark.parametrize("seed", range(100))
def test_a_bsn_split_closer_than_a_word_space_is_joined(seed: int) -> None:
    rng = random.Random(seed)
    bsn = f.person(seed).bsn
    cut = rng.randrange(1, 9)
    parts = (bsn[:cut], bsn[cut:])
    assert texts(ocrfix.correct(spaced(parts, gap=rng.randrange(0, 20)))) == [bsn]
    assert texts(ocrfix.correct(spaced(parts, gap=rng.randrange(20, 200)))) == list(parts)
    wrong = bsn[:-1] + str((int(bsn[-1]) + rng.randint(1, 9)) % 10)
    if not validators.is_bsn(wrong):
        wrong_parts = (wrong[:cut], wrong[cut:])
        assert texts(ocrfix.correct(spaced(wrong_parts, gap=5))) == list(wrong_parts)
