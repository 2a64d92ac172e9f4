"""The organisation's audit log, newest first (admins and auditors)."""

from __future__ import annotations

from typing import ClassVar

import falcon

from dgp.apps.web.openapi import LIMIT, OFFSET, Op
from dgp.apps.web.resources.common import Api, Resource, Scopes, organisation, page, paged


class AuditLog(Resource):
    scopes: ClassVar[Scopes] = {"GET": "audit:read"}
    api: ClassVar[Api] = {
        "GET": Op(
            "Logins, scans, triage and user changes",
            returns="AuditPage",
            query=(LIMIT, OFFSET),
            description="`total` is the number of entries in this page plus the offset "
            "when the page is not full, else -1 (unknown).",
            tags=("audit",),
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        limit, offset = page(req)
        entries = self.services.db(self.services.store.list_audit, organisation(req), limit, offset)
        items = [
            {
                "id": e.id,
                "user_id": e.user_id,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "details": e.details,
                "at": e.at.isoformat() if e.at else None,
            }
            for e in entries
        ]
        total = offset + len(items) if len(items) < limit else -1
        resp.media = paged(items, total, limit, offset)
