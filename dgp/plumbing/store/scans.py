"""Scans, findings, uploads and the audit log in Postgres: the source of truth for jobs.

Two kinds of callers, two kinds of methods:

- tenant side (the web app): every method takes `organisation_id` first and
  scopes every statement by it. Another organisation's id, a missing id and a
  malformed id all give the same answer (None, empty, False), so an API built on
  this cannot tell a caller whether someone else's object exists.
- worker side (the queue consumer): methods keyed by scan or upload id only,
  because a job carries nothing else. Result writes are idempotent: a job that
  is delivered again replaces its findings instead of adding to them.

A long scan's findings arrive in pages while it runs (`add_findings`), each in a
transaction of its own, fenced by the delivery that claimed the scan: a page of an
earlier delivery (a scanner that was thought dead) writes nothing. Claiming a scan
deletes what an earlier, unfinished delivery wrote; the final `save_results` adds the
last findings and ends the scan. Page commits are asynchronous: the final commit
waits for the disk, and the log being sequential makes the pages durable with it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import psycopg2.errors
from psycopg2.extensions import cursor as PgCursor
from psycopg2.extras import execute_values

from dgp.domain.finding import Finding, FindingStatus
from dgp.domain.job import ScanResult
from dgp.domain.scan import Scan, ScanStatus
from dgp.domain.score import COUNTED_STATUSES, score_counts
from dgp.domain.severity import Severity
from dgp.plumbing.store import uploads
from dgp.plumbing.store.errors import UploadMissing
from dgp.plumbing.store.pool import Database
from dgp.plumbing.store.prepared import Prepared
from dgp.plumbing.store.rows import (
    FINDING_COLUMNS,
    FINDING_INSERT_COLUMNS,
    SCAN_COLUMNS,
    clean,
    fetch_dicts,
    finding_from_row,
    finding_values,
    jsonb,
    owned_row,
    scan_from_row,
    uuid_or_none,
)

# A scan in one of these states is over: a redelivered job for it does nothing.
FINISHED = (
    ScanStatus.DONE.value,
    ScanStatus.FAILED.value,
    ScanStatus.DEGRADED.value,
    ScanStatus.CANCELLED.value,
)
UNFINISHED = (ScanStatus.QUEUED.value, ScanStatus.RUNNING.value)
RESULT_STATUSES = frozenset({ScanStatus.DONE, ScanStatus.DEGRADED, ScanStatus.FAILED})
MAX_PAGE = 1000
MAX_MESSAGE = 500  # progress messages
MAX_ERROR = 4000  # failure reasons
INSERT_PAGE = 500  # findings per INSERT statement
# Writes whose loss in a crash of Postgres costs nothing but a rerun: no wait for the disk.
ASYNC_COMMIT = "SET LOCAL synchronous_commit TO OFF"


class OrganisationExists(ValueError):
    """The name belongs to another organisation (HTTP 409)."""


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    created_at: Any  # datetime
    users: int
    scans: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "users": self.users,
            "scans": self.scans,
        }


ORGANISATION_QUERY = (
    "SELECT o.id, o.name, o.created_at, "
    "(SELECT count(*) FROM users u WHERE u.organisation_id = o.id), "
    "(SELECT count(*) FROM scans s WHERE s.organisation_id = o.id) FROM organisations o"
)


@dataclass(frozen=True)
class ClaimedScan:
    """What a worker needs to run a scan it has claimed."""

    id: str
    organisation_id: str
    kind: str
    target: str
    options: dict[str, Any]
    upload_id: str | None
    deliveries: int  # this delivery included
    created_by: str | None = None


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


class ScanStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- organisations -----------------------------------------------------------

    def create_organisation(self, name: str) -> str:
        """A new tenant; ValueError if the name is taken."""
        try:
            with self.db.transaction() as cur:
                cur.execute(
                    "INSERT INTO organisations (name) VALUES (%s) RETURNING id", (clean(name),)
                )
                return str(cur.fetchone()[0])
        except psycopg2.errors.UniqueViolation:
            raise ValueError(f"an organisation named {name!r} exists already") from None

    def get_organisation(self, organisation_id: str) -> Organisation | None:
        org = uuid_or_none(organisation_id)
        if org is None:
            return None
        with self.db.transaction() as cur:
            cur.execute(ORGANISATION_QUERY + " WHERE o.id = %s", (org,))
            row = cur.fetchone()
        return Organisation(str(row[0]), row[1], row[2], row[3], row[4]) if row else None

    def rename_organisation(self, organisation_id: str, name: str) -> Organisation | None:
        """ValueError for an empty or taken name (OrganisationExists)."""
        label = clean(name.strip())[:MAX_MESSAGE]
        if not label:
            raise ValueError("an organisation needs a name")
        org = uuid_or_none(organisation_id)
        if org is None:
            return None
        try:
            with self.db.transaction() as cur:
                cur.execute("UPDATE organisations SET name = %s WHERE id = %s", (label, org))
        except psycopg2.errors.UniqueViolation:
            raise OrganisationExists("an organisation with this name exists already") from None
        return self.get_organisation(organisation_id)

    def find_organisation(self, name: str) -> str | None:
        with self.db.transaction() as cur:
            cur.execute("SELECT id FROM organisations WHERE name = %s", (clean(name),))
            row = cur.fetchone()
        return str(row[0]) if row else None

    # -- scans (tenant side) -----------------------------------------------------

    def create_scan(
        self,
        organisation_id: str,
        created_by: str | None,
        kind: str,
        target: str,
        options: dict[str, Any],
        upload_id: str | None = None,
    ) -> str:
        """A queued scan's id; see start_scan."""
        return self.start_scan(organisation_id, created_by, kind, target, options, upload_id).id

    def start_scan(
        self,
        organisation_id: str,
        created_by: str | None,
        kind: str,
        target: str,
        options: dict[str, Any],
        upload_id: str | None = None,
    ) -> Scan:
        """A queued scan and its audit entry, in one statement (so one transaction and
        one round trip: this is on the path of every submit). The upload and the
        creating user must belong to the same organisation (else ValueError): a scan
        must not read another tenant's upload."""
        org = _require(organisation_id, "organisation")
        user = None if created_by is None else _require(created_by, "user")
        upload = None if upload_id is None else _require(upload_id, "upload")
        with self.db.statement() as cur:
            _START_SCAN.execute(
                cur,
                (
                    org,
                    user,
                    upload,
                    clean(kind),
                    clean(target),
                    jsonb(options),
                    jsonb({"kind": kind}),
                ),
            )
            rows = fetch_dicts(cur)
            if not rows:  # a check refused it: say which (rare, so a second look is fine)
                raise ValueError(f"unknown {_missing_owner(cur, org, user, upload)}")
        return scan_from_row(rows[0])

    def get_scan(self, organisation_id: str, scan_id: str) -> Scan | None:
        row = owned_row(self.db, "scans", SCAN_COLUMNS, organisation_id, scan_id)
        return scan_from_row(row) if row else None

    def list_scans(self, organisation_id: str, limit: int = 50, offset: int = 0) -> list[Scan]:
        """Newest first."""
        org = uuid_or_none(organisation_id)
        if org is None:
            return []
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {SCAN_COLUMNS} FROM scans WHERE organisation_id = %s "
                "ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
                (org, _limit(limit), max(0, offset)),
            )
            return [scan_from_row(r) for r in fetch_dicts(cur)]

    def count_scans(self, organisation_id: str) -> int:
        org = uuid_or_none(organisation_id)
        if org is None:
            return 0
        with self.db.transaction() as cur:
            cur.execute("SELECT count(*) FROM scans WHERE organisation_id = %s", (org,))
            return int(cur.fetchone()[0])

    def cancel_scan(self, organisation_id: str, scan_id: str) -> bool:
        """Stop a queued or running scan: its job is then dropped when claimed, and a
        running scanner's result is not saved."""
        org, sid = uuid_or_none(organisation_id), uuid_or_none(scan_id)
        if org is None or sid is None:
            return False
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE scans SET status = 'cancelled', finished_at = now() "
                "WHERE id = %s AND organisation_id = %s AND status IN %s",
                (sid, org, UNFINISHED),
            )
            return cur.rowcount == 1

    def delete_scan(self, organisation_id: str, scan_id: str) -> bool:
        """Delete a scan with its findings, and its upload unless another scan uses it."""
        org, sid = uuid_or_none(organisation_id), uuid_or_none(scan_id)
        if org is None or sid is None:
            return False
        with self.db.transaction() as cur:
            cur.execute(
                "DELETE FROM scans WHERE id = %s AND organisation_id = %s RETURNING upload_id",
                (sid, org),
            )
            row = cur.fetchone()
            if row is None:
                return False
            if row[0] is not None:
                cur.execute("SELECT 1 FROM scans WHERE upload_id = %s LIMIT 1", (str(row[0]),))
                if cur.fetchone() is None:
                    _drop_upload_data(cur, str(row[0]), org)
            return True

    # -- scans (worker side) -----------------------------------------------------

    def claim_scan(self, scan_id: str) -> ClaimedScan | None:
        """Mark a scan running for this delivery; None if it is over, or gone."""
        return self.claim_scans([scan_id]).get(scan_id)

    def claim_scans(self, scan_ids: Sequence[str]) -> dict[str, ClaimedScan]:
        """Mark scans running for this delivery, in one statement; the ones that are
        over or gone are missing from the answer (keyed by the ids as given)."""
        wanted = {sid: checked for sid in scan_ids if (checked := uuid_or_none(sid))}
        if not wanted:
            return {}
        with self.db.transaction() as cur:
            # The claim may be lost in a crash of Postgres: the job is then simply run
            # again (it is ACKed only after save_results, whose commit waits for the
            # disk and, the log being sequential, makes this one durable too).
            cur.execute(
                f"{ASYNC_COMMIT}; "
                # rows locked in id order, as save_results does: no deadlock between them
                "UPDATE scans SET deliveries = deliveries + 1, status = 'running', "
                "started_at = now(), finished_at = NULL, progress = 0, "
                "progress_message = 'started' "
                "FROM (SELECT id FROM scans WHERE id = ANY(%s::uuid[]) AND status IN %s "
                "ORDER BY id FOR UPDATE) AS locked WHERE scans.id = locked.id "
                "RETURNING scans.id, organisation_id, kind, target, options, upload_id, "
                "deliveries, created_by",
                (list(wanted.values()), UNFINISHED),
            )
            rows = {str(row[0]): row for row in cur.fetchall()}
            if rows:  # findings an earlier delivery wrote before it stopped: it runs anew
                cur.execute("DELETE FROM findings WHERE scan_id = ANY(%s::uuid[])", (list(rows),))
        return {sid: _claimed(rows[checked]) for sid, checked in wanted.items() if checked in rows}

    def release_scans(self, scan_ids: Sequence[str]) -> None:
        """Claimed scans that will not run here after all: queued again, their claim
        not counted as a delivery (their jobs go back to the queue). Asynchronous
        commit: a lost release only leaves a scan shown as running until it runs."""
        ids = [checked for sid in scan_ids if (checked := uuid_or_none(sid))]
        if not ids:
            return
        with self.db.transaction() as cur:
            cur.execute(
                f"{ASYNC_COMMIT}; UPDATE scans SET status = 'queued', started_at = NULL, "
                "progress = 0, progress_message = '', deliveries = deliveries - 1 "
                "WHERE id = ANY(%s::uuid[]) AND status = 'running'",
                (ids,),
            )

    def add_findings(
        self, scan_id: str, delivery: int, findings: Sequence[Finding], first_seq: int
    ) -> bool:
        """Store one page of a running scan's findings (numbered from `first_seq`, in the
        scanner's order); False, writing nothing, if the scan is no longer running under
        this `delivery` (cancelled, deleted, or claimed again by another consumer).

        Idempotent: (scan_id, fingerprint) is unique and a page written twice adds
        nothing. The scan row is share-locked, so a claim (which deletes the findings of
        earlier deliveries) and a page never interleave."""
        sid = uuid_or_none(scan_id)
        if sid is None:
            return False
        with self.db.transaction() as cur:
            cur.execute(
                f"{ASYNC_COMMIT}; SELECT organisation_id FROM scans "
                "WHERE id = %s AND deliveries = %s AND status = 'running' FOR SHARE",
                (sid, delivery),
            )
            row = cur.fetchone()
            if row is None:
                return False
            rows = [
                finding_values(f, sid, str(row[0]), first_seq + n) for n, f in enumerate(findings)
            ]
            if rows:
                execute_values(
                    cur,
                    f"INSERT INTO findings ({FINDING_INSERT_COLUMNS}) VALUES %s "
                    "ON CONFLICT (scan_id, fingerprint) DO NOTHING",
                    rows,
                    page_size=INSERT_PAGE,
                )
            return True

    def iter_findings(
        self, organisation_id: str, scan_id: str, page: int = MAX_PAGE
    ) -> Iterator[Finding]:
        """All of a scan's findings in the scanner's order, read `page` at a time (keyset
        pagination, one short transaction per page): for reports of any size."""
        org, sid = uuid_or_none(organisation_id), uuid_or_none(scan_id)
        if org is None or sid is None:
            return
        after: tuple[int, str] = (-1, "00000000-0000-0000-0000-000000000000")
        while True:
            with self.db.transaction() as cur:
                cur.execute(
                    f"SELECT {FINDING_COLUMNS}, seq AS page_seq FROM findings "
                    "WHERE organisation_id = %s AND scan_id = %s AND (seq, id) > (%s, %s::uuid) "
                    "ORDER BY seq, id LIMIT %s",
                    (org, sid, *after, _limit(page)),
                )
                rows = fetch_dicts(cur)
            if not rows:
                return
            after = (rows[-1]["page_seq"], str(rows[-1]["id"]))
            for row in rows:
                del row["page_seq"]
                yield finding_from_row(row)

    def save_result(self, scan_id: str, result: ScanResult) -> bool:
        """Store one finished scan; see save_results."""
        return self.save_results([(scan_id, result)])[0]

    def save_results(self, results: Sequence[tuple[str, ScanResult]]) -> list[bool]:
        """Store finished scans in one transaction (one wait for the disk for all);
        per scan False if it was deleted or cancelled meanwhile.

        Idempotent: a scan's findings are replaced, not added to, and
        (scan_id, fingerprint) is unique as a second guard. A result whose first
        `handed_on` findings were stored in pages (add_findings) keeps those and
        replaces only what follows them. Each scan row is locked
        first, so two deliveries finishing at once write one after the other.
        """
        with self.db.transaction() as cur:
            return _save_results(cur, results)

    def fail_scan(self, scan_id: str, reason: str, *, degraded: bool = False) -> bool:
        """End a queued or running scan as failed, with the reason shown to the user;
        `degraded` when a service it needs is known to be down (a circuit is open)."""
        sid = uuid_or_none(scan_id)
        if sid is None:
            return False
        status = "degraded" if degraded else "failed"
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE scans SET status = %s, error = %s, finished_at = now() "
                "WHERE id = %s AND status IN %s",
                (status, clean(reason)[:MAX_ERROR], sid, UNFINISHED),
            )
            if cur.rowcount != 1:
                return False
            # pages a delivery stored before it failed: a failed scan lists no findings
            cur.execute("DELETE FROM findings WHERE scan_id = %s", (sid,))
            return True

    def set_progress(self, scan_id: str, percent: int, message: str) -> None:
        """Best effort, for a running scan only (never revives a finished one)."""
        sid = uuid_or_none(scan_id)
        if sid is None:
            return
        with self.db.transaction() as cur:
            cur.execute(
                f"{ASYNC_COMMIT}; UPDATE scans SET progress = %s, progress_message = %s "
                "WHERE id = %s AND status = 'running'",
                (_percent(percent), clean(message)[:MAX_MESSAGE], sid),
            )

    # -- findings ----------------------------------------------------------------

    def list_findings(
        self,
        organisation_id: str,
        scan_id: str,
        severity: str | Collection[str] | None = None,
        rule_id: str | Collection[str] | None = None,
        status: str | Collection[str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[Finding], int]:
        """One page of a scan's findings in the scanner's order, and the total that match.

        An unknown severity or status is a ValueError (the caller's input was wrong);
        an unknown or foreign scan gives ([], 0).
        """
        severities = _values(severity, lambda s: Severity.parse(s).value)
        statuses = _values(status, lambda s: FindingStatus(s.strip().lower()).value)
        rules = _values(rule_id, str)
        org, sid = uuid_or_none(organisation_id), uuid_or_none(scan_id)
        if org is None or sid is None:
            return [], 0
        where = ["organisation_id = %s", "scan_id = %s"]
        params: list[Any] = [org, sid]
        for column, values in (("severity", severities), ("rule_id", rules), ("status", statuses)):
            if values is not None:
                where.append(f"{column} = ANY(%s)")
                params.append(values)
        condition = " AND ".join(where)
        with self.db.transaction() as cur:
            cur.execute(f"SELECT count(*) FROM findings WHERE {condition}", params)
            total = int(cur.fetchone()[0])
            if total == 0:
                return [], 0
            cur.execute(
                f"SELECT {FINDING_COLUMNS} FROM findings WHERE {condition} "
                "ORDER BY seq, id LIMIT %s OFFSET %s",
                [*params, _limit(limit), max(0, offset)],
            )
            return [finding_from_row(r) for r in fetch_dicts(cur)], total

    def get_finding(self, organisation_id: str, finding_id: str) -> Finding | None:
        row = owned_row(self.db, "findings", FINDING_COLUMNS, organisation_id, finding_id)
        return finding_from_row(row) if row else None

    def set_finding_status(
        self, organisation_id: str, finding_id: str, status: str | FindingStatus
    ) -> Finding | None:
        """Triage a finding, and re-score its scan: false positives and fixed findings
        do not count towards the score (dgp.domain.score)."""
        new = FindingStatus(str(status).strip().lower())
        org, fid = uuid_or_none(organisation_id), uuid_or_none(finding_id)
        if org is None or fid is None:
            return None
        with self.db.transaction() as cur:
            cur.execute(
                f"UPDATE findings SET status = %s WHERE id = %s AND organisation_id = %s "
                f"RETURNING {FINDING_COLUMNS}",
                (new.value, fid, org),
            )
            rows = fetch_dicts(cur)
            if not rows:
                return None
            finding = finding_from_row(rows[0])
            cur.execute(
                "SELECT severity, count(*) FROM findings WHERE scan_id = %s AND status = ANY(%s) "
                "GROUP BY severity",
                (finding.scan_id, [s.value for s in COUNTED_STATUSES]),
            )
            counts = {Severity(sev): n for sev, n in cur.fetchall()}
            cur.execute(
                "UPDATE scans SET score = %s WHERE id = %s AND score IS NOT NULL",
                (score_counts(counts), finding.scan_id),
            )
        return finding

    # -- uploads -----------------------------------------------------------------

    def save_upload(
        self, organisation_id: str, filename: str, stream: BinaryIO, max_bytes: int
    ) -> str:
        """Store an upload; UploadTooLarge past `max_bytes`, with nothing stored."""
        org = _require(organisation_id, "organisation")
        spooled = uploads.spool(stream, max_bytes)
        try:
            with self.db.transaction() as cur:
                return uploads.insert(cur, org, filename, spooled)
        except psycopg2.errors.ForeignKeyViolation:
            raise ValueError("unknown organisation") from None
        finally:
            spooled.close()

    def get_upload(self, organisation_id: str, upload_id: str) -> uploads.Upload | None:
        org, uid = uuid_or_none(organisation_id), uuid_or_none(upload_id)
        if org is None or uid is None:
            return None
        with self.db.transaction() as cur:
            upload = uploads.describe(cur, uid)
        return upload if upload is not None and upload.organisation_id == org else None

    def fetch_upload(self, upload_id: str, dest: Path) -> Path:
        """Worker side: write an upload to a local file for the scanner and return its path.

        `dest` is the file to write, or an existing folder to write the upload's own
        (sanitised) file name into, which keeps its extension for type detection.
        UploadMissing if it is gone; UploadCorrupt if it does not read back whole.
        """
        uid = uuid_or_none(upload_id)
        if uid is None:
            raise UploadMissing(f"no upload {upload_id!r}")
        with self.db.transaction() as cur:
            upload = uploads.describe(cur, uid)
            if upload is None:
                raise UploadMissing(f"upload {uid} is gone")
            return uploads.copy_to(cur, upload, Path(dest))

    def delete_upload(self, upload_id: str, organisation_id: str | None = None) -> bool:
        """Remove an upload's data; the row stays, with deleted_at, as a record.

        By id for the worker; pass `organisation_id` to scope it for a tenant.
        """
        uid = uuid_or_none(upload_id)
        org = uuid_or_none(organisation_id) if organisation_id is not None else None
        if uid is None or (organisation_id is not None and org is None):
            return False
        with self.db.transaction() as cur:
            return _drop_upload_data(cur, uid, org)

    # -- audit log ---------------------------------------------------------------

    def audit(
        self,
        organisation_id: str | None,
        user_id: str | None,
        action: str,
        object_type: str | None = None,
        object_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append to the audit log (logins, scans, triage, exports, user changes).

        `details` must not hold personal data beyond what the action needs."""
        with self.db.transaction() as cur:
            _audit(cur, organisation_id, user_id, action, object_type, object_id, details)

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
                (org, _limit(limit), max(0, offset)),
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


def _audit(
    cur: PgCursor,
    organisation_id: str | None,
    user_id: str | None,
    action: str,
    object_type: str | None,
    object_id: str | None,
    details: dict[str, Any] | None,
) -> None:
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


# The scan row is written only when its organisation exists, the creating user (if
# any) belongs to it and so does the upload (if any); its audit entry comes with it.
_START_SCAN = Prepared(
    "dgp_start_scan",
    f"""
WITH scan AS (
    INSERT INTO scans (organisation_id, created_by, kind, target, options, upload_id)
    SELECT $1::uuid, $2::uuid, $4::text, $5::text, $6::jsonb, $3::uuid
    WHERE EXISTS (SELECT 1 FROM organisations WHERE id = $1)
      AND ($2::uuid IS NULL OR EXISTS (
          SELECT 1 FROM users WHERE id = $2 AND organisation_id = $1))
      AND ($3::uuid IS NULL OR EXISTS (
          SELECT 1 FROM uploads WHERE id = $3 AND organisation_id = $1
          AND deleted_at IS NULL))
    RETURNING {SCAN_COLUMNS}
), audit AS (
    INSERT INTO audit_log (organisation_id, user_id, action, object_type, object_id, details)
    SELECT organisation_id, created_by, 'scan.started', 'scan', id::text, $7::jsonb
    FROM scan
)
SELECT {SCAN_COLUMNS} FROM scan
""",
)


def _missing_owner(cur: PgCursor, org: str, user: str | None, upload: str | None) -> str:
    """Which of start_scan's checks failed: "organisation", "upload" or "user"."""
    cur.execute("SELECT 1 FROM organisations WHERE id = %s", (org,))
    if cur.fetchone() is None:
        return "organisation"
    if upload is not None:
        cur.execute(
            "SELECT 1 FROM uploads WHERE id = %s AND organisation_id = %s AND deleted_at IS NULL",
            (upload, org),
        )
        if cur.fetchone() is None:
            return "upload"
    return "user"


def _save_results(cur: PgCursor, results: Sequence[tuple[str, ScanResult]]) -> list[bool]:
    """save_results' statements: four for the whole batch, whatever its size. A scan
    given twice (two entries for one scan) is saved once, with its last result."""
    ids = [uuid_or_none(scan_id) for scan_id, _ in results]
    last = {sid: n for n, sid in enumerate(ids) if sid is not None}
    cur.execute(  # in id order, so two batches that share scans cannot deadlock
        "SELECT id, organisation_id, status FROM scans WHERE id = ANY(%s::uuid[]) "
        "ORDER BY id FOR UPDATE",
        ([i for i in ids if i],),
    )
    owners = {
        str(row[0]): str(row[1]) for row in cur.fetchall() if row[2] != ScanStatus.CANCELLED.value
    }
    saved = [sid is not None and sid in owners for sid in ids]
    kept = [
        (sid, result)
        for n, (sid, (_, result), ok) in enumerate(zip(ids, results, saved, strict=True))
        if ok and last[sid] == n  # type: ignore[index]
    ]
    if not kept:
        return saved
    execute_values(
        cur,
        "DELETE FROM findings USING (VALUES %s) AS v(id, seq) "
        "WHERE findings.scan_id = v.id AND findings.seq >= v.seq",
        [(sid, result.handed_on) for sid, result in kept],
        template="(%s::uuid, %s::integer)",
        page_size=INSERT_PAGE,
    )
    findings = [
        finding_values(f, sid, owners[sid], result.handed_on + n)
        for sid, result in kept
        for n, f in enumerate(result.findings)
    ]
    if findings:
        execute_values(
            cur,
            f"INSERT INTO findings ({FINDING_INSERT_COLUMNS}) VALUES %s "
            "ON CONFLICT (scan_id, fingerprint) DO NOTHING",
            findings,
            page_size=INSERT_PAGE,
        )
    execute_values(
        cur,
        "UPDATE scans SET status = v.status, stats = v.stats, score = v.score, "
        "error = v.error, progress = v.progress, progress_message = v.message, "
        "finished_at = coalesce(v.finished_at, now()) "
        "FROM (VALUES %s) AS v(id, status, stats, score, error, progress, message, "
        "finished_at) WHERE scans.id = v.id",
        [_result_values(sid, result) for sid, result in kept],
        template="(%s::uuid, %s, %s::jsonb, %s::double precision, %s, %s::integer, %s, "
        "%s::timestamptz)",
        page_size=INSERT_PAGE,
    )
    return saved


def _result_values(sid: str, result: ScanResult) -> tuple[Any, ...]:
    """One scan's row of the UPDATE in _save_results."""
    scan = result.scan
    status = scan.status if scan.status in RESULT_STATUSES else ScanStatus.DONE
    return (
        sid,
        status.value,
        jsonb(scan.stats.to_dict()),
        scan.score,
        clean(scan.error)[:MAX_ERROR] if scan.error else None,
        _percent(scan.progress if status is not ScanStatus.DONE else 100),
        clean(scan.progress_message)[:MAX_MESSAGE],
        scan.finished_at,
    )


def _claimed(row: tuple[Any, ...]) -> ClaimedScan:
    return ClaimedScan(
        id=str(row[0]),
        organisation_id=str(row[1]),
        kind=row[2],
        target=row[3],
        options=dict(row[4] or {}),
        upload_id=str(row[5]) if row[5] else None,
        deliveries=row[6],
        created_by=str(row[7]) if row[7] else None,
    )


def _drop_upload_data(cur: PgCursor, upload_id: str, organisation_id: str | None) -> bool:
    scope = " AND organisation_id = %s" if organisation_id is not None else ""
    params: tuple[Any, ...] = (upload_id,) + ((organisation_id,) if organisation_id else ())
    cur.execute(
        f"UPDATE uploads SET deleted_at = now() WHERE id = %s{scope} AND deleted_at IS NULL",
        params,
    )
    if cur.rowcount != 1:
        return False
    cur.execute("DELETE FROM upload_chunks WHERE upload_id = %s", (upload_id,))
    return True


def _require(value: str, what: str) -> str:
    checked = uuid_or_none(value)
    if checked is None:
        raise ValueError(f"unknown {what}")
    return checked


def _limit(limit: int) -> int:
    return max(1, min(MAX_PAGE, int(limit)))


def _percent(value: int) -> int:
    return max(0, min(100, int(value)))


def _values(value: str | Collection[str] | None, check: Any) -> list[str] | None:
    """A filter as a list of checked values; None means no filter."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    return [check(v) for v in items]
