"""Every checksum with known-valid and known-invalid values.

An earlier prototype's BSN check rejected most valid BSNs; these lists keep
ours honest in both directions.
"""

import random
import re
import string
from datetime import date

import phonenumbers
import pytest
from stdnum import iban as std_iban
from stdnum import numdb

from dgp.engine import validators

VALID_BSNS = ["111222333", "123456782", "999999990", "111 222 333", "1112.22.333", "010000008"]
INVALID_BSNS = ["111222334", "123456789", "000000000", "12345678", "1234567820", "abcdefghi"]


@pytest.mark.parametrize("value", VALID_BSNS)
def test_bsn_valid(value: str) -> None:
    assert validators.is_bsn(value)


@pytest.mark.parametrize("value", INVALID_BSNS)
def test_bsn_invalid(value: str) -> None:
    assert not validators.is_bsn(value)


def test_bsn_accepts_about_one_in_eleven_nine_digit_numbers() -> None:
    """The 11-proef passes ~1/11 of random 9-digit numbers: a check that rejects most real
    BSNs (the old prototype's bug) or accepts most numbers would fall far from that."""
    passed = sum(validators.is_bsn(f"{n:09d}") for n in range(100_000_000, 100_110_000))
    assert 0.085 < passed / 110_000 < 0.097


@pytest.mark.parametrize(
    "value",
    [
        "NL91ABNA0417164300",
        "NL91 ABNA 0417 1643 00",
        "DE89370400440532013000",
        "AT611904300234573201",
        "FR1420041010050500013M02606",
        "GB29NWBK60161331926819",
    ],
)
def test_iban_valid(value: str) -> None:
    assert validators.is_iban(value)


@pytest.mark.parametrize(
    "value",
    [
        "NL91ABNA0417164301",
        "NL92ABNA0417164300",
        "DE89370400440532013001",
        "XX91ABNA0417164300",
        "NL91ABNA041716430",
        "US64SVBKUS6S3300958879",  # not a SEPA country
    ],
)
def test_iban_invalid(value: str) -> None:
    assert not validators.is_iban(value)


def _ibans_of_every_sepa_country(rng: random.Random) -> list[str]:
    """Per country: IBANs with right check digits whose BBAN fits the registry's
    structure, breaks it (a letter for a digit, or the reverse), or has random
    characters; and each of them with wrong check digits."""
    out: list[str] = []
    for country in sorted(validators.SEPA_COUNTRIES):
        form = validators.IBAN_FORMATS[country]
        structure = numdb.get("iban").info(country + "00")[0][1]["bban"]
        parts = re.findall(r"(\d+)!([nac])", structure)
        for _ in range(60):
            alphabets = {"n": string.digits, "a": string.ascii_uppercase}
            bban = "".join(
                "".join(
                    rng.choice(alphabets.get(kind, string.digits + string.ascii_uppercase))
                    for _ in range(int(n))
                )
                for n, kind in parts
            )
            if rng.random() < 0.3:  # break the structure at one place
                i = rng.randrange(len(bban))
                swap = string.ascii_uppercase if bban[i].isdigit() else string.digits
                bban = bban[:i] + rng.choice(swap) + bban[i + 1 :]
            assert len(bban) + 4 == form.length
            good = country + std_iban.calc_check_digits(f"{country}00{bban}") + bban
            bad = good[:2] + f"{(int(good[2:4]) + 1) % 100:02d}" + good[4:]
            out += [good, bad]
    return out


def test_iban_check_agrees_with_python_stdnum_on_every_sepa_country() -> None:
    """is_iban looks each country's structure up once; python-stdnum looks it up per
    number. Both must judge every number alike: right and wrong structures, check
    digits and country checks (Belgium, Spain, Norway have their own)."""
    values = _ibans_of_every_sepa_country(random.Random(11))
    verdicts = [(v, validators.is_iban(v), std_iban.is_valid(v)) for v in values]
    assert [v for v, ours, theirs in verdicts if ours != theirs] == []
    accepted = sum(ours for _, ours, _ in verdicts)
    assert 0.2 * len(values) < accepted < 0.5 * len(values)  # both outcomes are tested


@pytest.mark.parametrize(
    "value",
    [
        "5425 2334 3010 9903",
        "4012888888881881",
        "378282246310005",
        "6011111111111117",
        "5105105105105100",
        "2223003122003222",
        "3530111333300000",
        "4539 1488 0343 6467",
    ],
)
def test_card_valid(value: str) -> None:
    assert validators.is_payment_card(value)


@pytest.mark.parametrize(
    "value",
    [
        "4012888888881882",  # Luhn fails
        "1234567812345670",  # Luhn passes, no issuer starts with 1
        "0000000000000000",
        "4111111111111111",  # two distinct digits: a placeholder, not a card
        "401288888888",  # too short
    ],
)
def test_card_invalid(value: str) -> None:
    assert not validators.is_payment_card(value)


@pytest.mark.parametrize(
    "value",
    [
        "0612345678",
        "06-12345678",
        "+31 6 12345678",
        "+31(0)20 1234567",
        "(020) 1234567",
        "020-1234567",
        "0031 20 1234567",
        "+32 2 555 12 12",
        "+49 30 12345678",
    ],
)
def test_phone_valid(value: str) -> None:
    assert validators.is_phone(value)


