"""Labelled corpus generator for the detection engine (single source for tests and benches).

``generate(n_lines, seed, pii_share)`` returns ``LabelledLine(text, labels)`` objects: one line
of Dutch or English prose, or a code-ish line (Python/JS dicts, SQL, log lines, CSV rows, YAML),
with character-offset labels for every personal-data value that the generator put in it.

Labels in scope
---------------
Graded (``GRADED_RULES``; the quality test demands precision and recall >= 0.97 for these):

* ``pii.bsn``: valid BSNs (``Faker("nl_NL").ssn()``, checked with ``stdnum.nl.bsn``), *always*
  with a BSN context word (bsn, burgerservicenummer, sofinummer, citizen service number) within
  ~40 characters, because the engine only reports a bare 9-digit number with such context.
* ``pii.iban``: valid IBANs from Faker (nl_NL, de_DE, nl_BE, fr_FR, es_ES, it_IT) and of every
  SEPA country (Norway's 15 characters, Belgium's 16 ... Malta's 31: a random BBAN of the
  registry's structure, checked with ``stdnum.iban``), compact or in groups of four, in upper,
  lower or mixed case.
* ``pii.payment_card``: Luhn-valid Visa, Mastercard and Amex numbers, compact or grouped.
* ``pii.email``: Faker e-mail addresses (nl_NL and en_GB).
* ``pii.phone``: Dutch numbers in the forms people write (``06-12345678``, ``06 1234 5678``,
  ``0612345678`` after tel:/Tel./mobiel, ``+31 6 1234 5678``, ``+31(0)6 12345678``,
  ``+31 (0) 20 123 4567``, ``0031 6 ...``, ``020-1234567``, ``(020) 123 45 67``,
  ``010 - 123 45 67``, 0800/0900 numbers) plus Faker's ``phone_number()``, all valid for
  ``phonenumbers``; Belgian (``0475/12.34.56``, ``02 512 34 56``, ``+32 ...``) and German
  (``030 12345678``, ``0171/1234567``, ``+49 (0)89 ...``) numbers beside the words written
  there (Tel., GSM, Telefon, Handy, Rufnummer).

Also labelled wherever the generator inserts them (reported by ``bench/quality.py``, not graded):
``pii.name`` (first + last name), ``pii.postcode`` (valid NL postcode), ``pii.date_of_birth``
(only next to geboren / geboortedatum / born / date of birth / DOB), ``pii.ip_address`` (public
IPv4 in log lines), ``pii.kvk`` (8 digits next to "KvK") and ``pii.vat`` (valid NL BTW numbers).
Lines never contain an unlabelled value of a labelled kind.

Negative lines carry no labels. They are hard negatives for the graded rules: 9-digit numbers
failing the 11-proef even *with* BSN context, 11-proef-valid 9-digit numbers *without* context
(factuurnummer, ordernr, invoice ...), IBAN-shaped strings with a wrong checksum, 16-digit
numbers failing Luhn, version strings, ISO timestamps and unix epochs, UUIDs, md5/sha1/sha256
hashes, phone-shaped numbers that are not valid Dutch numbers, parcel tracking codes; numbers
shaped like phone numbers that are something else (a mobile number's digits labelled as an
order or invoice number, dates, amounts, postcodes, long version strings, zero-padded ranges,
valid card numbers labelled as transaction ids); valid BSNs and cards labelled as order,
invoice or ticket numbers with BSN or card words elsewhere in the line; plus
plain Dutch/English prose and code filler (``filler_line``), which the benchmarks reuse.

``evaluate(detector, lines, rule_ids)`` runs ``detector.detect(line.text)`` per line and scores
it: a detection is a TP when it has the same rule_id and overlaps a label's span; unmatched
detections of an evaluated rule_id are FPs; unmatched labels are FNs.

Everything is deterministic for a given seed: every Faker instance is seeded with
``seed_instance`` and all other choices come from one ``random.Random(seed)``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

import phonenumbers
from faker import Faker
from stdnum import iban as std_iban
from stdnum import luhn, numdb
from stdnum.nl import bsn as std_bsn
from stdnum.nl import btw as std_btw
from stdnum.nl import postcode as std_postcode

__all__ = [
    "GRADED_RULES",
    "CorpusGenerator",
    "Label",
    "LabelledLine",
    "Metrics",
    "Misses",
    "evaluate",
    "format_table",
    "generate",
    "misses",
]

GRADED_RULES: tuple[str, ...] = (
    "pii.bsn",
    "pii.iban",
    "pii.payment_card",
    "pii.email",
    "pii.phone",
)


@dataclass(frozen=True, slots=True)
class Label:
    rule_id: str
    start: int
    end: int
    value: str


@dataclass(slots=True)
class LabelledLine:
    text: str
    labels: list[Label] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Templates. ``{slot}`` is replaced by the value of that slot (see ``CorpusGenerator._slots``);
# any other brace, as in ``{"email": ...}``, is literal text.
# --------------------------------------------------------------------------------------------

POSITIVE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "bsn": (
        "Mijn BSN is {bsn} en mijn IBAN is {iban}.",
        "{name} heeft burgerservicenummer {bsn}.",
        "Sofinummer: {bsn}",
        "Graag uw BSN ({bsn}) vermelden op het aanvraagformulier.",
        "BSN {bsn} is gekoppeld aan het dossier van {name}.",
        "Her citizen service number (BSN) is {bsn}, please keep it confidential.",
        "The applicant's BSN: {bsn}",
        "INSERT INTO klanten (bsn, naam, email) VALUES ('{bsn}', '{name}', '{email}');",
        'record = {"bsn": "{bsn}", "naam": "{name}"}',
        "  bsn: '{bsn}'",
        "{ts} INFO lookup bsn={bsn} result=found",
        "const patient = { bsn: '{bsn}', postcode: '{postcode}' };",
        "UPDATE personen SET bsn = '{bsn}' WHERE id = {cust};",
        "burgerservicenummer;{bsn};{iban}",
        "Aanvrager: {name}, burgerservicenummer {bsn}, telefoon {phone}.",
    ),
    "iban": (
        "Graag het bedrag van EUR {amount} overmaken naar {iban} t.n.v. {name}.",
        "Refund of EUR {amount} to IBAN {iban} was processed on {date}.",
        "Rekeningnummer: {iban}",
        "INSERT INTO betalingen (iban, bedrag) VALUES ('{iban}', {amount_dot});",
        'payment = {"iban": "{iban}", "amount": {amount_dot}}',
        "{ts} INFO SEPA mandate created iban={iban} customer={cust}",
        "Please transfer the deposit to {iban} before {date}.",
        "{cust};{iban};{amount};{date}",
        "De automatische incasso wordt afgeschreven van {iban}.",
        "  iban: {iban}",
    ),
    "card": (
        "Betaald met creditcard {card}, vervaldatum {expiry}.",
        "Charged card {card} for EUR {amount_dot}.",
        "{ts} WARN payment failed card={card} customer_id={cust}",
        'order = {"card_number": "{card}", "expiry": "{expiry}"}',
        "INSERT INTO payments (card_number, holder) VALUES ('{card}', '{name}');",
        "Card number: {card}",
        "De kaart {card} van {name} is geblokkeerd.",
        "{cust},{name},{card},{expiry}",
        "cc = '{card}'  # test fixture copied from production",
    ),
    "email": (
        "U kunt mij bereiken via {email}.",
        "Send the invoice to {email}.",
        'customer = {"name": "{name}", "email": "{email}", "phone": "{phone}"}',
        "{ts} INFO user={email} ip={ip} action=login",
        "[{ts}] sent mail to <{email}>",
        'Contact: <a href="mailto:{email}">{name}</a>',
        '{cust};"{name}";"{email}";"{postcode}";"{city}"',
        "UPDATE users SET email = '{email}' WHERE id = {cust};",
        "Vragen? Mail naar {email} of bel {phone}.",
        "From: {name} <{email}>",
        "    email: {email}",
    ),
    "phone": (
        "Bel ons gerust op {phone}.",
        "U kunt mij bereiken op {phone} of via {email}.",
        "Please contact {name} at {email} or {phone}.",
        "const contact = { name: '{name}', tel: '{phone}' };",
        "UPDATE klanten SET telefoon = '{phone}' WHERE id = {cust};",
        "{cust},{name},{phone},{city}",
        "Telefoonnummer: {phone}",
        "{ts} INFO sms queued to={phone} template=otp",
        "Call me back on {phone} after five.",
        '    phone: "{phone}"',
        "tel:{phone_compact}",
        "Tel. {phone_compact}",
        "mobiel: {phone_compact}",
        "Tel. {be_phone}",
        "GSM {be_mobile}",
        "Contact: {name}, gsm {be_mobile}",
        "Telefon: {de_phone}",
        "Sie erreichen mich unter der Rufnummer {de_phone}.",
        "Handy {de_mobile}",
    ),
    "other": (
        "{name} woont op {street}, {postcode} {city}.",
        "Adres: {street}, {postcode} {city}",
        "{name} was born on {dob_en} in {city}.",
        "Patiënt {name}, geboren op {dob_nl}.",
        "Geboortedatum: {dob_nl}",
        "Date of birth: {dob_en}",
        "DOB: {dob_en}",
        "{ts} WARN failed login from {ip} for account {cust}",
        "{ts} INFO GET /api/v1/orders 200 client={ip}",
        "Ingeschreven bij de KvK onder nummer {kvk}.",
        "KvK-nummer: {kvk}, BTW-nummer: {vat}",
        "Our VAT number is {vat}.",
        "Beste {name}, hierbij ontvangt u de bevestiging van uw afspraak.",
        "Dear {name}, thank you for your order.",
        "INSERT INTO adressen (straat, postcode, plaats) "
        "VALUES ('{street}', '{postcode}', '{city}');",
    ),
}

POSITIVE_TEMPLATES["names"] = (
    # greetings, salutations, sign-offs and form fields: the place says it is a name
    "Beste {first},",
    "Hoi {first}, ben je morgen op kantoor?",
    "Dear {first}, please find the report attached.",
    "Hallo {first}!",
    "Geachte mevrouw {surname_cap},",
    "Geachte heer {surname_cap}, hierbij ontvangt u de offerte.",
    "Dear Mrs {surname_cap},",
    "Met vriendelijke groet, {name}",
    "Kind regards, {name}",
    "Mvg, {first}",
    "Voornaam: {first}",
    "Achternaam: {surname_cap}",
    "Naam: {name}",
    'first_name = "{first}"',
    '    "last_name": "{surname_cap}",',
    "Contactpersoon: {name}",
    "Rekeninghouder: {name}",
    "Overmaken t.n.v. {name}",
    '{"full_name": "{name}", "active": true}',
    # running text: only a known first name or a known prefixed surname tells
    "{name} heeft gebeld over de offerte.",
    "Afspraak met {name} om tien uur.",
    "I spoke to {name} about the contract.",
)

# Relative weight of each positive template family.
POSITIVE_WEIGHTS: dict[str, int] = {
    "bsn": 2,
    "iban": 2,
    "card": 2,
    "email": 2,
    "phone": 2,
    "other": 2,
    "names": 3,
}

NEGATIVE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "bad_bsn": (  # fails the 11-proef, even though the context says BSN
        "BSN: {bad_bsn}",
        "Ongeldig burgerservicenummer {bad_bsn} afgewezen door de validatie.",
        "{ts} WARN bsn={bad_bsn} status=rejected reason=elfproef",
        '{"bsn": "{bad_bsn}", "valid": false}',
        "Sofinummer {bad_bsn} klopt niet, controleer het nummer.",
        "The citizen service number {bad_bsn} failed validation.",
    ),
    "valid9": (  # passes the 11-proef but has no BSN context
        "factuurnummer {valid9}",
        "Ordernr. {valid9} is verzonden.",
        "Invoice {valid9} is due on {date}.",
        "order_id = {valid9}",
        "INSERT INTO orders (id, status) VALUES ({valid9}, 'shipped');",
        "{ts} INFO order {valid9} processed in {ms} ms",
        "Referentie: {valid9}",
        "Artikelnummer {valid9} is niet op voorraad.",
        "Zaaknummer {valid9} is toegewezen aan team Noord.",
    ),
    "bad_iban": (
        "IBAN: {bad_iban}",
        "Rekeningnummer {bad_iban} is ongeldig.",
        'iban = "{bad_iban}"  # checksum fails on purpose',
        "The IBAN {bad_iban} was rejected by the bank.",
    ),
    "bad_card": (
        "Card number {bad_card} was declined (invalid).",
        "creditcard: {bad_card}",
        '"card_number": "{bad_card}",',
        "Serienummer {bad_card}",
    ),
    "version": (
        "Upgraded requests to {version}.",
        "Versie {version} is uitgebracht op {date}.",
        "image: nginx:{version}",
        '"version": "{version}",',
        "Running DataGuardian {version} on Python {pyversion}",
    ),
    "timestamp": (
        "{ts} DEBUG cache hit key=user:{cust}",
        "created_at={epoch}",
        "Last modified: {ts}",
        "expires_at = {epoch_ms}",
        '{"ts": "{ts}", "epoch": {epoch}, "level": "info"}',
    ),
    "uuid": (
        "request_id={uuid}",
        "Tracing span {uuid} closed after {ms} ms",
        "INSERT INTO sessions (id) VALUES ('{uuid}');",
    ),
    "hash": (
        "commit {sha1}",
        "md5sum: {md5}  backup.tar.gz",
        "sha256={sha256}",
        'ETag: "{md5}"',
        "docker pull registry.local/app@sha256:{sha256}",
    ),
    "bad_phone": (
        "Bel {bad_phone} (dit nummer bestaat niet).",
        '"tel": "{bad_phone}",',
        "Ongeldig telefoonnummer: {bad_phone}",
        "The number {bad_phone} is not in service.",
    ),
    "tracking": (
        "Track & trace: {tracking}",
        "Your parcel {tracking} has been shipped.",
        "Zending {tracking} wordt morgen bezorgd.",
    ),
}

NEGATIVE_TEMPLATES |= {
    # numbers shaped like phone numbers (or passing a checksum) that are something else
    "phone_like": (
        "Ordernummer {phone_ref}",
        "Factuur {phone_ref} is betaald.",
        "ticket_id = {phone_ref}",
        "Gepland van {date} tot {date}.",
        "{ts} INFO job finished",
        "Bedrag: EUR {big_amount}",
        "Totaal {big_amount_dot} USD",
        "Zone {postcode_bare} is gesloten.",
        "Upgrade naar versie {long_version}.",
        "Pagina's {range}",
        "Artikelen {range} zijn uitverkocht.",
        "Betaald, transactie {card_ref}",
        "Transaction id {card_ref}",
        "Zaaknummer {valid9}, artikelnummer {valid9}",
    ),
    # a valid BSN or card number labelled as an order, invoice or ticket number, with
    # BSN or card words elsewhere in the line
    "labelled_reference": (
        "Ordernummer {valid9} (BSN van de klant is gecontroleerd)",
        "Factuur {valid9}: de klant gaf geen BSN op.",
        "BSN-check: ordernr {valid9}",
        'invoice_no = "{valid9}"  # bsn not needed',
        "Ticket #{valid9}: creditcard geweigerd",
        "Transaction id {card_ref}, paid by card",
    ),
}

NEGATIVE_TEMPLATES["not_names"] = (
    # greetings and sign-offs of groups and departments; identifiers named "name"
    "Beste {group},",
    "Dear {group_en}, the build is green again.",
    "Hello World!",
    "Met vriendelijke groet, {department}",
    "Kind regards, {department_en}",
    '"name": "{camel}",',
    "name = '{camel}'",
    "Naam: onbekend",
    "De Kamer van Koophandel is gesloten.",
    "Geachte heer, geachte mevrouw,",
)

NEGATIVE_WEIGHTS: dict[str, int] = {
    "bad_bsn": 3,
    "valid9": 3,
    "bad_iban": 2,
    "bad_card": 2,
    "version": 1,
    "timestamp": 1,
    "uuid": 1,
    "hash": 1,
    "bad_phone": 2,
    "tracking": 1,
    "phone_like": 3,
    "labelled_reference": 2,
    "not_names": 2,
}

CODE_TEMPLATES: tuple[str, ...] = (
    "def {ident}({ident}, {ident}=None):",
    "    return {ident}.{ident}({ident}, {num})",
    "    {ident} = {ident}.get('{ident}', {num})",
    "import {ident}",
    "from {ident}.{ident} import {ident}",
    "    if {ident} is None:",
    "        raise ValueError('{sentence_en}')",
    "    for {ident} in range({num}):",
    "        {ident}.append({ident}[{num}])",
    "const {ident} = require('./{ident}');",
    "  {ident}: {num},",
    "function {ident}({ident}) { return {ident} * {num}; }",
    "    this.{ident} = {ident} || {num};",
    "export default {ident};",
    "SELECT {ident}, {ident} FROM {ident} WHERE {ident} = {num};",
    "CREATE INDEX idx_{ident} ON {ident} ({ident});",
    "UPDATE {ident} SET {ident} = {num} WHERE {ident} IS NULL;",
    "# {sentence_en}",
    "// {sentence_nl}",
    "-- {sentence_nl}",
    "}",
    "",
)

# Words that are context for BSN / date-of-birth / KvK etc.; filler prose must not contain them.
_CONTEXT_RE = re.compile(
    r"bsn|burgerservice|sofi|persoonsnummer|citizen|geboren|geboorte|dob|born|birth|kvk|btw|vat"
    r"|iban|card|kaart",
    re.IGNORECASE,
)
_PLACEHOLDER_RE = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_EMAIL_RE = re.compile(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}")
_MONTHS_NL = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_AREA_CODES = (
    "10",
    "13",
    "15",
    "20",
    "23",
    "24",
    "26",
    "30",
    "33",
    "35",
    "36",
    "38",
    "40",
    "43",
    "45",
    "46",
    "50",
    "53",
    "55",
    "58",
    "70",
    "71",
    "72",
    "73",
    "74",
    "75",
    "76",
    "77",
    "78",
    "79",
    "252",
    "294",
    "318",
    "341",
    "492",
    "546",
    "575",
)
_IBAN_LOCALES = ("de_DE", "nl_BE", "fr_FR", "es_ES", "it_IT")
# Names from these locales are held out of the engine's name lists: found only by where
# they stand (a greeting, a sign-off, a form field) or by a known prefixed surname.
HELD_OUT_NAME_LOCALES = (
    "tr_TR",
    "pl_PL",
    "cs_CZ",
    "es_ES",
    "pt_PT",
    "it_IT",
    "sv_SE",
    "ro_RO",
    "hu_HU",
    "no_NO",
)
# One word of a name in letters of Latin-1 and Latin Extended-A/B: "Gönül", "Ştefan".
_NAME_WORD = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-ɏ][a-zß-öø-ÿĀ-ɏ]+(?:-[A-ZÀ-ÖØ-ÞĀ-ɏ][a-zß-öø-ÿĀ-ɏ]+)?")
_PREFIXES = frozenset("van de der den ter ten te het in op Van De Der Den Ter Ten Te".split())
_NOT_SURNAME_WORDS = frozenset({"The", "Die", "Het", "Een"})
_GROUPS_NL = ("klant", "collega's", "allemaal", "leden", "bewoners", "ouders", "Klant", "Leden")
_GROUPS_EN = ("Customer", "Customers", "all", "Team", "Colleagues", "Sir or Madam", "Members")
_DEPARTMENTS_NL = (
    "Klantenservice",
    "Team Support",
    "de Servicedesk",
    "Afdeling Financiën",
    "Gemeente Utrecht",
    "Het Bestuur",
    "Secretariaat",
    "Redactie",
)
_DEPARTMENTS_EN = ("Customer Service", "The Support Team", "Helpdesk", "Accounts Payable")


def _capitalise(surname: str) -> str:
    """A surname without a first name before it starts with a capital: "De Vries"."""
    return surname[0].upper() + surname[1:]


# Every SEPA country (Belgium's 16 characters up to Malta's 31), with the BBAN structure
# of the IBAN registry as python-stdnum ships it ("4!a10!n": 4 letters, 10 digits).
SEPA_COUNTRIES = tuple(
    "AD AT BE BG CH CY CZ DE DK EE ES FI FR GB GI GR HR HU IE IS IT LI LT LU LV MC MT NL NO "
    "PL PT RO SE SI SK SM VA".split()
)
_iban_db = numdb.get("iban")
_IBAN_STRUCTURE = re.compile(r"(\d+)!([nac])")
_BBAN_ALPHABETS = {
    "n": "0123456789",
    "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "c": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
}

Slot = Callable[[], tuple[str | None, str]]


def _phone_region(value: str, region: str) -> str | None:
    """Where phonenumbers says `value`, read in `region`, is a valid number."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    return (
        phonenumbers.region_code_for_number(number)
        if phonenumbers.is_valid_number(number)
        else None
    )


