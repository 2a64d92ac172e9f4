"""Artefacts: the files a scan makes besides findings, stored in Postgres.

Like uploads, they live where scanners and web apps on every host can read them.
They are written only by the scans aggregate's save (`replace`, in the transaction
that writes the findings) and read by tenants: listed, and downloaded in slices so
that neither the web app nor one query ever holds a large artefact whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg2 import Binary
from psycopg2.extensions import cursor as PgCursor

from dgp.domain.job import Artefact, ScanResult
from dgp.plumbing.store.base import Aggregate
from dgp.plumbing.store.rows import clean, uuid_or_none

SLICE_BYTES = 1024 * 1024  # read per query when downloading
_COLUMNS = "a.scan_id, a.name, a.media_type, a.size, a.sha256, a.created_at"


@dataclass(frozen=True)
class StoredArtefact:
    """An artefact's record: what the API lists (the bytes are read apart)."""

    scan_id: str
    name: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "created_at": self.created_at.isoformat(),
        }


class ArtefactChanged(RuntimeError):
    """An artefact read back in slices does not match its record (replaced meanwhile)."""


class Artefacts(Aggregate):
    def list_artefacts(self, organisation_id: str, scan_id: str) -> list[StoredArtefact] | None:
        """A scan's artefacts by name; None if the scan is not the organisation's."""
        rows = self._scan_rows(
            f"SELECT {_COLUMNS} FROM scans s LEFT JOIN artefacts a ON a.scan_id = s.id "
            "WHERE s.id = %s AND s.organisation_id = %s ORDER BY a.name",
            organisation_id,
            scan_id,
        )
        return None if not rows else [_stored(row) for row in rows if row[1] is not None]

    def get_artefact(self, organisation_id: str, scan_id: str, name: str) -> StoredArtefact | None:
        rows = self._scan_rows(
            f"SELECT {_COLUMNS} FROM artefacts a "
            "WHERE a.scan_id = %s AND a.organisation_id = %s AND a.name = %s",
            organisation_id,
            scan_id,
            clean(name),
        )
        return _stored(rows[0]) if rows else None

    def read_artefact(
        self, organisation_id: str, scan_id: str, name: str, offset: int, length: int
    ) -> bytes | None:
        """`length` bytes from `offset` (fewer at the end); None if it is gone."""
        rows = self._scan_rows(
            "SELECT substring(data FROM %s FOR %s) FROM artefacts "
            "WHERE scan_id = %s AND organisation_id = %s AND name = %s",
            organisation_id,
            scan_id,
            clean(name),
            before=(offset + 1, length),
        )
        return bytes(rows[0][0]) if rows else None

    def _scan_rows(
        self,
        sql: str,
        organisation_id: str,
        scan_id: str,
        *after: Any,
        before: tuple[Any, ...] = (),
    ) -> list[tuple[Any, ...]]:
        """The rows of `sql`, whose parameters are `before`, the scan id, the organisation
        id and `after`; none for a malformed id (as for a missing or foreign one)."""
        org, sid = uuid_or_none(organisation_id), uuid_or_none(scan_id)
        if org is None or sid is None:
            return []
        with self.db.transaction() as cur:
            cur.execute(sql, (*before, sid, org, *after))
            return list(cur.fetchall())

    def artefact_bytes(self, organisation_id: str, artefact: StoredArtefact) -> Iterator[bytes]:
        """The artefact's bytes, a slice per query (no transaction held between them);
        ArtefactChanged if what is read is not what the record says."""
        digest, offset = hashlib.sha256(), 0
        while offset < artefact.size:
            block = self.read_artefact(
                organisation_id, artefact.scan_id, artefact.name, offset, SLICE_BYTES
            )
            if not block:
                raise ArtefactChanged(f"artefact {artefact.name} is gone")
            digest.update(block)
            offset += len(block)
            yield block
        if offset != artefact.size or digest.hexdigest() != artefact.sha256:
            raise ArtefactChanged(f"artefact {artefact.name} changed while it was read")


def replace(
    cur: PgCursor, results: Sequence[tuple[str, ScanResult]], owners: dict[str, str]
) -> None:
    """The scans' artefacts become their results' artefacts. One INSERT per artefact:
    each may be large, and one statement holds only one of them (as SQL text, twice its
    size). Of two artefacts of one scan with the same name, the last one is kept."""
    cur.execute("DELETE FROM artefacts WHERE scan_id = ANY(%s::uuid[])", ([s for s, _ in results],))
    for sid, result in results:
        for artefact in {a.name: a for a in result.artefacts}.values():
            cur.execute(
                "INSERT INTO artefacts (scan_id, organisation_id, name, media_type, size, "
                "sha256, data) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                _values(sid, owners[sid], artefact),
            )


def _values(scan_id: str, organisation_id: str, artefact: Artefact) -> tuple[Any, ...]:
    return (
        scan_id,
        organisation_id,
        artefact.name,
        artefact.media_type,
        len(artefact.data),
        hashlib.sha256(artefact.data).hexdigest(),
        Binary(artefact.data),
    )


def _stored(row: Sequence[Any]) -> StoredArtefact:
    return StoredArtefact(str(row[0]), row[1], row[2], int(row[3]), row[4], row[5])
