"""Word lists: special categories (GDPR art. 9 and 10) and the first-name gazetteer.

Lexicon words are matched case-insensitively on word boundaries; a trailing `*`
means "any word that starts with this".
"""

from __future__ import annotations

from pathlib import Path

_DATA = Path(__file__).resolve().parent / "data"


def _data_file(name: str) -> tuple[str, ...]:
    """A generated word list (scripts/build_name_lists.py): one entry a line, # comments."""
    lines = (_DATA / name).read_text(encoding="utf-8").splitlines()
    return tuple(line for line in lines if line and not line.startswith("#"))


SPECIAL_CATEGORIES: dict[str, tuple[str, ...]] = {
    "health": (
        "diagnose*",
        "diagnosis",
        "ziekte",
        "ziek",
        "ziekenhuis*",
        "patiënt*",
        "patient*",
        "medisch*",
        "medical",
        "medicatie",
        "medicijn*",
        "medication",
        "diabetes",
        "kanker",
        "cancer",
        "hiv",
        "aids",
        "depressie",
        "depression",
        "burn-out",
        "burnout",
        "zwanger*",
        "pregnan*",
        "handicap",
        "beperking",
        "disability",
        "arbeidsongeschikt*",
        "psychiatr*",
        "huisarts",
        "therapie",
        "therapy",
        "allergie*",
        "allergy",
        "ziekteverzuim",
        "sick leave",
        "ziekmelding*",
        "health condition",
        "gezondheid*",
        "epilepsie",
        "epilepsy",
        "astma",
        "asthma",
        "dementie",
        "dementia",
        "verslaving",
        "addiction",
        "bloedgroep",
        "blood type",
        "icd-10",
    ),
    "religion": (
        "religie",
        "religion",
        "geloof",
        "godsdienst*",
        "moslim*",
        "muslim*",
        "islam*",
        "christelijk*",
        "christian*",
        "katholiek*",
        "catholic",
        "protestant*",
        "joods*",
        "jewish",
        "hindoe*",
        "hindu*",
        "boeddhist*",
        "buddhist*",
        "atheïst*",
        "atheist*",
        "kerkgenootschap",
        "moskee",
        "mosque",
        "synagoge",
        "synagogue",
    ),
    "ethnicity": (
        "etniciteit",
        "ethnicity",
        "ethnic origin",
        "etnische afkomst",
        "afkomst",
        "ras",
        "race",
        "huidskleur",
        "skin colour",
        "skin color",
        "allochtoon",
        "migratieachtergrond",
        "migration background",
        "nationaliteit",
        "nationality",
    ),
    "political": (
        "politieke voorkeur",
        "political opinion*",
        "political party",
        "politieke partij",
        "partijlid*",
        "party member*",
        "stemgedrag",
        "voting behaviour",
        "politieke overtuiging",
    ),
    "union": (
        "vakbond*",
        "trade union",
        "union member*",
        "fnv",
        "cnv",
        "vakbondslid*",
    ),
    "sexual_orientation": (
        "seksuele geaardheid",
        "sexual orientation",
        "homoseksu*",
        "homosexual*",
        "lesbisch",
        "lesbian",
        "biseksu*",
        "bisexual*",
        "transgender",
        "lhbti*",
        "lgbt*",
        "sex life",
        "seksleven",
    ),
    "genetic": (
        "dna",
        "genetisch*",
        "genetic*",
        "genoom",
        "genome",
        "erfelijk*",
        "hereditary",
        "gentest*",
        "genotype*",
    ),
    "biometric": (
        "biometrisch*",
        "biometric*",
        "vingerafdruk*",
        "fingerprint*",
        "gezichtsherkenning",
        "face recognition",
        "facial recognition",
        "irisscan*",
        "iris scan",
        "stemherkenning",
        "voice print",
        "faceprint",
        "face template",
    ),
    "criminal": (
        "strafblad",
        "criminal record",
        "veroordeling*",
        "conviction*",
        "veroordeeld",
        "convicted",
        "strafrechtelijk*",
        "criminal offence*",
        "criminal offense*",
        "delict*",
        "misdrijf",
        "misdrijven",
        "arrestatie",
        "arrest*",
        "verdachte",
        "suspect",
        "justitiële documentatie",
        "taakstraf",
        "gevangenisstraf",
        "detentie",
        "reclassering",
        "proces-verbaal",
    ),
}

