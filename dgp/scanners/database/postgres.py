"""PostgreSQL, read-only: psycopg2, every statement in a read-only transaction with a
statement and a lock timeout, TLS when the server offers it (verified against the
user's CA when one is given), connected to the addresses the SSRF policy checked.

Rows are sampled with TABLESAMPLE: BERNOULLI (every page looked at, rows chosen
evenly) up to BERNOULLI_MAX estimated rows, SYSTEM (whole pages chosen, few pages
read) above it; tables below twice the sample are read from the start with LIMIT.
A row estimate is pg_class.reltuples, never count(*).
"""

from __future__ import annotations

import contextlib
import math
import tempfile
from pathlib import Path

import psycopg2
import psycopg2.errors
import psycopg2.extensions
from psycopg2 import sql

from dgp.net import Checked
from dgp.scanners.database.columns import is_tenant
from dgp.scanners.database.model import (
    SMALL_FACTOR,
    Column,
    Sample,
    SourceRefused,
    SourceUnavailable,
    Table,
    TableError,
    add_row,
    sample_seed,
)
from dgp.scanners.database.options import DatabaseOptions
from dgp.scanners.database.target import DatabaseTarget

BERNOULLI_MAX = 100_000
NOT_READ = {"bytea": "binary (bytea)", "tsvector": "a search index", "bool": "a boolean"}
_TABLES = """
SELECT n.nspname, c.relname, c.relkind, c.oid, c.reltuples::bigint, c.relrowsecurity,
       EXISTS (SELECT 1 FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
               WHERE a.grantee = 0 AND a.privilege_type = 'SELECT')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%'
  AND (cardinality(%(schemas)s::text[]) = 0 OR n.nspname = ANY(%(schemas)s::text[]))
ORDER BY 1, 2 LIMIT %(limit)s
"""
_COLUMNS = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), t.typname, t.typcategory,
       EXISTS (SELECT 1 FROM aclexplode(a.attacl) x
               WHERE x.grantee = 0 AND x.privilege_type = 'SELECT')
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""
_READERS = """
SELECT r.rolname FROM pg_roles r
WHERE r.rolcanlogin AND has_table_privilege(r.oid, %s, 'SELECT') ORDER BY 1 LIMIT 50
"""


class PostgresSource:
    engine = "postgresql"

    def __init__(
        self,
        target: DatabaseTarget,
        checked: Checked | None,
        options: DatabaseOptions,
        user: str,
        password: str | None,
        table_limit: int,
    ) -> None:
        self.target = target
        self.options = options
        self.table_limit = table_limit
        self._oids: dict[str, int] = {}
        self._ca: tempfile.TemporaryDirectory[str] | None = None
        self.conn = self._connect(checked, user, password)
        self.version = str(self.conn.server_version)
        self.tls = bool(self.conn.info.ssl_in_use) if checked is not None else None
        address = checked.target.address if checked is not None else None
        if address is not None and address.is_loopback:
            self.tls = None  # nothing crosses a network

    def _connect(
        self, checked: Checked | None, user: str, password: str | None
    ) -> psycopg2.extensions.connection:
        o = self.options
        ms = {"statement": int(o.statement_seconds * 1000), "lock": int(o.lock_seconds * 1000)}
        params: dict[str, object] = {
            "dbname": self.target.database,
            "connect_timeout": max(2, math.ceil(o.connect_seconds)),  # libpq's least is 2
            "application_name": "dataguardian-scan",
            "options": f"-c default_transaction_read_only=on -c statement_timeout={ms['statement']}"
            f" -c lock_timeout={ms['lock']} -c idle_in_transaction_session_timeout=60000",
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
        }
        if user:
            params["user"] = user
        if password is not None:
            params["password"] = password
        if checked is None:  # a unix socket
            params["host"] = self.target.socket
            params["sslmode"] = "disable"
        else:
            n = len(checked.addresses)
            params["host"] = ",".join([checked.target.host] * n)  # for TLS and pg_hba
            params["hostaddr"] = ",".join(checked.addresses)  # what is dialled: no lookup
            params["port"] = ",".join([str(checked.target.port)] * n)
            params["sslmode"] = {"prefer": "prefer", "require": "require"}.get(o.tls, "verify-full")
            if o.ca_pem:
                self._ca = tempfile.TemporaryDirectory(prefix="dgp-ca-")
                ca = Path(self._ca.name) / "ca.pem"
                ca.write_text(o.ca_pem)
                params["sslrootcert"] = str(ca)
        try:
            conn = psycopg2.connect(**params)
        except psycopg2.OperationalError as e:
            raise _connect_error(self.target, e) from None
        conn.set_session(readonly=True, autocommit=False)
        return conn

    def tables(self, schemas: tuple[str, ...]) -> list[Table]:
        found: dict[int, Table] = {}
        with self._statement() as cur:
            cur.execute(_TABLES, {"schemas": list(schemas), "limit": self.table_limit})
            for schema, name, kind, oid, estimate, rls, public in cur.fetchall():
                found[oid] = Table(
                    schema,
                    name,
                    "view" if kind in ("v", "m") else "table",
                    estimated_rows=int(estimate)
                    if estimate is not None and estimate >= 0
                    else None,
                    row_level_security=bool(rls),
                    public_select="PUBLIC" if public else None,
                )
            cur.execute(_COLUMNS, (list(found),))
            for oid, name, type_, typname, category, public in cur.fetchall():
                table = found[oid]
                why = NOT_READ.get(typname, "")
                table.columns.append(Column(name, type_, not why, why, is_time=category == "D"))
                if public and table.public_select is None:
                    table.public_select = "PUBLIC (column grant)"
                table.has_tenant = table.has_tenant or is_tenant(name)
        for oid, table in found.items():
            self._oids[table.path] = oid
        return list(found.values())

    def readers(self, table: Table) -> list[str]:
        with self._statement() as cur:
            cur.execute(_READERS, (self._oids[table.path],))
            return [row[0] for row in cur.fetchall()]

    def sample(self, table: Table, rows: int, max_chars: int, max_bytes: int) -> Sample:
        columns = [c for c in table.columns if c.sampled]
        estimate = table.estimated_rows
        source = sql.SQL("{}.{}").format(sql.Identifier(table.schema), sql.Identifier(table.name))
        if estimate is None or estimate <= rows * SMALL_FACTOR or table.kind == "view":
            how, method = sql.SQL(""), "first rows (small table or no estimate)"
        else:
            bernoulli = estimate <= BERNOULLI_MAX
            percent = min(100.0, 100.0 * rows * (2 if bernoulli else 4) / estimate)
            kind = "BERNOULLI" if bernoulli else "SYSTEM"
            how = sql.SQL(" TABLESAMPLE {} ({}) REPEATABLE ({})").format(
                sql.SQL(kind), sql.Literal(percent), sql.Literal(sample_seed(table.path))
            )
            method = f"TABLESAMPLE {kind} ({percent:.4g} %)"
        select = sql.SQL(", ").join(
            sql.SQL("left({}::text, {})").format(sql.Identifier(c.name), sql.Literal(max_chars))
            for c in columns
        )
        query = sql.SQL("SELECT {} FROM {}{} LIMIT {}").format(
            select, source, how, sql.Literal(rows)
        )
        sample = Sample(method)
        if not columns:
            return sample
        with self._statement(named=True) as cur:
            cur.execute(query)
            while batch := cur.fetchmany(200):
                if not all(add_row(sample, columns, row, max_bytes) for row in batch):
                    break
        return sample

    def _statement(self, named: bool = False) -> _Statement:
        return _Statement(self.conn, named)

    def close(self) -> None:
        try:
            self.conn.close()
        finally:
            if self._ca is not None:
                self._ca.cleanup()


