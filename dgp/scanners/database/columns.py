"""What a column's name says it holds, in Dutch and English, with the abbreviations and
prefixes schemas use (`klant_bsn`, `sofi_nr`, `geb_datum`, `telNr`, `achternaam`).

A name is split into words (underscores, dashes, camelCase, digits) and every run of
consecutive words is looked up joined ("geb", "datum" -> "gebdatum"); long words are
also found inside Dutch compounds ("klantgeboortedatum"). Short or ambiguous words
("naam", "mail", "lat") count as weak: alone they are below the reporting confidence,
with matching values they are a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Family(StrEnum):
    """Which rule a category is reported under."""

    PERSONAL = "personal"
    BSN = "bsn"
    SPECIAL = "special"
    CRIMINAL = "criminal"


@dataclass(frozen=True)
class Category:
    name: str  # "email", "health"
    family: Family
    label: str  # said in findings and the data map


def _c(name: str, family: Family, label: str) -> Category:
    return Category(name, family, label)


P, S = Family.PERSONAL, Family.SPECIAL
CATEGORIES = {
    c.name: c
    for c in (
        _c("bsn", Family.BSN, "BSN (burgerservicenummer)"),
        _c("name", P, "name"),
        _c("email", P, "e-mail address"),
        _c("phone", P, "phone number"),
        _c("address", P, "address"),
        _c("postcode", P, "postcode"),
        _c("date_of_birth", P, "date of birth"),
        _c("iban", P, "bank account (IBAN)"),
        _c("payment_card", P, "payment card number"),
        _c("id_document", P, "identity document number"),
        _c("ip_address", P, "IP address"),
        _c("location", P, "geolocation"),
        _c("gender", P, "gender"),
        _c("nationality", P, "nationality"),
        _c("health", S, "health"),
        _c("religion", S, "religion or belief"),
        _c("ethnicity", S, "racial or ethnic origin"),
        _c("sexual_orientation", S, "sexual orientation or sex life"),
        _c("political", S, "political opinion"),
        _c("trade_union", S, "trade union membership"),
        _c("genetic", S, "genetic data"),
        _c("biometric", S, "biometric data"),
        _c("criminal", Family.CRIMINAL, "criminal convictions and offences"),
    )
}
# reported first when a name says two things ("medisch_bsn"): the most sensitive
ORDER = {Family.CRIMINAL: 0, Family.SPECIAL: 1, Family.BSN: 2, Family.PERSONAL: 3}

STRONG, WEAK = 0.7, 0.4
# category -> words (lower case, without separators); "~" marks a weak word
_WORDS = {
    "bsn": "bsn burgerservicenummer bsnnummer bsnnr sofi sofinr sofinummer sofinumber "
    "citizenservicenumber persoonsnummer ssn socialsecuritynumber",
    "date_of_birth": "geboortedatum gebdatum gebdat geboortedag geboren dob birthdate "
    "dateofbirth birthday geboortejaar yearofbirth",
    "iban": "iban ibannummer rekeningnummer rekeningnr reknr bankrekening "
    "bankrekeningnummer bankaccount bankaccountnumber",
    "payment_card": "creditcard creditcardnummer cardnumber ccnumber ccnum creditcardnumber",
    "email": "email emailadres emailaddress mailadres ~mail",
    "phone": "telefoon telefoonnummer telnr tel mobiel mobielnummer gsm phone phonenumber "
    "mobile mobilephone mobielnr telefoonnr ~fax",
    "address": "adres straat straatnaam huisnummer huisnr woonadres address street "
    "streetname housenumber woonplaats huisnummertoevoeging ~city ~plaats",
    "postcode": "postcode zipcode zip postalcode",
    "name": "voornaam voornamen achternaam tussenvoegsel roepnaam voorletters meisjesnaam "
    "geboortenaam firstname lastname surname fullname givenname familyname middlename "
    "volledigenaam ~naam ~name ~initials",
    "gender": "geslacht gender ~sex",
    "id_document": "paspoort paspoortnummer passport passportnumber rijbewijs "
    "rijbewijsnummer driverslicense driverlicense idkaart identiteitskaart "
    "documentnummer idnumber",
    "ip_address": "ip ipadres ipaddress ipaddr remoteaddr clientip",
    "location": "latitude longitude gps geolocatie geolocation ~lat ~lon ~lng",
    "nationality": "nationaliteit nationality",
    "health": "medisch medische medical diagnose diagnosis ziekte ziektebeeld gezondheid "
    "health allergie allergy allergies medicatie medication medicijnen beperking handicap "
    "disability zwanger zwangerschap pregnancy ziekteverzuim verzuimreden sickleave "
    "bloedgroep bloodtype healthcondition gezondheidstoestand",
    "religion": "religie geloof godsdienst kerkgenootschap religion faith denomination",
    "ethnicity": "etniciteit etnische afkomst ethnicity ethnic ~ras ~race",
    "sexual_orientation": "geaardheid seksuelegeaardheid sexualorientation seksualiteit sexuality",
    "political": "politiek politieke politicalparty political politicalopinion partijlid "
    "politiekepartij ~partij",
    "trade_union": "vakbond vakbondslid tradeunion unionmember unionmembership",
    "genetic": "dna genetisch genetische genetic genome genoom",
    "biometric": "vingerafdruk biometric biometrisch biometrie gezichtsherkenning "
    "faceembedding facetemplate irisscan fingerprinttemplate",
    "criminal": "strafblad strafrechtelijk veroordeling veroordelingen vog justitieel "
    "justitiele delict criminal criminalrecord conviction convictions offence offense",
}
PASSWORD_WORDS = frozenset(
    "password passwd pwd pass pw wachtwoord passwort passwordhash wachtwoordhash pwhash "
    "passhash hashedpassword userpassword passworddigest".split()
)
TENANT_WORDS = frozenset(
    "tenant tenantid orgid organisationid organizationid organisatieid mandant mandantid "
    "workspaceid companyid bedrijfid klantorganisatie accountid".split()
)
# names of columns that tell when a row may go (when the type does not say it)
TIMESTAMP_WORDS = frozenset(
    "created createdat createdon aangemaakt aangemaaktop updated updatedat modified "
    "gewijzigd gewijzigdop deleted deletedat verwijderd verwijderdop expires expiresat "
    "vervaldatum verloopt bewaartermijn retention retentionuntil validuntil geldigtot "
    "einddatum enddate lastlogin laatstelogin timestamp datum date".split()
)
LEXICON: dict[str, tuple[str, float]] = {}
for _category, _words in _WORDS.items():
    for _word in _words.split():
        weak = _word.startswith("~")
        LEXICON[_word.lstrip("~")] = (_category, WEAK if weak else STRONG)
COMPOUND_MIN = 7  # words this long are also found inside longer names
_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def words(name: str) -> list[str]:
    """`klantGeb_Datum2` -> ["klant", "geb", "datum"]."""
    spaced = _CAMEL.sub("_", name)
    return [w for w in _SPLIT.split(re.sub(r"\d+", "_", spaced.lower())) if w]


def _runs(parts: list[str]) -> list[str]:
    return ["".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)]


@dataclass(frozen=True)
class NameMatch:
    category: Category
    confidence: float
    word: str  # the word that said it


def classify_name(name: str) -> NameMatch | None:
    """The category a column name says, or None."""
    parts = words(name)
    found: list[NameMatch] = []
    for run in _runs(parts):
        hit = LEXICON.get(run)
        if hit is not None:
            found.append(NameMatch(CATEGORIES[hit[0]], hit[1], run))
    joined = "".join(parts)
    for word, (category, confidence) in LEXICON.items():
        if len(word) >= COMPOUND_MIN and word in joined and confidence == STRONG:
            found.append(NameMatch(CATEGORIES[category], confidence, word))
    if not found:
        return None
    return min(found, key=lambda m: (ORDER[m.category.family], -m.confidence, -len(m.word)))


def is_password(name: str) -> bool:
    parts = words(name)
    return any(run in PASSWORD_WORDS for run in _runs(parts)) or "wachtwoord" in "".join(parts)


def is_tenant(name: str) -> bool:
    return "".join(words(name)) in TENANT_WORDS


def is_timestamp_name(name: str) -> bool:
    parts = words(name)
    return any(run in TIMESTAMP_WORDS for run in _runs(parts)) or (
        bool(parts) and parts[-1] in ("at", "on", "op", "datum", "date", "time", "tijd")
    )
