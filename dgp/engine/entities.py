"""Personal-data entities of the PII catalogue (SPEC section 2)."""

from __future__ import annotations

import re
from datetime import date

from dgp.engine import context, validators
from dgp.engine.names import NAME_PATTERNS
from dgp.engine.patterns import PatternSpec

BARE_CHECKSUM_CONFIDENCE = 0.3  # passes a checksum, nothing else: below the default threshold


def _bsn(text: str, start: int, end: int) -> float | None:
    if not validators.is_bsn(text[start:end]) or context.is_reference(text, start):
        return None
    return 0.95 if context.BSN.near(text, start, end) else BARE_CHECKSUM_CONFIDENCE


def _iban(text: str, start: int, end: int) -> float | None:
    return 0.95 if validators.is_iban(text[start:end]) else None


# Possessive: the groups of a long run of letters and digits ending in a dash could be
# split in exponentially many ways before "$" fails ("AB12" + 30 letters + "-" + a number).
_IBAN_PREFIX = re.compile(r"[A-Z]{2}\d{2}[ ]?(?:[A-Z0-9]{1,4}[ ]?)*+$", re.IGNORECASE)


def _inside_iban(text: str, start: int) -> bool:
    """Digit groups of an IBAN (even one with a bad checksum) are not cards or phones."""
    return _IBAN_PREFIX.search(text, max(0, start - 40), start) is not None


_PHONE_PREFIX_BEFORE = re.compile(r"(?:\+|\b00)\s?$")


def _card(text: str, start: int, end: int) -> float | None:
    if not validators.is_payment_card(text[start:end]):
        return None
    if _PHONE_PREFIX_BEFORE.search(text, max(0, start - 3), start):
        return None  # "+49 151 75606644": a phone number after its "+"
    if _inside_iban(text, start) or context.is_reference(text, start):
        return None
    return 0.95 if context.PAYMENT_CARD.near(text, start, end) else 0.85


# A date at the start of a phone candidate ("01-02-2024 1234") makes it no phone number.
_DATE_START = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b|\d{4}-\d{2}-\d{2}")
_DIGIT_GROUP_BEFORE = re.compile(r"\d[ .-]?$")


_BE_GROUPS = re.compile(r"\d{2}[ .]\d{2}[ .]\d{2}$")  # 0475 12 34 56, 02 512.34.56
_RANGE = re.compile(r"(0\d{3,4}) ?- ?(0\d{3,4})")


_SERVICE_PREFIXES = frozenset({"0800", "0900", "0906", "0909"})  # 0800-0967 is a number


def _is_range(value: str) -> bool:
    """Two zero-padded numbers of one width, rising: "03884-04048" (pages, articles)."""
    m = _RANGE.fullmatch(value)
    if m is None or m[1] in _SERVICE_PREFIXES:
        return False
    return len(m[1]) == len(m[2]) and int(m[1]) < int(m[2])


def _national_region(text: str, start: int, end: int) -> str | None:
    """The region of a national number (020-1234567, 0475/12.34.56), or None.

    A number valid in the Netherlands is Dutch. One that is not counts as Belgian
    or German only in that country's words or way of writing (context.PHONE_BE,
    PHONE_DE): a Dutch typo is often valid in Germany's looser plan. The words are
    looked for before phonenumbers is asked, which is the costly part.
    """
    value = text[start:end]
    dotted = "." in value  # Belgians write 0475/12.34.56; elsewhere dots make versions
    if not dotted and validators.phone_regions(value, ("NL",)):
        return "NL"
    belgian = (
        "/" in value
        or context.PHONE_BE.near(text, start, end)
        or (_BE_GROUPS.search(value) is not None and context.PHONE.near(text, start, end))
    )
    if belgian and validators.phone_regions(value, ("BE",)):
        return "BE"
    if dotted or not context.PHONE_DE.near(text, start, end):
        return None
    return "DE" if validators.phone_regions(value, ("DE",)) else None


def _phone(text: str, start: int, end: int) -> float | None:
    """A valid Dutch, Belgian or German number, not part of a longer number or a label."""
    value = text[start:end]
    if _DATE_START.match(value) or _inside_iban(text, start) or _is_range(value):
        return None
    if _DIGIT_GROUP_BEFORE.search(text, max(0, start - 2), start):
        return None  # the tail of a card number, an amount or another longer number
    if context.is_reference(text, start):
        return None
    if value.lstrip("(").startswith(("+", "00")):  # the country code decides
        regions = validators.phone_regions(value)
        if not regions or ("." in value and regions != ["BE"]):
            return None
    elif _national_region(text, start, end) is None:
        return None
    return 0.95 if context.PHONE.near(text, start, end) else 0.85


