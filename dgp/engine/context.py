"""Context words (Dutch and English) and the window in which they count."""

from __future__ import annotations

import re
from collections.abc import Iterable

BEFORE = 60  # characters before a match in which a context word counts
AFTER = 30  # characters after


class ContextWords:
    """A set of words or phrases looked for near a match, case-insensitively."""

    def __init__(
        self,
        words: Iterable[str],
        before: int = BEFORE,
        after: int = AFTER,
        prefilter: bool = True,
    ) -> None:
        """`prefilter`: the matcher looks for these words first and searches the patterns
        that need them only nearby; False when the words are too common for that (street
        name endings also end "Zoeyweg" and many other words): the check finds them."""
        self.words = tuple(sorted(words, key=len, reverse=True))
        self.prefilter = prefilter
        alternation = "|".join(re.escape(w) for w in self.words)
        self._regex = re.compile(rf"(?<![a-z])(?:{alternation})(?![a-z])", re.IGNORECASE)
        # The same on a lower-cased ASCII window, where case-folding is exact: more than
        # twice as fast as the case-insensitive search, and most windows are ASCII.
        self._lower_regex = re.compile(rf"(?<![a-z])(?:{alternation.lower()})(?![a-z])")
        # Any of the words at all: a bare alternation, which re searches for by its first
        # characters (the lookbehind above hides them), so most windows cost a third.
        self._any_word = re.compile(f"(?:{alternation.lower()})")
        self.before = before
        self.after = after

    def near(self, text: str, start: int, end: int) -> bool:
        window = self.window(text, start, end)
        if window.isascii():
            window = window.lower()
            if self._any_word.search(window) is None:
                return False
            return self._lower_regex.search(window) is not None
        return self._regex.search(window) is not None

    def hyperscan_regex(self) -> str:
        """The matcher's prefilter: the words where no letter touches them (as `near`
        requires)."""
        words = "(?:" + "|".join(re.escape(w) for w in self.words) + ")"
        return f"(?:^|[^a-z]){words}(?:[^a-z]|$)"

    def window(self, text: str, start: int, end: int) -> str:
        return text[max(0, start - self.before) : start] + " " + text[end : end + self.after]


