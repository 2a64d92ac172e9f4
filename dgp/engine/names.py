"""Person names: where a name stands (after a greeting, under a sign-off, in a form field)
and what it is made of (a known first name, a known prefixed surname).

Names are written in full Unicode ("Gönül", "Søren", "Zoë", "Şahin"). Python reads
characters; hyperscan reads UTF-8 bytes, so its prefilters spell letters beyond ASCII
as byte ranges (a superset: Python's regexes decide). Confirming regexes run from the
candidate's start over at most a few words, never to the end of a line.
"""

from __future__ import annotations

import re

from dgp.engine import context
from dgp.engine.lexicons import (
    CLOSINGS,
    FIRST_NAMES,
    FUNCTION_WORDS,
    GENERIC_NAME_FIELDS,
    GREETINGS,
    NAME_FIELDS,
    NOT_GREETED,
    NOT_SURNAMES,
    ORGANISATION_WORDS,
    PREFIXED_SURNAMES,
    TUSSENVOEGSELS,
)
from dgp.engine.patterns import Check, PatternSpec
from dgp.engine.tries import trie_regex

# Letters of Latin-1 and Latin Extended-A/B (Dutch, German, Nordic, French, Turkish,
# Polish, Czech, Romanian names).
_EXTENDED = [chr(c) for c in range(0x100, 0x250)]
_UPPER_CHARS = "A-ZÀ-ÖØ-Þ" + "".join(c for c in _EXTENDED if c.isupper())
_LOWER_CHARS = "a-zß-öø-ÿ" + "".join(c for c in _EXTENDED if c.islower())
UPPER = f"[{_UPPER_CHARS}]"
LOWER = f"[{_LOWER_CHARS}]"
NOT_LETTER_AFTER = f"(?![{_UPPER_CHARS}{_LOWER_CHARS}])"
NOT_LETTER_BEFORE = f"(?<![{_UPPER_CHARS}{_LOWER_CHARS}])"
# The same in UTF-8 bytes for hyperscan: À-Þ is C3 80-9E, ß-ÿ C3 9F-BF, Extended-A and -B
# (U+0100-U+024F, upper and lower case mixed) C4 80 to C9 8F.
UPPER_HS = r"(?:[A-Z]|\xC3[\x80-\x9E]|[\xC4-\xC9][\x80-\xBF])"
LOWER_HS = r"(?:[a-z]|\xC3[\x9F-\xBF]|[\xC4-\xC9][\x80-\xBF])"
# An upper-case letter that starts a word: hyperscan's \b knows only ASCII word bytes.
WORD_START_HS = r"(?:\b[A-Z]|\xC3[\x80-\x9E]|[\xC4-\xC9][\x80-\xBF])"

_TV = "|".join(re.escape(t) for t in TUSSENVOEGSELS)
# Prefixes start a surname with a capital when no first name stands before it ("De Vries")
# and in Belgium always ("Jan Van den Bossche"); "Het", "In" and "Op" then start sentences.
_TV_CAPITALISED = ("Van", "De", "Der", "Den", "Ter", "Ten", "Te", "La", "Le", "Du", "Von")
_TV_ANY_CASE = "|".join([re.escape(t) for t in TUSSENVOEGSELS] + list(_TV_CAPITALISED))
_STOP_WORDS = NOT_SURNAMES | FUNCTION_WORDS | NOT_GREETED | ORGANISATION_WORDS
_STOP = trie_regex(_STOP_WORDS)  # tried at every capital: a trie, not 300 alternatives
# Words that say a name follows ("Patiënt", "Klant"), capitalised at a line's start: the
# name starts after them.
_CONTEXT_CAPITALISED = trie_regex(
    w.capitalize() for w in context.NAME.words if w.isalpha() and len(w) > 2
)
# One capitalised word that is not a function word: "Gönül", "Jansen-Bakker".
_WORD = f"(?!(?:{_STOP}){NOT_LETTER_AFTER}){UPPER}{LOWER}+(?:-{UPPER}{LOWER}+)?{NOT_LETTER_AFTER}"
# A name of one to four such words, prefixes between them: "Jan", "Zoë de Vries",
# "Mark van der Berg", "Anne-Marie De Backer".
_FULL_NAME = (
    f"(?:(?:{_TV_ANY_CASE}) ){{0,3}}{_WORD}(?:(?: (?:{_TV_ANY_CASE})){{0,3}} {_WORD}){{0,3}}"
)
_SURNAME = f"{UPPER}{LOWER}+(?:-{UPPER}{LOWER}+)?{NOT_LETTER_AFTER}"
_NAME_VALUE = re.compile(rf"{_SURNAME}(?: (?:{_TV_ANY_CASE})){{0,3}} {_SURNAME}")

