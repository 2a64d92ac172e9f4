"""What every aggregate of the store shares: the pool, checked ids and bounded pages.

The tenant data is split by aggregate (organisations, scans, findings, uploads,
artefacts, audit), one module each; `ScanStore` joins them for callers that want
one object. Each aggregate holds nothing but the pool, so they combine freely.
"""

from __future__ import annotations

from dgp.plumbing.store.pool import Database
from dgp.plumbing.store.rows import uuid_or_none

MAX_PAGE = 1000
PURGE_BATCH = 500  # rows deleted per transaction by retention


class Aggregate:
    """One aggregate's statements over the shared pool."""

    def __init__(self, db: Database) -> None:
        self.db = db


def require(value: str, what: str) -> str:
    """`value` as a canonical UUID; ValueError("unknown WHAT") for anything else."""
    checked = uuid_or_none(value)
    if checked is None:
        raise ValueError(f"unknown {what}")
    return checked


def page_limit(limit: int) -> int:
    return max(1, min(MAX_PAGE, int(limit)))


def purge_older(db: Database, table: str, days: float, batch: int = PURGE_BATCH) -> int:
    """Delete the rows of `table` created more than `days` ago, oldest first, `batch` per
    transaction (short locks, however much is due); rows another purge holds are left
    to it. The number deleted. `table` is one of ours, never input."""
    deleted = 0
    while True:
        with db.transaction() as cur:
            cur.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "
                "WHERE created_at < now() - %s * interval '1 day' "
                "ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED)",
                (days, batch),
            )
            count = cur.rowcount
        deleted += count
        if count < batch:
            return deleted
