"""Kubernetes Secret manifests: values under `data:` (base64) or `stringData:`.

base64 is an encoding, not encryption: a committed Secret manifest hands out
whatever it holds, whatever the keys are called (`tls.key`, `DATABASE_URL`).
A value counts when its YAML document says `kind: Secret` and its section is
`data` or `stringData`; every look-around is bounded.
"""

from __future__ import annotations

import re

from dgp.engine.context import ContextWords
from dgp.engine.patterns import PatternSpec
from dgp.engine.secrets import structure
from dgp.engine.secrets.placeholders import is_placeholder

WINDOW = 3000  # characters searched around an entry for its section and its kind
MIN_VALUE = 4  # characters of the decoded value

SECRET_KIND = ContextWords(
    ["kind: secret", 'kind: "secret"', "kind: 'secret'"], before=WINDOW, after=WINDOW
)
_ENTRY = r"^[ \t]+[A-Za-z0-9_.-]{1,100}:[ \t]+[\"']?[A-Za-z0-9+/=_.@:!%&*?~^-]{4}"
_VALUE = re.compile(
    r"[ \t]+(?P<k>[A-Za-z0-9_.-]{1,100}):[ \t]+[\"']?(?P<v>[^\s\"'#][^\s\"']{3,8000})",
    re.MULTILINE,
)
_SECTION = re.compile(r"(data|stringData):[ \t]*(?:#.*)?$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def section_of(text: str, start: int) -> str | None:
    """The mapping key that holds the line at `start` (`data`, `metadata`, ...)."""
    line_start = text.rfind("\n", 0, start) + 1
    indent = _indent(text[line_start:start])
    pos, floor = line_start, max(0, start - WINDOW)
    while pos > floor:
        prev = text.rfind("\n", floor, pos - 1) + 1
        line = text[prev : pos - 1]
        if line.strip() and not line.lstrip().startswith("#") and _indent(line) < indent:
            match = _SECTION.match(line.strip())
            return match.group(1) if match else None
        pos = prev
    return None


_KIND = re.compile(r"^[ \t-]*kind:[ \t]*[\"']?Secret[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)


def _same_document_is_secret(text: str, start: int, end: int) -> bool:
    """`kind: Secret` in the YAML document (between `---` lines) that holds the entry."""
    lo, hi = max(0, start - WINDOW), min(len(text), end + WINDOW)
    doc_start = text.rfind("\n---", lo, start)
    doc_end = text.find("\n---", end, hi)
    return (
        _KIND.search(text, lo if doc_start < 0 else doc_start, hi if doc_end < 0 else doc_end)
        is not None
    )


def _manifest_value(text: str, start: int, end: int) -> float | None:
    section = section_of(text, start)
    if section not in ("data", "stringData") or not _same_document_is_secret(text, start, end):
        return None
    value = text[start:end]
    key_start = text.rfind("\n", 0, start) + 1
    key = text[key_start:start].strip().split(":", 1)[0]
    if section == "data":
        decoded = structure.b64decode_loose(value)
        if decoded is None or len(decoded) < MIN_VALUE:
            return None
        if structure.is_printable(decoded) and is_placeholder(decoded.decode(), key):
            return None
    elif len(value) < MIN_VALUE or is_placeholder(value, key):
        return None
    return 0.9


MANIFEST_PATTERNS: tuple[PatternSpec, ...] = (
    PatternSpec(
        "secret.kubernetes.secret_manifest",
        _ENTRY,
        _manifest_value,
        multiline=True,
        value=_VALUE,
        priority=92,
        context=SECRET_KIND,
    ),
)
