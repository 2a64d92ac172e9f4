"""Field and column names that mean personal data, in Dutch and English.

A value the engine cannot recognise by its form (a name, a city, a diagnosis) is
still personal data when its field says so: `geboortedatum`, `bsn`, `emailAddress`.
Scanners that see structured data (API responses and schemas, database columns,
model feature names) ask `category_of(name)`. Names are split into words first
(camelCase, snake_case, kebab-case, dots), so `klantTelefoonnummer` and
`customer_phone` are both phone numbers, and `product_name` is not a person's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Category:
    name: str  # "email", "national_id", ...
    label: str  # said in findings
    special: bool = False  # GDPR art. 9 (or art. 10) data


NATIONAL_ID = Category("national_id", "national identification number")
EMAIL = Category("email", "e-mail address")
PHONE = Category("phone", "phone number")
BIRTH_DATE = Category("birth_date", "date of birth")
BANK_ACCOUNT = Category("bank_account", "bank account number")
PAYMENT_CARD = Category("payment_card", "payment card number")
ADDRESS = Category("address", "home address")
PERSON_NAME = Category("person_name", "person's name")
ID_DOCUMENT = Category("id_document", "identity document number")
IP_ADDRESS = Category("ip_address", "IP address")
LOCATION = Category("location", "location")
GENDER = Category("gender", "gender")
NATIONALITY = Category("nationality", "nationality")
INCOME = Category("income", "income or salary")
HEALTH = Category("health", "health data", special=True)
RELIGION = Category("religion", "religion or belief", special=True)
ETHNICITY = Category("ethnicity", "racial or ethnic origin", special=True)
POLITICS = Category("politics", "political opinion", special=True)
SEXUALITY = Category("sexuality", "sex life or sexual orientation", special=True)
BIOMETRIC = Category("biometric", "biometric data", special=True)
CRIMINAL = Category("criminal", "criminal records", special=True)

# whole names (words joined by "_"), and single words that mean the category wherever
# they occur in a name ("klant_email", "home_address")
_NAMES: dict[Category, tuple[tuple[str, ...], tuple[str, ...]]] = {
    NATIONAL_ID: (
        ("citizen_service_number", "social_security_number", "national_id", "sofi_nummer"),
        ("bsn", "burgerservicenummer", "sofinummer", "ssn", "nino", "persoonsnummer"),
    ),
    EMAIL: (("e_mail", "e_mailadres", "mail_address"), ("email", "emailadres", "mailadres")),
    PHONE: (
        ("phone_number", "mobile_number", "tel_nr"),
        ("phone", "telephone", "telefoon", "telefoonnummer", "mobiel", "mobile", "gsm", "msisdn"),
    ),
    BIRTH_DATE: (
        ("date_of_birth", "birth_date", "geboorte_datum", "born_on", "birth_day"),
        ("geboortedatum", "birthdate", "birthday", "dob", "verjaardag", "geboortejaar"),
    ),
    BANK_ACCOUNT: (
        ("bank_account", "account_number", "bank_rekening"),
        ("iban", "rekeningnummer", "bankrekening", "bankrekeningnummer", "bic"),
    ),
    PAYMENT_CARD: (
        ("card_number", "credit_card", "cc_number", "pan"),
        ("creditcard", "cardnumber", "kaartnummer", "cvv", "cvc"),
    ),
    ADDRESS: (
        ("street_address", "house_number", "zip_code", "postal_code", "home_address"),
        ("address", "adres", "straat", "straatnaam", "huisnummer", "postcode", "woonplaats"),
    ),
    PERSON_NAME: (
        ("first_name", "last_name", "full_name", "given_name", "family_name", "maiden_name"),
        (
            "voornaam",
            "achternaam",
            "tussenvoegsel",
            "surname",
            "firstname",
            "lastname",
            "fullname",
            "voorletters",
            "initials",
            "meisjesnaam",
            "roepnaam",
            "naam",
        ),
    ),
    ID_DOCUMENT: (
        ("passport_number", "id_card", "document_number", "driving_licence", "drivers_license"),
        ("passport", "paspoort", "paspoortnummer", "rijbewijs", "identiteitsbewijs", "idkaart"),
    ),
    IP_ADDRESS: (("ip_address", "ip_adres", "remote_addr", "client_ip"), ("ip", "ipv4", "ipv6")),
    LOCATION: (
        ("geo_location", "gps_location"),
        ("latitude", "longitude", "geolocation", "gps", "locatie", "coordinates"),
    ),
    GENDER: ((), ("gender", "geslacht", "sex")),
    NATIONALITY: ((), ("nationality", "nationaliteit", "citizenship")),
    INCOME: ((), ("salary", "salaris", "inkomen", "income", "loon")),
    HEALTH: (
        ("medical_record", "health_condition", "blood_type"),
        (
            "diagnosis",
            "diagnose",
            "medical",
            "medisch",
            "health",
            "gezondheid",
            "allergie",
            "allergy",
            "medication",
            "medicatie",
            "ziekte",
            "disability",
            "handicap",
            "bloedgroep",
        ),
    ),
    RELIGION: ((), ("religion", "religie", "geloof", "godsdienst", "belief")),
    ETHNICITY: ((), ("ethnicity", "etniciteit", "race", "afkomst")),
    POLITICS: (("political_party",), ("politics", "politiek", "partij")),
    SEXUALITY: (("sexual_orientation",), ("seksualiteit", "geaardheid", "sexuality")),
    BIOMETRIC: ((), ("fingerprint", "vingerafdruk", "biometric", "biometrie", "faceprint")),
    CRIMINAL: (
        ("criminal_record", "conviction_record"),
        ("strafblad", "veroordeling", "conviction", "vog"),
    ),
}
# schema formats (OpenAPI, JSON Schema) that say what a string holds
FORMATS = {
    "email": EMAIL,
    "idn-email": EMAIL,
    "ipv4": IP_ADDRESS,
    "ipv6": IP_ADDRESS,
    "iban": BANK_ACCOUNT,
}
# words that make a name about something other than a person ("product_name",
# "file_address" is rare, "ip" in "zip" is avoided by splitting into words first)
NOT_PERSONAL = frozenset(
    {
        "product",
        "company",
        "bedrijf",
        "organisation",
        "organization",
        "file",
        "host",
        "server",
        "display",
        "user_agent",
        "template",
        "bucket",
        "domain",
        "event",
        "mac",
        "sender",
        "reply",
        "support",
        "noreply",
        "shop",
        "store",
        "winkel",
        "field",
        "type",
    }
)
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|[A-Z]+|\d+")
_WHOLE = {name: c for c, (whole, _) in _NAMES.items() for name in whole}
_WORDS = {word: c for c, (_, words) in _NAMES.items() for word in words}


def words(name: str) -> tuple[str, ...]:
    """`klantTelefoonNummer` -> ("klant", "telefoon", "nummer")."""
    return tuple(w.lower() for w in _WORD.findall(name))


@lru_cache(maxsize=8192)
def category_of(name: str) -> Category | None:
    """The personal-data category a field of this name holds, or None."""
    parts = words(name[:200])
    if not parts or any(p in NOT_PERSONAL for p in parts):
        return None
    joined = "_".join(parts)
    if joined in _WHOLE:
        return _WHOLE[joined]
    compact = "".join(parts)
    if compact in _WORDS:
        return _WORDS[compact]
    for size in (3, 2):  # a known multi-word name inside a longer one: "klant_date_of_birth"
        for i in range(len(parts) - size + 1):
            found = _WHOLE.get("_".join(parts[i : i + size]))
            if found is not None:
                return found
    for part in parts:
        if part in _WORDS:
            return _WORDS[part]
    return None


def category_of_format(schema_format: str) -> Category | None:
    return FORMATS.get(schema_format.strip().lower()) if isinstance(schema_format, str) else None
