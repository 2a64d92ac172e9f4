"""Scans in Postgres: the source of truth for jobs, from start to result.

Two kinds of callers, two kinds of methods:

- tenant side (the web app): every method takes `organisation_id` first and
  scopes every statement by it. Another organisation's id, a missing id and a
  malformed id all give the same answer (None, empty, False), so an API built on
  this cannot tell a caller whether someone else's object exists.
- worker side (the queue consumer): methods keyed by scan id only, because a job
  carries nothing else. Result writes are idempotent: a job that is delivered
  again replaces its findings instead of adding to them.

There is one way to start a scan, `start_scan`: the row and its audit entry in one
prepared statement, on the path of every submit.

A long scan's findings arrive in pages while it runs (`add_findings`), each in a
transaction of its own, fenced by the delivery that claimed the scan: a page of an
earlier delivery (a scanner that was thought dead) writes nothing. Claiming a scan
deletes what an earlier, unfinished delivery wrote; the final `save_results` adds the
last findings and ends the scan. Page commits are asynchronous: the final commit
waits for the disk, and the log being sequential makes the pages durable with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg2.extensions import cursor as PgCursor
from psycopg2.extras import execute_values

from dgp.domain.finding import Finding
from dgp.domain.job import ScanResult
from dgp.domain.scan import Scan, ScanStatus
from dgp.plumbing.store import artefacts, findings, uploads
from dgp.plumbing.store.base import Aggregate, page_limit, purge_older, require
from dgp.plumbing.store.errors import UnknownReference
from dgp.plumbing.store.prepared import Prepared
from dgp.plumbing.store.rows import (
    SCAN_COLUMNS,
    clean,
    fetch_dicts,
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
MAX_MESSAGE = 500  # progress messages
MAX_ERROR = 4000  # failure reasons
UPDATE_PAGE = 500  # scan rows per UPDATE statement
# Writes whose loss in a crash of Postgres costs nothing but a rerun: no wait for the disk.
ASYNC_COMMIT = "SET LOCAL synchronous_commit TO OFF"


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
    questionnaire: dict[str, Any] | None = None
    scan_ids: tuple[str, ...] = ()
    credential_id: str | None = None  # decrypted by the worker for the scanner


class Scans(Aggregate):
    # -- scans (tenant side) -----------------------------------------------------

    def start_scan(
        self,
        organisation_id: str,
        created_by: str | None,
        kind: str,
        target: str,
        options: dict[str, Any],
        upload_id: str | None = None,
        *,
        questionnaire: dict[str, Any] | None = None,
        scan_ids: Sequence[str] = (),
        credential_id: str | None = None,
    ) -> Scan:
        """A queued scan and its audit entry, in one statement (so one transaction and
        one round trip: this is on the path of every submit). The upload, the creating
        user and the earlier scans it is given must belong to the same organisation
        and credential (else UnknownReference, a ValueError): a scan must not read
        another tenant's upload, scans or credential."""
        org = require(organisation_id, "organisation")
        user = None if created_by is None else require(created_by, "user")
        upload = None if upload_id is None else require(upload_id, "upload")
        earlier = list(dict.fromkeys(require(s, "scan") for s in scan_ids))  # each once
        credential = None if credential_id is None else require(credential_id, "credential")
        details = {"kind": kind, **({"credential": credential} if credential else {})}
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
                    jsonb(details),
                    None if questionnaire is None else jsonb(questionnaire),
                    "{" + ",".join(earlier) + "}",  # a uuid[] literal (UUIDs need no quoting)
                    credential,
                ),
            )
            rows = fetch_dicts(cur)
            if not rows:  # a check refused it: say which (rare, so a second look is fine)
                raise UnknownReference(
                    f"unknown {_missing_owner(cur, org, user, upload, earlier, credential)}"
                )
        return scan_from_row(rows[0])

    def get_scan(self, organisation_id: str, scan_id: str) -> Scan | None:
        row = owned_row(self.db, "scans", SCAN_COLUMNS, organisation_id, scan_id)
        return scan_from_row(row) if row else None

    def get_scans(self, organisation_id: str, scan_ids: Sequence[str]) -> list[Scan]:
        """The organisation's scans among `scan_ids`, in that order; others are left out."""
        org = uuid_or_none(organisation_id)
        ids = [checked for sid in scan_ids if (checked := uuid_or_none(sid))]
        if org is None or not ids:
            return []
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {SCAN_COLUMNS} FROM scans "
                "WHERE id = ANY(%s::uuid[]) AND organisation_id = %s",
                (ids, org),
            )
            found = {str(row["id"]): scan_from_row(row) for row in fetch_dicts(cur)}
        return [found[sid] for sid in dict.fromkeys(ids) if sid in found]

    def list_scans(self, organisation_id: str, limit: int = 50, offset: int = 0) -> list[Scan]:
        """Newest first."""
        org = uuid_or_none(organisation_id)
        if org is None:
            return []
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {SCAN_COLUMNS} FROM scans WHERE organisation_id = %s "
                "ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
                (org, page_limit(limit), max(0, offset)),
            )
            return [scan_from_row(r) for r in fetch_dicts(cur)]

    def count_scans(self, organisation_id: str) -> int:
        org = uuid_or_none(organisation_id)
        if org is None:
            return 0
        with self.db.transaction() as cur:
            cur.execute("SELECT count(*) FROM scans WHERE organisation_id = %s", (org,))
            return int(cur.fetchone()[0])

    def cancel_scan(
        self, organisation_id: str, scan_id: str, *, forget_upload: bool = False
    ) -> bool:
        """Stop a queued or running scan: its job is then dropped when claimed, and a
        running scanner's result is not saved; `forget_upload` drops its upload's data
        at once (delete_uploads_after_scan)."""
        org, sid = uuid_or_none(organisation_id), uuid_or_none(scan_id)
        if org is None or sid is None:
            return False
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE scans SET status = 'cancelled', finished_at = now() "
                "WHERE id = %s AND organisation_id = %s AND status IN %s RETURNING upload_id",
                (sid, org, UNFINISHED),
            )
            return _ended(cur, forget_upload)

    def delete_scan(self, organisation_id: str, scan_id: str) -> bool:
        """Delete a scan with its findings and artefacts, and its upload unless another
        scan uses it."""
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
                    uploads.drop_data(cur, str(row[0]), org)
            return True

    def purge_scans(self, days: float) -> int:
        """Retention: delete every organisation's scans created more than `days` ago,
        with their findings and artefacts. The number of scans deleted."""
        return purge_older(self.db, "scans", days)

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
                "deliveries, created_by, questionnaire, scan_ids::text[], credential_id",
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
        self, scan_id: str, delivery: int, page: Sequence[Finding], first_seq: int
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
            findings.insert(cur, [(sid, str(row[0]), first_seq, page)])
            return True

    def save_result(self, scan_id: str, result: ScanResult) -> bool:
        """Store one finished scan; see save_results."""
        return self.save_results([(scan_id, result)])[0]

    def save_results(self, results: Sequence[tuple[str, ScanResult]]) -> list[bool]:
        """Store finished scans in one transaction (one wait for the disk for all);
        per scan False if it was deleted or cancelled meanwhile.

        Idempotent: a scan's findings and artefacts are replaced, not added to, and
        (scan_id, fingerprint) and (scan_id, name) are unique as a second guard. A
        result whose first `handed_on` findings were stored in pages (add_findings)
        keeps those and replaces only what follows them. Each scan row is locked first,
        so two deliveries finishing at once write one after the other.
        """
        with self.db.transaction() as cur:
            return _save_results(cur, results)

    def fail_scan(
        self, scan_id: str, reason: str, *, degraded: bool = False, forget_upload: bool = False
    ) -> bool:
        """End a queued or running scan as failed, with the reason shown to the user;
        `degraded` when a service it needs is known to be down (a circuit is open);
        `forget_upload` drops its upload's data in the same transaction."""
        sid = uuid_or_none(scan_id)
        if sid is None:
            return False
        status = "degraded" if degraded else "failed"
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE scans SET status = %s, error = %s, finished_at = now() "
                "WHERE id = %s AND status IN %s RETURNING upload_id",
                (status, clean(reason)[:MAX_ERROR], sid, UNFINISHED),
            )
            if not _ended(cur, forget_upload):
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