class _Statement:
    """A cursor in a read-only transaction that ends (rolled back) with the block, so
    no lock outlives a statement; server errors become TableError with the reason."""

    def __init__(self, conn: psycopg2.extensions.connection, named: bool) -> None:
        self.conn = conn
        self.cur = conn.cursor(name="dgp_sample") if named else conn.cursor()
        if named:
            self.cur.itersize = 200

    def __enter__(self) -> psycopg2.extensions.cursor:
        return self.cur

    def __exit__(self, kind: object, error: BaseException | None, tb: object) -> bool:
        with contextlib.suppress(psycopg2.Error):
            self.cur.close()
        with contextlib.suppress(psycopg2.InterfaceError):
            self.conn.rollback()
        if isinstance(error, psycopg2.errors.QueryCanceled):
            raise TableError("the statement timeout was reached") from None
        if isinstance(error, psycopg2.errors.LockNotAvailable):
            raise TableError("a lock was held by another session (lock timeout)") from None
        if isinstance(error, psycopg2.errors.InsufficientPrivilege):
            raise TableError("the scan's user may not read it (no SELECT privilege)") from None
        if isinstance(error, psycopg2.OperationalError):
            raise SourceUnavailable(f"the connection was lost: {_first_line(error)}", "") from None
        if isinstance(error, psycopg2.Error):
            raise TableError(f"the server refused the query: {_first_line(error)}") from None
        return False


def _estimate(reltuples: int | None) -> int | None:
    """pg_class.reltuples; -1 (never analysed) is no estimate."""
    return int(reltuples) if reltuples is not None and reltuples >= 0 else None


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or ["no reason given"])[0][:300]


def _connect_error(target: DatabaseTarget, error: psycopg2.OperationalError) -> Exception:
    text = _first_line(error)
    where = target.display
    lower = str(error).lower()
    if "password authentication failed" in lower or "no password supplied" in lower:
        return SourceRefused(f"cannot log in to {where}: the user or password is wrong")
    if "does not exist" in lower or "no pg_hba.conf entry" in lower or "ssl" in lower:
        return SourceRefused(f"cannot connect to {where}: {text}")
    if "certificate" in lower:
        return SourceRefused(f"cannot connect to {where}: the certificate does not verify")
    return SourceUnavailable(f"cannot connect to {where}: {text}", target.endpoint or where)
