"""What kind of file a repository file is, and which findings fit it.

A source tree holds more than source: machine-readable API models, translation
catalogues, contributor lists, minified bundles, tests and documentation. Every
file is scanned, but each class with the rules that fit it (issue 11, measured
by bench/realcode.py on popular open-source distributions):

- API models and schemas describe an interface: their capitalised words are
  type and field names, their links documentation, their "password" keys field
  names. Only values with a format of their own count there (keys, tokens,
  account numbers, e-mail addresses).
- Translation catalogues and contributor lists (AUTHORS, CONTRIBUTORS, the
  translator credits of a .po file) name the people who worked on the project:
  one finding per file says so, instead of one per name and address.
- Minified bundles are built from other files: their secrets still count.
- Tests and documentation hold examples: key material there is still reported,
  one severity level or two lower and saying where it is; code anti-patterns,
  names and special-category words there are test data and prose about code.
- In source code a person's name stands in a comment or a string, never in an
  identifier (`DevEnvironment`, `CertificateManager`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import PurePosixPath

from dgp.domain.finding import Location
from dgp.domain.severity import Severity
from dgp.engine.rules import RULES
from dgp.scanners.code.rules import is_manifest
from dgp.scanners.session import Hit

CONTRIBUTOR_LIST = "code.contributor_list"
SNIFF_CHARS = 4096


class FileClass(StrEnum):
    SOURCE = "source"
    TEST = "test"
    DOCS = "documentation"
    API_MODEL = "api_model"
    LOCALE = "translation catalogue"
    CONTRIBUTORS = "contributor list"
    MINIFIED = "minified bundle"


_CONTRIBUTOR_NAMES = frozenset(
    "authors contributors maintainers credits thanks committers codeowners owners mailmap".split()
)
_LOCALE_DIRS = frozenset("locale locales i18n l10n translations lang langs".split())
_LOCALE_SUFFIXES = frozenset({".po", ".pot"})
_TEST_DIRS = frozenset(
    "test tests testing spec specs __tests__ fixtures fixture testdata test_data".split()
)
_TEST_NAME = re.compile(
    r"(?:^test_.*\.py|.*_test\.(?:py|go|rb)|.*\.(?:test|spec)\.[jt]sx?|conftest\.py)$"
)
_DOC_DIRS = frozenset("doc docs documentation man site".split())
_DOC_SUFFIXES = frozenset({".md", ".rst", ".html", ".htm", ".adoc", ".rdoc", ".1"})
_DOC_STEMS = frozenset("readme changelog changes history news".split())
_DATA_SUFFIXES = frozenset({".json", ".yaml", ".yml"})
_API_MODEL_NAME = re.compile(
    r"(?:service|paginators|waiters|endpoint-rule-set|examples|smoke)-\d+(?:\.sdk)?\.json$"
    r"|.*\.normal\.json$|endpoints\.json$|(?:openapi|swagger).*\.(?:json|ya?ml)$"
    r"|.*\.schema\.json$"
)
# the start of an API description or schema: AWS models, OpenAPI/Swagger, JSON Schema
_API_MODEL_HEAD = re.compile(
    r'"(?:shapes|operations)"\s*:|"(?:openapi|swagger)"\s*:|^(?:openapi|swagger):'
    r'|"\$schema"\s*:\s*"https?://json-schema\.org',
    re.MULTILINE,
)
_MINIFIED_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".css"})
MINIFIED_LINE = 1000  # a bundle's lines are this long; hand-written code's are not


def classify(relative: str, text: str) -> FileClass:
    """The class of the file at `relative` (as shown, "/"-separated) with content `text`."""
    path = PurePosixPath(relative.replace("!/", "/"))
    name = path.name.lower()
    folders = {part.lower() for part in path.parts[:-1]}
    suffix = path.suffix.lower()
    stem = name.split(".", 1)[0].lstrip(".")
    if is_manifest(path.name):
        return FileClass.SOURCE  # dependencies: tracking SDKs are found there
    if stem in _CONTRIBUTOR_NAMES:
        return FileClass.CONTRIBUTORS
    if suffix in _LOCALE_SUFFIXES or (folders & _LOCALE_DIRS and suffix in {".js", ".json"}):
        return FileClass.LOCALE
    head = text[:SNIFF_CHARS]
    if suffix in _DATA_SUFFIXES and (
        _API_MODEL_NAME.match(name) or _API_MODEL_HEAD.search(head) is not None
    ):
        return FileClass.API_MODEL
    if suffix in _MINIFIED_SUFFIXES and (".min." in name or _long_lines(head)):
        return FileClass.MINIFIED
    if folders & _TEST_DIRS or _TEST_NAME.match(name):
        return FileClass.TEST
    if folders & _DOC_DIRS or suffix in _DOC_SUFFIXES or stem in _DOC_STEMS:
        return FileClass.DOCS
    return FileClass.SOURCE


def _long_lines(head: str) -> bool:
    lines = head.split("\n")
    return max(map(len, lines), default=0) >= MINIFIED_LINE or (
        len(head) >= SNIFF_CHARS and len(lines) <= 3
    )


# -- what each class keeps -----------------------------------------------------------------

# values with a format of their own: what an API model or a bundle can really leak
_FORMAT_SECRETS = ("secret.",)
_FORMAT_FREE_SECRETS = frozenset({"secret.password_assignment", "secret.high_entropy"})
_FORMAT_PII = frozenset({"pii.iban", "pii.payment_card", "pii.bsn", "pii.email", "pii.phone"})
_EXAMPLES = {FileClass.TEST: "in a test fixture", FileClass.DOCS: "in documentation"}
_LOWER = {
    Severity.CRITICAL: Severity.MEDIUM,
    Severity.HIGH: Severity.LOW,
    Severity.MEDIUM: Severity.LOW,
}


@dataclass(frozen=True)
class Policy:
    """What a file class keeps of the hits found in it."""

    file_class: FileClass

    def apply(self, hits: Sequence[Hit], text: str, shown: str) -> list[Hit]:
        fc = self.file_class
        if fc in (FileClass.LOCALE, FileClass.CONTRIBUTORS):
            return _contributors(hits, shown, fc)
        kept = []
        regions: CodeRegions | None = None
        for hit in hits:
            rule = hit.rule_id
            family = rule.split(".", 1)[0]
            if fc in (FileClass.API_MODEL, FileClass.MINIFIED):
                keep = (rule.startswith(_FORMAT_SECRETS) and rule not in _FORMAT_FREE_SECRETS) or (
                    fc is FileClass.API_MODEL and rule in _FORMAT_PII
                )
                if keep:
                    kept.append(hit)
                continue
            if fc in _EXAMPLES:
                if family in ("code", "special") or rule == "pii.name":
                    continue  # examples of code, prose about it, test data
                if family == "secret":
                    hit = _lowered(hit, _EXAMPLES[fc])
                kept.append(hit)
                continue
            if rule == "pii.name" and hit.location.line is not None:
                regions = regions or CodeRegions(text, shown)
                if not regions.is_text(hit.location.line, hit.location.column or 1):
                    continue  # an identifier, not a person
            kept.append(hit)
        return kept


def _lowered(hit: Hit, where: str) -> Hit:
    rule = RULES[hit.rule_id]
    severity = _LOWER.get(rule.severity, rule.severity)
    description = (
        f"{hit.description or rule.description} Found {where}, so reported with a lower "
        "severity: examples are often real values copied in; rotate it if it is real."
    )
    return replace(hit, severity=severity, description=description)


def _contributors(hits: Sequence[Hit], shown: str, fc: FileClass) -> list[Hit]:
    """Names and e-mail addresses become one finding for the file; secrets stay."""
    people = [h for h in hits if h.rule_id in ("pii.email", "pii.name")]
    kept = [h for h in hits if h.rule_id.startswith("secret.")]
    if people:
        emails = sum(1 for h in people if h.rule_id == "pii.email")
        names = len(people) - emails
        evidence = f"{emails} e-mail addresses, {names} names"
        where = "translator credits" if fc is FileClass.LOCALE else "contributor list"
        first = people[0].location
        location = Location(path=first.path, line=first.line, column=1, end_column=1)
        description = (
            f"A {where} with {evidence} of the people who worked on the project "
            f"({shown.rsplit('/', 1)[-1]})."
        )
        kept.insert(
            0, Hit(CONTRIBUTOR_LIST, location, people[0].value_hash, evidence, 0.9, description)
        )
    return kept


# -- comments and strings in source code ---------------------------------------------------

# Programming languages only: in data and configuration files (YAML, TOML, INI) a bare
# value is text, so they count as text throughout.
_LINE_COMMENT = {
    ".py": ("#",),
    ".rb": ("#",),
    ".sh": ("#",),
    ".pl": ("#",),
    ".r": ("#",),
    ".sql": ("--",),
    ".lua": ("--",),
}
_C_LIKE = ("//",)
_BLOCKS = {".py": ('"""', "'''")}