_SALUTATION = r"(?:[Hh]eer|[Mm]evrouw|[Dd]hr\.?|[Mm]evr\.?|[Mm]eneer|Mr\.?|Mrs\.?|Ms\.?|Dr\.?)"
_GREETING = "|".join(GREETINGS)
_CLOSING = "|".join(re.escape(c) for c in sorted(CLOSINGS, key=len, reverse=True))
_FIELD = "|".join(re.escape(f) for f in sorted(NAME_FIELDS, key=len, reverse=True))
# A field's label, then ":" or "=" (a quote may close a JSON key first); "t.n.v." and
# "ten name van" need none.
_FIELD_LABEL = rf"(?i:(?P<f>{_FIELD})[\"']?[ \t]*[:=]|t\.n\.v\.|ten name van)"
_FIRST_NAME_SET = frozenset(FIRST_NAMES)
# As written after a first name: "van Dijk" (the Netherlands), "De Backer" (Belgium).
_PREFIXED_SURNAME_SET = frozenset(PREFIXED_SURNAMES) | frozenset(
    n[0].lower() + n[1:] for n in PREFIXED_SURNAMES
)
_TV_SET = frozenset(TUSSENVOEGSELS) | frozenset(_TV_CAPITALISED)


def _words(value: str) -> list[str]:
    return value.split()


def _surname_ok(word: str) -> bool:
    return word not in NOT_SURNAMES and word.upper() != word


def _pair(text: str, start: int, end: int) -> float | None:
    """Two capitalised words, prefixes between them: a name when the first is a known
    first name ("Jan Jansen") or the rest a known prefixed surname ("Gönül van Dijk");
    any other pair only beside a name context word ("Klant: Tessa Massa")."""
    words = _words(text[start:end])
    first, last = words[0], words[-1]
    if first in _STOP_WORDS or last in _STOP_WORDS or last.upper() == last:
        return None
    if first in _FIRST_NAME_SET or first.split("-", 1)[0] in _FIRST_NAME_SET:
        return 0.8 if context.NAME.near(text, start, end) else 0.6
    surname = " ".join(words[1:])
    if surname in _PREFIXED_SURNAME_SET:
        return 0.85 if context.NAME.near(text, start, end) else 0.7
    if last in _FIRST_NAME_SET:
        return None  # "Telefoon van Jan [Jansen]": the name starts at the last word
    if _generic_name_field(text, start):
        return None  # '"name": "Security Hub"': an identifier's name, not a person's
    return 0.55 if context.NAME.near(text, start, end) else None


def _salutation_name(text: str, start: int, end: int) -> float | None:
    return 0.8 if _surname_ok(_words(text[start:end])[-1]) else None


def _named_in_place(confidence: float) -> Check:
    """Greetings and sign-offs: their regex already fixed the place; check the words."""

    def check(text: str, start: int, end: int) -> float | None:
        words = [w for w in _words(text[start:end]) if w not in _TV_SET]
        if not words or any(w in _STOP_WORDS or w.upper() == w for w in words):
            return None
        return confidence

    return check


def _form_field(text: str, start: int, end: int) -> float | None:
    """The value of a name field; a field called just "name" names products and settings
    as often as people, so there the value must hold a known first name or a prefix."""
    words = _words(text[start:end])
    if any(w.upper() == w and len(w) > 1 for w in words):
        return None
    known = words[0] in _FIRST_NAME_SET or any(w in _TV_SET for w in words) or len(words) >= 3
    return 0.85 if known or not _generic_name_field(text, start) else None