# The scan row is written only when its organisation exists, the creating user (if
# any) belongs to it and so do the upload and credential (if any) and the earlier scans it is given
# (distinct ids, so counting them is the check); its audit entry comes with it.
_START_SCAN = Prepared(
    "dgp_start_scan",
    f"""
WITH scan AS (
    INSERT INTO scans (organisation_id, created_by, kind, target, options, upload_id,
                       questionnaire, scan_ids, credential_id)
    SELECT $1::uuid, $2::uuid, $4::text, $5::text, $6::jsonb, $3::uuid, $8::jsonb, $9::uuid[],
           $10::uuid
    WHERE EXISTS (SELECT 1 FROM organisations WHERE id = $1)
      AND ($2::uuid IS NULL OR EXISTS (
          SELECT 1 FROM users WHERE id = $2 AND organisation_id = $1))
      AND ($3::uuid IS NULL OR EXISTS (
          SELECT 1 FROM uploads WHERE id = $3 AND organisation_id = $1
          AND deleted_at IS NULL))
      AND (cardinality($9::uuid[]) = 0 OR cardinality($9::uuid[]) = (
          SELECT count(*) FROM scans WHERE id = ANY($9::uuid[]) AND organisation_id = $1))
      AND ($10::uuid IS NULL OR EXISTS (
          SELECT 1 FROM credentials WHERE id = $10 AND organisation_id = $1))
    RETURNING {SCAN_COLUMNS}
), audit AS (
    INSERT INTO audit_log (organisation_id, user_id, action, object_type, object_id, details)
    SELECT organisation_id, created_by, 'scan.started', 'scan', id::text, $7::jsonb
    FROM scan
)
SELECT {SCAN_COLUMNS} FROM scan
""",
)


