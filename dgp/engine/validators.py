"""Checks that turn a pattern match into a real identifier.

Checksums come from python-stdnum and phonenumbers; we only add the rules they
do not cover (issuer ranges, plausible dates, documentation address ranges).
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import phonenumbers
from stdnum import luhn, numdb
from stdnum.eu import vat as std_eu_vat
from stdnum.nl import bsn as std_bsn
from stdnum.nl import btw as std_btw
from stdnum.util import get_cc_module

_NON_DIGITS = re.compile(r"\D")
_SPACES = re.compile(r"[\s.\-]")

SEPA_COUNTRIES = frozenset(
    "AD AT BE BG CH CY CZ DE DK EE ES FI FR GB GI GR HR HU IE IS IT LI LT LU LV MC MT NL NO "
    "PL PT RO SE SI SK SM VA".split()
)


def digits(value: str) -> str:
    return _NON_DIGITS.sub("", value)


def is_bsn(value: str) -> bool:
    """11-proef with weights 9..2 and -1 on exactly nine digits."""
    d = digits(value)  # nine digits, not all zero: what std_bsn.validate checks besides
    return len(d) == 9 and d != "000000000" and std_bsn.checksum(d) == 0


@dataclass(frozen=True)
class IbanFormat:
    """One SEPA country's IBAN, from the IBAN registry that python-stdnum ships."""

    length: int
    shape: str  # character classes per position: "aann" + e.g. "aaaa" + "nnnnnnnnnn"
    bban: re.Pattern[str]  # the structure after the check digits
    country_check: Callable[[str], bool] | None  # stdnum's own check for the country


def _bban_regex(structure: str) -> re.Pattern[str]:
    """'4!a10!n' -> [A-Z]{4}[0-9]{10}, as python-stdnum reads the registry."""
    classes = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Za-z0-9]"}
    return re.compile(
        "".join(
            f"{classes[kind]}{{{n}}}" for n, kind in re.findall(r"([1-9][0-9]*)!([nac])", structure)
        )
        + r"\Z"
    )


def _iban_format(country: str) -> IbanFormat:
    ((_, info),) = numdb.get("iban").info(country + "00")[:1]
    module = get_cc_module(country, "iban")
    runs = re.findall(r"(\d+)!([nac])", info["bban"])
    shape = "aann" + "".join(int(n) * kind for n, kind in runs)
    return IbanFormat(
        len(shape),
        shape,
        _bban_regex(info["bban"]),
        module.is_valid if module is not None else None,
    )


# Looked up once: python-stdnum's own is_valid looks the country up in its registry
# for every number, which costs more than the rest of a candidate's checks together.
IBAN_FORMATS: dict[str, IbanFormat] = {c: _iban_format(c) for c in sorted(SEPA_COUNTRIES)}
IBAN_LENGTHS: dict[str, int] = {c: f.length for c, f in IBAN_FORMATS.items()}
# An IBAN's character classes, one per position (n digit, a letter, c either), for
# undoing OCR misreadings.
IBAN_SHAPES: dict[str, str] = {c: f.shape for c, f in IBAN_FORMATS.items()}


_BASE36_DIGITS = str.maketrans({c: str(int(c, 36)) for c in string.ascii_uppercase})


def _iban_mod97(compact: str) -> int:
    """ISO 7064 mod 97-10 of an IBAN: 1 when its check digits are right."""
    return int((compact[4:] + compact[:4]).translate(_BASE36_DIGITS)) % 97


def is_iban(value: str) -> bool:
    """A SEPA IBAN as python-stdnum's `iban.is_valid` judges it (length, mod 97, the
    country's BBAN structure, the country's own check), the cheap checks first: most
    candidates (hex strings, identifiers) fail those."""
    compact = _SPACES.sub("", value).upper()
    form = IBAN_FORMATS.get(compact[:2])
    if form is None or form.length != len(compact) or not compact[2:4].isdigit():
        return False
    if not (compact.isascii() and compact.isalnum()) or _iban_mod97(compact) != 1:
        return False
    if form.bban.match(compact, 4) is None:
        return False
    return form.country_check is None or form.country_check(compact)