class CodeRegions:
    """Whether a place in a source file is text (a comment or a string literal) or code.

    A small lexer, not a parser: quotes, line comments, block comments and
    Python's triple-quoted strings, per line, with block state carried over.
    Files it knows nothing about (data, markup) count as text throughout.
    """

    def __init__(self, text: str, shown: str) -> None:
        suffix = PurePosixPath(shown).suffix.lower()
        self._lines = text.split("\n")
        self._known = suffix in _LINE_COMMENT or suffix in _C_SUFFIXES
        self._line_comments = _LINE_COMMENT.get(suffix, _C_LIKE)
        self._blocks = _BLOCKS.get(suffix, ()) + (("/*",) if suffix in _C_SUFFIXES else ())
        self._state: list[str | None] | None = None  # per line: the block it starts inside

    def is_text(self, line: int, column: int) -> bool:
        if not self._known or not 1 <= line <= len(self._lines):
            return True
        if self._state is None:
            self._state = self._block_states()
        inside = self._state[line - 1]
        return self._scan(self._lines[line - 1], inside, column - 1)[0]

    def _block_states(self) -> list[str | None]:
        states: list[str | None] = []
        inside: str | None = None
        for text in self._lines:
            states.append(inside)
            inside = self._scan(text, inside, len(text))[1]
        return states

    def _scan(self, line: str, inside: str | None, stop: int) -> tuple[bool, str | None]:
        """(is `stop` in text, the block open at the end of the scanned part)."""
        i, quote = 0, None
        while i < stop:
            if inside is not None:  # a block comment or a triple-quoted string
                end = "*/" if inside == "/*" else inside
                close = line.find(end, i)
                if close < 0 or close >= stop:
                    return True, inside
                i, inside = close + len(end), None
                continue
            c = line[i]
            if quote is not None:
                if c == "\\":
                    i += 2
                    continue
                if c == quote:
                    quote = None
                i += 1
                continue
            opened = next((b for b in self._blocks if line.startswith(b, i)), None)
            if opened is not None:
                inside, i = opened, i + len(opened)
                continue
            if any(line.startswith(m, i) for m in self._line_comments):
                return True, None
            if c in "\"'`":
                quote = c
            i += 1
        return quote is not None or inside is not None, inside


_C_SUFFIXES = frozenset(
    ".js .mjs .cjs .jsx .ts .tsx .java .kt .kts .scala .go .c .h .cc .cpp .hpp .cs .swift "
    ".php .rs .dart".split()
)
