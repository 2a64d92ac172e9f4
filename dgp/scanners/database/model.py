"""What a database source lists and returns: tables, columns, samples; one interface
for PostgreSQL, MySQL/MariaDB and SQLite (postgres.py, mysql.py, sqlite.py)."""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from typing import Protocol

from dgp.domain.job import ScanInputError, TargetUnavailable

# tables smaller than this many times the sample are read from the start (LIMIT n):
# there is nothing to sample from
SMALL_FACTOR = 2
RANGES = 10  # key ranges a large table is sampled in (MySQL, SQLite)


def sample_seed(path: str) -> int:
    """A table's sampling seed, from its path: a rescan of an unchanged table reads the
    same rows, so its findings can be compared with the last scan's."""
    return zlib.crc32(path.encode("utf-8"))


def range_starts(path: str, low: int, high: int) -> list[int]:
    """RANGES starting keys in [low, high], sorted; the same for the same table."""
    chosen = random.Random(sample_seed(path))
    return sorted(chosen.randint(low, high) for _ in range(RANGES))


@dataclass
class Column:
    name: str
    type: str  # as the server names it
    sampled: bool = True  # False: not read (binary), with the reason
    why_not: str = ""
    is_time: bool = False  # a date or time type: something to expire rows by


@dataclass
class Table:
    schema: str
    name: str
    kind: str = "table"  # table or view
    columns: list[Column] = field(default_factory=list)
    estimated_rows: int | None = None  # from the catalogue, never count(*)
    row_level_security: bool | None = None  # None: the server has none (MySQL, SQLite)
    public_select: str | None = None  # who "everyone" is, when everyone may read it
    has_tenant: bool = False

    @property
    def path(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class Sample:
    """The values read from one table: one list per sampled column, as text."""

    method: str  # how the rows were chosen, said in the data map
    values: dict[str, list[str]] = field(default_factory=dict)
    rows: int = 0
    bytes: int = 0
    truncated: bool = False  # the byte bound stopped reading


class TableError(Exception):
    """One table could not be sampled (timeout, privilege, a lock): it is skipped with
    this reason, the scan goes on."""


class SourceRefused(ScanInputError):
    """The database cannot be scanned (wrong password, not a database, TLS missing)."""


class SourceUnavailable(TargetUnavailable):
    """The database's host did not answer in time or refused the connection."""


class Source(Protocol):
    engine: str
    version: str
    tls: bool | None  # None: a socket, a file or loopback (nothing crosses a network)

    def tables(self, schemas: tuple[str, ...]) -> list[Table]: ...

    def readers(self, table: Table) -> list[str]: ...

    def sample(self, table: Table, rows: int, max_chars: int, max_bytes: int) -> Sample: ...

    def close(self) -> None: ...


def add_row(sample: Sample, columns: list[Column], row: tuple[object, ...], max_bytes: int) -> bool:
    """Add one row's values; False once the byte bound is reached (the row is not kept)."""
    size = sum(len(v) if isinstance(v, str) else 8 for v in row)
    if sample.bytes + size > max_bytes:
        sample.truncated = True
        return False
    for column, value in zip(columns, row, strict=True):
        if value is not None:
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            sample.values.setdefault(column.name, []).append(text)
    sample.rows += 1
    sample.bytes += size
    return True
