"""High-entropy strings: reported only where their name or context says secret.

A random-looking string alone is a build hash, a cache key, an image digest or
a test fixture far more often than a credential; with a name such as
`signing_key` or `session_secret` (and not `public_key`) it is worth a look.
"""

from __future__ import annotations

import re

from dgp.engine.patterns import PatternSpec
from dgp.engine.secrets.assignments import character_classes, entropy
from dgp.engine.secrets.placeholders import is_placeholder, is_public_token
from dgp.engine.secrets.providers import provider_prefixed

HIGH_ENTROPY_FLOOR = 4.0  # bits per character (32 random base62 characters average ~4.6)
CONTEXT_REACH = 80  # characters before the opening quote searched for a name

_SECRET_WORDS = (
    "key", "secret", "token", "passw", "pwd", "credential", "auth", "signature", "signing",
    "salt", "hmac", "session", "cookie", "bearer", "cipher", "encrypt", "decrypt", "license",
    "licence", "webhook", "dsn",
)  # fmt: skip
_NOT_SECRET = (
    "public", "publishable", "pubkey", "pub_key", "checksum", "integrity", "digest", "sha1",
    "sha256", "sha384", "sha512", "md5", "hash", "etag", "commit", "revision", "nonce", "uuid",
    "guid", "requestid", "request_id", "trace", "span", "cachekey", "cache_key", "sortkey",
    "sort_key", "primarykey", "primary_key", "foreignkey", "foreign_key", "partitionkey",
    "partition_key", "objectkey", "object_key", "idempotency", "cursor", "nexttoken",
    "next_token", "pagetoken", "page_token", "fingerprint", "thumbprint", "image", "keyboard",
    "keyword", "monkey", "turkey", "hockey", "donkey",
)  # fmt: skip
# The name a value is assigned to, read backwards from the opening quote (so the regex
# is anchored where the value starts): `name = "`, `"name": "`, `name: Type = "`,
# `key="name" value="`; without a name, the call the value is passed to: `hmac.new("`.
_ASSIGNED_NAME_REVERSED = re.compile(
    r"(?:[rbuf]{1,2}|@)?[ \t]*(?:"
    r"=[ \t]*eulav[ \t]+\"(?P<attr>[^\"]{1,80})\"[ \t]*=[ \t]*(?:yek|eman)"
    r"|(?:>=|=:|==|=|:)[ \t]*(?:[\w.<>\[\]?]{1,40}&?[ \t]*:[ \t]*)?[\"'\]]{0,2}"
    r"(?P<name>[A-Za-z0-9_.$@-]{1,80})"
    r"|(?:,[^()]{0,60})?\((?P<call>[\w.]{1,60})"
    r")"
)


def _secret_like(words: str) -> bool:
    low = words.lower()
    return any(w in low for w in _SECRET_WORDS) and not any(w in low for w in _NOT_SECRET)


def secret_context(text: str, quote: int) -> bool:
    """The value's name says secret (and not public), or, without a name, the call it is
    passed to does (`hmac.new("...")`, `login(user, "...")`)."""
    line_start = text.rfind("\n", max(0, quote - CONTEXT_REACH), quote) + 1
    before = text[max(line_start, quote - CONTEXT_REACH) : quote][::-1]
    found = _ASSIGNED_NAME_REVERSED.match(before)
    if found is None:
        return False
    words = found.group("attr") or found.group("name") or found.group("call")
    return _secret_like(words[::-1])


def _high_entropy(text: str, start: int, end: int) -> float | None:
    value = text[start:end]
    if provider_prefixed(value) or is_public_token(value):  # the provider rules judge those
        return None
    if character_classes(value.strip("+/=_-")) < 3 or entropy(value) < HIGH_ENTROPY_FLOOR:
        return None
    if not secret_context(text, start - 1) or is_placeholder(value):
        return None
    return 0.6


# The matcher only wakes up for a quoted random string under a secret word (a name or a
# call); `secret_context` then reads the actual name.
_TRIGGER_WORDS = (
    r"(?:key|secret|token|passw|pwd|credential|auth|signature|signing|salt|hmac|session"
    r"|cookie|bearer|cipher|encrypt|decrypt|license|licence|webhook|dsn)"
)
ENTROPY_PATTERNS: tuple[PatternSpec, ...] = (
    PatternSpec(
        "secret.high_entropy",
        # no dash in the first 32 characters: UUIDs (quoted everywhere in code) never start one
        _TRIGGER_WORDS + r"[A-Za-z0-9_.\-\]\"' \t:=>(,&<\[?]{0,60}[\"'][A-Za-z0-9+/_=]{32}",
        _high_entropy,
        caseless=True,
        python=r"[\"'][A-Za-z0-9+/_=]{32}",
        value=re.compile(r"[\"'](?P<v>[A-Za-z0-9+/_=\-]{32,200})[\"']"),
        priority=5,
    ),
)