@pytest.mark.parametrize("value", ["0011-070434", "12345", "+31 6 1234", "0000000000"])
def test_phone_invalid(value: str) -> None:
    assert not validators.is_phone(value)


def _written_phone_number(rng: random.Random) -> str:
    """A number as people write one: national or international, grouped any way; most
    start from a real NL, BE or DE example number with a digit or two changed."""
    region = rng.choice(("NL", "BE", "DE"))
    kind = rng.choice(
        (
            phonenumbers.PhoneNumberType.FIXED_LINE,
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.TOLL_FREE,
        )
    )
    example = phonenumbers.example_number_for_type(region, kind)
    national = list(str(example.national_number))
    for _ in range(rng.choice((0, 0, 1, 2))):
        national[rng.randrange(len(national))] = rng.choice(string.digits)
    if rng.random() < 0.2:  # one digit too many or too few
        national = national[:-1] if rng.random() < 0.5 else [*national, rng.choice(string.digits)]
    body = "".join(national)
    code = str(example.country_code) if rng.random() < 0.9 else rng.choice(("1", "33", "44"))
    written = rng.choice(
        (
            "0" + body,
            "+" + code + body,
            "00" + code + body,
            "+" + code + "(0)" + body,
            "(0" + body[:2] + ") " + body[2:],
            "0" + body if rng.random() < 0.5 else "+" + code + "0" + body,
        )
    )
    out = []
    for ch in written:
        out.append(ch)
        if ch.isdigit() and rng.random() < 0.3:
            out.append(rng.choice((" ", "-", ".", "/", " - ")))
    return "".join(out).strip(" -./")


def test_phone_fast_path_agrees_with_phonenumbers_parse() -> None:
    """`_phone_number` builds some numbers without `phonenumbers.parse`: for every
    region it is asked in, it must give the same verdict and region as parse does."""
    rng = random.Random(31)
    valid = 0
    for _ in range(6000):
        value = rng.choice((_written_phone_number(rng), _written_phone_number(rng)[:-2]))
        for region in ("NL", "BE", "DE"):
            try:
                parsed = phonenumbers.parse(value, region)
            except phonenumbers.NumberParseException:
                parsed = None
            try:
                built = validators._phone_number(value, region)
            except phonenumbers.NumberParseException:
                built = None
            expected = parsed is not None and phonenumbers.is_valid_number(parsed)
            got = built is not None and phonenumbers.is_valid_number(built)
            assert got == expected, (value, region)
            if expected:
                valid += 1
                assert phonenumbers.region_code_for_number(built) == (
                    phonenumbers.region_code_for_number(parsed)
                ), (value, region)
    assert valid > 3000  # the generator must produce real numbers, not only noise


@pytest.mark.parametrize("value", ["NL004495445B01", "NL123456782B01"])
def test_nl_vat_valid(value: str) -> None:
    assert validators.is_nl_vat(value)


@pytest.mark.parametrize("value", ["NL123456789B01", "NL004495445B00X", "NL004495445C01"])
def test_nl_vat_invalid(value: str) -> None:
    assert not validators.is_nl_vat(value)


def test_eu_vat() -> None:
    assert validators.is_eu_vat("DE136695976")
    assert not validators.is_eu_vat("DE136695977")


@pytest.mark.parametrize("value", ["84.23.11.5", "2001:4860:4860::8888", "10.1.2.3"])
def test_ip_reportable(value: str) -> None:
    assert validators.is_reportable_ip(value)


@pytest.mark.parametrize(
    "value",
    [
        "0.0.0.0",
        "127.0.0.1",
        "192.0.2.10",
        "198.51.100.7",
        "203.0.113.9",
        "2001:db8::1",
        "::1",
        "255.255.255.255",
        "224.0.0.1",
        "999.1.1.1",
        "12:34:56",
    ],
)
def test_ip_not_reportable(value: str) -> None:
    assert not validators.is_reportable_ip(value)


def test_birth_date_plausibility() -> None:
    today = date(2026, 11, 28)
    assert validators.is_plausible_birth_date(date(1985, 3, 12), today)
    assert not validators.is_plausible_birth_date(date(2027, 1, 1), today)
    assert not validators.is_plausible_birth_date(date(1880, 1, 1), today)


@pytest.mark.parametrize(
    "value,ok",
    [
        ("SPECI2014", True),
        ("NXC3D8R52", True),
        ("AB1234567", True),
        ("SPECIMENS", False),  # last character must be a digit
        ("SO1234567", False),  # the letter O is never used
        ("ABCDEFGH1", False),  # needs digits in the middle part
    ],
)
def test_nl_document_number(value: str, ok: bool) -> None:
    assert validators.is_nl_document_number(value) is ok


def test_entropy() -> None:
    assert validators.shannon_entropy("aaaa") == 0
    assert validators.shannon_entropy("abcd") == 2
    assert validators.shannon_entropy("wJalrXUtnFEMI/K7MDENG/bPxRfiCY") > 4
