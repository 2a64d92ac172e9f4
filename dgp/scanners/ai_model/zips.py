"""Zip-based model files (PyTorch, .npz, .keras) read entry by entry, never unpacked.

Entries are opened as streams bounded like the shared archive unpacker bounds
uploads (dgp.scanners.archives: bytes out of an entry, and its compression ratio),
so a zip bomb inside a model stops that entry with a reason. When the central
directory is missing or corrupt, the entries are found from their local headers,
as a loader that reads them sequentially would find them; that itself is a finding.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from dgp.domain.options import Limits

_LOCAL = b"PK\x03\x04"
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_RATIO_FLOOR = 1024 * 1024  # as dgp.scanners.archives: ratios count past 1 MiB out
_CHUNK = 1024 * 1024
MAX_NAME = 4096


class Refused(Exception):
    """An entry or file refused by a limit (a zip bomb): not scanned, with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Entry:
    name: str
    size: int  # as the archive claims it (uncompressed)
    compressed: int
    open: Callable[[], IO[bytes]]  # a bounded stream of the entry's bytes


@dataclass
class ZipListing:
    entries: list[Entry]
    broken: str | None = None  # why the central directory could not be used
    handle: zipfile.ZipFile | None = None  # closed by close()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


class Bounded(io.RawIOBase):
    """A stream that refuses to give more than `limit` bytes, or more than `ratio` times
    the bytes it was packed in (checked while reading, not from headers)."""

    def __init__(self, raw: IO[bytes], packed: int, limits: Limits) -> None:
        self.raw = raw
        self.packed = max(packed, 1)
        self.limits = limits
        self.out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        self._count(len(data))
        buffer[: len(data)] = data
        return len(data)

    def _count(self, n: int) -> None:
        self.out += n
        if self.out > self.limits.max_archive_bytes:
            raise Refused(f"an entry unpacks to more than {self.limits.max_archive_bytes} bytes")
        if self.out > _RATIO_FLOOR and self.out / self.packed > self.limits.max_compression_ratio:
            raise Refused(
                f"compression ratio above {self.limits.max_compression_ratio:g}:1 (zip bomb)"
            )


def buffered(raw: IO[bytes], packed: int, limits: Limits) -> IO[bytes]:
    return io.BufferedReader(Bounded(raw, packed, limits), _CHUNK)  # type: ignore[arg-type]


def listing(path: Path, limits: Limits) -> ZipListing:
    """The entries of the zip at `path`, from its central directory or its local headers."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError, OSError) as e:
        return ZipListing(list(_local_entries(path, limits)), f"{type(e).__name__}: {e}")
    infos = zf.infolist()
    if len(infos) > limits.max_archive_entries:
        zf.close()
        raise Refused(f"more than {limits.max_archive_entries} entries")
    entries = []
    for info in infos:
        if info.is_dir():
            continue

        def opener(info: zipfile.ZipInfo = info) -> IO[bytes]:
            if info.flag_bits & 0x1:
                raise Refused("encrypted entry")
            return buffered(zf.open(info), info.compress_size, limits)

        entries.append(Entry(info.filename, info.file_size, info.compress_size, opener))
    return ZipListing(entries, handle=zf)


def _local_entries(path: Path, limits: Limits) -> Iterator[Entry]:
    """Entries found by walking local file headers from the start of the file."""
    size = path.stat().st_size
    offset, count = 0, 0
    with path.open("rb") as f:
        while offset + _LOCAL_HEADER.size <= size:
            f.seek(offset)
            header = f.read(_LOCAL_HEADER.size)
            fields = _LOCAL_HEADER.unpack(header)
            if fields[0] != _LOCAL:
                return
            _, _, flags, method, _, _, _, csize, usize, name_len, extra_len = fields
            name = f.read(name_len).decode("utf-8" if flags & 0x800 else "cp437", "replace")
            extra = f.read(extra_len)
            if 0xFFFFFFFF in (csize, usize):
                usize, csize = _zip64_sizes(extra, usize, csize)
            data_at = offset + _LOCAL_HEADER.size + name_len + extra_len
            if (flags & 0x8 and csize == 0) or data_at + csize > size or method not in (0, 8):
                return  # sizes only in a trailing descriptor, or past the end: stop here
            count += 1
            if count > limits.max_archive_entries:
                raise Refused(f"more than {limits.max_archive_entries} entries")
            if not name.endswith("/"):
                yield Entry(
                    name[:MAX_NAME],
                    usize,
                    csize,
                    _slice_opener(path, data_at, csize, method, limits),
                )
            offset = data_at + csize + (16 if flags & 0x8 else 0)


def _zip64_sizes(extra: bytes, usize: int, csize: int) -> tuple[int, int]:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag == 0x0001 and length >= 16:
            return struct.unpack_from("<QQ", extra, pos + 4)  # type: ignore[return-value]
        pos += 4 + length
    return usize, csize


def _slice_opener(
    path: Path, at: int, length: int, method: int, limits: Limits
) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        raw: IO[bytes] = _Slice(path, at, length)
        if method == 8:
            raw = _Inflate(raw)
        return buffered(raw, length, limits)

    return opener


class _Slice(io.RawIOBase):
    def __init__(self, path: Path, at: int, length: int) -> None:
        self.f = path.open("rb")
        self.f.seek(at)
        self.left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.f.read(min(len(buffer), self.left))
        self.left -= len(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.f.close()
        super().close()


class _Inflate(io.RawIOBase):
    """Raw deflate, inflated a bounded piece at a time (zlib's max_length)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.z = zlib.decompressobj(-15)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while True:
            if self.z.unconsumed_tail:
                out = self.z.decompress(self.z.unconsumed_tail, len(buffer))
            else:
                packed = self.raw.read(_CHUNK)
                if not packed:
                    return 0
                out = self.z.decompress(packed, len(buffer))
            if out:
                buffer[: len(out)] = out
                return len(out)
            if self.z.eof:
                return 0
