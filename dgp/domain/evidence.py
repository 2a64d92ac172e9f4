"""Masked evidence and keyed hashes: how a value is shown and tracked without storing it.

`mask` shows only a few characters; `ValueHasher` gives an HMAC-SHA256 of the
normalised value, so the same BSN written "111 222 333" or "111222333" is
tracked as one value across scans, and nobody without the key can test guesses.
"""

from __future__ import annotations

import hashlib
import hmac
import re

MASK = "*"
_SEPARATORS = re.compile(r"[\s.\-/()]")


def mask(value: str) -> str:
    """Keep a short prefix and suffix so a person can recognise the value, hide the rest."""
    value = value.strip()
    if "@" in value and not value.startswith("@"):
        local, _, domain = value.rpartition("@")
        tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
        return (
            f"{local[0]}{MASK * 3}@{MASK * 3}.{tld}" if tld else f"{local[0]}{MASK * 3}@{MASK * 3}"
        )
    n = len(value)
    if n <= 4:
        return MASK * n
    if n <= 8:
        return value[0] + MASK * (n - 1)
    head = min(4, n // 4)
    tail = min(3, n // 6)
    return value[:head] + MASK * (n - head - tail) + (value[n - tail :] if tail else "")


def normalise(value: str, rule_id: str) -> str:
    """One spelling per value, so equal values hash equal."""
    if rule_id in ("pii.email", "pii.name"):
        return " ".join(value.lower().split())
    if rule_id.startswith("pii."):
        return _SEPARATORS.sub("", value).upper()
    return value


class ValueHasher:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the value-hash key must be at least 16 bytes")
        self._key = key

    def __call__(self, value: str, rule_id: str) -> str:
        data = normalise(value, rule_id).encode("utf-8", "surrogatepass")
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()
