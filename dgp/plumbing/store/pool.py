"""One pool of Postgres connections per process, that fails fast and heals itself.

The web app and the workers must never hang on the database: a request that
cannot get a connection at once gets StoreUnavailable (the web app answers 503
with Retry-After) instead of queueing behind an outage. Hence:

- connect_timeout and TCP keepalives bound connecting, statement_timeout bounds
  every statement, and an exhausted pool raises at once (psycopg2's pool does
  not wait);
- after a failed connect, new connects are refused for `retry_interval` seconds,
  so a burst of requests during an outage does not queue up connect attempts;
- a connection that broke (Postgres restarted) is closed instead of going back
  to the pool, and an idle connection is checked before it is handed out (an
  idle socket with something to read means the server ended the session), so
  the pool recovers by itself;
- the pool is created lazily in the process that uses it. A forked child never
  uses, nor closes, its parent's connections: closing one in the child would
  send the server a Terminate message on the parent's socket.

`minconn` is also the number of idle connections kept (psycopg2 closes the
others when they are returned).
"""

from __future__ import annotations

import os
import select
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.pool
from psycopg2.extensions import connection as PgConnection
from psycopg2.extensions import cursor as PgCursor

from dgp.plumbing.store.errors import StoreUnavailable
from dgp.plumbing.store.prepared import PreparingConnection

DEFAULT_CONNECT_TIMEOUT = 3  # seconds; libpq treats anything below 2 as 2
DEFAULT_STATEMENT_TIMEOUT = 30.0  # seconds
DEFAULT_RETRY_INTERVAL = 1.0  # seconds without new connects after a failed one
TCP_USER_TIMEOUT_MS = 15_000  # unacknowledged data on a TCP connection: give up after this
# SQLSTATE classes that mean "the server cannot serve us now", not "your query is wrong":
# 08 connection exception, 53 insufficient resources, 57 operator intervention
_UNAVAILABLE_CLASSES = ("08", "53", "57")
_COUNTERS = (
    "total_queries",
    "failed_queries",
    "pool_exhausted",
    "connect_failures",
    "discarded",
)

# Pools inherited from a parent process: kept referenced so they are never collected.
_inherited: list[psycopg2.pool.ThreadedConnectionPool] = []


