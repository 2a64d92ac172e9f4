"""Users, roles, API tokens and browser sessions in Postgres.

Passwords are kept as argon2id hashes (argon2-cffi), API tokens and session ids
only as SHA-256 digests: they are long random strings, so a fast hash is enough
and a copy of the database cannot be replayed as credentials. Lookups by a
secret are by digest (an index lookup), never by comparing secrets in Python.

What each role may do is listed here too (ROLE_SCOPES): token scopes can only
narrow a user's role, and the store refuses scopes nobody knows.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg2.errors
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dgp.plumbing.store.password_work import IdlePriorityHasher
from dgp.plumbing.store.pool import Database
from dgp.plumbing.store.prepared import Prepared
from dgp.plumbing.store.rows import clean, name_label, owned_row, uuid_or_none

ROLES = ("admin", "analyst", "viewer", "auditor")
SCOPES = (
    "scans:read",
    "scans:write",
    "findings:read",
    "findings:write",
    "audit:read",
    "users:read",
    "users:write",
    "tokens:write",
    "credentials:read",
    "credentials:write",
)
_READ = ("scans:read", "findings:read", "tokens:write")
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "analyst": frozenset(
        (*_READ, "scans:write", "findings:write", "credentials:read", "credentials:write")
    ),
    "viewer": frozenset(_READ),
    "auditor": frozenset((*_READ, "audit:read")),
}
TOKEN_PREFIX = "dgp_"
TOKEN_BYTES = 32  # token_urlsafe(32) gives 43 characters
SESSION_SECONDS = 8 * 3600
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes any length; bound the work a request can ask for
MAX_NAME = 200
_USER_COLUMNS = "id, organisation_id, email, role, disabled, created_at"
# accounts one address may have across organisations that a sign-in tries (each costs
# one argon2 check)
MAX_ACCOUNTS_PER_ADDRESS = 5


def _qualified(alias: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in _USER_COLUMNS.split(","))


# A token's user and scopes, and whether its last use is older than a minute.
_TOKEN_USER = Prepared(
    "dgp_token_user",
    "SELECT t.id, t.scopes, t.last_used_at IS NULL OR "
    "t.last_used_at < now() - interval '1 minute', "
    f"{', '.join('u.' + c for c in _USER_COLUMNS.split(', '))} "
    "FROM api_tokens t JOIN users u ON u.id = t.user_id "
    "WHERE t.token_hash = $1::text AND t.revoked_at IS NULL AND NOT u.disabled",
)


class UserExists(ValueError):
    """The e-mail address belongs to a user already (HTTP 409)."""


class AmbiguousLogin(ValueError):
    """The address and password match accounts in several organisations."""


class LastAdmin(ValueError):
    """The change would leave the organisation without an enabled admin (HTTP 409)."""


@dataclass(frozen=True)
class User:
    id: str
    organisation_id: str
    email: str
    role: str
    disabled: bool
    created_at: datetime

    @property
    def scopes(self) -> frozenset[str]:
        return ROLE_SCOPES.get(self.role, frozenset())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "organisation": self.organisation_id,
            "email": self.email,
            "role": self.role,
            "disabled": self.disabled,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown of an API token: never the token nor its hash."""

    id: str
    user_id: str
    name: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "user": self.user_id,
            "name": self.name,
            "scopes": list(self.scopes),
            "created_at": self.created_at.isoformat(),
            "last_used_at": when(self.last_used_at),
            "revoked_at": when(self.revoked_at),
        }


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (one of: {', '.join(ROLES)})")
    return role


def check_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = sorted(set(scopes))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)} (known: {', '.join(SCOPES)})")
    return wanted


def _check_email(email: str) -> str:
    value = email.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or len(value) > 320 or any(c.isspace() for c in value):
        raise ValueError("not an e-mail address")
    return value