BSN = ContextWords(
    [
        "bsn",
        "burgerservicenummer",
        "burger service nummer",
        "burgerservice nummer",
        "sofinummer",
        "sofi",
        "sofi-nummer",
        "persoonsnummer",
        "citizen service number",
        "citizen_service_number",
        "bsn_nummer",
        "bsnnummer",
        "social security",
    ]
)
DATE_OF_BIRTH = ContextWords(
    [
        "geboren",
        "geboortedatum",
        "geb.",
        "geb",
        "dob",
        "born",
        "date of birth",
        "birth date",
        "birthdate",
        "birth_date",
        "date_of_birth",
        "geboorte",
        "birthday",
        "verjaardag",
    ]
)
ID_DOCUMENT = ContextWords(
    [
        "paspoort",
        "paspoortnummer",
        "passport",
        "passport number",
        "identiteitskaart",
        "id-kaart",
        "id kaart",
        "idkaart",
        "id card",
        "identity card",
        "documentnummer",
        "document number",
        "rijbewijs",
        "driving licence",
        "reisdocument",
        "id_document",
        "passport_no",
    ]
)
KVK = ContextWords(
    [
        "kvk",
        "kvk-nummer",
        "kvknummer",
        "kvk nr",
        "kamer van koophandel",
        "chamber of commerce",
        "handelsregister",
        "coc",
        "kvk_nummer",
    ]
)
STREET_SUFFIXES = (
    "straat",
    "laan",
    "weg",
    "plein",
    "gracht",
    "kade",
    "dijk",
    "singel",
    "hof",
    "park",
    "dreef",
    "steeg",
    "markt",
    "pad",
    "plantsoen",
    "erf",
    "veld",
    "baan",
    "wal",
    "burcht",
)
ADDRESS = ContextWords(
    [
        "postcode",
        "adres",
        "address",
        "straat",
        "straatnaam",
        "woonplaats",
        "wonende",
        "woont",
        "street",
        "city",
        "zip",
        "zipcode",
        "huisnummer",
        "postal code",
        "residence",
        "woonadres",
        "afleveradres",
        "factuuradres",
        *STREET_SUFFIXES,
    ],
    before=80,
    after=40,
    prefilter=False,  # the street name endings are in too many words
)
# A street name with a house number ("Zoeyweg 873", "Keizersgracht 12a") is address context too.
STREET = re.compile(r"[A-Z][a-z]+(?:" + "|".join(STREET_SUFFIXES) + r")\s+\d{1,5}[a-zA-Z]?\b")
VAT = ContextWords(
    [
        "vat",
        "btw",
        "btw-nummer",
        "ust-idnr",
        "tva",
        "iva",
        "mwst",
        "vat number",
        "omzetbelasting",
        "tax id",
    ]
)
PHONE = ContextWords(
    [
        "tel",
        "tel.",
        "telefoon",
        "telefoonnummer",
        "telnr",
        "phone",
        "mobiel",
        "mobile",
        "mob",
        "gsm",
        "bel",
        "bellen",
        "call",
        "fax",
        "whatsapp",
        "telefon",
        "telefonnummer",
        "rufnummer",
        "handy",
        "téléphone",
        "tél",
        "bereikbaar",
    ]
)
# A national number that is not valid in the Netherlands is read as Belgian or German
# only beside the words people there write before it (or, for Belgium, in its own
# 0475/12.34.56 form): a Dutch typo is often valid in Germany's looser plan.
PHONE_BE = ContextWords(["gsm", "gsm-nummer", "gsmnummer", "tél", "tél.", "téléphone", "portable"])
PHONE_DE = ContextWords(
    [
        "telefon",
        "telefonnummer",
        "rufnummer",
        "handy",
        "handynummer",
        "mobil",
        "mobilnummer",
        "festnetz",
        "erreichbar",
    ]
)
PAYMENT_CARD = ContextWords(
    [
        "card",
        "creditcard",
        "credit card",
        "kaart",
        "visa",
        "mastercard",
        "amex",
        "betaalkaart",
        "pan",
        "card_number",
        "cc",
    ]
)
NAME = ContextWords(
    [
        "naam",
        "name",
        "klant",
        "customer",
        "dhr",
        "dhr.",
        "mevr",
        "mevr.",
        "meneer",
        "mevrouw",
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "contact",
        "patient",
        "patiënt",
        "medewerker",
        "employee",
        "dear",
        "beste",
        "geachte",
        "from",
        "van",
        "aan",
        "to",
        "user",
        "gebruiker",
        "holder",
        "houder",
        "rekeninghouder",
        "kaarthouder",
    ]
)
VERSION = ContextWords(["version", "versie", "ver", "v", "release", "build"], before=12, after=0)

# A number labelled as a reference ("Ordernummer 123456782", "Factuur: ...", "Transaction
# id ...") is that reference, whatever checksum it passes: not a BSN, card or phone.
REFERENCE_WORDS = (
    "order",
    "bestel",
    "bestelling",
    "factuur",
    "invoice",
    "transactie",
    "transaction",
    "ticket",
    "referentie",
    "reference",
    "ref",
    "kenmerk",
    "betalingskenmerk",
    "zaak",
    "dossier",
    "artikel",
    "article",
    "klant",
    "customer",
    "tracking",
    "zending",
    "pakket",
    "shipment",
    "boeking",
    "booking",
    "reservering",
    "reservation",
    "contract",
    "polis",
    "policy",
    "serie",
    "serial",
    "batch",
)
REFERENCE_BEFORE = 48  # characters before a number in which its label is looked for
_REFERENCE_LABEL = re.compile(
    r"(?<![a-z])(?:" + "|".join(REFERENCE_WORDS) + r")"
    r"(?:[ _-]?(?:nummer|number|nr|no|num|id|code))?s?\.?[\"']?"
    r"\s*(?:[:#=]|nr\.?|no\.?)?\s*[\"'(]?$",
    re.IGNORECASE,
)


_ANY_REFERENCE_WORD = re.compile("|".join(REFERENCE_WORDS))  # (see ContextWords._any_word)


def is_reference(text: str, start: int) -> bool:
    """The number at `start` stands right after an order, invoice, ticket... label."""
    before = text[max(0, start - REFERENCE_BEFORE) : start]
    if before.isascii() and _ANY_REFERENCE_WORD.search(before.lower()) is None:
        return False
    return _REFERENCE_LABEL.search(text, max(0, start - REFERENCE_BEFORE), start) is not None
