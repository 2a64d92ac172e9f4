"""Ordered SQL migrations, applied once each and recorded in the database.

Each pending file runs in its own transaction under a transaction-level advisory
lock, and is re-checked after the lock is taken: two processes migrating at the
same time (two hosts starting, `dgp db migrate` during a deploy) apply every
migration exactly once, and a failed migration leaves no half-applied schema.
The files ship inside the package (importlib.resources), so an installed
.deb migrates without a checkout. A recorded checksum catches a migration that
was edited after it was applied: the fix is a new file, never an edit.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

from psycopg2.extensions import connection as PgConnection
from psycopg2.extensions import cursor as PgCursor

from dgp.plumbing.store.errors import MigrationError

MIGRATIONS_PACKAGE = "dgp.plumbing.store.migrations"
# pg_advisory_xact_lock key: any constant that no other code uses ("dgpmigr" in ASCII)
LOCK_KEY = 0x6467706D696772
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str  # the file name without .sql, e.g. "0001_initial"
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    """The migrations shipped with the package, in order."""
    found = []
    for entry in resources.files(MIGRATIONS_PACKAGE).iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(
                Migration(int(match[1]), entry.name[: -len(".sql")], entry.read_text("utf-8"))
            )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version number: {versions}")
    return found


def migrate(conn: PgConnection, migrations: list[Migration] | None = None) -> list[str]:
    """Apply the pending migrations; return the names of those this call applied."""
    todo = available() if migrations is None else migrations
    if conn.autocommit:
        raise MigrationError("migrate needs a connection with autocommit off")
    conn.rollback()  # start clean: no half-open transaction of the caller's
    applied: list[str] = []
    try:
        with conn.cursor() as cur:
            _lock(cur)
            cur.execute(_CREATE_TABLE)
            cur.execute("SELECT version, name, checksum FROM schema_migrations")
            recorded = {row[0]: (row[1], row[2]) for row in cur.fetchall()}
        conn.commit()
        _check_recorded(todo, recorded)
        for migration in todo:
            if migration.version in recorded:
                continue
            with conn.cursor() as cur:
                _lock(cur)
                cur.execute(
                    "SELECT 1 FROM schema_migrations WHERE version = %s", (migration.version,)
                )
                if cur.fetchone() is None:  # nobody applied it while we waited for the lock
                    cur.execute("SET LOCAL statement_timeout = 0")  # a migration may be slow
                    cur.execute(migration.sql)
                    cur.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) "
                        "VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                    applied.append(migration.name)
            conn.commit()
    except BaseException:
        if not conn.closed:
            conn.rollback()
        raise
    return applied


def _lock(cur: PgCursor) -> None:
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))


def _check_recorded(todo: list[Migration], recorded: dict[int, tuple[str, str]]) -> None:
    for migration in todo:
        if migration.version in recorded:
            name, checksum = recorded[migration.version]
            if checksum != migration.checksum:
                raise MigrationError(
                    f"migration {migration.name} changed after it was applied (as {name}); "
                    "put schema changes in a new migration file"
                )