# Common Dutch and English first names, chosen by hand; FIRST_NAMES adds the generated list
# of names common in the Netherlands and Belgium. A match also needs a capitalised surname.
_CHOSEN_FIRST_NAMES: tuple[str, ...] = tuple(
    """
Aad Aafke Aaliyah Abdel Abdul Abe Abel Ada Adam Adriaan Adrian Agnes Ahmed Aisha Albert Alex
Alexander Alexandra Ali Alice Alicia Amber Amelia Amina Amy Andrea Andreas Andrew Angela Anita
Anja Ank Anke Ann Anna Anne Annelies Anneke Annemarie Annie Anouk Anthony Anton Antoon Arend Arie
Arjan Arjen Arnold Aron Arthur Astrid Aukje Barbara Bart Bas Bastiaan Beatrix Ben Benjamin Bernard
Bert Bertus Bianca Bob Boris Bram Brenda Brian Britt Bruno Carla Carlijn Carmen Caroline Cas
Casper Catharina Catherine Charlotte Chris Christiaan Christian Christina Christine Cindy Claire
Claudia Cor Corine Cornelis Daan Daniel Daniëlle Danielle David Debora Dennis Derk Dick Diederik
Dirk Dominique Donna Dorothy Douwe Edith Eduard Edward Eefje Eline Elisabeth Elise Eliza Ellen
Els Elsa Emily Emma Erik Esmee Esther Eva Evelien Evert Fatima Femke Fenna Fleur Floor Frank Frans
Freek Frits Gabriel Gea Geert Gerard Gerben Gerda Gerrit Gert Gijs Gerrie Grace Greet Guus Hanna
Hannah Hans Harm Harry Hein Hendrik Henk Henri Herman Hilde Hugo Ian Ida Ilse Inge Ingrid Iris Isa
Isabel Isabella Ivo Jaap Jack Jacob Jacobus Jake James Jan Jana Janine Janneke Jannes Jansje
Jasper Jeanine Jelle Jennifer Jeroen Jesse Jessica Jet Jikke Joan Joanna Job Johan Johanna John
Johannes Joke Jonas Joost Joris Joseph Josephine Joshua Joyce Judith Julia Julian Juliette Justin
Kaat Karel Karin Kate Katherine Kees Kelly Kevin Kim Klaas Koen Koos Laura Lars Laurens Lea Lieke
Lies Lieve Lily Linda Lisa Lise Liam Lotte Louis Lucas Lucy Luuk Maaike Maarten Madelief Manon
Marc Marcel Margaret Margriet Maria Marianne Marie Mariëlle Marieke Marijke Mark Marleen Martijn
Martin Mary Mathijs Matthew Maud Max Meike Melissa Mia Michael Michel Michelle Milan Mirjam Mohamed
Mohammed Monique Naomi Nathalie Niels Nienke Noah Noor Nora Olivia Olaf Oliver Paul Pauline Peter
Petra Piet Pieter Pim Quinten Rachel Rebecca Remco Richard Rik Rob Robert Robin Roel Roos Rosa
Ruben Rutger Ruud Sam Samuel Sander Sandra Sanne Sara Sarah Saskia Sebastiaan Sem Simon Sjaak
Sjoerd Sofie Sophie Stefan Stephanie Sven Susan Suzanne Teun Thijs Thomas Tim Tina Tineke Tom Ton
Tonny Twan Vera Victoria Vincent Wendy Wessel Willem William Wim Wout Yara Yvonne Zoë Zoe
""".split()
)
FIRST_NAMES: tuple[str, ...] = tuple(
    sorted(set(_CHOSEN_FIRST_NAMES) | set(_data_file("first_names.txt")))
)
# Surnames with a prefix as registered in the Netherlands and Belgium ("van Dijk",
# "De Backer"): after any capitalised word they make a name ("Gönül van Dijk").
PREFIXED_SURNAMES: tuple[str, ...] = _data_file("prefixed_surnames.txt")

TUSSENVOEGSELS: tuple[str, ...] = (
    "van",
    "de",
    "der",
    "den",
    "het",
    "ter",
    "ten",
    "te",
    "in",
    "op",
    "'t",
    "la",
    "le",
    "du",
    "von",
)

# Capitalised words that follow a first name in code and prose without being a surname.
NOT_SURNAMES = frozenset(
    """
And Are As At Be But By Can Date De Do For From Has Have He Her His How If In Is It Its Length
Me My No Not Of On Or Our Size She So That The Then There They This To Type Value Was We What
When Where Which Who Will With You Your Street Road Lane
""".split()
)

# Capitalised words that start Dutch and English sentences or headings: never a first
# name before a surname ("Met de Groot" is not a person called Met).
FUNCTION_WORDS = frozenset(
    """
Aan Al Alle Als Bij Dan Dat Deze Die Dit Door Een En Er Geen Heeft Het Hier Hij Hoe Hun Ik
Je Kan Maar Met Mijn Na Naar Niet Nog Of Om Onder Ons Onze Ook Op Over Per Sinds Te Tot Tegen
U Uit Uw Van Voor Waar Wat Wie Wij Wil Zal Ze Zij Zijn Zo Zonder Zoals All Also An Any After
Before Dear From Hello Here Into Just Let More Most New Now Only Please See Some Such Than
Their These Those Through Under Until Upon Very Via
""".split()
)

