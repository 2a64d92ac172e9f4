"""Word lists: special categories (GDPR art. 9 and 10) and the first-name gazetteer.

Lexicon words are matched case-insensitively on word boundaries; a trailing `*`
means "any word that starts with this".
"""

from __future__ import annotations

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

# Common Dutch and English first names. A match also needs a capitalised surname.
FIRST_NAMES: tuple[str, ...] = tuple(
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
