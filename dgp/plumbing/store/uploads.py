"""Uploaded files in Postgres, in 1 MiB chunks, where scanners on any host can read them.

An upload is first spooled to a temporary file on this host (in memory while
small), hashed and measured, and only then written to Postgres in one short
transaction. Two reasons: a slow client must not hold a pooled connection for
the length of its upload (ten slow uploads would otherwise take the whole pool),
and an upload over the limit is refused before anything reaches the database.
Reading back streams chunk by chunk, so neither side holds a whole upload in
memory, and checks size and SHA-256 against what was recorded.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

import psycopg2.errors
from psycopg2 import Binary
from psycopg2.extensions import cursor as PgCursor

from dgp.plumbing.store.base import Aggregate, purge_older, require
from dgp.plumbing.store.errors import UploadCorrupt, UploadMissing, UploadTooLarge
from dgp.plumbing.store.rows import clean, uuid_or_none

CHUNK_BYTES = 1024 * 1024
SPOOL_IN_MEMORY = CHUNK_BYTES  # larger uploads spool to a temporary file


@dataclass(frozen=True)
class Upload:
    id: str
    organisation_id: str
    filename: str
    size: int
    sha256: str
    created_at: datetime


@dataclass
class Spooled:
    """An upload read from its client, measured and hashed, not yet stored."""

    file: IO[bytes]
    size: int
    sha256: str

    def close(self) -> None:
        self.file.close()


def spool(stream: BinaryIO, max_bytes: int) -> Spooled:
    """Read `stream` to its end; raise UploadTooLarge as soon as it passes `max_bytes`."""
    digest = hashlib.sha256()
    size = 0
    # closed by the caller through Spooled.close(), or below on failure
    file = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, prefix="dgp-upload-")  # noqa: SIM115
    try:
        while block := stream.read(CHUNK_BYTES):
            size += len(block)
            if size > max_bytes:  # stop reading: the rest of the body is never buffered
                raise UploadTooLarge(max_bytes)
            digest.update(block)
            file.write(block)
    except BaseException:
        file.close()
        raise
    return Spooled(file, size, digest.hexdigest())


MAX_FILENAME_BYTES = 200  # below every file system's 255, with room for a prefix


def safe_filename(filename: str) -> str:
    """The last path component only: the name tells a scanner the file type, nothing more."""
    name = clean(PurePosixPath(filename.replace("\\", "/")).name.strip())
    if len(name.encode()) > MAX_FILENAME_BYTES:  # file systems count bytes, not characters
        suffix = PurePosixPath(name).suffix[:16]
        stem = name[: len(name) - len(suffix)].encode()[: MAX_FILENAME_BYTES - len(suffix.encode())]
        name = stem.decode("utf-8", "ignore") + suffix
    return name if name not in ("", ".", "..") else "upload"


def insert(cur: PgCursor, organisation_id: str, filename: str, spooled: Spooled) -> str:
    """Write a spooled upload: the row, then its chunks (seq 0, 1, ...)."""
    cur.execute(
        "INSERT INTO uploads (organisation_id, filename, size, sha256) "
        "VALUES (%s, %s, %s, %s) RETURNING id",
        (organisation_id, safe_filename(filename), spooled.size, spooled.sha256),
    )
    upload_id = str(cur.fetchone()[0])
    spooled.file.seek(0)
    seq = 0
    while block := spooled.file.read(CHUNK_BYTES):
        cur.execute(
            "INSERT INTO upload_chunks (upload_id, seq, data) VALUES (%s, %s, %s)",
            (upload_id, seq, Binary(block)),
        )
        seq += 1
    return upload_id


def describe(cur: PgCursor, upload_id: str) -> Upload | None:
    cur.execute(
        "SELECT id, organisation_id, filename, size, sha256, created_at FROM uploads "
        "WHERE id = %s AND deleted_at IS NULL",
        (upload_id,),
    )
    row = cur.fetchone()
    if row is None:
        return None
    return Upload(str(row[0]), str(row[1]), row[2], row[3], row[4] or "", row[5])


def copy_to(cur: PgCursor, upload: Upload, dest: Path) -> Path:
    """Write the chunks to `dest` (a file path, or a folder to put the upload's name in)."""
    path = dest / upload.filename if dest.is_dir() else dest
    digest = hashlib.sha256()
    size = seq = 0
    try:
        with path.open("wb") as out:
            while True:  # one chunk per round trip: memory stays at one chunk
                cur.execute(
                    "SELECT data FROM upload_chunks WHERE upload_id = %s AND seq = %s",
                    (upload.id, seq),
                )
                row = cur.fetchone()
                if row is None:
                    break
                block = bytes(row[0])
                digest.update(block)
                out.write(block)
                size += len(block)
                seq += 1
        if size != upload.size or digest.hexdigest() != upload.sha256:
            if seq == 0 and upload.size:
                raise UploadMissing(f"upload {upload.id} has no data (deleted meanwhile?)")
            raise UploadCorrupt(
                f"upload {upload.id} read back as {size} bytes with another SHA-256 "
                f"than the {upload.size} bytes stored"
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def drop_data(cur: PgCursor, upload_id: str, organisation_id: str | None) -> bool:
    """Remove an upload's chunks and mark its row deleted; False if it had none left."""
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


def drop_ended(cur: PgCursor, upload_ids: Sequence[object]) -> int:
    """Remove the data of the uploads of scans that just ended (failed, dead-lettered,
    cancelled), in the transaction that ended them: an upload holds raw personal data.
    One that a queued or running scan still reads is kept. How many were dropped."""
    wanted = sorted({str(u) for u in upload_ids if u is not None})
    if not wanted:
        return 0
    cur.execute(
        "UPDATE uploads u SET deleted_at = now() WHERE u.id = ANY(%s::uuid[]) "
        "AND u.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM scans s "
        "WHERE s.upload_id = u.id AND s.status IN ('queued', 'running')) RETURNING u.id",
        (wanted,),
    )
    dropped = [str(row[0]) for row in cur.fetchall()]
    if dropped:
        cur.execute("DELETE FROM upload_chunks WHERE upload_id = ANY(%s::uuid[])", (dropped,))
    return len(dropped)


class Uploads(Aggregate):
    def save_upload(
        self, organisation_id: str, filename: str, stream: BinaryIO, max_bytes: int
    ) -> str:
        """Store an upload; UploadTooLarge past `max_bytes`, with nothing stored."""
        org = require(organisation_id, "organisation")
        spooled = spool(stream, max_bytes)
        try:
            with self.db.transaction() as cur:
                return insert(cur, org, filename, spooled)
        except psycopg2.errors.ForeignKeyViolation:
            raise ValueError("unknown organisation") from None
        finally:
            spooled.close()

    def get_upload(self, organisation_id: str, upload_id: str) -> Upload | None:
        org, uid = uuid_or_none(organisation_id), uuid_or_none(upload_id)
        if org is None or uid is None:
            return None
        with self.db.transaction() as cur:
            upload = describe(cur, uid)
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
            upload = describe(cur, uid)
            if upload is None:
                raise UploadMissing(f"upload {uid} is gone")
            return copy_to(cur, upload, Path(dest))

    def delete_upload(self, upload_id: str, organisation_id: str | None = None) -> bool:
        """Remove an upload's data; the row stays, with deleted_at, as a record.

        By id for the worker; pass `organisation_id` to scope it for a tenant.
        """
        uid = uuid_or_none(upload_id)
        org = uuid_or_none(organisation_id) if organisation_id is not None else None
        if uid is None or (organisation_id is not None and org is None):
            return False
        with self.db.transaction() as cur:
            return drop_data(cur, uid, org)

    def purge_uploads(self, days: float) -> int:
        """Retention: delete every organisation's uploads created more than `days` ago,
        data and record (a scan that named one keeps its other fields)."""
        return purge_older(self.db, "uploads", days)
