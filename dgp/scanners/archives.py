"""Unpacking uploaded and nested archives without trusting them.

Refused: entries that climb out of the destination (`../`, absolute paths),
links and device files, more entries or more unpacked bytes than the limits,
and entries that expand more than the allowed ratio (zip bombs). Sizes are
counted while copying, not taken from headers that can lie, and the ratio is
checked against the packed bytes read so far, as the archive streams.
"""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from dgp.domain.options import Limits

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_CHUNK = 1024 * 1024
_RATIO_FLOOR = 1024 * 1024  # ratios count only once an entry has unpacked this much


class ArchiveError(Exception):
    """The archive as a whole is refused or unreadable; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Unpacked:
    root: Path
    refused: list[tuple[str, str]] = field(default_factory=list)  # (entry name, reason)


def is_archive(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in ARCHIVE_SUFFIXES)


def unpack(archive: Path, dest: Path, limits: Limits) -> Unpacked:
    """Unpack into `dest` (created) and return what was refused, entry by entry."""
    dest.mkdir(parents=True, exist_ok=True)
    result = Unpacked(dest)
    try:
        with archive.open("rb") as raw:
            budget = _Budget(limits, consumed=raw.tell)
            if zipfile.is_zipfile(raw):
                _unpack_zip(raw, result, budget)
            elif _is_tar(raw):
                _unpack_tar(raw, result, budget)
            else:
                raise ArchiveError("not a zip or tar archive")
    except ArchiveError:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as e:
        shutil.rmtree(dest, ignore_errors=True)
        raise ArchiveError(f"corrupt archive: {type(e).__name__}: {e}") from None
    return result


def _is_tar(raw: IO[bytes]) -> bool:
    raw.seek(0)
    try:
        with tarfile.open(fileobj=raw, mode="r:*"):
            return True
    except tarfile.TarError:
        return False
    finally:
        raw.seek(0)


class _Budget:
    """Entries, bytes and the compression ratio, counted as the archive streams.

    The ratio compares what was unpacked so far with the packed bytes read so far
    (`consumed`: the archive file's position), not with the whole file: a bomb
    trips after about a mebibyte, not after writing the byte limit to disk.
    """

    def __init__(self, limits: Limits, consumed: Callable[[], int]) -> None:
        self.limits = limits
        self.consumed = consumed
        self.entries = 0
        self.unpacked = 0

    def entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_archive_entries:
            raise ArchiveError(f"more than {self.limits.max_archive_entries} entries")

    def grow(self, n: int) -> None:
        self.unpacked += n
        if self.unpacked > self.limits.max_archive_bytes:
            raise ArchiveError(f"unpacks to more than {self.limits.max_archive_bytes} bytes")
        ratio = self.unpacked / max(self.consumed(), 1)
        if self.unpacked > _RATIO_FLOOR and ratio > self.limits.max_compression_ratio:
            raise ArchiveError(
                f"compression ratio above {self.limits.max_compression_ratio:g}:1 (zip bomb)"
            )


def _safe_target(root: Path, name: str) -> Path | None:
    """Where an entry may go, or None when its name leaves the root."""
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        return None
    if pure.parts[0].endswith(":"):  # a Windows drive letter
        return None
    return root.joinpath(*pure.parts)


def _copy(source: IO[bytes], target: Path, budget: _Budget) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            budget.grow(len(chunk))
            out.write(chunk)


def _unpack_zip(raw: IO[bytes], result: Unpacked, budget: _Budget) -> None:
    raw.seek(0)
    with zipfile.ZipFile(raw) as zf:
        for info in zf.infolist():
            budget.entry()
            target = _safe_target(result.root, info.filename)
            if target is None:
                result.refused.append((info.filename, "path leaves the archive (traversal)"))
                continue
            mode = info.external_attr >> 16
            if (mode & 0o170000) == 0o120000:
                result.refused.append((info.filename, "symbolic link"))
                continue
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if info.flag_bits & 0x1:
                result.refused.append((info.filename, "encrypted entry"))
                continue
            with zf.open(info) as source:
                _copy(source, target, budget)


def _unpack_tar(raw: IO[bytes], result: Unpacked, budget: _Budget) -> None:
    with tarfile.open(fileobj=raw, mode="r:*") as tf:
        for member in _members(tf):
            budget.entry()
            target = _safe_target(result.root, member.name)
            if target is None:
                result.refused.append((member.name, "path leaves the archive (traversal)"))
            elif member.issym() or member.islnk():
                result.refused.append((member.name, "link"))
            elif member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif not member.isfile():
                result.refused.append((member.name, "device or special file"))
            else:
                source = tf.extractfile(member)
                if source is not None:
                    with source:
                        _copy(source, target, budget)


def _members(tf: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while (member := tf.next()) is not None:
        yield member