# Words after "Beste"/"Dear" that greet a group or a role, not a person.
NOT_GREETED = frozenset(
    """
All Allemaal Iedereen Everyone Everybody World Wereld There Team Sir Madam Madame Sirs
Customer Customers Klant Klanten Client Clients Cliënt Collega Collega's Colleague Colleagues
Colleagues Friend Friends Vriend Vrienden Vriendin Heren Dames Ladies Gentlemen Member
Members Lid Leden Reader Readers Lezer Lezers User Users Gebruiker Gebruikers Student
Students Support Admin Administrator Developer Developers Partner Partners Relatie
Relaties Ouders Ouder Bewoner Bewoners Deelnemer Deelnemers Sollicitant Applicant Patient
Patiënt Patients Patiënten Manager Hiring Recruiter Guest Guests Gast Gasten Buurtbewoners
Abonnee Abonnees Subscriber Subscribers Donateur Donateurs Lid Medewerker Medewerkers
Docent Docenten Leerling Leerlingen Valued Beste Geachte Heer Mevrouw Meneer Mr Mrs Ms Dr
""".split()
)

# Words naming a department, team or organisation: the sender of "Met vriendelijke groet,
# Klantenservice" or the holder of "Naam: Gemeente Utrecht" is no person.
ORGANISATION_WORDS = frozenset(
    """
Afdeling Administratie Bestuur Bedrijf Board Company Customer Department Dept Desk Dienst
Directie Finance Financiën Gemeente Groep Group Helpdesk Holding Inkoop Kantoor Klantcontact
Klantenservice Management Marketing Office Organisatie Payable Personeelszaken Provincie
Receivable Receptie Redactie Sales Secretariaat Service Servicedesk Services Solutions Staff
Stichting Support Systems Team Verkoop Vereniging Accounts Ministerie Universiteit
""".split()
)

# Words that sign off a letter or mail: the name after them is the writer's.
CLOSINGS: tuple[str, ...] = (
    "met vriendelijke groet",
    "met vriendelijke groeten",
    "vriendelijke groet",
    "vriendelijke groeten",
    "met hartelijke groet",
    "hartelijke groet",
    "hartelijke groeten",
    "met groet",
    "groet",
    "groeten",
    "groetjes",
    "mvg",
    "m.v.g.",
    "gr.",
    "hoogachtend",
    "kind regards",
    "best regards",
    "warm regards",
    "kindest regards",
    "regards",
    "yours sincerely",
    "sincerely",
    "yours faithfully",
    "best wishes",
    "many thanks",
    "thanks",
    "cheers",
    "mit freundlichen grüßen",
    "mit freundlichen grüssen",
    "viele grüße",
    "liebe grüße",
    "beste grüße",
    "cordialement",
    "bien à vous",
)

# Words that open a letter or mail to a person: "Beste Jan", "Dear Søren".
GREETINGS: tuple[str, ...] = (
    "Beste",
    "Geachte",
    "Lieve",
    "Hallo",
    "Hoi",
    "Dag",
    "Dear",
    "Hello",
    "Hi",
    "Hey",
    "Liebe",
    "Lieber",
    "Hej",
    "Bonjour",
    "Cher",
    "Chère",
)

# Form and record fields that hold a person's name; the value after them is one.
NAME_FIELDS: tuple[str, ...] = (
    "voornaam",
    "voornamen",
    "roepnaam",
    "achternaam",
    "geslachtsnaam",
    "familienaam",
    "volledige naam",
    "klantnaam",
    "contactpersoon",
    "tenaamstelling",
    "t.n.v.",
    "ten name van",
    "rekeninghouder",
    "kaarthouder",
    "aanvrager",
    "first name",
    "first_name",
    "firstname",
    "given name",
    "given_name",
    "last name",
    "last_name",
    "lastname",
    "surname",
    "family name",
    "family_name",
    "full name",
    "full_name",
    "fullname",
    "contact person",
    "contact_person",
    "account holder",
    "account_holder",
    "cardholder",
    "card holder",
    "card_holder",
    "holder_name",
    "patient name",
    "patient_name",
    "customer name",
    "customer_name",
    "employee name",
    "employee_name",
    "vorname",
    "nachname",
    "naam",
    "name",
)
# Of NAME_FIELDS, those that label anything named (a product, a setting) as often as a person.
GENERIC_NAME_FIELDS = frozenset({"name"})
