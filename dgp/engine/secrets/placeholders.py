"""Placeholders and examples: values that stand in for a secret without being one.

Documentation, templates and sample configs are full of them (`changeme`,
`<your-token>`, `${API_KEY}`, `AKIAIOSFODNN7EXAMPLE`); reporting them buries the
real findings. Two checks: `is_placeholder` for a whole value (a password, a
config value), `is_placeholder_token` for the random part of a provider token
after its fixed prefix, where the structure has been checked already.
"""

from __future__ import annotations

import operator
import re

# Template and reference syntax anywhere in the value: the value is filled in elsewhere.
_TEMPLATE = re.compile(
    r"\$\{|\{\{|\}\}|\{%|%\(\w*\)[sdr]|\$\(|#\{|\[\[|\]\]|<%|%>|@@[A-Za-z_]\w*@@"
    r"|^\$[A-Za-z_]\w*$|^%[A-Za-z_]\w*%$|^<[^<>]*>$|^__\w+__$|\{[A-Za-z_][\w.:\[\]-]*\}"
)
_TEMPLATE_CHARS = frozenset("${}%<>#[]@")  # every template above holds one, or "__"
# References to a secret store or an encrypted value (sops, 1Password, Vault, AWS).
_REFERENCE_PREFIXES = ("ENC[", "vault:", "ref+", "op://", "secretsmanager:", "arn:aws:")
# Words that mark a stand-in, anywhere in the value (looked for in lower case).
_MARKER_WORDS = (
    "example", "sample", "dummy", "placeholder", "changeme", "change_me", "change-me",
    "changeit", "redacted", "your_", "your-", "yourpass", "xxxx", "***", "...", "•••", "fake",
    "notreal", "not_a_real", "not-a-real", "insert_", "insert-", "replace_me", "replaceme",
    "replace-me", "_here", "goeshere", "goes_here", "goes-here", "todo", "fixme", "lorem",
    "foobar", "abc123", "123456",
)  # fmt: skip
_MARKER_RE = re.compile("|".join(map(re.escape, _MARKER_WORDS)))
_MARKER_EDGES = re.compile(r"^(?:test|mock|my[_-]?(?:secret|pass|token|key|api))|test$")
# Whole values that are words, not secrets.
_WORDS = frozenset(
    """
    password passwort wachtwoord passwd pass pwd secret secrets token apikey api_key key
    none null nil undefined true false yes no on off empty default required optional
    hidden unset unknown string str bytes text value changeme changeit admin root user
    username guest demo test testing sample secretkey privatekey accesskey authtoken
    bearer basic digest oauth oauth2 jwt
    """.split()
)
# Keys that documentation uses (AWS, Stripe, Mollie, jwt.io): public, never anyone's secret.
KNOWN_EXAMPLES = frozenset(
    (
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
        "pk_test_TYooMQauvdEDq54NiTphI7jx",
        "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM",
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    )
)
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")


MADE_UP_REACH = 256  # characters of a long value (key material) that are looked at

_KEYBOARD_PAIRS = frozenset(row[i : i + 2] for row in _KEYBOARD_ROWS for i in range(len(row) - 1))


_PRINTABLE = [chr(c) for c in range(32, 127)]
# Neighbouring characters that repeat or count up/down by one ("aa", "ab", "ba"; "12", "21").
_STEP_PAIRS = frozenset(a + b for a in _PRINTABLE for b in _PRINTABLE if abs(ord(a) - ord(b)) <= 1)


def _pairs(low: str) -> list[str]:
    return list(map(operator.add, low, low[1:]))


def _steps_share(pairs: list[str]) -> float:
    """Share of neighbouring characters that repeat or count up/down by one (abc, 321, aaa)."""
    return sum(map(_STEP_PAIRS.__contains__, pairs)) / len(pairs)


def _keyboard_share(pairs: list[str]) -> float:
    return sum(map(_KEYBOARD_PAIRS.__contains__, pairs)) / len(pairs)


