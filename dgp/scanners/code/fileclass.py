"""What kind of file a repository file is, and which findings fit it.

A source tree holds more than source: machine-readable API models and lock
files, translation catalogues, contributor lists, minified bundles, tests and
documentation. Every file is scanned, but each class with the rules that fit
it (issue 11, measured by bench/realcode.py on popular open-source
distributions: before this, 200 findings per MB, nearly all of them noise):

- Machine data (API models, schemas, lock files) describes an interface or
  pins packages: its capitalised words are type and field names, its links
  documentation, its "password" keys field names, its hashes no secrets. Only
  values with a format of their own count there: provider keys and tokens, and
  personal values, which are examples, summed up per file.
- Translation catalogues name their translators, contributor lists (AUTHORS,
  CONTRIBUTORS) the project's people: one finding per list, or per folder of
  catalogues, says so, instead of one per name and address.
- Minified bundles are built from other files: their secrets and personal
  values still count; names, special-category words and code patterns there
  are identifiers and library code.
- Tests, examples and documentation hold examples: key material there is still
  reported, with a lower severity and the reason; personal values there are
  test data, summed up per file and rule with the reason; code anti-patterns
  and special-category words there are tests of code and prose about it.
- In source code a person's name stands in a comment or a string, never in an
  identifier (`DevEnvironment`, `CertificateManager`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import PurePosixPath

from dgp.domain.finding import Location
from dgp.domain.severity import Severity
from dgp.engine.rules import RULES
from dgp.engine.secrets.paths import FIXTURE_CONFIDENCE_FACTOR, fixture_reason
from dgp.scanners.code.regions import CodeRegions
from dgp.scanners.code.rules import CONTRIBUTOR_LIST, is_manifest
from dgp.scanners.session import Hit

SNIFF_CHARS = 4096
MINIFIED_LINE = 1000  # a bundle's lines are this long; hand-written code's are not
EXAMPLE_CONFIDENCE_FACTOR = FIXTURE_CONFIDENCE_FACTOR  # values there: most likely made up


class FileClass(StrEnum):
    SOURCE = "source"
    TEST = "test file or fixture"
    EXAMPLE = "example or template file"
    DOCS = "documentation"
    MACHINE_DATA = "machine-readable data file"
    LOCALE = "translation catalogue"
    CONTRIBUTORS = "contributor list"
    MINIFIED = "minified bundle"


_CONTRIBUTOR_STEMS = frozenset(
    "authors contributors maintainers credits thanks committers codeowners mailmap".split()
)
LOCALE_DIRS = frozenset("locale locales i18n l10n translations".split())
_LOCALE_SUFFIXES = frozenset({".po", ".pot"})
_LOCALE_CODE_SUFFIXES = frozenset({".js", ".mjs", ".ts", ".json"})
_DOC_DIRS = frozenset("doc docs documentation".split())
# the engine's reasons (dgp.engine.secrets.paths) for tests, examples and documentation
_EXAMPLE_REASONS = {
    "in a test file or fixture": FileClass.TEST,
    "in an example or template file": FileClass.EXAMPLE,
    "in documentation": FileClass.DOCS,
}
_DOC_SUFFIXES = frozenset({".md", ".rst", ".adoc", ".rdoc"})
_DOC_STEMS = frozenset("readme changelog changes history news pkg-info".split())
_LOCK_FILES = frozenset(
    """package-lock.json npm-shrinkwrap.json yarn.lock pnpm-lock.yaml poetry.lock pipfile.lock
    cargo.lock composer.lock gemfile.lock go.sum uv.lock pdm.lock packages.lock.json""".split()
)
_DATA_SUFFIXES = frozenset({".json", ".yaml", ".yml"})
_API_MODEL_NAME = re.compile(
    r"(?:service|paginators|waiters|endpoint-rule-set|examples|smoke)-\d+(?:\.sdk)?\.json$"
    r"|.*\.normal\.json$|endpoints\.json$|(?:openapi|swagger).*\.(?:json|ya?ml)$"
    r"|.*\.schema\.json$"
)
# the start of an API description or schema: AWS models, OpenAPI/Swagger, JSON Schema
_API_MODEL_HEAD = re.compile(
    r'"(?:shapes|operations|metadata)"\s*:|"(?:openapi|swagger)"\s*:|^(?:openapi|swagger):'
    r'|"\$schema"\s*:\s*"https?://json-schema\.org',
    re.MULTILINE,
)
_MINIFIED_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".css"})
# Drawings and certificate bundles: numbers there are coordinates and serials.
_DRAWING_AND_CERTIFICATE_SUFFIXES = frozenset({".svg", ".pem", ".crt", ".cer"})


def classify(relative: str, text: str) -> FileClass:
    """The class of the file at `relative` (as shown, "/"-separated) with content `text`
    (only its first SNIFF_CHARS characters are read)."""
    path = PurePosixPath(relative.replace("!/", "/"))
    name = path.name.lower()
    folders = {part.lower() for part in path.parts[:-1]}
    suffix = path.suffix.lower()
    stem = name.lstrip(".").split(".", 1)[0]
    if is_manifest(path.name):
        return FileClass.SOURCE  # dependencies: tracking SDKs are found there
    if stem in _CONTRIBUTOR_STEMS:
        return FileClass.CONTRIBUTORS
    if suffix in _LOCALE_SUFFIXES or (folders & LOCALE_DIRS and suffix in _LOCALE_CODE_SUFFIXES):
        return FileClass.LOCALE
    head = text[:SNIFF_CHARS]
    if name in _LOCK_FILES or (
        suffix in _DATA_SUFFIXES
        and (_API_MODEL_NAME.match(name) or _API_MODEL_HEAD.search(head) is not None)
    ):
        return FileClass.MACHINE_DATA
    if suffix in _MINIFIED_SUFFIXES and (".min." in name or _long_lines(head)):
        return FileClass.MINIFIED
    example = _EXAMPLE_REASONS.get(fixture_reason(str(path)) or "")
    if example is not None:
        return example
    if folders & _DOC_DIRS or suffix in _DOC_SUFFIXES or stem in _DOC_STEMS:
        return FileClass.DOCS
    if suffix in _DRAWING_AND_CERTIFICATE_SUFFIXES:
        return FileClass.MACHINE_DATA
    return FileClass.SOURCE


def _long_lines(head: str) -> bool:
    lines = head.split("\n")
    return max(map(len, lines), default=0) >= MINIFIED_LINE or (
        len(head) >= SNIFF_CHARS and len(lines) <= 3
    )


# -- what each class keeps -----------------------------------------------------------------

# Secret rules without a format of their own: a name and a value, or a long random string.
# In machine data and bundles they meet field names and hashes, not credentials.
FORMAT_FREE_SECRETS = frozenset({"secret.password_assignment", "secret.high_entropy"})
_PEOPLE = frozenset({"pii.email", "pii.name"})
_EXAMPLE_CLASSES = frozenset({FileClass.TEST, FileClass.EXAMPLE, FileClass.DOCS})
_LOWER = {  # two steps down, never below low: still listed, no longer a blocker
    Severity.CRITICAL: Severity.MEDIUM,
    Severity.HIGH: Severity.LOW,
    Severity.MEDIUM: Severity.LOW,
}
_NOUNS = {
    "pii.email": "e-mail addresses",
    "pii.name": "person names",
    "pii.phone": "phone numbers",
    "pii.ip_address": "IP addresses",
    "pii.iban": "IBANs",
    "pii.payment_card": "payment card numbers",
    "pii.bsn": "BSNs",
    "pii.date_of_birth": "dates of birth",
}


@dataclass(frozen=True)
class Policy:
    """What a file class keeps of the hits found in one file."""

    file_class: FileClass

    def apply(self, hits: Sequence[Hit], text: str, shown: str) -> list[Hit]:
        fc = self.file_class
        if fc is FileClass.SOURCE:
            return _in_source(hits, text, shown)
        if fc in (FileClass.LOCALE, FileClass.CONTRIBUTORS):
            return _credits(hits, shown, fc)
        family = _family
        if fc is FileClass.MINIFIED:
            return [
                h
                for h in hits
                if (family(h) == "secret" and h.rule_id not in FORMAT_FREE_SECRETS)
                or (family(h) == "pii" and h.rule_id != "pii.name")
            ]
        if fc is FileClass.MACHINE_DATA:
            secrets = [
                h for h in hits if family(h) == "secret" and h.rule_id not in FORMAT_FREE_SECRETS
            ]
            values = [h for h in hits if family(h) == "pii" and h.rule_id != "pii.name"]
            return secrets + summed_up(values, fc)
        # tests, examples, documentation
        secrets = [lowered(h, fc) for h in hits if family(h) == "secret"]
        values = [h for h in hits if family(h) == "pii"]
        return secrets + summed_up(values, fc)


def _family(hit: Hit) -> str:
    return hit.rule_id.split(".", 1)[0]


# Code patterns that start at code: in a comment or a docstring they are prose about code.
_CODE_ONLY = frozenset({"code.pii_in_log", "code.weak_password_hash"})


def _in_source(hits: Sequence[Hit], text: str, shown: str) -> list[Hit]:
    """Everything, but names only in comments and strings, code patterns only in code,
    and no special-category word that is part of a person's name ("Christian Heimes")."""
    regions: CodeRegions | None = None
    names = [h.location for h in hits if h.rule_id == "pii.name"]
    kept = []
    for hit in hits:
        where = hit.location
        if hit.rule_id == "pii.name" or hit.rule_id in _CODE_ONLY:
            if where.line is not None:
                regions = regions or CodeRegions(text, shown)
                in_text = regions.is_text(where.line, where.column or 1)
                if in_text is (hit.rule_id in _CODE_ONLY):
                    continue  # an identifier, not a person; a comment about code
        elif hit.rule_id.startswith("special.") and any(_within(where, n) for n in names):
            continue  # a name, not a religion or a condition
        kept.append(hit)
    return kept