def _card_issuer_known(d: str) -> bool:
    two, three, four, six = int(d[:2]), int(d[:3]), int(d[:4]), int(d[:6])
    n = len(d)
    return (
        (d[0] == "4" and n in (13, 16, 19))  # Visa
        or (51 <= two <= 55 and n == 16)  # Mastercard
        or (2221 <= four <= 2720 and n == 16)  # Mastercard 2-series
        or (two in (34, 37) and n == 15)  # American Express
        or (
            (four == 6011 or two == 65 or 644 <= three <= 649 or 622126 <= six <= 622925)
            and n in (16, 19)
        )  # Discover
        or (3528 <= four <= 3589 and 16 <= n <= 19)  # JCB
        or ((300 <= three <= 305 or two in (36, 38, 39)) and 14 <= n <= 19)  # Diners
        or ((two == 50 or 56 <= two <= 69) and 12 <= n <= 19)  # Maestro
        or (two == 62 and 16 <= n <= 19)  # UnionPay
    )


def is_payment_card(value: str) -> bool:
    d = digits(value)
    return 13 <= len(d) <= 19 and _card_issuer_known(d) and len(set(d)) > 2 and luhn.is_valid(d)


# National numbers are read as Dutch first, then as Belgian and German ones.
PHONE_REGIONS = ("NL", "BE", "DE")


# The regions whose national numbers start with the trunk prefix 0, and their country codes.
_TRUNK_ZERO_CODES = {"NL": 31, "BE": 32, "DE": 49}
_CODE_REGION = {code: region for region, code in _TRUNK_ZERO_CODES.items()}
_PHONE_PUNCTUATION = frozenset("0123456789 .-/()+")


def _phone_number(value: str, region: str) -> phonenumbers.PhoneNumber:
    """`phonenumbers.parse(value, region)`, built directly where that is plain: a number
    of the Netherlands, Belgium or Germany, nationally (020-1234567) or after +31, +32,
    +49 or 0031... Parsing costs about three times the validation that follows; every
    other form goes to `parse` (tests/unit/test_validators.py holds them equal)."""
    d = digits(value)
    if _PHONE_PUNCTUATION.issuperset(value):
        head = value.lstrip("( ")
        if head.startswith(("+", "00")):
            rest = d[2:] if head.startswith("00") else d
            code = int(rest[:2]) if len(rest) > 2 else 0
            national = rest[2:]
            if code in _CODE_REGION and national[0] != "0" and "+" not in head[1:]:
                return phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
        elif region in _TRUNK_ZERO_CODES and d[:1] == "0" and d[1:2] not in ("", "0"):
            return phonenumbers.PhoneNumber(
                country_code=_TRUNK_ZERO_CODES[region], national_number=int(d[1:])
            )
    return phonenumbers.parse(value, region)


@functools.lru_cache(maxsize=4096)  # a document repeats its numbers (footers, signatures)
def phone_regions(value: str, regions: tuple[str, ...] = PHONE_REGIONS) -> list[str]:
    """The regions in which `value` is a valid phone number.

    A number with a country code (+32, 0049) is valid in that country or in
    none; a national one (020-1234567, 0475/12.34.56) is read in each of
    `regions`, and may be valid in more than one. The result is cached: do not
    change the list.
    """
    if not 8 <= len(digits(value)) <= 15:
        return []
    international = value.lstrip("( ").startswith(("+", "00"))
    found: list[str] = []
    for region in regions:
        try:
            number = _phone_number(value, region)
        except phonenumbers.NumberParseException:
            return []
        if phonenumbers.is_valid_number(number):
            found.append(phonenumbers.region_code_for_number(number))
        if international:
            break  # the country code decides: no other reading
    return found


def is_phone(value: str, region: str = "NL") -> bool:
    d = digits(value)
    if not 8 <= len(d) <= 15:
        return False
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


def is_nl_vat(value: str) -> bool:
    return std_btw.is_valid(value)


def is_eu_vat(value: str) -> bool:
    return std_eu_vat.is_valid(value)


_DOC_NETS = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)


def is_reportable_ip(value: str) -> bool:
    """A real address of a host: not unspecified, loopback, documentation or multicast."""
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return False
    if addr.is_unspecified or addr.is_loopback or addr.is_multicast or addr.is_reserved:
        return False
    if isinstance(addr, ipaddress.IPv4Address) and addr == ipaddress.IPv4Address("255.255.255.255"):
        return False
    return not any(addr in net for net in _DOC_NETS)


def is_plausible_birth_date(d: date, today: date | None = None) -> bool:
    today = today or date.today()
    return d <= today and today.year - d.year <= 120


def is_nl_document_number(value: str) -> bool:
    """NL passport / ID card: 2 letters, 6 letters or digits, 1 digit; no letter O."""
    v = value.upper()
    return (
        len(v) == 9
        and v[:2].isalpha()
        and v[8].isdigit()
        and "O" not in v
        and any(c.isdigit() for c in v[2:8])
    )


def shannon_entropy(value: str) -> float:
    """Bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())
