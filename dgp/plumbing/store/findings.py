"""Findings: read per scan (filtered, paged), triaged, and replaced with a scan's result.

A scan's findings are written only by the scans aggregate's save (`replace`, in
its transaction); tenants read and triage them, scoped by organisation.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any

from psycopg2.extensions import cursor as PgCursor
from psycopg2.extras import execute_values

from dgp.domain.finding import Finding, FindingStatus
from dgp.domain.job import ScanResult
from dgp.domain.score import COUNTED_STATUSES, score_counts
from dgp.domain.severity import Severity
from dgp.plumbing.store.base import MAX_PAGE, Aggregate, page_limit
from dgp.plumbing.store.rows import (
    FINDING_COLUMNS,
    FINDING_INSERT_COLUMNS,
    fetch_dicts,
    finding_from_row,
    finding_values,
    owned_row,
    uuid_or_none,
)

INSERT_PAGE = 500  # findings per INSERT statement


class Findings(Aggregate):
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
                [*params, page_limit(limit), max(0, offset)],
            )
            return [finding_from_row(r) for r in fetch_dicts(cur)], total

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
                    (org, sid, *after, page_limit(page)),
                )
                rows = fetch_dicts(cur)
            if not rows:
                return
            after = (rows[-1]["page_seq"], str(rows[-1]["id"]))
            for row in rows:
                del row["page_seq"]
                yield finding_from_row(row)

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


def replace(
    cur: PgCursor, results: Sequence[tuple[str, ScanResult]], owners: dict[str, str]
) -> None:
    """The scans' findings become their results' findings: two statements for the whole
    batch. Findings a result says were handed on before it (stored in pages by the same
    delivery) stay; the ones after them are replaced. (scan_id, fingerprint) is unique,
    so a finding given twice is stored once."""
    execute_values(
        cur,
        "DELETE FROM findings USING (VALUES %s) AS v(id, seq) "
        "WHERE findings.scan_id = v.id AND findings.seq >= v.seq",
        [(sid, result.handed_on) for sid, result in results],
        template="(%s::uuid, %s::integer)",
        page_size=INSERT_PAGE,
    )
    insert(cur, [(sid, owners[sid], r.handed_on, r.findings) for sid, r in results])


def insert(cur: PgCursor, pages: Sequence[tuple[str, str, int, Sequence[Finding]]]) -> None:
    """Findings as (scan id, organisation id, seq of the first, findings): one statement
    per INSERT_PAGE rows; a fingerprint the scan has already is left as it is."""
    rows = [
        finding_values(f, sid, org, first + n)
        for sid, org, first, page in pages
        for n, f in enumerate(page)
    ]
    if rows:
        execute_values(
            cur,
            f"INSERT INTO findings ({FINDING_INSERT_COLUMNS}) VALUES %s "
            "ON CONFLICT (scan_id, fingerprint) DO NOTHING",
            rows,
            page_size=INSERT_PAGE,
        )


def _values(value: str | Collection[str] | None, check: Any) -> list[str] | None:
    """A filter as a list of checked values; None means no filter."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    return [check(v) for v in items]