def _is_nl_phone(value: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, "NL"))
    except phonenumbers.NumberParseException:
        return False


def _contains_nl_phone(value: str) -> bool:
    return any(
        True
        for _ in phonenumbers.PhoneNumberMatcher(value, "NL", leniency=phonenumbers.Leniency.VALID)
    )


def _group(value: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(value[i : i + size] for i in range(0, len(value), size))


class CorpusGenerator:
    """Deterministic source of labelled positive lines, hard-negative lines and filler."""

    def __init__(self, seed: int = 1234) -> None:
        self.rng = random.Random(seed)
        self.nl = Faker("nl_NL")
        self.en = Faker("en_GB")
        self.en_words = Faker("en_US")  # en_GB's lorem is Latin; en_US has English words
        self.iban_fakers = [Faker(loc) for loc in _IBAN_LOCALES]
        self.be = self.iban_fakers[_IBAN_LOCALES.index("nl_BE")]
        self.held_out = [Faker(loc) for loc in HELD_OUT_NAME_LOCALES]
        fakers = (self.nl, self.en, self.en_words, *self.iban_fakers, *self.held_out)
        for i, fake in enumerate(fakers):
            fake.seed_instance(seed * 31 + i)
        self._idents = sorted(
            {
                w.lower()
                for w in self.en_words.words(300, unique=True)
                if w.isascii() and w.isalpha()
            }
        )
        self._slots: dict[str, Slot] = {
            # labelled
            "bsn": lambda: ("pii.bsn", self.bsn()),
            "iban": lambda: ("pii.iban", self.iban()),
            "card": lambda: ("pii.payment_card", self.card()),
            "email": lambda: ("pii.email", self.email()),
            "phone": lambda: ("pii.phone", self.phone()),
            "phone_compact": lambda: ("pii.phone", self.phone_compact()),
            "be_phone": lambda: ("pii.phone", self.be_phone(mobile=self.rng.random() < 0.5)),
            "be_mobile": lambda: ("pii.phone", self.be_phone(mobile=True)),
            "de_phone": lambda: ("pii.phone", self.de_phone(mobile=self.rng.random() < 0.4)),
            "de_mobile": lambda: ("pii.phone", self.de_phone(mobile=True)),
            "name": lambda: ("pii.name", self.name()),
            "first": lambda: ("pii.name", self.first_name()),
            "surname_cap": lambda: ("pii.name", _capitalise(self.surname())),
            "group": lambda: (None, self.rng.choice(_GROUPS_NL)),
            "group_en": lambda: (None, self.rng.choice(_GROUPS_EN)),
            "department": lambda: (None, self.rng.choice(_DEPARTMENTS_NL)),
            "department_en": lambda: (None, self.rng.choice(_DEPARTMENTS_EN)),
            "camel": lambda: (None, self.camel_identifier()),
            "postcode": lambda: ("pii.postcode", self.postcode()),
            "dob_nl": lambda: ("pii.date_of_birth", self.dob(dutch=True)),
            "dob_en": lambda: ("pii.date_of_birth", self.dob(dutch=False)),
            "ip": lambda: ("pii.ip_address", self.en.ipv4_public()),
            "kvk": lambda: ("pii.kvk", str(self.rng.randint(10_000_000, 99_999_999))),
            "vat": lambda: ("pii.vat", self.vat()),
            # neutral
            "street": lambda: (None, self.nl.street_address()),
            "city": lambda: (None, self.nl.city()),
            "amount": lambda: (None, self.amount(",")),
            "amount_dot": lambda: (None, self.amount(".")),
            "cust": lambda: (None, str(self.rng.randint(1000, 999_999))),
            "ms": lambda: (None, str(self.rng.randint(1, 999))),
            "num": lambda: (None, str(self.rng.randint(0, 99_999))),
            "ts": lambda: (None, self.timestamp()),
            "date": lambda: (None, self.recent_date()),
            "expiry": lambda: (None, f"{self.rng.randint(1, 12):02d}/{self.rng.randint(25, 31)}"),
            "ident": lambda: (None, self.ident()),
            "sentence_en": lambda: (None, self.sentence(dutch=False)),
            "sentence_nl": lambda: (None, self.sentence(dutch=True)),
            # hard negatives
            "bad_bsn": lambda: (None, self.bad_bsn()),
            "valid9": lambda: (None, self.valid9()),
            "bad_iban": lambda: (None, self.bad_iban()),
            "bad_card": lambda: (None, self.bad_card()),
            "version": lambda: (None, self.version()),
            "pyversion": lambda: (None, f"3.{self.rng.randint(8, 13)}.{self.rng.randint(0, 12)}"),
            "epoch": lambda: (None, str(self.rng.randint(1_500_000_000, 1_800_000_000))),
            "epoch_ms": lambda: (None, str(self.rng.randint(1_500_000_000_000, 1_800_000_000_000))),
            "uuid": lambda: (None, self.en.uuid4()),
            "md5": lambda: (None, self.en.md5()),
            "sha1": lambda: (None, self.en.sha1()),
            "sha256": lambda: (None, self.en.sha256()),
            "bad_phone": lambda: (None, self.bad_phone()),
            "tracking": lambda: (None, self.tracking()),
            "phone_ref": lambda: (None, self.phone_compact()),
            "card_ref": lambda: (None, self.card(grouped=False)),
            "big_amount": lambda: (None, self.big_amount(".", ",")),
            "big_amount_dot": lambda: (None, self.big_amount(",", ".")),
            "postcode_bare": lambda: (None, self.postcode()),
            "long_version": lambda: (None, self.long_version()),
            "range": lambda: (None, self.number_range()),
        }
        self._pos_families = list(POSITIVE_TEMPLATES)
        self._pos_weights = [POSITIVE_WEIGHTS[k] for k in self._pos_families]
        self._neg_families = list(NEGATIVE_TEMPLATES)
        self._neg_weights = [NEGATIVE_WEIGHTS[k] for k in self._neg_families]

    # ---------------------------------------------------------------- labelled values
    def bsn(self) -> str:
        while True:
            value = self.nl.ssn()
            if std_bsn.is_valid(value):
                return value

    def iban(self) -> str:
        """Faker's IBANs, or one of any SEPA country; compact or grouped, in any case."""
        if self.rng.random() < 0.6:
            fake = self.nl if self.rng.random() < 0.6 else self.rng.choice(self.iban_fakers)
            value = fake.iban()
        else:
            value = self.sepa_iban(self.rng.choice(SEPA_COUNTRIES))
        assert std_iban.is_valid(value), value
        value = _group(value) if self.rng.random() < 0.3 else value
        roll = self.rng.random()
        if roll < 0.15:
            return value.lower()
        if roll < 0.2:  # mixed case: "Nl91 Abna ...", as retyped by hand
            return " ".join(part.capitalize() for part in value.split(" "))
        return value

    def sepa_iban(self, country: str) -> str:
        """A valid IBAN of `country`: a random BBAN of the registered structure."""
        parts = _IBAN_STRUCTURE.findall(_iban_db.info(country + "00")[0][1]["bban"])
        while True:
            bban = "".join(
                self.rng.choice(_BBAN_ALPHABETS[kind])
                for size, kind in parts
                for _ in range(int(size))
            )
            value = country + std_iban.calc_check_digits(f"{country}00{bban}") + bban
            if std_iban.is_valid(value):
                return value

    def card(self, grouped: bool | None = None) -> str:
        brand = self.rng.choice(("visa16", "mastercard", "amex"))
        while True:
            value = self.en.credit_card_number(card_type=brand)
            if luhn.is_valid(value) and len(value) in (15, 16) and len(set(value)) > 2:
                break
        roll = self.rng.random()
        if grouped is False or (grouped is None and roll < 0.6):
            return value
        sep = " " if roll < 0.85 else "-"
        if len(value) == 15:  # Amex prints as 4-6-5
            return sep.join((value[:4], value[4:10], value[10:]))
        return _group(value, 4, sep)

    def email(self) -> str:
        while True:
            fake = self.nl if self.rng.random() < 0.6 else self.en
            value = fake.free_email() if self.rng.random() < 0.4 else fake.email()
            if _EMAIL_RE.fullmatch(value):
                return value

    def phone(self) -> str:
        while True:
            roll = self.rng.random()
            if roll < 0.3:
                value = self.nl.phone_number()
            elif roll < 0.65:
                value = self._mobile()
            elif roll < 0.95:
                value = self._landline()
            else:
                value = self._service_number()
            if _is_nl_phone(value):
                return value

    def _mobile_digits(self) -> str:
        return str(self.rng.randint(1, 5)) + "".join(str(self.rng.randint(0, 9)) for _ in range(7))

    def phone_compact(self) -> str:
        """A mobile number without separators: 0612345678."""
        return "06" + self._mobile_digits()

    def _mobile(self) -> str:
        d8 = self._mobile_digits()
        return self.rng.choice(
            (
                f"06-{d8}",
                f"06 {d8[:4]} {d8[4:]}",
                f"06{d8}",
                f"06 {d8}",
                f"+31 6 {d8}",
                f"+31 6 {d8[:4]} {d8[4:]}",
                f"+316{d8}",
                f"+31 (0)6 {d8}",
                f"+31(0)6 {d8}",
                f"+31(0)6-{d8}",
                f"0031 6 {d8}",
                f"0031 6 {d8[:4]} {d8[4:]}",
                f"06-{d8[:2]} {d8[2:4]} {d8[4:6]} {d8[6:]}",
                f"06 - {d8}",
            )
        )

    def _landline(self) -> str:
        area = self.rng.choice(_AREA_CODES)
        sub = str(self.rng.randint(2, 9)) + "".join(
            str(self.rng.randint(0, 9)) for _ in range(8 - len(area))
        )
        spaced = (  # 123 45 67 or 12 34 56
            f"{sub[:3]} {sub[3:5]} {sub[5:]}"
            if len(sub) == 7
            else f"{sub[:2]} {sub[2:4]} {sub[4:]}"
        )
        return self.rng.choice(
            (
                f"0{area}-{sub}",
                f"0{area} {sub}",
                f"+31 {area} {sub}",
                f"+31{area}{sub}",
                f"(0{area}) {sub}",
                f"(0{area}) {spaced}",
                f"0{area} - {spaced}",
                f"0{area}-{spaced}",
                f"+31 (0) {area} {sub[:3]} {sub[3:]}",
                f"+31 (0){area} {sub}",
                f"0031 {area} {sub}",
            )
        )

    def _service_number(self) -> str:
        """0800 (free) and 0900 (paid) numbers: four or seven digits."""
        prefix = self.rng.choice(("0800", "0900"))
        if self.rng.random() < 0.5:
            sub = "".join(str(self.rng.randint(0, 9)) for _ in range(4))
            return self.rng.choice((f"{prefix}-{sub}", f"{prefix} {sub}"))
        sub = str(self.rng.randint(1, 9)) + "".join(str(self.rng.randint(0, 9)) for _ in range(6))
        return self.rng.choice((f"{prefix}-{sub}", f"{prefix} {sub[:3]} {sub[3:]}"))

    def be_phone(self, mobile: bool) -> str:
        """A Belgian number as Belgians write it: 0475/12.34.56, 02 512 34 56, +32 ..."""
        while True:
            if mobile:
                area = self.rng.choice(("470", "472", "475", "477", "479", "484", "486", "496"))
                sub = "".join(str(self.rng.randint(0, 9)) for _ in range(6))
                groups = f"{sub[:2]}.{sub[2:4]}.{sub[4:]}"
            else:
                area = self.rng.choice(("2", "3", "9", "50", "56", "65", "71", "81"))
                sub = str(self.rng.randint(2, 9)) + "".join(
                    str(self.rng.randint(0, 9)) for _ in range(7 - len(area))
                )
                head = len(sub) - 4
                groups = f"{sub[:head]}.{sub[head : head + 2]}.{sub[head + 2 :]}"
            spaced = groups.replace(".", " ")
            value = self.rng.choice(
                (
                    f"0{area}/{groups}",
                    f"0{area}/{spaced}",
                    f"+32 {area} {spaced}",
                    f"+32 (0){area} {spaced}",
                    f"0032 {area} {spaced}",
                    f"0{area} {spaced}",
                )
            )
            if _phone_region(value, "BE") == "BE":
                return value

    def de_phone(self, mobile: bool) -> str:
        """A German number as Germans write it: 030 12345678, 0171 1234567, +49 (0)89 ..."""
        while True:
            if mobile:
                area = self.rng.choice(("151", "160", "170", "171", "172", "176", "178"))
                sub = "".join(
                    str(self.rng.randint(0, 9)) for _ in range(7 if area[1] == "7" else 8)
                )
            else:
                area = self.rng.choice(("30", "40", "69", "89", "211", "221", "511", "711"))
                sub = str(self.rng.randint(2, 9)) + "".join(
                    str(self.rng.randint(0, 9)) for _ in range(self.rng.randint(5, 7))
                )
            value = self.rng.choice(
                (
                    f"0{area} {sub}",
                    f"0{area}/{sub}",
                    f"0{area}-{sub}",
                    f"(0{area}) {sub}",
                    f"+49 {area} {sub}",
                    f"+49 (0){area} {sub[:4]} {sub[4:]}",
                    f"0049 {area} {sub}",
                )
            )
            if _phone_region(value, "DE") == "DE":
                return value

    def _name_faker(self) -> Faker:
        """Mostly Dutch, Belgian and English names; one in five from a held-out locale
        whose first names are not in the engine's lists (scripts/build_name_lists.py)."""
        roll = self.rng.random()
        if roll < 0.5:
            return self.nl
        if roll < 0.65:
            return self.be
        if roll < 0.8:
            return self.en
        return self.rng.choice(self.held_out)

    def first_name(self, fake: Faker | None = None) -> str:
        fake = fake or self._name_faker()
        while True:
            value = fake.first_name()
            if _NAME_WORD.fullmatch(value):
                return value

    def surname(self, fake: Faker | None = None) -> str:
        fake = fake or self._name_faker()
        while True:
            value = fake.last_name()
            words = value.split()
            if all(
                w in _PREFIXES or (_NAME_WORD.fullmatch(w) and w not in _NOT_SURNAME_WORDS)
                for w in words
            ) and _NAME_WORD.fullmatch(words[-1]):
                return value

    def name(self) -> str:
        fake = self._name_faker()
        return f"{self.first_name(fake)} {self.surname(fake)}"

    def camel_identifier(self) -> str:
        words = [self.rng.choice(self._idents).split("_")[0] for _ in range(self.rng.randint(2, 3))]
        return "".join(w.capitalize() for w in words)

    def postcode(self) -> str:
        while True:
            value = self.nl.postcode()
            if std_postcode.is_valid(value):
                return value

    def dob(self, dutch: bool) -> str:
        day = self.nl.date_between_dates(date(1935, 1, 1), date(2006, 12, 31))
        formats: Sequence[str]
        if dutch:
            formats = (
                f"{day:%d-%m-%Y}",
                f"{day:%d/%m/%Y}",
                f"{day.day} {_MONTHS_NL[day.month - 1]} {day.year}",
            )
        else:
            formats = (
                f"{day:%d/%m/%Y}",
                f"{day:%Y-%m-%d}",
                f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}",
                f"{_MONTHS_EN[day.month - 1]} {day.day}, {day.year}",
            )
        return self.rng.choice(formats)

    def vat(self) -> str:
        while True:
            value = self.nl.vat_id()
            if std_btw.is_valid(value):
                return value

    # ---------------------------------------------------------------- neutral values
    def amount(self, decimal_sep: str) -> str:
        return f"{self.rng.randint(1, 9999)}{decimal_sep}{self.rng.randint(0, 99):02d}"

    def timestamp(self) -> str:
        moment = datetime(2023, 1, 1) + timedelta(seconds=self.rng.randint(0, 2 * 365 * 86400))
        return self.rng.choice(
            (
                f"{moment:%Y-%m-%dT%H:%M:%SZ}",
                f"{moment:%Y-%m-%d %H:%M:%S},{self.rng.randint(0, 999):03d}",
            )
        )

    def recent_date(self) -> str:
        day = date(2023, 1, 1) + timedelta(days=self.rng.randint(0, 3 * 365))
        return self.rng.choice((f"{day:%Y-%m-%d}", f"{day:%d-%m-%Y}"))

    def ident(self) -> str:
        if self.rng.random() < 0.4:
            return f"{self.rng.choice(self._idents)}_{self.rng.choice(self._idents)}"
        return self.rng.choice(self._idents)

    def sentence(self, dutch: bool) -> str:
        fake = self.nl if dutch else self.en_words
        while True:
            value = fake.sentence(nb_words=self.rng.randint(5, 16))
            if not _CONTEXT_RE.search(value):
                return value

    # ---------------------------------------------------------------- hard negatives
    def _nine_digits(self) -> str:
        return str(self.rng.randint(100_000_000, 999_999_999))

    def bad_bsn(self) -> str:
        while True:
            value = self._nine_digits()
            if not std_bsn.is_valid(value):
                return value

    def valid9(self) -> str:
        while True:
            value = self._nine_digits()
            if std_bsn.is_valid(value):
                return value

    def bad_iban(self) -> str:
        fake = self.nl if self.rng.random() < 0.6 else self.rng.choice(self.iban_fakers)
        value = fake.iban()
        while True:
            broken = f"{value[:2]}{self.rng.randint(2, 98):02d}{value[4:]}"
            if not std_iban.is_valid(broken):
                broken = _group(broken) if self.rng.random() < 0.3 else broken
                return broken.lower() if self.rng.random() < 0.2 else broken

    def bad_card(self) -> str:
        while True:
            value = self.rng.choice("45") + "".join(str(self.rng.randint(0, 9)) for _ in range(15))
            if not luhn.is_valid(value):
                return _group(value) if self.rng.random() < 0.4 else value

    def big_amount(self, thousands: str, decimals: str) -> str:
        """1.234.567,89 or 1,234,567.89: digit groups that are no phone number."""
        return f"{self.rng.randint(1, 999)}{thousands}{self.rng.randint(0, 999):03d}{thousands}" + (
            f"{self.rng.randint(0, 999):03d}{decimals}{self.rng.randint(0, 99):02d}"
        )

    def long_version(self) -> str:
        return ".".join(str(self.rng.randint(0, n)) for n in (9, 99, 99999999))

    def number_range(self) -> str:
        low = self.rng.randint(10, 4999)
        width = self.rng.choice((4, 5))
        high = low + self.rng.randint(1, 400)
        return f"{low:0{width}d}-{high:0{width}d}"

    def version(self) -> str:
        parts = [self.rng.randint(0, 20), self.rng.randint(0, 40), self.rng.randint(0, 99)]
        text = ".".join(map(str, parts))
        return ("v" + text) if self.rng.random() < 0.4 else text

    def bad_phone(self) -> str:
        while True:
            roll = self.rng.random()
            if roll < 0.4:
                value = self.nl.phone_number()
            elif roll < 0.7:
                d7 = "".join(str(self.rng.randint(0, 9)) for _ in range(7))
                value = self.rng.choice((f"06-{d7}", f"+31 6 {d7}", f"06 {d7}"))
            else:
                d8 = "".join(str(self.rng.randint(0, 9)) for _ in range(8))
                value = self.rng.choice((f"+31 99 {d8[:7]}", f"097-{d8}", f"+31 0{d8}"))
            if not _is_nl_phone(value) and not _contains_nl_phone(value):
                return value

    def tracking(self) -> str:
        letters = "".join(self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(4))
        digits = "".join(str(self.rng.randint(0, 9)) for _ in range(9))
        return self.rng.choice(
            (
                f"3S{letters}{digits}",
                f"1Z{letters}{self.rng.randint(10, 99)}{digits}{self.rng.randint(0, 9)}",
                f"JVGL{digits}{digits[:4]}",
            )
        )

    # ---------------------------------------------------------------- lines
    def render(self, template: str) -> LabelledLine:
        parts: list[str] = []
        labels: list[Label] = []
        pos = length = 0
        for match in _PLACEHOLDER_RE.finditer(template):
            slot = self._slots.get(match.group(1))
            if slot is None:
                raise KeyError(f"unknown slot {match.group(0)} in template {template!r}")
            literal = template[pos : match.start()]
            parts.append(literal)
            length += len(literal)
            rule_id, value = slot()
            if rule_id is not None:
                labels.append(Label(rule_id, length, length + len(value), value))
            parts.append(value)
            length += len(value)
            pos = match.end()
        parts.append(template[pos:])
        return LabelledLine("".join(parts), labels)

    def positive_line(self, family: str | None = None) -> LabelledLine:
        if family is None:
            family = self.rng.choices(self._pos_families, self._pos_weights)[0]
        return self.render(self.rng.choice(POSITIVE_TEMPLATES[family]))

    def negative_line(self, family: str | None = None) -> LabelledLine:
        if family is None:
            family = self.rng.choices(self._neg_families, self._neg_weights)[0]
        return self.render(self.rng.choice(NEGATIVE_TEMPLATES[family]))

    def filler_line(self) -> LabelledLine:
        """A line of Dutch/English prose or code with no personal data at all."""
        roll = self.rng.random()
        if roll < 0.3:
            return LabelledLine(self.sentence(dutch=True))
        if roll < 0.55:
            return LabelledLine(self.sentence(dutch=False))
        return self.render(self.rng.choice(CODE_TEMPLATES))


