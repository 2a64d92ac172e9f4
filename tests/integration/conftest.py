"""Integration tier fixtures: real Postgres, in databases made for this test session.

DGP_TEST_DATABASE_URL (default postgresql:///postgres, the unix socket) names a
database to connect to as a role that may create databases; each session makes
its own `dgp_test_<hex>` databases, migrated, and drops them at the end, so runs
never see each other's data. `bash tests/services/up.sh` (make services) starts
Postgres. Every test in this folder is marked `integration`.

Redis is shared with whoever else runs tests here: each test has a key prefix of its
own (`key_prefix`) whose keys, and only those, are deleted after it. `settings` are
this test's (its prefix, the test hash key); a module or a test changes some with the
`settings` marker, e.g. `pytest.mark.settings(max_deliveries=3)`.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import falcon.testing
import psycopg2
import pytest
import redis
from argon2 import PasswordHasher
from psycopg2.extensions import make_dsn

from dgp.apps.web import create_app
from dgp.plumbing.breakers import Breakers
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ROLE_SCOPES, Database, ScanStore, User, UserStore, migrate

if TYPE_CHECKING:
    from dgp.plumbing.worker import Worker

ADMIN_DSN = os.environ.get("DGP_TEST_DATABASE_URL", "postgresql:///postgres")
_HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "settings(**fields): Settings fields the `settings` fixture changes"
    )


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


# Cheap argon2id parameters: the tests log in often; production uses the library defaults.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def users(database: Database) -> UserStore:
    return UserStore(database, FAST_HASHER)


def new_user(users: UserStore, org: str, role: str) -> User:
    """A user of `org` with `role`, a new e-mail address and PASSWORD."""
    return users.create_user(org, f"{role}-{secrets.token_hex(4)}@example.org", PASSWORD, role)


def new_token(users: UserStore, user: User, scopes: object = None) -> str:
    """An API token of `user`: with the scopes of its role unless `scopes` are given."""
    _, token = users.create_token(
        user, "test", ROLE_SCOPES[user.role] if scopes is None else scopes
    )
    return token


@pytest.fixture
def client(
    store: ScanStore, users: UserStore, queue: JobQueue, settings: Settings
) -> falcon.testing.TestClient:
    """The web API over this test's store, users, queue and settings."""
    return falcon.testing.TestClient(create_app(store, users, queue, settings, Breakers()))


def bearer(users: UserStore, user: User, scopes: object = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {new_token(users, user, scopes)}"}


def auth(users: UserStore, org: str, role: str) -> dict[str, str]:
    """Headers of a new user of `org` with `role`."""
    return bearer(users, new_user(users, org, role))


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, dict[str, str]]:
    """A form of text `fields` and one file; the body and its Content-Type header."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


REDIS_URL = os.environ.get("DGP_TEST_REDIS_URL", "redis://127.0.0.1:6399/0")
HASH_KEY = b"k" * 32  # the tests' settings; results expected of a direct scan use it too


@pytest.fixture
def key_prefix() -> Iterator[str]:
    """This test's Redis key prefix; afterwards its keys are deleted, and only those
    (the Redis is shared: never FLUSHDB it)."""
    prefix = f"dgptest-{uuid.uuid4().hex[:8]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        delete_keys(client, prefix)
    finally:
        client.close()


def delete_keys(client: redis.Redis, prefix: str) -> None:
    """Delete every key under `prefix`: what a FLUSHDB does to one test's keys."""
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def settings(request: pytest.FixtureRequest, key_prefix: str) -> Settings:
    """This test's settings: its key prefix, the test Redis and hash key, and the fields
    its closest `settings` marker sets."""
    marker = request.node.get_closest_marker("settings")
    fields = marker.kwargs if marker else {}
    return Settings(hash_key=HASH_KEY, redis_url=REDIS_URL, key_prefix=key_prefix, **fields)


@pytest.fixture
def queue(key_prefix: str) -> Iterator[JobQueue]:
    """The job queue under this test's key prefix."""
    client = redis.Redis.from_url(REDIS_URL)
    yield JobQueue(client, key_prefix)
    client.close()


def child_env(settings: Settings, database_dsn: str, folder: Path) -> dict[str, str]:
    """DGP_* settings for a `dgp` child process (worker, scanner app): the test database,
    this test's settings, no config files, and no systemd variables of our own."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LISTEN_", "NOTIFY_"))}
    return {
        **environ,
        "DGP_CONFIG": str(folder / "no.conf"),
        "DGP_SECRETS": str(folder / "no.conf"),
        "DGP_HASH_KEY": settings.hash_key.hex(),
        "DGP_REDIS_URL": settings.redis_url,
        "DGP_DATABASE_URL": database_dsn,
        "DGP_KEY_PREFIX": settings.key_prefix,
        "DGP_MAX_DELIVERIES": str(settings.max_deliveries),
        "DGP_RECLAIM_IDLE_SECONDS": str(settings.reclaim_idle_seconds),
        "DGP_UPLOAD_MAX_BYTES": str(settings.upload_max_bytes),
    }


@pytest.fixture
def env(settings: Settings, database_dsn: str, tmp_path: Path) -> dict[str, str]:
    """The environment of this test's `dgp` child processes (see child_env)."""
    return child_env(settings, database_dsn, tmp_path)


PII_LINE = 'customer = {"bsn": "111222333", "email": "jan.jansen@example.nl"}  # klant\n'


def code_tree(base: Path, files: int = 3, lines: int = 3, padding: int = 0) -> Path:
    """`files` Python files under `base`, each with `lines` PII lines (a BSN and an
    e-mail address), each after `padding` lines without findings."""
    base.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (base / f"m{i}.py").write_text(("x = 1\n" * padding + PII_LINE) * lines)
    return base


@contextmanager
def consuming(*workers: Worker) -> Iterator[list[threading.Thread]]:
    """Each worker's consumer loop in a thread of its own while the block runs; then
    they are asked to stop, and must have stopped."""
    threads = [threading.Thread(target=worker.run, daemon=True) for worker in workers]
    for thread in threads:
        thread.start()
    try:
        yield threads
    finally:
        for worker in workers:
            worker.stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a worker did not stop"


def wait_for(condition: Callable[[], object], seconds: float = 30.0, step: float = 0.05) -> None:
    """Wait until `condition()` is true; `seconds` is a ceiling for a failing test, not a
    timing the test depends on."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(step)


def waiting_in_xreadgroup(client: redis.Redis, name: str) -> bool:
    """True while a connection named `name` is blocked in XREADGROUP (CLIENT LIST): the
    event a test waits for before it pulls a stream from under a waiting reader."""
    return any(
        c["name"] == name and c["cmd"] == "xreadgroup" and "b" in c["flags"]
        for c in client.client_list()
    )