def _within(inner: Location, outer: Location) -> bool:
    if inner.line != outer.line or inner.column is None or outer.column is None:
        return False
    return outer.column <= inner.column < (outer.end_column or outer.column + 1)


def lowered(hit: Hit, fc: FileClass) -> Hit:
    """A secret in a test, example or documentation file: kept, lower, with the reason
    (the engine's note when the path told it; this class's otherwise, e.g. a README)."""
    rule = RULES[hit.rule_id]
    severity = _LOWER.get(rule.severity, rule.severity)
    if fixture_reason(hit.location.path) is not None:
        return replace(hit, severity=severity)  # find_hits noted it already
    description = (
        f"{hit.description or rule.description} Found in a {fc.value}, so reported lower: "
        "probably an example, but rotate it if it ever was real."
    )
    confidence = round(hit.confidence * EXAMPLE_CONFIDENCE_FACTOR, 2)
    return replace(hit, severity=severity, description=description, confidence=confidence)


def summed_up(hits: Sequence[Hit], fc: FileClass) -> list[Hit]:
    """Personal values in tests, examples, documentation and machine data are examples:
    one finding per rule and file, at its first value, with the count and the reason."""
    by_rule: dict[str, list[Hit]] = {}
    for hit in hits:
        by_rule.setdefault(hit.rule_id, []).append(hit)
    summed = []
    for rule_id, group in by_rule.items():
        first, rule = group[0], RULES[rule_id]
        noun = _NOUNS.get(rule_id, f"values of {rule_id}")
        more = f" and {len(group) - 1} more" if len(group) > 1 else ""
        description = (
            f"{len(group)} {noun} in a {fc.value}: most likely made-up examples or test data. "
            f"{rule.description} Check that none belongs to a real person."
        )
        summed.append(
            replace(
                first,
                evidence=f"{first.evidence}{more}",
                confidence=round(first.confidence * EXAMPLE_CONFIDENCE_FACTOR, 2),
                severity=_LOWER.get(rule.severity, rule.severity),
                description=description,
            )
        )
    return summed


