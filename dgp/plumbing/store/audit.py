"""The audit log: logins, scans started, findings triaged, exports, user changes.

Append-only for the product; read per organisation, newest first. `details` must
not hold personal data beyond what the action needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dgp.plumbing.store.base import Aggregate, page_limit
from dgp.plumbing.store.rows import clean, jsonb, uuid_or_none


@dataclass(frozen=True)
class AuditEntry:
    id: int
    organisation_id: str | None
    user_id: str | None
    action: str
    object_type: str | None
    object_id: str | None
    details: dict[str, Any] = field(default_factory=dict)
    at: Any = None  # datetime


class AuditLog(Aggregate):
    def audit(
        self,
        organisation_id: str | None,
        user_id: str | None,
        action: str,
        object_type: str | None = None,
        object_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append to the audit log."""
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO audit_log (organisation_id, user_id, action, object_type, "
                "object_id, details) VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    uuid_or_none(organisation_id),
                    uuid_or_none(user_id),
                    clean(action),
                    clean(object_type),
                    clean(str(object_id)) if object_id is not None else None,
                    jsonb(details or {}),
                ),
            )

    def list_audit(
        self, organisation_id: str, limit: int = 100, offset: int = 0
    ) -> list[AuditEntry]:
        """Newest first."""
        org = uuid_or_none(organisation_id)
        if org is None:
            return []
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT id, organisation_id, user_id, action, object_type, object_id, details, "
                "at FROM audit_log WHERE organisation_id = %s ORDER BY at DESC, id DESC "
                "LIMIT %s OFFSET %s",
                (org, page_limit(limit), max(0, offset)),
            )
            rows = cur.fetchall()
        return [
            AuditEntry(
                id=r[0],
                organisation_id=str(r[1]) if r[1] else None,
                user_id=str(r[2]) if r[2] else None,
                action=r[3],
                object_type=r[4],
                object_id=r[5],
                details=dict(r[6] or {}),
                at=r[7],
            )
            for r in rows
        ]