class _Counters:
    """Thread-safe counters for /stats."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = 0
        self.values = dict.fromkeys(_COUNTERS, 0)

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            if name == "active":
                self.active += n
            else:
                self.values[name] += n


def _counting_cursor(counters: _Counters) -> type[PgCursor]:
    """A cursor class that counts statements and failures for one Database."""

    class CountingCursor(PgCursor):
        def execute(self, query: Any, vars: Any = None) -> None:
            counters.add("total_queries")
            try:
                super().execute(query, vars)
            except BaseException:
                counters.add("failed_queries")
                raise

        def executemany(self, query: Any, vars_list: Any) -> None:
            counters.add("total_queries")
            try:
                super().executemany(query, vars_list)
            except BaseException:
                counters.add("failed_queries")
                raise

    return CountingCursor


class Database:
    """A lazily created, fork-safe ThreadedConnectionPool with statistics.

    `dsn` is a libpq URI or key=value string ("postgresql:///dgp", "host=db user=dgp
    password=..."). Timeouts given in the DSN win over the defaults here.
    """

    def __init__(
        self,
        dsn: str,
        minconn: int = 1,
        maxconn: int = 10,
        *,
        connect_timeout: int | None = None,
        statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT,
        retry_interval: float = DEFAULT_RETRY_INTERVAL,
        application_name: str = "dataguardian",
    ) -> None:
        if not 0 <= minconn <= maxconn or maxconn < 1:
            raise ValueError("need 0 <= minconn <= maxconn and maxconn >= 1")
        self.minconn = minconn
        self.maxconn = maxconn
        self.statement_timeout = statement_timeout
        self.retry_interval = retry_interval
        self._dsn = _build_dsn(dsn, connect_timeout, statement_timeout, application_name)
        self._pool: psycopg2.pool.ThreadedConnectionPool | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._counters = _Counters()
        self._down_until = 0.0
        self._last_error = ""
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _after_fork(ref))

    # -- use -------------------------------------------------------------------

    @contextmanager
    def connection(self) -> Iterator[PgConnection]:
        """A pooled connection; transaction control is the caller's.

        Whatever the caller left uncommitted is rolled back when the block ends.
        Connection loss, timeouts and an exhausted pool raise StoreUnavailable.
        """
        pool = self._pool_here()
        conn = self._checkout(pool)
        try:
            yield conn
        except psycopg2.Error as e:
            unavailable = _as_unavailable(conn, e, self.statement_timeout)
            if unavailable is not None:
                raise unavailable from e
            raise
        finally:
            self._checkin(pool, conn)

    @contextmanager
    def transaction(self) -> Iterator[PgCursor]:
        """A cursor in a transaction: committed when the block ends, rolled back on error."""
        with self.connection() as conn:
            with conn.cursor() as cur:
                yield cur
            conn.commit()

    @contextmanager
    def statement(self) -> Iterator[PgCursor]:
        """A cursor whose every statement is its own transaction (autocommit).

        For work that is one statement: it saves the BEGIN and COMMIT round trips of
        `transaction()`, which on the hot paths (token checks, scan starts) cost more
        than the statement itself.
        """
        with self.connection() as conn:
            conn.autocommit = True  # a client-side switch: no round trip while idle
            try:
                with conn.cursor() as cur:
                    yield cur
            finally:
                if not conn.closed:
                    conn.autocommit = False

    def ping(self) -> float:
        """Round-trip time of `SELECT 1` in seconds, or StoreUnavailable (for /health)."""
        started = time.monotonic()
        with self.transaction() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
        return time.monotonic() - started

    def stats(self) -> dict[str, Any]:
        """The seed's pool statistics (active, total_queries, failed_queries,
        pool_exhausted, size) plus idle, limits, connect failures and discarded
        connections. Counts are per process."""
        pool = self._pool if self._pid == os.getpid() else None
        idle = used = 0
        if pool is not None and not pool.closed:
            idle, used = len(pool._pool), len(pool._used)
        values: dict[str, Any] = {
            "active": self._counters.active,
            "idle": idle,
            "size": idle + used,
            "minconn": self.minconn,
            "maxconn": self.maxconn,
            **self._counters.values,
            "available": time.monotonic() >= self._down_until,
        }
        if self._last_error:
            values["last_error"] = self._last_error
        return values

    def close(self) -> None:
        """Close this process's connections (at shutdown; the pool is re-created on use)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None and self._pid == os.getpid() and not pool.closed:
            pool.closeall()

    # -- internals -------------------------------------------------------------

    def _pool_here(self) -> psycopg2.pool.ThreadedConnectionPool:
        pool = self._pool
        if pool is not None and self._pid == os.getpid():
            return pool
        with self._lock:
            if self._pid != os.getpid():  # forked without the at-fork hook running
                self._forget_parent()
            if self._pool is None:
                # minconn 0 at construction: creating the pool never connects, so it
                # cannot fail; minconn then caps the idle connections kept.
                self._pool = psycopg2.pool.ThreadedConnectionPool(
                    0,
                    self.maxconn,
                    self._dsn,
                    connection_factory=PreparingConnection,
                    cursor_factory=_counting_cursor(self._counters),
                )
                self._pool.minconn = self.minconn
            return self._pool

    def _checkout(self, pool: psycopg2.pool.ThreadedConnectionPool) -> PgConnection:
        for _ in range(self.maxconn + 1):
            if time.monotonic() < self._down_until:
                raise _unavailable(f"Postgres is unreachable ({self._last_error})")
            try:
                conn = pool.getconn()
            except psycopg2.pool.PoolError as e:
                if "exhausted" in str(e):
                    self._counters.add("pool_exhausted")
                    raise _unavailable(
                        f"all {self.maxconn} database connections of this process are in use"
                    ) from e
                raise _unavailable(f"the connection pool is closed ({e})") from e
            except psycopg2.Error as e:
                self._counters.add("connect_failures")
                self._last_error = _first_line(e)
                self._down_until = time.monotonic() + self.retry_interval
                raise _unavailable(f"cannot connect to Postgres: {self._last_error}") from e
            if _is_stale(conn):
                self._counters.add("discarded")
                _put(pool, conn, close=True)
                continue
            self._counters.add("active")
            return conn
        raise _unavailable("no working connection to Postgres")

    def _checkin(self, pool: psycopg2.pool.ThreadedConnectionPool, conn: PgConnection) -> None:
        self._counters.add("active", -1)
        close = _is_broken(conn)
        idle = conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
        if not close and not idle:
            try:
                conn.rollback()
            except psycopg2.Error:
                close = True
        if close:
            self._counters.add("discarded")
        _put(pool, conn, close=close)

    def _forget_parent(self) -> None:
        """In a forked child: leave the parent's pool alone and start afresh."""
        if self._pool is not None:
            _disown(self._pool)
        self._pool = None
        self._pid = os.getpid()
        self._counters = _Counters()