def _credits(hits: Sequence[Hit], shown: str, fc: FileClass) -> list[Hit]:
    """Names and e-mail addresses become one finding for the list; secrets stay, and
    values with a format of their own (an IBAN in a catalogue) are summed up."""
    people = [h for h in hits if h.rule_id in _PEOPLE]
    kept = [h for h in hits if _family(h) == "secret"]
    kept += summed_up(
        [h for h in hits if _family(h) == "pii" and h.rule_id not in _PEOPLE], FileClass.DOCS
    )
    if people:
        emails = sum(1 for h in people if h.rule_id == "pii.email")
        credit = Credit(1, len(people) - emails, emails)
        where = "translator credits" if fc is FileClass.LOCALE else "a contributor list"
        first = people[0].location
        location = Location(path=first.path, line=first.line, column=1, end_column=1)
        kept.insert(
            0,
            Hit(
                CONTRIBUTOR_LIST,
                location,
                people[0].value_hash,
                credit.evidence(),
                0.9,
                f"{where.capitalize()} ({shown.rsplit('/', 1)[-1]}): {credit.evidence()} "
                "of the people who worked on the project.",
            ),
        )
    return kept


# -- translator credits, one finding per folder of catalogues ------------------------------


@dataclass(frozen=True)
class Credit:
    files: int
    names: int
    emails: int

    def evidence(self) -> str:
        files = f"{self.files} catalogue{'s' if self.files != 1 else ''}: "
        return (
            f"{files if self.files > 1 else ''}{self.names} name{'s' if self.names != 1 else ''}"
            f", {self.emails} e-mail address{'es' if self.emails != 1 else ''}"
        )


