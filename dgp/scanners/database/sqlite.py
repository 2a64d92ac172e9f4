"""SQLite files, read-only: opened with a `mode=ro&immutable=1` URI (no write, no lock,
no journal: a live application writing the file is never blocked) and
`PRAGMA query_only`; every statement interrupted past the statement timeout by a
progress handler. A file that is not a SQLite database is refused before it is opened.

Large tables are sampled by rowid: RANGES random starting points below max(rowid) (the
rowid is the table's key: each range is an index lookup), a few rows read from each.
The row estimate is sqlite_stat1 when ANALYZE was run, else max(rowid).
"""

from __future__ import annotations

import re
import sqlite3
import time
import urllib.parse
from pathlib import Path

from dgp.scanners.database.columns import is_tenant, is_timestamp_name
from dgp.scanners.database.model import (
    RANGES,
    SMALL_FACTOR,
    Column,
    Sample,
    SourceRefused,
    Table,
    TableError,
    add_row,
    range_starts,
)
from dgp.scanners.database.options import DatabaseOptions

MAGIC = b"SQLite format 3\x00"
_TIME_TYPE = re.compile(r"(?i)date|time")
_BINARY_TYPE = re.compile(r"(?i)blob|binary")


class SqliteSource:
    engine = "sqlite"
    tls = None

    def __init__(self, path: Path, options: DatabaseOptions, table_limit: int) -> None:
        self.options = options
        self.table_limit = table_limit
        self.path = path
        self._deadline = float("inf")
        self._without_rowid: set[str] = set()
        try:
            with path.open("rb") as f:
                head = f.read(100)
        except FileNotFoundError:
            raise SourceRefused(f"{path.name}: no such file") from None
        except IsADirectoryError:
            raise SourceRefused(f"{path.name} is a folder, not a SQLite file") from None
        except OSError as e:
            raise SourceRefused(f"{path.name} cannot be read: {e.strerror}") from None
        if not head.startswith(MAGIC) or len(head) < 100:
            raise SourceRefused(f"{path.name} is not a SQLite database (no SQLite header)")
        uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro&immutable=1"
        try:
            self.conn = sqlite3.connect(uri, uri=True, timeout=0, check_same_thread=False)
            self.conn.execute("PRAGMA query_only = ON")
            self.conn.execute("PRAGMA trusted_schema = OFF")
            self.version = sqlite3.sqlite_version
            self.conn.set_progress_handler(self._past_deadline, 10_000)
            self._run("SELECT count(*) FROM sqlite_schema")
        except (sqlite3.DatabaseError, TableError) as e:
            raise SourceRefused(f"{path.name} is not a readable SQLite database: {e}") from None

    def _past_deadline(self) -> int:
        return 1 if time.monotonic() > self._deadline else 0

    def _run(self, query: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        self._deadline = time.monotonic() + self.options.statement_seconds
        try:
            return self.conn.execute(query, args).fetchall()
        except sqlite3.OperationalError as e:
            if "interrupted" in str(e):
                raise TableError("the statement timeout was reached") from None
            raise TableError(f"SQLite refused the query: {e}") from None
        except sqlite3.DatabaseError as e:
            raise TableError(f"the file is damaged here: {e}") from None
        finally:
            self._deadline = float("inf")

    def tables(self, schemas: tuple[str, ...]) -> list[Table]:
        if schemas and "main" not in schemas:
            return []
        try:
            rows = self._run(
                "SELECT type, name, sql FROM sqlite_schema WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name LIMIT ?",
                (self.table_limit,),
            )
        except TableError as e:
            raise SourceRefused(f"{self.path.name}: the schema cannot be read ({e})") from None
        stats = self._stat1()
        tables = []
        for kind, name, create in rows:
            table = Table("main", str(name), "view" if kind == "view" else "table")
            if re.search(r"(?i)\bwithout\s+rowid\b", str(create or "")):
                self._without_rowid.add(table.name)
            try:
                info = self._run(f"PRAGMA table_xinfo({_q(table.name)})")
            except TableError:
                info = []
            for _cid, column, declared, *_rest in info:
                declared = str(declared or "")
                binary = bool(_BINARY_TYPE.search(declared))
                is_time = bool(_TIME_TYPE.search(declared)) or is_timestamp_name(str(column))
                table.columns.append(
                    Column(str(column), declared, not binary, "binary (BLOB)" * binary, is_time)
                )
                table.has_tenant = table.has_tenant or is_tenant(str(column))
            table.estimated_rows = stats.get(table.name)
            if table.estimated_rows is None and table.kind == "table":
                table.estimated_rows = self._max_rowid(table)
            tables.append(table)
        return tables

    def _stat1(self) -> dict[str, int]:
        try:
            rows = self._run("SELECT tbl, stat FROM sqlite_stat1 WHERE idx IS NULL OR idx = tbl")
        except TableError:
            return {}
        found = {}
        for name, stat in rows:
            first = str(stat).split()[0] if stat else ""
            if first.isdigit():
                found[str(name)] = int(first)
        return found

    def _max_rowid(self, table: Table) -> int | None:
        if table.name in self._without_rowid:
            return None
        try:
            rows = self._run(f"SELECT max(rowid) FROM {_q(table.name)}")
        except TableError:
            return None
        value = rows[0][0] if rows else None
        return int(value) if isinstance(value, int) else 0

    def readers(self, table: Table) -> list[str]:
        return []  # a file has no grants: whoever can read the file reads everything

    def sample(self, table: Table, rows: int, max_chars: int, max_bytes: int) -> Sample:
        columns = [c for c in table.columns if c.sampled]
        sample = Sample("first rows (small table or no estimate)")
        if not columns:
            return sample
        select = ", ".join(
            f"CASE WHEN typeof({_q(c.name)}) = 'blob' THEN NULL "
            f"ELSE substr(CAST({_q(c.name)} AS TEXT), 1, {int(max_chars)}) END"
            for c in columns
        )
        source = _q(table.name)
        estimate = table.estimated_rows
        by_rowid = table.kind == "table" and table.name not in self._without_rowid
        if estimate is None or estimate <= rows * SMALL_FACTOR or not by_rowid:
            found = self._run(f"SELECT {select} FROM {source} LIMIT ?", (rows,))
            _add(sample, columns, found, max_bytes)
            return sample
        sample.method = f"{RANGES} random rowid ranges"
        each = max(1, rows // RANGES)
        for start in range_starts(table.path, 1, estimate):
            found = self._run(
                f"SELECT {select} FROM {source} WHERE rowid >= ? ORDER BY rowid LIMIT ?",
                (start, each),
            )
            if not _add(sample, columns, found, max_bytes):
                break
        return sample

    def close(self) -> None:
        self.conn.close()


def _add(sample: Sample, columns: list[Column], rows: list[tuple[object, ...]], limit: int) -> bool:
    return all(add_row(sample, columns, row, limit) for row in rows)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