def _check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValueError(f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


def _user(row: tuple[Any, ...]) -> User:
    return User(str(row[0]), str(row[1]), row[2], row[3], bool(row[4]), row[5])


class PasswordWorkBusy(Exception):
    """Every password-hashing slot of this process is taken: try again in a moment."""


# argon2 checks at once per process. Each costs tens of milliseconds of CPU and 64 MiB;
# a request that finds every slot taken is refused at once (429) instead of waiting,
# so a flood of sign-ins never takes every web thread from the other requests.
PASSWORD_WORK_AT_ONCE = 2


class UserStore:
    def __init__(
        self,
        db: Database,
        hasher: PasswordHasher | None = None,
        password_work_at_once: int = PASSWORD_WORK_AT_ONCE,
    ) -> None:
        self.db = db
        # argon2id with the library's current defaults, hashed at idle CPU priority in
        # processes of its own; a given hasher (the tests' fast one) runs here
        self.hasher: PasswordHasher | IdlePriorityHasher = hasher or IdlePriorityHasher()
        self._dummy_hash: str | None = None
        self._password_work = threading.BoundedSemaphore(password_work_at_once)
        self._password_slots = password_work_at_once
        self._password_work_running = 0
        self._password_work_count = threading.Lock()

    def check_password_work_free(self) -> None:
        """PasswordWorkBusy now if every slot is taken: a caller asks this before other
        work of its own (the login throttle's round trip), so a flood is refused at the
        cost of this question. A free slot may still be gone when the check starts."""
        if self._password_work_running >= self._password_slots:
            raise PasswordWorkBusy("too many password checks at once; try again in a moment")

    @contextmanager
    def _hashing(self) -> Iterator[None]:
        if not self._password_work.acquire(blocking=False):
            raise PasswordWorkBusy("too many password checks at once; try again in a moment")
        with self._password_work_count:
            self._password_work_running += 1
        try:
            yield
        finally:
            with self._password_work_count:
                self._password_work_running -= 1
            self._password_work.release()

    # -- users -------------------------------------------------------------------

    def create_user(self, organisation_id: str, email: str, password: str, role: str) -> User:
        """A new user; ValueError for bad input, UserExists if the organisation has a user
        with this e-mail address (another organisation's users are no concern here)."""
        org = uuid_or_none(organisation_id)
        address = _check_email(email)
        check_role(role)
        if org is None:
            raise ValueError("unknown organisation")
        checked = _check_password(password)
        with self._hashing():
            password_hash = self.hasher.hash(checked)
        try:
            with self.db.transaction() as cur:
                cur.execute(
                    "INSERT INTO users (organisation_id, email, password_hash, role) "
                    f"VALUES (%s, %s, %s, %s) RETURNING {_USER_COLUMNS}",
                    (org, clean(address), password_hash, role),
                )
                return _user(cur.fetchone())
        except psycopg2.errors.UniqueViolation:
            raise UserExists("this organisation has a user with this e-mail address") from None
        except psycopg2.errors.ForeignKeyViolation:
            raise ValueError("unknown organisation") from None

    def authenticate(
        self, email: str, password: str, organisation: str | None = None
    ) -> User | None:
        """The user whose password this is, or None. An address may have accounts in
        several organisations: the one whose password matches signs in; when several
        match, `organisation` (its name) must say which (AmbiguousLogin).

        An unknown or disabled user costs one argon2 verification too, so the
        answer time does not tell which e-mail addresses exist.
        """
        address = email.strip().lower()
        organisation = None if organisation is None else clean(organisation)  # NUL: no such
        rows: list[tuple[Any, ...]] = []
        # the slot first: when every slot is taken the answer (PasswordWorkBusy) costs
        # no query either, so a flood of sign-ins is refused as cheaply as it can be
        with self._hashing():
            if 0 < len(address) <= 320 and len(password) <= MAX_PASSWORD:
                with self.db.transaction() as cur:
                    cur.execute(
                        f"SELECT {_qualified('u')}, u.password_hash FROM users u "
                        "JOIN organisations o ON o.id = u.organisation_id "
                        "WHERE u.email = %s AND (%s::text IS NULL OR o.name = %s) "
                        "ORDER BY u.created_at LIMIT %s",
                        (clean(address), organisation, organisation, MAX_ACCOUNTS_PER_ADDRESS),
                    )
                    rows = cur.fetchall()
            if not rows:
                self._password_matches(None, password)  # timed alike
            matching = [row for row in rows if self._password_matches(row[6], password)]
        users = [(_user(row), row[6]) for row in matching]
        users = [(user, stored) for user, stored in users if not user.disabled]
        if not users:
            return None
        if len(users) > 1:
            raise AmbiguousLogin(
                "this address signs in to several organisations: give 'organisation'"
            )
        user, stored = users[0]
        if self.hasher.check_needs_rehash(stored):  # parameters were raised since
            with self._hashing():
                rehashed = self.hasher.hash(password)
            with self.db.transaction() as cur:
                cur.execute(
                    "UPDATE users SET password_hash = %s WHERE id = %s", (rehashed, user.id)
                )
        return user

    def get_user(self, organisation_id: str, user_id: str) -> User | None:
        row = owned_row(self.db, "users", _USER_COLUMNS, organisation_id, user_id)
        return _user(tuple(row.values())) if row else None

    def find_user(self, email: str, organisation: str | None = None) -> User | None:
        """By e-mail (and organisation name when given), across organisations: for the
        CLI and for attributing failed logins. None unless exactly one user matches."""
        organisation = None if organisation is None else clean(organisation)
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {_qualified('u')} FROM users u "
                "JOIN organisations o ON o.id = u.organisation_id "
                "WHERE u.email = %s AND (%s::text IS NULL OR o.name = %s) LIMIT 2",
                (clean(email.strip().lower()), organisation, organisation),
            )
            rows = cur.fetchall()
        return _user(rows[0]) if len(rows) == 1 else None

    def list_users(self, organisation_id: str) -> list[User]:
        org = uuid_or_none(organisation_id)
        if org is None:
            return []
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE organisation_id = %s "
                "ORDER BY created_at, id",
                (org,),
            )
            return [_user(r) for r in cur.fetchall()]

    def set_role(self, organisation_id: str, user_id: str, role: str) -> User | None:
        return self.update_user(organisation_id, user_id, role=role)

    def disable(self, organisation_id: str, user_id: str, disabled: bool = True) -> User | None:
        return self.update_user(organisation_id, user_id, disabled=disabled)

    def update_user(
        self,
        organisation_id: str,
        user_id: str,
        role: str | None = None,
        disabled: bool | None = None,
    ) -> User | None:
        """Change role and/or disabled; None if no such user in the organisation.

        The organisation's admins are locked while checking, so two admins demoting
        each other at once cannot leave it with none (LastAdmin). Disabling a user
        ends their sessions; their tokens stop working because verify_token checks.
        """
        if role is not None:
            check_role(role)
        org, uid = uuid_or_none(organisation_id), uuid_or_none(user_id)
        if org is None or uid is None:
            return None
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT id FROM users WHERE organisation_id = %s AND role = 'admin' "
                "AND NOT disabled ORDER BY id FOR UPDATE",
                (org,),
            )
            admins = {str(r[0]) for r in cur.fetchall()}
            cur.execute(
                f"UPDATE users SET role = coalesce(%s, role), disabled = coalesce(%s, disabled) "
                f"WHERE id = %s AND organisation_id = %s RETURNING {_USER_COLUMNS}",
                (role, disabled, uid, org),
            )
            row = cur.fetchone()
            if row is None:
                return None
            user = _user(row)
            if uid in admins and len(admins) == 1 and (user.role != "admin" or user.disabled):
                # raising rolls the update back (Database.transaction)
                raise LastAdmin("the organisation needs at least one enabled admin")
            if user.disabled:
                cur.execute("DELETE FROM sessions WHERE user_id = %s", (uid,))
        return user

    def set_password(
        self,
        organisation_id: str,
        user_id: str,
        new_password: str,
        current_password: str | None = None,
        keep_session: str | None = None,
    ) -> bool:
        """Replace a user's password; False if there is no such user in the
        organisation or `current_password` (when given) is wrong. Ends the user's
        sessions but `keep_session` (the caller's own), so a stolen session dies."""
        org, uid = uuid_or_none(organisation_id), uuid_or_none(user_id)
        checked = _check_password(new_password)  # a bad new password: ValueError first
        if org is None or uid is None:
            return False
        with self.db.statement() as cur:
            cur.execute(
                "SELECT password_hash FROM users WHERE id = %s AND organisation_id = %s",
                (uid, org),
            )
            row = cur.fetchone()
        stored = row[0] if row else None
        with self._hashing():
            # the current password is checked before the new one is hashed
            if current_password is not None and not self._password_matches(
                stored, current_password
            ):
                return False
            if stored is None:
                return False
            new_hash = self.hasher.hash(checked)  # no row lock is held while hashing
        with self.db.transaction() as cur:
            # only over the hash that was checked: a change meanwhile wins
            cur.execute(
                "UPDATE users SET password_hash = %s WHERE id = %s AND password_hash = %s",
                (new_hash, uid, stored),
            )
            if cur.rowcount != 1:
                return False
            cur.execute(
                "DELETE FROM sessions WHERE user_id = %s AND id_hash <> %s",
                (uid, digest(keep_session) if keep_session else ""),
            )
        return True

    # -- API tokens --------------------------------------------------------------

    def list_tokens(self, organisation_id: str, user_id: str | None = None) -> list[TokenInfo]:
        """The organisation's tokens (one user's when `user_id` is given), newest first."""
        org = uuid_or_none(organisation_id)
        uid = uuid_or_none(user_id) if user_id is not None else None
        if org is None or (user_id is not None and uid is None):
            return []
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT id, user_id, name, scopes, created_at, last_used_at, revoked_at "
                "FROM api_tokens WHERE organisation_id = %s "
                "AND (%s::uuid IS NULL OR user_id = %s::uuid) ORDER BY created_at DESC, id",
                (org, uid, uid),
            )
            rows = cur.fetchall()
        return [
            TokenInfo(str(r[0]), str(r[1]), r[2], list(r[3] or ()), r[4], r[5], r[6]) for r in rows
        ]

    def create_token(self, user: User, name: str, scopes: Iterable[str]) -> tuple[str, str]:
        """(token id, plaintext). The plaintext is shown once and never stored."""
        wanted = check_scopes(scopes)
        label = name_label(name, MAX_NAME, "a token")
        plaintext = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO api_tokens (user_id, organisation_id, name, token_hash, scopes) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (user.id, user.organisation_id, label, digest(plaintext), wanted),
            )
            return str(cur.fetchone()[0]), plaintext

    def verify_token(self, plaintext: str) -> tuple[User, frozenset[str]] | None:
        """The token's user and scopes; None if unknown, revoked or the user is disabled."""
        if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
            return None
        with self.db.statement() as cur:  # on every API request: no BEGIN/COMMIT
            _TOKEN_USER.execute(cur, (digest(plaintext),))
            row = cur.fetchone()
            if row is None:
                return None
            if row[2]:  # at most one write a minute per token: use is not a write workload
                cur.execute("UPDATE api_tokens SET last_used_at = now() WHERE id = %s", (row[0],))
        return _user(row[3:]), frozenset(row[1] or ())

    def revoke_token(self, organisation_id: str, token_id: str, user_id: str | None = None) -> bool:
        """Revoke a token of the organisation (of one user when `user_id` is given)."""
        org, tid = uuid_or_none(organisation_id), uuid_or_none(token_id)
        uid = uuid_or_none(user_id) if user_id is not None else None
        if org is None or tid is None or (user_id is not None and uid is None):
            return False
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE api_tokens SET revoked_at = now() WHERE id = %s AND organisation_id = %s "
                "AND (%s::uuid IS NULL OR user_id = %s::uuid) AND revoked_at IS NULL",
                (tid, org, uid, uid),
            )
            return cur.rowcount == 1

    # -- sessions ----------------------------------------------------------------

    def create_session(self, user: User, seconds: int = SESSION_SECONDS) -> str:
        """A new opaque session id for a cookie; only its SHA-256 is stored."""
        plaintext = secrets.token_urlsafe(TOKEN_BYTES)
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM sessions WHERE expires_at < now()")  # keep the table small
            cur.execute(
                "INSERT INTO sessions (id_hash, user_id, organisation_id, expires_at) "
                "VALUES (%s, %s, %s, now() + make_interval(secs => %s))",
                (digest(plaintext), user.id, user.organisation_id, seconds),
            )
        return plaintext

    def verify_session(self, plaintext: str) -> User | None:
        if not plaintext or len(plaintext) > 200:
            return None
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {', '.join('u.' + c for c in _USER_COLUMNS.split(', '))} "
                "FROM sessions s JOIN users u ON u.id = s.user_id "
                "WHERE s.id_hash = %s AND s.expires_at > now() AND NOT u.disabled",
                (digest(plaintext),),
            )
            row = cur.fetchone()
        return _user(row) if row else None

    def delete_session(self, plaintext: str) -> bool:
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM sessions WHERE id_hash = %s", (digest(plaintext),))
            return cur.rowcount == 1

    def _password_matches(self, stored: str | None, password: str) -> bool:
        """Whether `password` is the one hashed in `stored`. With no stored hash (no
        such user) a dummy one is checked: the answer takes as long either way, so
        its time does not tell whether the user exists."""
        try:
            self.hasher.verify(stored or self._dummy(), password[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            return False
        return stored is not None

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash
