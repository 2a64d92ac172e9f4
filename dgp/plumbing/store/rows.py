"""Rows to domain objects and back: the one place that knows both the columns and the classes.

The domain stays free of I/O; this module maps rows onto its to_dict/from_dict
shapes. Text bound for Postgres is cleaned here too: text and jsonb cannot hold
NUL characters, and file names read from disk may carry undecodable bytes
(surrogate escapes) that cannot be encoded as UTF-8.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from psycopg2.extensions import cursor as PgCursor
from psycopg2.extras import Json

from dgp.domain.finding import Finding
from dgp.domain.scan import Scan, ScanStats, ScanStatus
from dgp.plumbing.store.pool import Database

SCAN_COLUMNS = (
    "id, organisation_id, created_by, kind, target, options, status, progress, "
    "progress_message, created_at, started_at, finished_at, stats, score, error, "
    "scan_ids::text[] AS scan_ids"
)
FINDING_COLUMNS = (
    "id, scan_id, scanner, rule_id, category, severity, confidence, title, description, "
    "location, evidence, value_hash, legal_refs, remediation, status, fingerprint, extra"
)
# the order of the values finding_values() gives
FINDING_INSERT_COLUMNS = f"organisation_id, seq, {FINDING_COLUMNS}"


def uuid_or_none(value: object) -> str | None:
    """The canonical text of a UUID, or None for anything that is not one.

    Ids arrive from URLs; a malformed id must behave like a missing one (404),
    not reach Postgres as a type error.
    """
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def owned_row(
    db: Database, table: str, columns: str, organisation_id: str, row_id: str
) -> dict[str, Any] | None:
    """One row by id, only if it belongs to the organisation: the tenant check in one
    place. A malformed id, another organisation's id and a missing id all give None."""
    org, rid = uuid_or_none(organisation_id), uuid_or_none(row_id)
    if org is None or rid is None:
        return None
    with db.transaction() as cur:
        cur.execute(
            f"SELECT {columns} FROM {table} WHERE id = %s AND organisation_id = %s", (rid, org)
        )
        rows = fetch_dicts(cur)
    return rows[0] if rows else None


def fetch_dicts(cur: PgCursor) -> list[dict[str, Any]]:
    names = [c.name for c in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def scan_from_row(row: dict[str, Any]) -> Scan:
    return Scan(
        id=str(row["id"]),
        kind=row["kind"],
        target=row["target"],
        organisation=str(row["organisation_id"]),
        created_by=str(row["created_by"]) if row["created_by"] else "",
        options=dict(row["options"] or {}),
        status=ScanStatus(row["status"]),
        progress=row["progress"],
        progress_message=row["progress_message"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        stats=ScanStats.from_dict(row["stats"] or {}),
        score=row["score"],
        error=row["error"],
        scan_ids=tuple(row["scan_ids"] or ()),
    )


def finding_from_row(row: dict[str, Any]) -> Finding:
    data = dict(row)
    data["id"] = str(data["id"])
    data["scan_id"] = str(data["scan_id"])
    return Finding.from_dict(data)


def finding_values(
    finding: Finding, scan_id: str, organisation_id: str, seq: int
) -> tuple[Any, ...]:
    """One row for findings, in FINDING_INSERT_COLUMNS order.

    The id is kept when it is a UUID (the scan session derives it from the scan id
    and the fingerprint, so a retried job gives the same ids); otherwise it is
    derived the same way here.
    """
    data = finding.to_dict()
    finding_id = uuid_or_none(data["id"])
    if finding_id is None or data["scan_id"] != scan_id:
        finding_id = str(uuid.uuid5(uuid.UUID(scan_id), f"finding:{data['fingerprint']}"))
    return (
        organisation_id,
        seq,
        finding_id,
        scan_id,
        clean(data["scanner"]),
        clean(data["rule_id"]),
        clean(data["category"]),
        data["severity"],
        min(1.0, max(0.0, float(data["confidence"]))),
        clean(data["title"]),
        clean(data["description"]),
        Json(clean(data["location"])),
        clean(data["evidence"]),
        data["value_hash"],
        Json(clean(data["legal_refs"])),
        clean(data["remediation"]),
        data["status"],
        clean(data["fingerprint"]),
        Json(clean(data.get("extra", {}))),
    )


def jsonb(value: Any) -> Json:
    return Json(clean(value))


# A name (of an organisation, a token) needs a character besides blanks and control
# characters, or it shows as nothing in lists and audit lines. The OpenAPI document
# states the same pattern (dgp.apps.web.openapi), so the two cannot disagree.
NAME_PATTERN = "[^\\s\\x00-\\x1f\\x7f-\\x9f]"
_NAME_CHARACTER = re.compile(NAME_PATTERN)


def name_label(name: str, longest: int, what: str) -> str:
    """`name` as stored (trimmed, cut to `longest`); ValueError when nothing in it shows."""
    label = name.strip()[:longest]
    if not _NAME_CHARACTER.search(label):  # before clean(), which makes NUL a U+FFFD
        raise ValueError(f"{what} needs a name (not only blanks or control characters)")
    return str(clean(label))


def clean(value: Any) -> Any:
    """A copy of `value` that Postgres text and jsonb accept (recursively)."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "\ufffd")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {clean(str(k)): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value
