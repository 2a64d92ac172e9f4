"""What every aggregate of the store shares: the pool, checked ids and bounded pages.

The tenant data is split by aggregate (organisations, scans, findings, uploads,
artefacts, audit), one module each; `ScanStore` joins them for callers that want
one object. Each aggregate holds nothing but the pool, so they combine freely.
"""

from __future__ import annotations

from dgp.plumbing.store.pool import Database
from dgp.plumbing.store.rows import uuid_or_none

MAX_PAGE = 1000


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