def locale_root(path: str) -> str | None:
    """The folder of catalogues a translation catalogue belongs to ("django/conf/locale"),
    None for a file that is not one."""
    if classify(path, "") is not FileClass.LOCALE:
        return None
    parts = path.split("/")
    for i in range(len(parts) - 2, -1, -1):
        if parts[i].lower() in LOCALE_DIRS:
            return "/".join(parts[: i + 1])
    return "/".join(parts[:-1]) or "."


@dataclass
class CreditsLedger:
    """Translator credits of a scan, summed up per folder of catalogues: a project with a
    hundred languages gets one finding per folder, not one per catalogue."""

    _first: dict[str, Hit] = field(default_factory=dict)
    _counts: dict[str, list[int]] = field(default_factory=dict)  # files, names, e-mails

    def take(self, hits: Sequence[Hit]) -> list[Hit]:
        """`hits` without the translator credits, which the ledger keeps."""
        kept = []
        for hit in hits:
            root = locale_root(hit.location.path or "") if hit.rule_id == CONTRIBUTOR_LIST else None
            if root is None:
                kept.append(hit)
                continue
            self._first.setdefault(root, hit)
            counts = self._counts.setdefault(root, [0, 0, 0])
            names, emails = _counted(hit.evidence)
            counts[0] += 1
            counts[1] += names
            counts[2] += emails
        return kept

    def hits(self) -> list[Hit]:
        out = []
        for root, first in self._first.items():
            credit = Credit(*self._counts[root])
            description = (
                f"Translator credits in the translation catalogues under {root}/: "
                f"{credit.evidence()} of the people who translated the project."
            )
            out.append(replace(first, evidence=credit.evidence(), description=description))
        return out


def _counted(evidence: str) -> tuple[int, int]:
    numbers = [int(n) for n in re.findall(r"\d+", evidence)]
    return (numbers[-2], numbers[-1]) if len(numbers) >= 2 else (0, 0)