def _after_fork(ref: weakref.ref[Database]) -> None:
    db = ref()
    if db is not None:
        db._lock = threading.Lock()  # a lock held by another thread at fork stays held here
        db._forget_parent()


def _disown(pool: psycopg2.pool.ThreadedConnectionPool) -> None:
    """Make the inherited connections harmless: point their file descriptors at
    /dev/null, so closing or collecting them here cannot end the parent's sessions."""
    _inherited.append(pool)
    connections = [*pool._pool, *pool._used.values()]
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        for conn in connections:
            try:
                if not conn.closed:
                    os.dup2(devnull, conn.fileno())
            except (OSError, psycopg2.Error):
                continue
    finally:
        os.close(devnull)


def _put(pool: psycopg2.pool.ThreadedConnectionPool, conn: PgConnection, close: bool) -> None:
    try:
        pool.putconn(conn, close=close)
    except psycopg2.pool.PoolError:  # the pool was closed meanwhile
        if not conn.closed:
            conn.close()


def _is_broken(conn: PgConnection) -> bool:
    return bool(conn.closed) or (
        conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_UNKNOWN
    )


def _is_stale(conn: PgConnection) -> bool:
    """An idle connection whose socket is readable was ended by the server (restart,
    pg_terminate_backend, idle timeout): its FATAL message or EOF is waiting there."""
    if _is_broken(conn):
        return True
    try:
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    except (OSError, ValueError, psycopg2.Error):
        return True


def _as_unavailable(
    conn: PgConnection, error: psycopg2.Error, statement_timeout: float
) -> StoreUnavailable | None:
    if isinstance(error, psycopg2.errors.QueryCanceled):
        return _unavailable(f"Postgres did not answer within {statement_timeout:g} s")
    code = error.pgcode or ""
    if _is_broken(conn) or isinstance(error, psycopg2.InterfaceError):
        return _unavailable(f"the connection to Postgres was lost: {_first_line(error)}")
    if code[:2] in _UNAVAILABLE_CLASSES:
        return _unavailable(f"Postgres cannot serve requests now: {_first_line(error)}")
    return None


def _unavailable(message: str) -> StoreUnavailable:
    return StoreUnavailable(f"database unavailable: {message}")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _build_dsn(
    dsn: str, connect_timeout: int | None, statement_timeout: float, application_name: str
) -> str:
    try:
        params = psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError as e:
        raise ValueError(f"malformed database DSN: {_first_line(e)}") from None
    if connect_timeout is not None:
        params["connect_timeout"] = str(connect_timeout)
    params.setdefault("connect_timeout", str(DEFAULT_CONNECT_TIMEOUT))
    params.setdefault("application_name", application_name)
    # TCP only (ignored on unix sockets): notice a dead peer instead of waiting forever
    params.setdefault("keepalives", "1")
    params.setdefault("keepalives_idle", "30")
    params.setdefault("keepalives_interval", "10")
    params.setdefault("keepalives_count", "3")
    params.setdefault("tcp_user_timeout", str(TCP_USER_TIMEOUT_MS))
    if statement_timeout > 0 and "statement_timeout" not in params.get("options", ""):
        timeout = f"-c statement_timeout={int(statement_timeout * 1000)}"
        params["options"] = f"{params.get('options', '')} {timeout}".strip()
    return psycopg2.extensions.make_dsn(**params)
