"""Credentials that scans need, encrypted at rest, scoped by organisation.

Only sealed values reach Postgres (dgp.plumbing.credential_cipher); the row id is
made here, before sealing, because the ciphertext is bound to it. What may be
shown of a credential (CredentialInfo) has no secret in it; the decrypted value
(dgp.domain.credential.Credential) comes only from `reveal`, which the worker
calls for the scan it runs.

Every method takes the organisation id and scopes its statements by it, except
`rotate`, the operator's re-encryption of every row. Deleting a credential
cancels the queued and running scans that use it (their error says why): a scan
must not run later without the credential it was started with, and a deletion is
often urgent (a leaked token), so it is not refused while scans wait.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg2.errors
from psycopg2.extras import execute_values

from dgp.domain.credential import (
    Credential,
    CredentialKind,
    Secret,
    check_name,
    check_secret,
)
from dgp.plumbing.credential_cipher import Binding, CredentialCipher, KeyNotConfigured, Sealed
from dgp.plumbing.store import uploads
from dgp.plumbing.store.errors import CredentialMissing
from dgp.plumbing.store.pool import Database
from dgp.plumbing.store.rows import clean, fetch_dicts, owned_row, uuid_or_none

ROTATE_BATCH = 200  # rows re-sealed per transaction
CANCELLED_REASON = "cancelled: the credential it uses was deleted"
_INFO_COLUMNS = "id, organisation_id, name, kind, key_id, created_by, created_at, last_used_at"


class CredentialExists(ValueError):
    """The organisation has a credential of that name already (HTTP 409)."""


@dataclass(frozen=True)
class CredentialInfo:
    """What may be shown of a credential: never its value."""

    id: str
    organisation_id: str
    name: str
    kind: CredentialKind
    key_id: str  # for the operator (rotation); not in the API
    created_by: str | None
    created_at: datetime
    last_used_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "organisation": self.organisation_id,
            "name": self.name,
            "kind": self.kind.value,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


@dataclass
class Rotation:
    """What `rotate` did: rows re-sealed per organisation, rows it could not read."""

    key_id: str
    resealed: Counter[str] = field(default_factory=Counter)  # organisation id -> rows
    current: int = 0  # rows that were under the current key already
    unreadable: list[str] = field(default_factory=list)  # one message per row


class CredentialStore:
    def __init__(self, db: Database, cipher: CredentialCipher) -> None:
        self.db = db
        self.cipher = cipher

    def create(
        self,
        organisation_id: str,
        name: str,
        kind: str | CredentialKind,
        secret: str,
        created_by: str | None = None,
    ) -> CredentialInfo:
        """Seal and store a credential. ValueError for bad input or an unknown
        organisation or user (CredentialExists for a taken name); KeyNotConfigured
        when this host has no credentials_key."""
        label = check_name(name)
        credential_kind = CredentialKind.parse(str(kind))
        value = check_secret(secret)
        org = uuid_or_none(organisation_id)
        user = uuid_or_none(created_by) if created_by is not None else None
        if org is None or (created_by is not None and user is None):
            raise ValueError("unknown organisation or user")
        credential_id = str(uuid.uuid4())
        sealed = self.cipher.seal(value, Binding(credential_id, org, credential_kind))
        try:
            with self.db.transaction() as cur:
                cur.execute(
                    "INSERT INTO credentials (id, organisation_id, name, kind, key_id, nonce, "
                    "ciphertext, created_by) SELECT %s, %s, %s, %s, %s, %s, %s, %s "
                    "WHERE EXISTS (SELECT 1 FROM organisations WHERE id = %s) "
                    "AND (%s::uuid IS NULL OR EXISTS "
                    "(SELECT 1 FROM users WHERE id = %s AND organisation_id = %s)) "
                    f"RETURNING {_INFO_COLUMNS}",
                    (
                        credential_id,
                        org,
                        clean(label),
                        credential_kind.value,
                        sealed.key_id,
                        sealed.nonce,
                        sealed.ciphertext,
                        user,
                        org,
                        user,
                        user,
                        org,
                    ),
                )
                rows = fetch_dicts(cur)
        except psycopg2.errors.UniqueViolation:
            raise CredentialExists(f"a credential named {label!r} exists already") from None
        if not rows:
            raise ValueError("unknown organisation or user")
        return _info(rows[0])

    def get(self, organisation_id: str, credential_id: str) -> CredentialInfo | None:
        row = owned_row(self.db, "credentials", _INFO_COLUMNS, organisation_id, credential_id)
        return _info(row) if row else None

    def list(self, organisation_id: str) -> list[CredentialInfo]:
        """By name."""
        org = uuid_or_none(organisation_id)
        if org is None:
            return []
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {_INFO_COLUMNS} FROM credentials WHERE organisation_id = %s "
                "ORDER BY name, id",
                (org,),
            )
            return [_info(r) for r in fetch_dicts(cur)]

    def delete(
        self, organisation_id: str, credential_id: str, *, forget_uploads: bool = False
    ) -> int | None:
        """Delete a credential; None if the organisation has no such credential, else
        the number of queued or running scans that were cancelled because they use it
        (with `forget_uploads`, their uploads' data dropped: delete_uploads_after_scan).
        Finished scans keep their results; their reference is cleared (the schema)."""
        org, cid = uuid_or_none(organisation_id), uuid_or_none(credential_id)
        if org is None or cid is None:
            return None
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT 1 FROM credentials WHERE id = %s AND organisation_id = %s FOR UPDATE",
                (cid, org),
            )
            if cur.fetchone() is None:
                return None
            # rows locked in id order, as claims do: no deadlock with a worker
            cur.execute(
                "UPDATE scans SET status = 'cancelled', error = %s, finished_at = now() "
                "FROM (SELECT id FROM scans WHERE credential_id = %s AND organisation_id = %s "
                "AND status IN ('queued', 'running') ORDER BY id FOR UPDATE) AS locked "
                "WHERE scans.id = locked.id RETURNING scans.upload_id",
                (CANCELLED_REASON, cid, org),
            )
            ended = [row[0] for row in cur.fetchall()]
            if forget_uploads:
                uploads.drop_ended(cur, ended)
            cancelled = len(ended)
            cur.execute(
                "DELETE FROM credentials WHERE id = %s AND organisation_id = %s", (cid, org)
            )
        return cancelled

    # -- worker side -------------------------------------------------------------

    def reveal(self, organisation_id: str, credential_id: str) -> Credential:
        """The decrypted credential for a scan of the organisation, and its use noted
        (last_used_at). CredentialMissing if it is gone; KeyNotConfigured or
        CredentialUnreadable (both ValueError) if it cannot be decrypted here."""
        org, cid = uuid_or_none(organisation_id), uuid_or_none(credential_id)
        row = None
        if org is not None and cid is not None:
            with self.db.transaction() as cur:
                # a lost last_used_at in a crash of Postgres costs nothing: no disk wait
                cur.execute(
                    "SET LOCAL synchronous_commit TO OFF; "
                    "UPDATE credentials SET last_used_at = now() "
                    "WHERE id = %s AND organisation_id = %s "
                    "RETURNING name, kind, key_id, nonce, ciphertext",
                    (cid, org),
                )
                row = cur.fetchone()
        if row is None:
            raise CredentialMissing(f"credential {credential_id} is gone (deleted)")
        name, kind, key_id, nonce, ciphertext = row
        credential_kind = CredentialKind(kind)
        secret = self.cipher.open(
            _sealed(key_id, nonce, ciphertext), Binding(str(cid), str(org), credential_kind)
        )
        return Credential(str(cid), name, credential_kind, Secret(secret))

    # -- operator side -----------------------------------------------------------

    def rotate(self, batch: int = ROTATE_BATCH) -> Rotation:
        """Re-seal every credential that is not under the current key, `batch` rows per
        transaction. Idempotent and safe to rerun or to run twice at once (rows are
        locked and re-checked); a row that cannot be read is reported and left as it
        is. KeyNotConfigured when no credentials_key is set."""
        current = self.cipher.current_key_id
        if current is None:
            raise KeyNotConfigured("no credentials_key is set: nothing to re-encrypt with")
        report = Rotation(current)
        after = str(uuid.UUID(int=0))
        while True:
            with self.db.transaction() as cur:
                cur.execute(
                    "SELECT id, organisation_id, kind, key_id, nonce, ciphertext "
                    "FROM credentials WHERE id > %s AND key_id <> %s ORDER BY id LIMIT %s "
                    "FOR UPDATE",
                    (after, current, max(1, batch)),
                )
                rows = cur.fetchall()
                if not rows:
                    break
                after = str(rows[-1][0])
                updates = []
                for cid, org, kind, key_id, nonce, ciphertext in rows:
                    binding = Binding(str(cid), str(org), CredentialKind(kind))
                    try:
                        secret = self.cipher.open(_sealed(key_id, nonce, ciphertext), binding)
                    except ValueError as e:  # KeyNotConfigured, CredentialUnreadable
                        report.unreadable.append(str(e))
                        continue
                    sealed = self.cipher.seal(secret, binding)
                    updates.append((str(cid), sealed.key_id, sealed.nonce, sealed.ciphertext))
                    report.resealed[str(org)] += 1
                if updates:
                    execute_values(
                        cur,
                        "UPDATE credentials SET key_id = v.key_id, nonce = v.nonce, "
                        "ciphertext = v.ciphertext FROM (VALUES %s) AS v(id, key_id, nonce, "
                        "ciphertext) WHERE credentials.id = v.id",
                        updates,
                        template="(%s::uuid, %s, %s::bytea, %s::bytea)",
                    )
        with self.db.transaction() as cur:
            cur.execute("SELECT count(*) FROM credentials WHERE key_id = %s", (current,))
            report.current = int(cur.fetchone()[0]) - sum(report.resealed.values())
        return report

    def count_by_key(self) -> dict[str, int]:
        """Rows per key id, for the operator: which old keys are still needed."""
        with self.db.transaction() as cur:
            cur.execute("SELECT key_id, count(*) FROM credentials GROUP BY key_id ORDER BY 1")
            return {row[0]: int(row[1]) for row in cur.fetchall()}


def _sealed(key_id: str, nonce: Any, ciphertext: Any) -> Sealed:
    return Sealed(key_id, bytes(nonce), bytes(ciphertext))


def _info(row: dict[str, Any]) -> CredentialInfo:
    return CredentialInfo(
        id=str(row["id"]),
        organisation_id=str(row["organisation_id"]),
        name=row["name"],
        kind=CredentialKind(row["kind"]),
        key_id=row["key_id"],
        created_by=str(row["created_by"]) if row["created_by"] else None,
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
    )