_EMAIL_TLD_OK = re.compile(r"\.([a-z]{2}|[a-z]{3,24})$")
_NOT_TLDS = frozenset(
    "png jpg jpeg gif svg webp ico css js ts map json xml yml yaml txt md html htm php py rb go "
    "java class jar zip gz tar exe dll so bin lock log tmp bak".split()
)


# "https://user@host/", "ssh://git@host", "git@github.com:org/repo": a URL's userinfo.
_URL_USERINFO_BEFORE = re.compile(r"[a-z][a-z0-9+.-]*://[^\s/@]*$", re.IGNORECASE)
_SCP_PATH_AFTER = re.compile(r"[\w.-]{0,64}:[\w~./-]")


def _email(text: str, start: int, end: int) -> float | None:
    value = text[start:end].lower()
    local, _, domain = value.rpartition("@")
    if not local or local[0] == "." or ".." in value or "." not in domain:
        return None
    tld = domain.rsplit(".", 1)[1]
    if tld in _NOT_TLDS or not _EMAIL_TLD_OK.search(domain):
        return None
    if _URL_USERINFO_BEFORE.search(text, max(0, start - 64), start) or _SCP_PATH_AFTER.match(
        text, end
    ):
        return None  # the user part of a URL, not a mailbox
    return 0.95


def _postcode(text: str, start: int, end: int) -> float | None:
    letters = text[end - 2 : end].upper()
    if letters in ("SA", "SD", "SS"):
        return None
    if context.ADDRESS.near(text, start, end):
        return 0.8
    window = context.ADDRESS.window(text, start, end)
    return 0.75 if context.STREET.search(window) else None


