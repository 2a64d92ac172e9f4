"""The second look at places that look like an identifier OCR did not read whole
(dgp.scanners.image.reread): which words are read again, which re-readings are taken
(many generated values), and a rendered address whose underscore a page read loses."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dgp.documents import ocr
from dgp.documents.ocr import OcrWord
from dgp.scanners.image import reread, scanner
from tests import imagefixtures as f

LINE = (1, 1, 1)


def words(*texts: str) -> list[OcrWord]:
    return [OcrWord(t, (i * 100, 0, i * 100 + 90, 20), LINE, 90.0) for i, t in enumerate(texts)]


def candidate(*texts: str) -> tuple[int, int, str] | None:
    found = [reread._candidate(words(*texts), i) for i in range(len(texts))]
    hits = [(c.first, c.end, c.whitelist) for c in found if c is not None]
    return hits[0] if hits else None


@pytest.mark.parametrize("seed", range(100))
def test_an_address_made_whole_by_the_second_look_is_taken(seed: int) -> None:
    rng = random.Random(seed)
    email = f.person(seed).email
    local, domain = email.split("@")
    cut = rng.randrange(1, len(local))
    joiner = rng.choice(("", ".", "_", "-"))
    before, after = local[:cut], local[cut:] + "@" + domain
    parts = words(before, after)
    whole = before + joiner + after
    assert reread._accepted(parts, f"{whole}", reread.EMAIL_CHARS) == whole
    assert reread._accepted(parts, whole.capitalize(), reread.EMAIL_CHARS) == whole
    assert reread._accepted(parts, f"-{whole}", reread.EMAIL_CHARS) == whole
    assert reread._accepted(parts, f"E-mail: {whole}", reread.EMAIL_CHARS) == whole


@pytest.mark.parametrize("seed", range(100))
def test_a_second_look_that_is_another_value_is_refused(seed: int) -> None:
    rng = random.Random(seed)
    email = f.person(seed).email
    local, domain = email.split("@")
    parts = words("naar", email)
    assert reread._accepted(parts, f"naar {email}", reread.EMAIL_CHARS) is None
    other_domain = f"{local}@x{domain}"
    assert reread._accepted(parts, f"naar{other_domain}", reread.EMAIL_CHARS) is None
    shorter = f"naar{local[: rng.randrange(len(local))]}@{domain}"
    assert reread._accepted(parts, shorter, reread.EMAIL_CHARS) is None
    assert reread._accepted(parts, f"naar{email} {email}", reread.EMAIL_CHARS) is None


@pytest.mark.parametrize("seed", range(100))
def test_an_at_sign_read_as_a_look_alike_is_restored(seed: int) -> None:
    rng = random.Random(seed)
    email = f.person(seed).email
    misread = email.replace("@", rng.choice("a&Q"))
    parts = words(misread)
    assert reread._accepted(parts, email, reread.EMAIL_CHARS) == email
    assert reread._accepted(parts, "l" + email.capitalize(), reread.EMAIL_CHARS) == email
    wrong = email.replace("@", "@x")
    assert reread._accepted(parts, wrong, reread.EMAIL_CHARS) is None
    assert candidate("E-mail:", misread) == (1, 2, reread.EMAIL_CHARS)


@pytest.mark.parametrize("seed", range(100))
def test_an_iban_a_character_off_is_read_again_and_taken_only_when_valid(seed: int) -> None:
    rng = random.Random(seed)
    iban = f.person(seed).iban
    at = rng.randrange(5, len(iban))
    longer = iban[:at] + rng.choice("OI") + iban[at:]
    assert candidate("IBAN:", longer[:10], longer[10:]) == (1, 3, reread.IBAN_CHARS)
    assert candidate("IBAN:", iban) is None  # valid as read: nothing to look at again
    parts = words(longer)
    assert reread._accepted(parts, iban, reread.IBAN_CHARS) == iban
    assert reread._accepted(parts, longer, reread.IBAN_CHARS) is None


@pytest.mark.parametrize(
    "texts",
    [
        ("E-mail:", "jan@voorbeeld.nl"),
        ("Zie", "www.voorbeeld.nl"),  # a domain, but no e-mail label before it
        ("E-mail:", "voorbeeld.nl"),  # no look-alike of "@" in it
        ("Order", "NL12345"),  # too short for an IBAN
        ("Factuur", "2024-0117"),
    ],
)
def test_plain_words_are_not_read_again(texts: tuple[str, ...]) -> None:
    assert candidate(*texts) is None


def test_rereads_per_page_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    page = f.text_page(("x",), points=12).image
    many = words(*[t for _ in range(3 * reread.MAX_REREADS) for t in ("jan", "jan@voorbeeld.nl")])
    places: set[tuple[int, int, int, int]] = set()
    monkeypatch.setattr(reread, "_read_again", lambda _, parts, *a: places.add(parts[0].box) or "")
    reread.improve(page, many, timeout=60)
    assert len(places) == reread.MAX_REREADS


@pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract nld+eng not installed")
@pytest.mark.parametrize("font", [f.FONT, f.SERIF, f.MONO])
def test_an_underscore_the_page_read_loses_is_found(tmp_path: Path, font: str) -> None:
    email = "anouk_jansen@voorbeeld.nl"
    page = f.text_page((f"E-mail: {email}",), points=10, dpi=200, font=font).image
    text = scanner.read_page(page).text
    assert email in text, text
