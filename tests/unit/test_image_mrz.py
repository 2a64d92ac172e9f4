"""MRZ parsing (ICAO 9303) and Dutch document layouts, on text: no OCR needed."""

from __future__ import annotations

import pytest

from dgp.scanners.image import iddocs, mrz
from tests import imagefixtures as f

# ICAO Doc 9303 part 4 and 5 specimens (Utopia), with their published check digits
ICAO_TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
ICAO_TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)


@pytest.mark.parametrize(
    ("field", "digit"),
    [("L898902C3", "6"), ("740812", "2"), ("120415", "9"), ("ZE184226B<<<<<", "1"), ("<<<", "0")],
)
def test_check_digits_follow_icao_9303(field: str, digit: str) -> None:
    assert mrz.check_digit(field) == digit


@pytest.mark.parametrize("lines", [ICAO_TD3, ICAO_TD1, f.td3(), f.td1()])
def test_specimens_parse_with_every_check_digit_valid(lines: tuple[str, ...]) -> None:
    (zone,) = mrz.find("\n".join(lines))
    assert zone.valid, zone.failed
    assert zone.format == {44: "TD3", 30: "TD1"}[len(lines[0])]


def test_the_fields_of_a_passport_are_read() -> None:
    (zone,) = mrz.find("\n".join(ICAO_TD3))
    assert (zone.document_type, zone.issuer, zone.document_number) == ("P", "UTO", "L898902C3")
    assert zone.nationality == "UTO" and not zone.dutch and zone.bsn() is None


@pytest.mark.parametrize("lines", [f.td3(), f.td1()])
def test_a_dutch_document_gives_its_bsn_from_the_optional_data(lines: tuple[str, ...]) -> None:
    (zone,) = mrz.find("\n".join(lines))
    assert zone.dutch and zone.bsn() == f.BSN


def test_an_invalid_bsn_in_the_optional_data_is_not_reported() -> None:
    (zone,) = mrz.find("\n".join(f.td3(personal="123456789")))
    assert zone.valid and zone.bsn() is None


@pytest.mark.parametrize(
    ("position", "failed"),
    [
        (9, {"document number", "composite"}),
        (19, {"date of birth", "composite"}),
        (27, {"date of expiry", "composite"}),
        (43, {"composite"}),
        (2, {"document number", "composite"}),  # a digit of the number itself
        (15, {"date of birth", "composite"}),
    ],
)
def test_one_wrong_digit_fails_its_check(position: int, failed: set[str]) -> None:
    top, bottom = f.td3(number="SPEC12014")
    (zone,) = mrz.find(f"{top}\n{f.broken(bottom, position)}")
    assert not zone.valid and set(zone.failed) == failed


def test_ocr_noise_is_cleaned_spaces_guillemets_lowercase_lost_filler() -> None:
    top, bottom = f.td3()
    noisy_top = top.replace("<<", "«", 1).lower()
    noisy_bottom = bottom[:20] + " " + bottom[20:]
    (zone,) = mrz.find(f"Paspoort\n{noisy_top.rstrip('<')}\n{noisy_bottom}\nmore text")
    assert zone.valid and zone.document_number == "SPECI2014"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "just a line of text",
        "<" * 44 + "\n" + "<" * 44,  # filler only: no document code
        ICAO_TD3[0],  # one line of two
        ICAO_TD3[0] + "\n" + ICAO_TD3[1][:30],  # second line far too short
        "X<UTO" + "<" * 39 + "\n" + ICAO_TD3[1],  # no such document code
    ],
)
def test_text_that_is_no_mrz_gives_none(text: str) -> None:
    assert mrz.find(text) == []


def test_two_documents_on_one_page_are_both_found() -> None:
    text = "\n".join((*f.td3(), "tussenregel", *f.td1()))
    assert [z.format for z in mrz.find(text)] == ["TD3", "TD1"]


@pytest.mark.parametrize(
    ("text", "kind", "number"),
    [
        ("KONINKRIJK DER NEDERLANDEN\nPASPOORT\nDocumentnummer NW1234K75", "passport", "NW1234K75"),
        ("IDENTITEITSKAART\nIX12AB345", "identity card", "IX12AB345"),
        ("1DENTITEITSKAART\nIX12AB345", "identity card", "IX12AB345"),  # OCR: 1 for I
        ("RIJBEWIJS\n5. 4912345678", "driving licence", "4912345678"),
        ("PASP0ORT NW1234K75", "passport", "NW1234K75"),
    ],
)
def test_dutch_documents_by_their_words_and_number(text: str, kind: str, number: str) -> None:
    found = iddocs.find(text)
    assert found is not None and (found.kind, found.number) == (kind, number)


@pytest.mark.parametrize(
    "text",
    [
        "PASPOORT aanvragen bij de gemeente",  # the word without a number
        "Documentnummer NW1234K75",  # a number without the word
        "PASPOORT NO1234K75",  # the letter O is never used
        "RIJBEWIJS categorie B 12345",  # no 10-digit number
    ],
)
def test_words_or_numbers_alone_are_no_document(text: str) -> None:
    assert iddocs.find(text) is None
