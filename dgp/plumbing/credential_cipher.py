"""Encryption of stored credentials: AES-256-GCM with keys from secrets.conf.

Why this shape:
- AES-GCM (the `cryptography` package) is authenticated: a changed byte of a
  stored value fails to decrypt instead of giving another secret.
- A random 96-bit nonce per value (GCM's standard size); a key can seal far more
  values than a credentials table will ever hold before random nonces could repeat
  (NIST SP 800-38D allows 2^32 per key).
- The associated data binds the value to its row id, organisation and kind, so a
  ciphertext copied into another row or another organisation's row (by someone with
  write access to the database but not the key) does not decrypt.
- Each row records the id of the key that sealed it. The id is derived from the key
  (a hash of it, which tells nothing about the key), so an operator never names keys
  and a wrong key can never carry the right id: a host with the wrong key says which
  key id it lacks, instead of failing somewhere in the middle.
- Rotation: the new key becomes `credentials_key`, the old one moves to
  `credentials_old_keys`, and `dgp credentials rotate-key` re-seals every row with
  the current key; then the old key can go.

`cryptography` is imported on first use, not with this module: it costs 13 ms and
7 MiB, and every `dgp` process imports the worker and the store (the janitor, run
every minute, and a scanner whose scans use no credential never need it).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dgp.domain.credential import CredentialKind

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from dgp.plumbing.settings import Settings

NONCE_BYTES = 12  # 96 bits
KEY_BYTES = 32  # AES-256
_AAD_LABEL = b"dgp-credential/v1"
_KEY_ID_LABEL = b"dgp-credentials-key-id/v1\x00"


class CredentialKeyError(ValueError):
    """A credential cannot be sealed or opened; the message names the credential and
    the key id, never a secret. A ValueError: retrying the same job cannot help."""


class KeyNotConfigured(CredentialKeyError):
    """The key a credential needs is not in this host's secrets.conf (or none is set)."""


class CredentialUnreadable(CredentialKeyError):
    """The key is there but the value does not decrypt: it was altered, or moved from
    another row or organisation."""


@dataclass(frozen=True)
class Sealed:
    """A credential's value as stored."""

    key_id: str
    nonce: bytes
    ciphertext: bytes  # with GCM's 16-byte tag at the end


@dataclass(frozen=True)
class Binding:
    """Where a sealed value belongs: it opens only there."""

    credential_id: str
    organisation_id: str
    kind: CredentialKind

    def associated_data(self) -> bytes:
        parts = (self.credential_id, self.organisation_id, self.kind.value)
        return b"\x00".join((_AAD_LABEL, *(p.encode() for p in parts)))


def key_id(key: bytes) -> str:
    """A short public name of a key: 16 hex digits of a labelled SHA-256 of it."""
    return hashlib.sha256(_KEY_ID_LABEL + key).hexdigest()[:16]


class CredentialCipher:
    """The current key seals; the current and the old keys open (by key id)."""

    def __init__(self, current: bytes | None, old: Sequence[bytes] = ()) -> None:
        for key in (current, *old):
            if key is not None and len(key) != KEY_BYTES:
                raise ValueError(f"a credentials key is {KEY_BYTES} bytes")
        self._current = (key_id(current), current) if current else None
        self._keys = {key_id(k): k for k in (*old, *((current,) if current else ()))}

    @classmethod
    def from_settings(cls, settings: Settings) -> CredentialCipher:
        return cls(settings.credentials_key, settings.credentials_old_keys)

    @property
    def current_key_id(self) -> str | None:
        return self._current[0] if self._current else None

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def seal(self, secret: str, binding: Binding) -> Sealed:
        if self._current is None:
            raise KeyNotConfigured(
                "no credentials_key is set on this host (secrets.conf or "
                "DGP_CREDENTIALS_KEY): credentials cannot be stored"
            )
        current_id, key = self._current
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = _aead(key).encrypt(nonce, secret.encode("utf-8"), binding.associated_data())
        return Sealed(current_id, nonce, ciphertext)

    def open(self, sealed: Sealed, binding: Binding) -> str:
        key = self._keys.get(sealed.key_id)
        if key is None:
            known = ", ".join(sorted(self._keys)) or "none"
            raise KeyNotConfigured(
                f"credential {binding.credential_id} was encrypted with key id "
                f"{sealed.key_id}, which is not configured on this host (credentials_key "
                f"or credentials_old_keys in secrets.conf; this host has: {known})"
            )
        from cryptography.exceptions import InvalidTag

        try:
            plain = _aead(key).decrypt(sealed.nonce, sealed.ciphertext, binding.associated_data())
        except (InvalidTag, ValueError):  # ValueError: a nonce of the wrong size
            raise CredentialUnreadable(
                f"credential {binding.credential_id} does not decrypt with key id "
                f"{sealed.key_id}: its stored value was altered or moved from another row"
            ) from None
        return plain.decode("utf-8")

    def needs_reseal(self, sealed: Sealed) -> bool:
        """Whether `sealed` is under another key than the current one (rotation)."""
        return self._current is not None and sealed.key_id != self._current[0]


def _aead(key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)
