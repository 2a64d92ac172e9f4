"""A credential a scan needs (database password, API or git token, basic auth), decrypted.

It exists in plain text only in the process that scans, for the scan that uses it.
Its value is a `Secret`: printing, formatting, logging or repr-ing a credential (or
a ScanInputs that holds one) shows a placeholder, never the value, and it cannot be
pickled or turned into JSON by accident. The one way to the value is `reveal()`,
easy to find in a review.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NoReturn

HIDDEN = "********"
REDACTED = "[credential]"  # what a leaked value is replaced by in messages
MAX_SECRET = 16 * 1024  # characters: a PEM key or a service-account JSON fits
MAX_NAME = 200


class CredentialKind(StrEnum):
    DATABASE_PASSWORD = "database_password"
    API_TOKEN = "api_token"
    GIT_TOKEN = "git_token"
    BASIC_AUTH = "basic_auth"  # the secret is "user:password" (RFC 7617's user-pass)

    @classmethod
    def parse(cls, text: str) -> CredentialKind:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(k.value for k in cls)
            raise ValueError(f"unknown credential kind {text!r} (one of: {names})") from None


class Secret:
    """A value that does not show itself; compare with ==, read with reveal()."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("a secret is a string")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        """`text` with every occurrence of the value replaced: for messages that came
        from outside (a tool's stderr) and might echo it."""
        return text.replace(self._value, REDACTED) if self._value else text

    def __repr__(self) -> str:
        return f"Secret({HIDDEN})"

    def __str__(self) -> str:
        return HIDDEN

    def __format__(self, spec: str) -> str:
        return HIDDEN

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(Secret)  # equal secrets must hash alike; the value must not leak by it

    def __len__(self) -> int:
        return len(self._value)

    def __copy__(self) -> Secret:  # immutable: a copy is the same value
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret is not pickled: it would leave the process in plain text")

    def __getstate__(self) -> NoReturn:
        raise TypeError("a Secret is not serialised")


def scrubbed(value: Any, credential: Credential) -> Any:
    """A copy of `value` (text, or lists and dicts of it, as to_dict gives) with the
    credential's secret replaced wherever it occurs: the last guard before a result
    is stored."""
    if isinstance(value, str):
        return credential.scrub(value)
    if isinstance(value, dict):
        return {k: scrubbed(v, credential) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrubbed(v, credential) for v in value]
    return value


def check_secret(value: str) -> str:
    """The value as stored: not empty, not huge, no NUL (Postgres text refuses it)."""
    if not isinstance(value, str) or not value:
        raise ValueError("a credential needs a non-empty secret")
    if len(value) > MAX_SECRET:
        raise ValueError(f"a secret may be at most {MAX_SECRET} characters")
    if "\x00" in value:
        raise ValueError("a secret may not contain NUL characters")
    return value


def check_name(name: str) -> str:
    label = name.strip() if isinstance(name, str) else ""
    if not label or len(label) > MAX_NAME or any(c in label for c in "\x00\r\n"):
        raise ValueError(f"a credential needs a name of 1 to {MAX_NAME} characters on one line")
    return label


@dataclass(frozen=True)
class Credential:
    """A decrypted credential, as the worker hands it to a scanner (ScanInputs)."""

    id: str
    name: str
    kind: CredentialKind
    secret: Secret

    def basic_auth(self) -> tuple[str, Secret]:
        """User and password of a basic_auth credential ("user:password")."""
        if self.kind is not CredentialKind.BASIC_AUTH:
            raise ValueError(f"credential {self.id} is a {self.kind}, not basic_auth")
        user, colon, password = self.secret.reveal().partition(":")
        if not colon:
            raise ValueError(f"credential {self.id} is not of the form user:password")
        return user, Secret(password)

    def scrub(self, text: str) -> str:
        """`text` without the secret, nor (basic_auth) the password on its own."""
        text = self.secret.scrub(text)
        if self.kind is CredentialKind.BASIC_AUTH:
            _, colon, password = self.secret.reveal().partition(":")
            if colon and password:
                text = Secret(password).scrub(text)
        return text

    def to_dict(self) -> dict[str, Any]:
        """What may be shown: never the secret."""
        return {"id": self.id, "name": self.name, "kind": self.kind.value}
