"""MySQL and MariaDB, read-only: PyMySQL over a socket connected to the address the SSRF
policy checked, a read-only session (SET SESSION TRANSACTION READ ONLY, each table in
START TRANSACTION READ ONLY ... ROLLBACK), statement and lock timeouts as session
variables (MariaDB max_statement_time, MySQL max_execution_time), socket read and
write timeouts for a server that stalls, TLS when the server offers it.

Large tables are sampled by ranges of an integer primary key (MIN/MAX from the index,
then RANGES random starting points, each read forward a few rows): never ORDER BY
RAND(), never a full scan. Without such a key the first rows are read (said so).
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
from typing import Any

import pymysql
import pymysql.cursors

from dgp.net import Checked
from dgp.scanners.database.columns import is_tenant
from dgp.scanners.database.model import (
    RANGES,
    SMALL_FACTOR,
    Column,
    Sample,
    SourceRefused,
    SourceUnavailable,
    Table,
    TableError,
    add_row,
    range_starts,
)
from dgp.scanners.database.options import DatabaseOptions
from dgp.scanners.database.target import DatabaseTarget

SYSTEM_SCHEMAS = ("mysql", "information_schema", "performance_schema", "sys")
BINARY = frozenset(
    "binary varbinary tinyblob blob mediumblob longblob geometry point linestring polygon "
    "multipoint multilinestring multipolygon geometrycollection bit".split()
)
TIME = frozenset({"date", "datetime", "timestamp", "time", "year"})
INTEGER = frozenset({"tinyint", "smallint", "mediumint", "int", "integer", "bigint"})
# error codes: 1045 access denied, 1044 no access to the database, 1049 unknown database
REFUSED = {1045: "the user or password is wrong", 1044: "the user may not use the database"}
REFUSED[1049] = "the database does not exist"
TIMEOUTS = {1969, 3024, 1317}  # max_statement_time, max_execution_time, query interrupted
LOCKS = {1205}


class MysqlSource:
    engine = "mysql"

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
        self._keys: dict[str, str] = {}
        self.conn = self._connect(checked, user, password)
        self.version = str(self.conn.get_server_info())
        cipher = self._one("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        encrypted = bool(cipher and cipher[1])
        if options.tls != "prefer" and not encrypted and checked is not None:
            self.conn.close()
            raise SourceRefused(f"{target.display} does not offer TLS (tls={options.tls})")
        loopback = checked is not None and bool(
            checked.target.address is not None and checked.target.address.is_loopback
        )
        self.tls = None if checked is None or loopback else encrypted

    def _connect(
        self, checked: Checked | None, user: str, password: str | None
    ) -> pymysql.connections.Connection[Any]:
        o = self.options
        timeout = o.statement_seconds + 5.0  # the server's own timeout comes first
        params: dict[str, Any] = {
            "user": user or None,
            "password": password or "",
            "database": self.target.database or None,
            "connect_timeout": o.connect_seconds,
            "read_timeout": o.connect_seconds,  # the handshake; statements get more below
            "write_timeout": timeout,
            "charset": "utf8mb4",
            "autocommit": False,
            "program_name": "dataguardian-scan",
            "defer_connect": True,
        }
        if checked is None:
            params["unix_socket"] = self.target.socket
        else:
            params["host"] = checked.target.host  # for TLS: the name the certificate has
            params["port"] = checked.target.port
            params["ssl"] = _tls_context(o)
        try:
            try:
                conn = pymysql.connect(**params)
                conn.connect(self._dial(checked) if checked is not None else None)
            except pymysql.err.OperationalError as e:
                if o.tls != "prefer" or "SSL is required" not in _reason(e):
                    raise
                params.pop("ssl")  # the server offers no TLS: "prefer" goes on without
                conn = pymysql.connect(**params)
                conn.connect(self._dial(checked) if checked is not None else None)
            conn._read_timeout = timeout  # PyMySQL applies it at every read
            _session(conn, o)
        except pymysql.err.OperationalError as e:
            code = e.args[0] if e.args else 0
            if code in REFUSED:
                raise SourceRefused(f"cannot use {self.target.display}: {REFUSED[code]}") from None
            raise SourceUnavailable(
                f"cannot connect to {self.target.display}: {_reason(e)}",
                self.target.endpoint or self.target.display,
            ) from None
        except pymysql.err.MySQLError as e:
            raise SourceRefused(f"cannot connect to {self.target.display}: {_reason(e)}") from None
        return conn

    def _dial(self, checked: Checked) -> socket.socket:
        """A TCP connection to the first checked address that answers: the name is
        never resolved again (DNS rebinding)."""
        failure: OSError | None = None
        for address in checked.addresses:
            try:
                sock = socket.create_connection(
                    (address, checked.target.port), timeout=self.options.connect_seconds
                )
            except OSError as e:
                failure = e
                continue
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            return sock
        raise pymysql.err.OperationalError(2003, f"cannot connect: {failure}")

    def _one(self, query: str, args: object = None) -> tuple[Any, ...] | None:
        with self._statement() as cur:
            cur.execute(query, args)
            return cur.fetchone()  # type: ignore[no-any-return]

    def tables(self, schemas: tuple[str, ...]) -> list[Table]:
        wanted = list(schemas) or ([self.target.database] if self.target.database else [])
        where = "TABLE_SCHEMA NOT IN %s"
        args: list[Any] = [SYSTEM_SCHEMAS]
        if wanted:
            where += " AND TABLE_SCHEMA IN %s"
            args.append(tuple(wanted))
        found: dict[tuple[str, str], Table] = {}
        with self._statement() as cur:
            cur.execute(
                "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, TABLE_ROWS FROM "
                f"information_schema.TABLES WHERE {where} ORDER BY 1, 2 LIMIT %s",
                (*args, self.table_limit),
            )
            for schema, name, kind, rows in cur.fetchall():
                view = kind == "VIEW"
                found[(schema, name)] = Table(
                    schema,
                    name,
                    "view" if view else "table",
                    estimated_rows=int(rows) if rows is not None else None,
                )
            cur.execute(
                "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, "
                "COLUMN_KEY FROM information_schema.COLUMNS "
                f"WHERE {where} ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION",
                args,
            )
            keys: dict[tuple[str, str], list[tuple[str, str]]] = {}
            for schema, name, column, data_type, column_type, key in cur.fetchall():
                table = found.get((schema, name))
                if table is None:
                    continue
                data_type = str(data_type).lower()
                why = "binary or spatial" if data_type in BINARY else ""
                table.columns.append(
                    Column(column, str(column_type), not why, why, is_time=data_type in TIME)
                )
                table.has_tenant = table.has_tenant or is_tenant(column)
                if key == "PRI":
                    keys.setdefault((schema, name), []).append((column, data_type))
            for (schema, name), pk in keys.items():
                if len(pk) == 1 and pk[0][1] in INTEGER:
                    self._keys[f"{schema}.{name}"] = pk[0][0]
            self._public_grants(cur, found, where, args)
        return list(found.values())

    def _public_grants(
        self, cur: Any, found: dict[tuple[str, str], Table], where: str, args: list[Any]
    ) -> None:
        """SELECT granted to PUBLIC (MariaDB 10.11+) or to the anonymous user, on the
        table or its whole schema: as far as the scan's user may see grants."""
        everyone = "GRANTEE LIKE '''PUBLIC''@%%' OR GRANTEE LIKE '''''@%%'"
        cur.execute(
            "SELECT TABLE_SCHEMA, TABLE_NAME, GRANTEE FROM information_schema.TABLE_PRIVILEGES "
            f"WHERE PRIVILEGE_TYPE = 'SELECT' AND ({everyone}) AND {where}",
            args,
        )
        for schema, name, grantee in cur.fetchall():
            if (schema, name) in found:
                found[(schema, name)].public_select = _who(grantee)
        cur.execute(
            "SELECT TABLE_SCHEMA, GRANTEE FROM information_schema.SCHEMA_PRIVILEGES "
            f"WHERE PRIVILEGE_TYPE = 'SELECT' AND ({everyone}) AND {where}",
            args,
        )
        for schema, grantee in cur.fetchall():
            for (s, _), table in found.items():
                if s == schema and table.public_select is None:
                    table.public_select = _who(grantee)
        # a user who may not list other grants still sees its own, PUBLIC's among them
        cur.execute("SHOW GRANTS")
        for (line,) in cur.fetchall():
            match = _PUBLIC_GRANT.match(str(line))
            if match is None or not re.search(r"\bSELECT\b|ALL PRIVILEGES", match["what"]):
                continue
            schema, name = _unquote(match["schema"]), _unquote(match["table"])
            for (s, n), table in found.items():
                if s == schema and name in ("*", n) and table.public_select is None:
                    table.public_select = "PUBLIC"

    def readers(self, table: Table) -> list[str]:
        return []  # other accounts' grants are only visible to an administrator

    def sample(self, table: Table, rows: int, max_chars: int, max_bytes: int) -> Sample:
        columns = [c for c in table.columns if c.sampled]
        sample = Sample("first rows (small table or no estimate)")
        if not columns:
            return sample
        select = ", ".join(f"LEFT(CAST({_q(c.name)} AS CHAR), {int(max_chars)})" for c in columns)
        source = f"{_q(table.schema)}.{_q(table.name)}"
        key = self._keys.get(table.path)
        estimate = table.estimated_rows
        small = estimate is None or estimate <= rows * SMALL_FACTOR or table.kind == "view"
        with self._statement() as cur:
            if small or key is None:
                if not small:
                    sample.method = "first rows (no integer primary key to sample by)"
                cur.execute(f"SELECT {select} FROM {source} LIMIT %s", (rows,))
                _read(cur, sample, columns, max_bytes)
                return sample
            cur.execute(f"SELECT MIN({_q(key)}), MAX({_q(key)}) FROM {source}")
            low, high = cur.fetchall()[0]  # all of it: an unread end warns at the next query
            if low is None:
                return sample
            each = max(1, rows // RANGES)
            starts = range_starts(table.path, int(low), int(high))
            sample.method = f"{RANGES} random ranges of the primary key {key}"
            for start in starts:
                cur.execute(
                    f"SELECT {select} FROM {source} WHERE {_q(key)} >= %s "
                    f"ORDER BY {_q(key)} LIMIT %s",
                    (start, each),
                )
                if not _read(cur, sample, columns, max_bytes):
                    break
        return sample

    def _statement(self) -> _Statement:
        return _Statement(self.conn)

    def close(self) -> None:
        with contextlib.suppress(pymysql.err.Error):
            self.conn.close()


def _read(cur: Any, sample: Sample, columns: list[Column], max_bytes: int) -> bool:
    while batch := cur.fetchmany(200):
        if not all(add_row(sample, columns, row, max_bytes) for row in batch):
            return False
    return True


def _tls_context(options: DatabaseOptions) -> ssl.SSLContext:
    if options.tls == "verify":
        return ssl.create_default_context(cadata=options.ca_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # encrypt; not verified (no CA given)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _session(conn: pymysql.connections.Connection[Any], options: DatabaseOptions) -> None:
    """Read-only and bounded, for every statement of the session."""
    lock = max(1, round(options.lock_seconds))
    with conn.cursor() as cur:
        cur.execute("SET SESSION TRANSACTION READ ONLY")
        cur.execute(f"SET SESSION lock_wait_timeout = {lock}")
        cur.execute(f"SET SESSION innodb_lock_wait_timeout = {lock}")
        try:  # MariaDB (seconds)
            cur.execute(f"SET SESSION max_statement_time = {float(options.statement_seconds)}")
        except pymysql.err.MySQLError:  # MySQL (milliseconds, SELECT only)
            cur.execute(f"SET SESSION max_execution_time = {int(options.statement_seconds * 1000)}")


class _Statement:
    """A cursor in a read-only transaction, rolled back at the end of the block."""

    def __init__(self, conn: pymysql.connections.Connection[Any]) -> None:
        self.conn = conn
        self.cur = conn.cursor(pymysql.cursors.SSCursor)  # streamed: rows as they come

    def __enter__(self) -> Any:
        self.cur.execute("START TRANSACTION READ ONLY")
        return self.cur

    def __exit__(self, kind: object, error: BaseException | None, tb: object) -> bool:
        try:
            self.cur.close()
            self.conn.rollback()
        except pymysql.err.Error:
            pass
        if not isinstance(error, pymysql.err.MySQLError):
            return False
        code = error.args[0] if error.args else 0
        if code in TIMEOUTS:
            raise TableError("the statement timeout was reached") from None
        if code in LOCKS:
            raise TableError("a lock was held by another session (lock timeout)") from None
        if isinstance(error, pymysql.err.OperationalError) and code >= 2000:
            raise SourceUnavailable(f"the connection was lost: {_reason(error)}", "") from None
        raise TableError(f"the server refused the query: {_reason(error)}") from None


_PUBLIC_GRANT = re.compile(
    r"^GRANT (?P<what>.+?) ON (?P<schema>`(?:[^`]|``)+`|\*)\.(?P<table>`(?:[^`]|``)+`|\*) "
    r"TO PUBLIC\b"
)


def _unquote(name: str) -> str:
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _who(grantee: str) -> str:
    return "PUBLIC" if grantee.startswith("'PUBLIC'") else "the anonymous user"


def _reason(error: Exception) -> str:
    args = getattr(error, "args", ())
    text = str(args[1]) if len(args) > 1 else str(error)
    return (text.strip().splitlines() or ["no reason given"])[0][:300]