def generate(n_lines: int, seed: int = 1234, pii_share: float = 0.5) -> list[LabelledLine]:
    """``n_lines`` lines; ``pii_share`` of them carry labels, the rest are negatives/filler."""
    gen = CorpusGenerator(seed)
    lines: list[LabelledLine] = []
    for _ in range(n_lines):
        if gen.rng.random() < pii_share:
            lines.append(gen.positive_line())
        elif gen.rng.random() < 0.7:
            lines.append(gen.negative_line())
        else:
            lines.append(gen.filler_line())
    return lines


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


class _DetectionLike(Protocol):
    rule_id: str
    start: int
    end: int
    value: str


class _DetectorLike(Protocol):
    def detect(self, text: str) -> Sequence[_DetectionLike]: ...


@dataclass(frozen=True, slots=True)
class Metrics:
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int) -> Metrics:
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(tp, fp, fn, precision, recall, f1)


@dataclass(slots=True)
class Misses:
    """Per rule_id: false negatives as (label, line) and false positives as (detection, line)."""

    fn: dict[str, list[tuple[Label, str]]] = field(default_factory=dict)
    fp: dict[str, list[tuple[_DetectionLike, str]]] = field(default_factory=dict)


def _score(
    detector: _DetectorLike, lines: Iterable[LabelledLine], rule_ids: Iterable[str]
) -> tuple[dict[str, Metrics], Misses]:
    wanted = set(rule_ids)
    counts = {rid: [0, 0, 0] for rid in wanted}  # tp, fp, fn
    miss = Misses()
    for line in lines:
        dets = [d for d in detector.detect(line.text) if d.rule_id in wanted]
        labels = [lab for lab in line.labels if lab.rule_id in wanted]
        matched_dets: set[int] = set()
        for lab in labels:
            hit = False
            for i, det in enumerate(dets):
                if det.rule_id == lab.rule_id and det.start < lab.end and lab.start < det.end:
                    matched_dets.add(i)
                    hit = True
            if hit:
                counts[lab.rule_id][0] += 1
            else:
                counts[lab.rule_id][2] += 1
                miss.fn.setdefault(lab.rule_id, []).append((lab, line.text))
        for i, det in enumerate(dets):
            if i not in matched_dets:
                counts[det.rule_id][1] += 1
                miss.fp.setdefault(det.rule_id, []).append((det, line.text))
    metrics = {rid: Metrics.from_counts(*counts[rid]) for rid in sorted(wanted)}
    return metrics, miss