def _is_periodic(value: str, distinct: int) -> bool:
    """A short pattern repeated ("a1B2a1B2a1B2", "abcabcabc"): a period p has at most p
    distinct characters, so most values are ruled out by counting them."""
    n = len(value)
    if distinct > min(16, n // 2 + 1):
        return False
    for period in range(max(1, distinct - 1), min(16, n // 2) + 1):
        same = sum(map(operator.eq, value, value[period:]))
        if same >= 0.9 * (n - period):
            return True
    return False


_RUNS = {n: re.compile(rf"(.)\1{{{n - 1}}}") for n in range(6, MADE_UP_REACH // 3 + 1)}


def looks_made_up(value: str) -> bool:
    """Few distinct characters, a sequence (abc, 321), a keyboard walk, a repeated pattern."""
    value = value[:MADE_UP_REACH]
    distinct = len(set(value))
    if distinct <= 2 or len(value) < 4:
        return True
    pairs = _pairs(value.lower())
    if _steps_share(pairs) >= 0.5:
        return True
    if len(value) <= 24 and _keyboard_share(pairs) >= 0.8:  # walks are short: "qwertyuiop"
        return True
    if _is_periodic(value, distinct):
        return True
    return _RUNS[max(6, len(value) // 3)].search(value) is not None


_NOT_ALNUM = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isalnum()))


def _normal(text: str) -> str:
    return text.lower().translate(_NOT_ALNUM)


def named_after(value: str, name: str) -> bool:
    """The value repeats its own name: `password = "password"`, `API_KEY=api-key`."""
    v, n = _normal(value), _normal(name)
    if not v or not n:
        return False
    return v == n or v in n or (len(n) >= 4 and n in v and len(v) - len(n) <= 4)


# A type in a schema or a signature, not a value: "string?", "str", "bytes[]".
_TYPE_NAME = re.compile(
    r"^(?:string|str|text|int|integer|number|bool|boolean|bytes|byte|object|any|null|date"
    r"|datetime|float|double|long|char|secret|password|secretstr)(?:\?|\[\]|\|null)*$",
    re.IGNORECASE,
)


def is_placeholder(value: str, name: str = "") -> bool:
    """A whole value (a password, a config value) that only stands in for a secret."""
    stripped = value.strip()
    if not stripped or stripped in KNOWN_EXAMPLES:
        return True
    low = stripped.lower()
    if low in _WORDS or _MARKER_RE.search(low) or _MARKER_EDGES.search(low):
        return True
    if _TYPE_NAME.match(stripped):
        return True
    if (not _TEMPLATE_CHARS.isdisjoint(stripped) or "__" in stripped) and _TEMPLATE.search(
        stripped
    ):
        return True
    if stripped.startswith(_REFERENCE_PREFIXES):
        return True
    if name and named_after(stripped, name):
        return True
    return looks_made_up(stripped)


# Keys that providers publish on purpose (client-side, publishable): not secrets.
_PUBLIC_TOKEN = re.compile(r"^(?:pk_(?:live|test)_|pubkey-|NRJS-|(?:test|live)_[A-Z0-9]{32}$)")


def is_public_token(value: str) -> bool:
    """Stripe publishable keys, Mailgun public keys, New Relic browser keys, Adyen client keys."""
    return _PUBLIC_TOKEN.match(value) is not None


# In a random token, case-insensitive words turn up by chance ("dfakexv"); stand-ins are
# written in one case: "EXAMPLE", "example", "Example", "your_token".
_TOKEN_WORDS = ("example", "sample", "dummy", "placeholder", "redacted", "xxxx", "fake", "your")
_TOKEN_MARKERS = (
    *_TOKEN_WORDS,
    *(w.upper() for w in _TOKEN_WORDS),
    *(w.title() for w in _TOKEN_WORDS),
    "notreal", "*", "<", ">", "${", "{{",
)  # fmt: skip


def is_placeholder_token(body: str, whole: str = "") -> bool:
    """The variable part of a provider token (after its prefix) is a stand-in."""
    if whole in KNOWN_EXAMPLES or body in KNOWN_EXAMPLES:
        return True
    if any(marker in body for marker in _TOKEN_MARKERS):
        return True
    return looks_made_up(body)