def _generic_name_field(text: str, start: int) -> bool:
    """The value at `start` is that of a field called just "name" (or "Name:")."""
    before = text[max(0, start - 40) : start]
    if before.isascii() and not any(f in before.lower() for f in GENERIC_NAME_FIELDS):
        return False  # (the common case, without the costly search for any field's label)
    label = _FIELD_BEFORE.search(text, max(0, start - 40), start)
    return label is not None and (label.group("f") or "").lower() in GENERIC_NAME_FIELDS


_FIELD_BEFORE = re.compile(rf"{_FIELD_LABEL}[ \t]*(?:\r?\n[ \t]*)?[\"']?$")

NAME_PATTERNS: tuple[PatternSpec, ...] = (
    # "Geachte heer De Vries", "Mevr. Jansen": a salutation names the person after it
    PatternSpec(
        "pii.name",
        rf"\b{_SALUTATION} (?:(?:{_TV_ANY_CASE}) ){{0,3}}{UPPER_HS}",
        _salutation_name,
        python=rf"\b{_SALUTATION} (?:(?:{_TV_ANY_CASE}) ){{0,3}}{UPPER}",
        value=re.compile(
            rf"{_SALUTATION} (?P<v>(?:(?:{_TV_ANY_CASE}) ){{0,3}}{_SURNAME}"
            rf"(?:(?: (?:{_TV_ANY_CASE})){{0,3}} {_WORD}){{0,2}})"
        ),
        priority=11,
    ),
    # "Beste Jan,", "Dear Søren!", "Hoi Gönül": a greeting names whom it greets
    PatternSpec(
        "pii.name",
        rf"\b(?:{_GREETING})[ \t]+{UPPER_HS}",
        _named_in_place(0.85),
        python=rf"\b(?:{_GREETING})[ \t]+{UPPER}",
        value=re.compile(rf"(?:{_GREETING})[ \t]+(?P<v>{_FULL_NAME})(?=[ \t]*(?:[,!:;]|\r?\n|$))"),
        priority=12,
    ),
    # "Met vriendelijke groet,\nJan de Vries", "Kind regards, Søren": the writer's name
    PatternSpec(
        "pii.name",
        rf"(?i:\b(?:{_CLOSING}))",
        _named_in_place(0.8),
        value=re.compile(
            rf"(?i:{_CLOSING})[,.!]?(?:[ \t]+|[ \t]*(?:\r?\n[ \t]*){{1,2}})"
            rf"(?P<v>{_FULL_NAME})(?=[ \t]*(?:\r?\n|$|,|\|| - ))"
        ),
        priority=12,
    ),
    # "Voornaam: Gönül", "achternaam = 'De Vries'", '"last_name": "Yılmaz"', and a table
    # cell under such a column header
    PatternSpec(
        "pii.name",
        rf"(?i:\b(?:{_FIELD})[\"']?[ \t]*[:=]|\bt\.n\.v\.|\bten name van)",
        _form_field,
        value=re.compile(
            rf"{_FIELD_LABEL}[ \t]*(?:\r?\n[ \t]*)?[\"']?(?P<v>{_FULL_NAME})(?![\w(]|\.\w)"
        ),
        priority=12,
    ),
    # "Jan Jansen", "Gönül van Dijk", "Klant: Tessa Massa": any capitalised pair; the
    # check looks the words up (first names and prefixed surnames: lexicons.py). The
    # second word goes on in lower case ("Dear TV" is no pair; "Jan JANSEN" the check
    # would refuse)
    PatternSpec(
        "pii.name",
        rf"{WORD_START_HS}{LOWER_HS}+(?: (?:{_TV})){{0,3}} {UPPER_HS}{LOWER_HS}",
        _pair,
        # only the first word: the next candidate may start at the second ("Telefoon van
        # Jan Jansen" holds the pairs "Telefoon van Jan" and "Jan Jansen")
        # (the first lookahead only fails fast where no capital stands: the stop words'
        # alternation is costly to try at every character of a line)
        python=rf"(?={UPPER}){NOT_LETTER_BEFORE}"
        rf"(?!(?:{_STOP}|{_CONTEXT_CAPITALISED}){NOT_LETTER_AFTER})"
        rf"{UPPER}{LOWER}+(?:-{UPPER}{LOWER}+)?(?=(?: (?:{_TV_ANY_CASE})){{0,3}} {UPPER})",
        value=_NAME_VALUE,
        priority=10,
    ),
)
