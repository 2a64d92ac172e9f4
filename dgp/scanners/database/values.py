"""What the sampled values of a column are, through the shared engine, and what a
password column holds (by the shape of its values).

Values are read in batches: one detector pass over the values of a column, each on a
line of its own after the column's name (so "bsn: 111222333" has its context word).
The engine's time goes where an entity can be: each distinct value of a column is read
once (its count weighs its matches), and values that can be none of the engine's
entities skip it: plain numbers of fewer than 8 digits (ids, amounts, house numbers:
every numeric entity has 8 digits or more) and, in a column whose name says nothing,
ISO dates and times (a date is a date of birth only by its context).
Only counts, the strongest confidence and a few MASKED examples leave this module:
never a value.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from dgp.domain.evidence import mask
from dgp.engine.detector import Detector
from dgp.scanners.database.columns import CATEGORIES, Category, classify_name, words

# engine rule -> column category
ENTITY_CATEGORY = {
    "pii.bsn": "bsn",
    "pii.email": "email",
    "pii.phone": "phone",
    "pii.iban": "iban",
    "pii.payment_card": "payment_card",
    "pii.postcode": "postcode",
    "pii.date_of_birth": "date_of_birth",
    "pii.id_document": "id_document",
    "pii.ip_address": "ip_address",
    "pii.name": "name",
    "special.health": "health",
    "special.religion": "religion",
    "special.ethnicity": "ethnicity",
    "special.political": "political",
    "special.union": "trade_union",
    "special.sexual_orientation": "sexual_orientation",
    "special.genetic": "genetic",
    "special.biometric": "biometric",
    "special.criminal": "criminal",
}
# Detections below the scan's min_confidence count only for entities with a checksum,
# and only when nearly every value validates: 1 in 11 random 9-digit numbers passes the
# 11-proef, so a column of 9-digit numbers of which 80 % pass is a column of BSNs.
CHECKSUM_ONLY = frozenset({"pii.bsn"})
CHECKSUM_SHARE = 0.8
MIN_MATCHED = 3  # fewer matched values than this prove nothing about a column
EXAMPLES = 3
BATCH_CHARS = 256 * 1024
# the fewest digits of a numeric entity: a phone number (8), a BSN (9, 8 with its leading
# zero lost), a payment card (13); an IP address has three dots, a plain number at most one
ENTITY_DIGITS = 8
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_CLOCK = r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
_ISO_TIME = re.compile(
    rf"(?:\d{{4}}-\d{{2}}-\d{{2}}(?:[ T]{_CLOCK})?|{_CLOCK})(?:Z|[+-]\d{{2}}(?::?\d{{2}})?)?"
)


@dataclass
class EntityCount:
    matched: int = 0
    confidence: float = 0.0
    low_confidence: bool = True  # only detections below the scan's min_confidence
    examples: list[str] = field(default_factory=list)  # masked


@dataclass
class ColumnValues:
    """What the sample of one column showed."""

    sampled: int = 0  # non-empty values looked at
    entities: dict[str, EntityCount] = field(default_factory=dict)  # engine rule -> count

    def best(self, min_share: float) -> tuple[Category, float, EntityCount] | None:
        """The category most values validate as, its share, and its count; None when no
        entity reaches `min_share` (or the stricter bar of checksum-only matches)."""
        best: tuple[Category, float, EntityCount] | None = None
        for rule_id, count in self.entities.items():
            if self.sampled == 0 or count.matched < min(MIN_MATCHED, self.sampled):
                continue
            share = count.matched / self.sampled
            needed = CHECKSUM_SHARE if count.low_confidence else min_share
            if count.low_confidence and rule_id not in CHECKSUM_ONLY:
                continue
            if share >= needed and (best is None or share > best[1]):
                best = (CATEGORIES[ENTITY_CATEGORY[rule_id]], share, count)
        return best


def classify_values(
    detector: Detector, column: str, values: Iterable[str], min_confidence: float
) -> ColumnValues:
    """Run the engine over a column's sampled values (as text). The column's name is the
    values' context only when it names a category: an unrelated name ("klant_ref") would
    count against them."""
    result = ColumnValues()
    named = classify_name(column) is not None
    context = " ".join(words(column)) if named else "value"
    distinct: dict[str, int] = {}  # value -> how often it was sampled, in sampled order
    for value in values:
        text = " ".join(value.split())
        if not text:
            continue
        if len(text) == 8 and text.isdigit():
            text = "0" + text  # a BSN kept as a number loses its leading zero
        result.sampled += 1
        distinct[text] = distinct.get(text, 0) + 1
    batch: list[str] = []
    size = 0
    for text in distinct:
        if not could_be_entity(text, named):
            continue
        batch.append(text)
        size += len(text) + len(context) + 3
        if size >= BATCH_CHARS:
            _detect(detector, context, batch, distinct, result, min_confidence)
            batch, size = [], 0
    if batch:
        _detect(detector, context, batch, distinct, result, min_confidence)
    return result


def could_be_entity(text: str, named: bool) -> bool:
    """False for a value the engine can find no entity in (see the module's docstring);
    `named`: the column's name names a category, so a date may be a date of birth."""
    if _PLAIN_NUMBER.fullmatch(text):
        return sum(c.isdigit() for c in text) >= ENTITY_DIGITS
    return named or _ISO_TIME.fullmatch(text) is None


def _detect(
    detector: Detector,
    context: str,
    batch: list[str],
    weights: dict[str, int],
    out: ColumnValues,
    min_confidence: float,
) -> None:
    prefix = f"{context}: "
    starts, lines, pos = [], [], 0
    for text in batch:
        starts.append(pos + len(prefix))
        lines.append(prefix + text)
        pos += len(prefix) + len(text) + 1
    seen: set[tuple[int, str]] = set()  # (line, rule): a value counts once per entity
    for det in detector.detect("\n".join(lines)):
        category = ENTITY_CATEGORY.get(det.rule_id)
        line = bisect.bisect_right(starts, det.start) - 1
        if category is None or line < 0 or det.start < starts[line]:
            continue  # not an entity of a column, or found in the column's name
        if (line, det.rule_id) in seen:
            continue
        seen.add((line, det.rule_id))
        count = out.entities.setdefault(det.rule_id, EntityCount())
        count.matched += weights[batch[line]]
        count.confidence = max(count.confidence, det.confidence)
        count.low_confidence = count.low_confidence and det.confidence < min_confidence
        if len(count.examples) < EXAMPLES and not det.rule_id.startswith("special."):
            count.examples.append(mask(det.value))


# -- passwords ---------------------------------------------------------------------------

SLOW_HASH = re.compile(
    r"^(?:\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}"  # bcrypt
    r"|\$argon2(?:id|i|d)\$\S+"  # argon2
    r"|\$(?:scrypt|7)\$\S+|scrypt:\S+"  # scrypt (and werkzeug's)
    r"|\$(?:5|6)\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}"  # sha-crypt
    r"|(?:pbkdf2[_:-]?sha(?:1|256|512)|pbkdf2)[$:]\S+"  # Django, werkzeug, passlib
    r"|\$pbkdf2(?:-sha\d+)?\$\S+"
    r"|\{(?:SSHA|SSHA256|SSHA512|CRYPT|ARGON2|PBKDF2[-_A-Z0-9]*)\}\S+"  # LDAP, salted
    r"|SCRAM-SHA-256\$\S+)$"  # PostgreSQL
)
FAST_HASH = re.compile(
    r"^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{128}"  # md5 sha1 sha2
    r"|\*[0-9A-F]{40}"  # MySQL PASSWORD()
    r"|\{(?:MD5|SHA|SHA256|SHA512)\}[A-Za-z0-9+/=]+"  # LDAP, unsalted
    r"|md5[0-9a-f]{32}"  # PostgreSQL's old md5 (salted with the user name only)
    r"|[A-Za-z0-9+/]{22}==|[A-Za-z0-9+/]{27}=|[A-Za-z0-9+/]{43}=)$"  # base64 md5 sha1 sha256
)
FAST_NAMES = {32: "MD5", 40: "SHA-1", 64: "SHA-256", 128: "SHA-512"}


@dataclass
class PasswordShapes:
    sampled: int = 0
    slow: int = 0
    fast: int = 0
    plain: int = 0
    fast_kinds: dict[str, int] = field(default_factory=dict)

    def verdict(self) -> str | None:
        """ "plain", "fast" or None (hashed slowly, or too few values to say)."""
        if self.sampled < MIN_MATCHED:
            return None
        if self.plain / self.sampled >= 0.2:
            return "plain"
        if self.fast / self.sampled >= 0.5:
            return "fast"
        return None


def password_shapes(values: Iterable[str]) -> PasswordShapes:
    shapes = PasswordShapes()
    for value in values:
        value = value.strip()
        if not value:
            continue
        shapes.sampled += 1
        if SLOW_HASH.match(value):
            shapes.slow += 1
        elif FAST_HASH.match(value):
            shapes.fast += 1
            kind = _fast_kind(value)
            shapes.fast_kinds[kind] = shapes.fast_kinds.get(kind, 0) + 1
        else:
            shapes.plain += 1
    return shapes


def _fast_kind(value: str) -> str:
    if value.startswith("*"):
        return "MySQL PASSWORD() (SHA-1)"
    if value.startswith("md5"):
        return "PostgreSQL md5"
    if value.startswith("{"):
        return value[1 : value.index("}")]
    if value.endswith("="):
        return {24: "MD5", 28: "SHA-1", 44: "SHA-256"}.get(len(value), "hash")
    return FAST_NAMES.get(len(value), "hash")