def evaluate(
    detector: _DetectorLike, lines: Iterable[LabelledLine], rule_ids: Iterable[str]
) -> dict[str, Metrics]:
    """Score ``detector`` line by line on the given rule_ids (see the module docstring).

    ``tp`` counts labels overlapped by a detection of the same rule_id, ``fn`` the labels that
    none overlaps, ``fp`` the detections of an evaluated rule_id that overlap no such label.
    """
    return _score(detector, lines, rule_ids)[0]


def misses(
    detector: _DetectorLike, lines: Iterable[LabelledLine], rule_ids: Iterable[str]
) -> tuple[dict[str, Metrics], Misses]:
    """Like ``evaluate`` but also returns the missed labels and the spurious detections."""
    return _score(detector, lines, rule_ids)


def format_table(metrics: dict[str, Metrics]) -> str:
    rows = [
        f"{'rule_id':<22} {'tp':>6} {'fp':>6} {'fn':>6} {'precision':>9} {'recall':>7} {'f1':>6}"
    ]
    for rid, m in metrics.items():
        rows.append(
            f"{rid:<22} {m.tp:>6} {m.fp:>6} {m.fn:>6} {m.precision:>9.3f} "
            f"{m.recall:>7.3f} {m.f1:>6.3f}"
        )
    return "\n".join(rows)