_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("januari", "january", "jan"),
            ("februari", "february", "feb"),
            ("maart", "march", "mrt", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("augustus", "august", "aug"),
            ("september", "sept", "sep"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_DATE_NUMERIC = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATE_WORDS = re.compile(r"(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})", re.IGNORECASE)
_DATE_US = re.compile(r"([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})", re.IGNORECASE)


def parse_date(value: str) -> date | None:
    for regex, order in (
        (_DATE_ISO, "ymd"),
        (_DATE_NUMERIC, "dmy"),
        (_DATE_WORDS, "dMy"),
        (_DATE_US, "Mdy"),
    ):
        m = regex.fullmatch(value)
        if not m:
            continue
        parts = dict(zip(order, m.groups(), strict=True))
        month = _MONTHS.get(parts["M"].lower()) if "M" in parts else int(parts["m"])
        if month is None:
            return None
        try:
            return date(int(parts["y"]), month, int(parts["d"]))
        except ValueError:
            return None
    return None


def _date_of_birth(text: str, start: int, end: int) -> float | None:
    d = parse_date(text[start:end])
    if d is None or not validators.is_plausible_birth_date(d):
        return None
    return 0.85 if context.DATE_OF_BIRTH.near(text, start, end) else None


def _id_document(text: str, start: int, end: int) -> float | None:
    if not validators.is_nl_document_number(text[start:end]):
        return None
    return 0.85 if context.ID_DOCUMENT.near(text, start, end) else None


def _kvk(text: str, start: int, end: int) -> float | None:
    return 0.8 if context.KVK.near(text, start, end) else None


def _nl_vat(text: str, start: int, end: int) -> float | None:
    return 0.9 if validators.is_nl_vat(text[start:end]) else None


def _eu_vat(text: str, start: int, end: int) -> float | None:
    value = text[start:end]
    if value.startswith("NL") or not validators.is_eu_vat(value):
        return None
    return 0.8 if context.VAT.near(text, start, end) else BARE_CHECKSUM_CONFIDENCE


def _ip(text: str, start: int, end: int) -> float | None:
    value = text[start:end]
    if not validators.is_reportable_ip(value) or context.VERSION.near(text, start, end):
        return None
    return 0.7


_MONTH_WORDS = "|".join(sorted(_MONTHS, key=len, reverse=True))

_YEAR = r"(?:19|20)\d{2}"
_PHONE_SEP = r"(?:[ .]|[ ]?-[ ]?|/)"  # one space, dot or slash, or a dash with spaces around
PII_PATTERNS: tuple[PatternSpec, ...] = (
    PatternSpec(
        "pii.bsn",
        r"\b(?:\d{9}|\d{3}[ .-]\d{3}[ .-]\d{3}|\d{4}[ .-]\d{2}[ .-]\d{3})\b",
        _bsn,
        priority=60,
        context=context.BSN,
        bare_confidence=BARE_CHECKSUM_CONFIDENCE,
    ),
    # any case ("nl91abna0417164300"), compact or in groups: stdnum decides (any two
    # letters: an alternation of the SEPA countries' codes costs hyperscan several times
    # more than the check spends on a hex id's "da17 01bedb98")
    PatternSpec(
        "pii.iban",
        r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b",
        _iban,
        caseless=True,
        priority=70,
    ),
    # not the digits of a decimal fraction ("0.8444218515250481"): no digit + [.,] before
    PatternSpec(
        "pii.payment_card",
        r"(?:^|[^0-9.,]|[^0-9][.,])\b\d(?:[ -]?\d){12,18}\b",
        _card,
        multiline=True,
        python=r"(?<![0-9][.,])\b\d(?:[ -]?\d){12,18}\b",
        priority=65,
    ),
    # hyperscan looks only for the "@" between a local part's and a domain's character (a
    # trigger it finds faster, beside every other pattern, than the whole address);
    # Python finds the address around it
    PatternSpec(
        "pii.email",
        r"[A-Za-z0-9._%+-]@[A-Za-z0-9]",
        _email,
        python=r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
        r"\.[A-Za-z]{2,24}\b",
        priority=80,
    ),
    # +31 6 1234 5678, 0031 6..., +31 (0) 20 123 4567, (020) 123 45 67, 010 - 123 45 67,
    # 0800-1234, 0475/12.34.56: a prefix, then digits with one separator between them
    PatternSpec(
        "pii.phone",
        rf"(?:(?:\+|\b00)[1-9]\d{{0,2}}[ .-]?(?:\(0\)[ .-]?)?|\b0)\d(?:{_PHONE_SEP}?\d){{6,12}}\b"
        rf"|\(0\d{{1,4}}\)[ -]?\d(?:{_PHONE_SEP}?\d){{4,10}}\b",
        _phone,
        priority=50,
    ),
    PatternSpec(
        "pii.postcode",
        r"\b[1-9]\d{3} ?[A-Z]{2}\b",
        _postcode,
        priority=40,
        context=context.ADDRESS,
    ),
    PatternSpec(
        "pii.date_of_birth",
        # (bounded gaps: the matcher then searches for a date only this far from its words)
        rf"\b(?:\d{{1,2}}[-/.]\d{{1,2}}[-/.]{_YEAR}|{_YEAR}-\d{{2}}-\d{{2}}"
        rf"|\d{{1,2}}\s{{1,8}}(?:{_MONTH_WORDS})\.?\s{{1,8}}{_YEAR}"
        rf"|(?:{_MONTH_WORDS})\.?\s{{1,8}}\d{{1,2}},?\s{{1,8}}{_YEAR})\b",
        _date_of_birth,
        caseless=True,
        priority=40,
        context=context.DATE_OF_BIRTH,
    ),
    PatternSpec(
        "pii.id_document",
        r"\b[A-Z]{2}[A-Z0-9]{6}\d\b",
        _id_document,
        priority=45,
        context=context.ID_DOCUMENT,
    ),
    PatternSpec("pii.kvk", r"\b\d{8}\b", _kvk, priority=30, context=context.KVK),
    PatternSpec("pii.vat", r"\bNL\d{9}B\d{2}\b", _nl_vat, priority=75),
    PatternSpec(
        "pii.vat",
        r"\b(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|PL|PT|RO|SE|SI|SK)"
        r"U?[0-9A-Z]{8,12}\b",
        _eu_vat,
        priority=35,
        context=context.VAT,
        bare_confidence=BARE_CHECKSUM_CONFIDENCE,
    ),
    PatternSpec("pii.ip_address", r"\b(?:\d{1,3}\.){3}\d{1,3}\b", _ip, priority=20),
    # IPv6 written out in full, or compressed with "::" after at least one group (not
    # "12:34:56" times, not "std::string").
    PatternSpec(
        "pii.ip_address",
        r"\b(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}\b"
        r"|(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?)",
        _ip,
        priority=20,
    ),
)

PII_PATTERNS += NAME_PATTERNS
