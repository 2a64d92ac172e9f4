"""Hyperscan databases, compiled once per pattern set and kept on disk.

Compiling the engine's databases takes about a second, which every `dgp scan` paid
before it read a file (and a tree scan's worker processes wait for it). A database
serialized by hyperscan loads in milliseconds, so the first compile of a pattern
set is kept in the user's cache folder under a key of everything that shapes it
(the expressions, their ids and flags, the mode, the hyperscan version); a changed
pattern is a new key. The cache is an optimisation only: a folder that cannot be
made or written, one that others may write to, or a file that does not load gives
a fresh compile, never an error. A file's last 32 bytes are the SHA-256 of the rest,
so a torn or altered file is not handed to hyperscan.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

import hyperscan
from hyperscan import Database

MODE = hyperscan.HS_MODE_BLOCK
MAX_FILES = 256  # the most recently used databases kept (a detector has about 15)
_DIGEST = 32


def cache_folder() -> Path | None:
    """Where compiled databases are kept: $DGP_CACHE_DIR, systemd's $CACHE_DIRECTORY, or
    $XDG_CACHE_HOME (~/.cache)/dataguardian/hyperscan. DGP_CACHE_DIR=off: none."""
    explicit = os.environ.get("DGP_CACHE_DIR")
    if explicit == "off":
        return None
    if explicit:
        return Path(explicit)
    service = os.environ.get("CACHE_DIRECTORY")
    if service:
        return Path(service.split(":")[0]) / "hyperscan"
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home
            return None
    return Path(base) / "dataguardian" / "hyperscan"


def compile_database(
    expressions: Sequence[str], ids: Sequence[int], flags: Sequence[int]
) -> Database:
    """A block-mode database of the expressions: loaded from the cache when it was
    compiled before, else compiled (and kept)."""
    encoded = [e.encode() for e in expressions]
    folder = cache_folder()
    path = None if folder is None else folder / f"{_key(encoded, ids, flags)}.hsdb"
    if path is not None:
        db = _load(path)
        if db is not None:
            return db
    db = hyperscan.Database(mode=MODE)
    db.compile(expressions=encoded, ids=list(ids), elements=len(encoded), flags=list(flags))
    if path is not None:
        _keep(path, db)
    return db


def _key(expressions: Sequence[bytes], ids: Sequence[int], flags: Sequence[int]) -> str:
    digest = hashlib.sha256(f"{hyperscan.__version__}|{MODE}|".encode())
    for expression, pid, flag in zip(expressions, ids, flags, strict=True):
        digest.update(f"{pid}|{flag}|{len(expression)}|".encode())
        digest.update(expression)
    return digest.hexdigest()


def _private(folder: Path) -> bool:
    """The folder is ours and no one else may write to it (else its files are not used)."""
    try:
        info = folder.stat()
    except OSError:
        return False
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.geteuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _load(path: Path) -> Database | None:
    if not _private(path.parent):
        return None
    try:
        with path.open("rb") as handle:
            data = handle.read()
    except OSError:
        return None
    body, digest = data[:-_DIGEST], data[-_DIGEST:]
    if len(data) <= _DIGEST or hashlib.sha256(body).digest() != digest:
        return None
    try:
        db = hyperscan.loadb(body, MODE)
    except hyperscan.error:  # another platform or version of hyperscan wrote it
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept when the folder is pruned
    return db


def _keep(path: Path, db: Database) -> None:
    """Write the database beside its digest, atomically (a rename): a scan running at the
    same time reads the old file, the new one or none, never half of one."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(path.parent):
            return
        body = hyperscan.dumpb(db)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".hsdb-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body + hashlib.sha256(body).digest())
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            return
        _prune(path.parent)


def _prune(folder: Path) -> None:
    """Keep the MAX_FILES most recently used databases (patterns change between versions)."""
    kept = []
    for entry in folder.glob("*.hsdb"):
        with contextlib.suppress(OSError):
            kept.append((entry.stat().st_mtime, entry))
    for _, old in sorted(kept, reverse=True)[MAX_FILES:]:
        with contextlib.suppress(OSError):
            old.unlink()
