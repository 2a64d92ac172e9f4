"""Integration tier fixtures: real Postgres, in databases made for this test session.

DGP_TEST_DATABASE_URL (default postgresql:///postgres, the unix socket) names a
database to connect to as a role that may create databases; each session makes
its own `dgp_test_<hex>` databases, migrated, and drops them at the end, so runs
never see each other's data. `bash tests/services/up.sh` (make services) starts
Postgres. Every test in this folder is marked `integration`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import redis
from psycopg2.extensions import make_dsn

from dgp.plumbing.store import Database, ScanStore, migrate

ADMIN_DSN = os.environ.get("DGP_TEST_DATABASE_URL", "postgresql:///postgres")
_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.integration)


class TestDatabases:
    """Creates throwaway databases next to ADMIN_DSN's and drops them all at the end."""

    __test__ = False  # not a test class, whatever its name says

    def __init__(self, admin_dsn: str) -> None:
        self.admin_dsn = admin_dsn
        self.names: list[str] = []

    def _admin(self) -> psycopg2.extensions.connection:
        try:
            conn = psycopg2.connect(self.admin_dsn, connect_timeout=3)
        except psycopg2.OperationalError as e:
            pytest.fail(
                f"cannot reach Postgres at DGP_TEST_DATABASE_URL ({e}); "
                "start it with `make services` (bash tests/services/up.sh)"
            )
        conn.autocommit = True
        return conn

    def create(self, migrated: bool = True) -> str:
        """A new empty database (with the schema when `migrated`); returns its DSN."""
        name = f"dgp_test_{secrets.token_hex(6)}"
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        self.names.append(name)
        dsn = make_dsn(self.admin_dsn, dbname=name)
        if migrated:
            conn = psycopg2.connect(dsn)
            try:
                migrate(conn)
            finally:
                conn.close()
        return dsn

    def drop_all(self) -> None:
        conn = self._admin()
        try:
            with conn.cursor() as cur:
                for name in self.names:
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            conn.close()
        self.names.clear()


@pytest.fixture(scope="session")
def test_databases() -> Iterator[TestDatabases]:
    made = TestDatabases(ADMIN_DSN)
    yield made
    made.drop_all()


@pytest.fixture(scope="session")
def database_dsn(test_databases: TestDatabases) -> str:
    """The DSN of this session's migrated database."""
    return test_databases.create(migrated=True)


@pytest.fixture(scope="session")
def database(database_dsn: str) -> Iterator[Database]:
    """A pool on this session's migrated database."""
    db = Database(database_dsn, minconn=1, maxconn=8)
    yield db
    db.close()


@pytest.fixture
def store(database: Database) -> ScanStore:
    return ScanStore(database)


@pytest.fixture
def org(store: ScanStore) -> str:
    """A new organisation for one test."""
    return store.create_organisation(f"org-{secrets.token_hex(4)}")


REDIS_URL = os.environ.get("DGP_TEST_REDIS_URL", "redis://127.0.0.1:6399/0")


def child_env(
    database_dsn: str, prefix: str, hash_key: bytes, folder: Path, **settings: str
) -> dict[str, str]:
    """DGP_* settings for a `dgp` child process (worker, scanner app): the test database,
    Redis and key prefix, no config files, and no systemd variables of our own."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LISTEN_", "NOTIFY_"))}
    return {
        **environ,
        "DGP_CONFIG": str(folder / "no.conf"),
        "DGP_SECRETS": str(folder / "no.conf"),
        "DGP_HASH_KEY": hash_key.hex(),
        "DGP_REDIS_URL": REDIS_URL,
        "DGP_DATABASE_URL": database_dsn,
        "DGP_KEY_PREFIX": prefix,
        **{f"DGP_{name.upper()}": value for name, value in settings.items()},
    }


def waiting_in_xreadgroup(client: redis.Redis, name: str) -> bool:
    """True while a connection named `name` is blocked in XREADGROUP (CLIENT LIST): the
    event a test waits for before it pulls a stream from under a waiting reader."""
    return any(
        c["name"] == name and c["cmd"] == "xreadgroup" and "b" in c["flags"]
        for c in client.client_list()
    )