def _ended(cur: PgCursor, forget_uploads: bool) -> bool:
    """After an UPDATE ... RETURNING upload_id that ended scans: drop their uploads'
    data when asked; whether any scan ended."""
    ended = [row[0] for row in cur.fetchall()]
    if forget_uploads:
        uploads.drop_ended(cur, ended)
    return bool(ended)


def _missing_owner(
    cur: PgCursor,
    org: str,
    user: str | None,
    upload: str | None,
    earlier: list[str],
    credential: str | None,
) -> str:
    """Which of start_scan's checks failed: "organisation", "upload", the scans not
    found (another organisation's look the same as missing ones), "credential" or
    "user"."""
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
    if earlier:
        cur.execute(
            "SELECT id::text FROM scans WHERE id = ANY(%s::uuid[]) AND organisation_id = %s",
            (earlier, org),
        )
        found = {row[0] for row in cur.fetchall()}
        if missing := [sid for sid in earlier if sid not in found]:
            return f"scan{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
    if credential is not None:
        cur.execute(
            "SELECT 1 FROM credentials WHERE id = %s AND organisation_id = %s", (credential, org)
        )
        if cur.fetchone() is None:
            return "credential"
    return "user"


def _save_results(cur: PgCursor, results: Sequence[tuple[str, ScanResult]]) -> list[bool]:
    """save_results' statements: five for the whole batch, whatever its size, and one
    per artefact. A scan given twice (two entries for one scan) is saved once, with its
    last result."""
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
    findings.replace(cur, kept, owners)
    artefacts.replace(cur, kept, owners)
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
        page_size=UPDATE_PAGE,
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
        questionnaire=row[8],
        scan_ids=tuple(row[9] or ()),
        credential_id=str(row[10]) if row[10] else None,
    )


def _percent(value: int) -> int:
    return max(0, min(100, int(value)))
