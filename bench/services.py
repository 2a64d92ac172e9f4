"""Throwaway Postgres database and Redis prefix for the service benchmarks.

Uses the same local services as the integration tests (`make services`).
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import redis
from psycopg2.extensions import make_dsn, parse_dsn

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dgp.plumbing.queue import JobQueue, Liveness  # noqa: E402
from dgp.plumbing.store import Database, migrate  # noqa: E402

ADMIN_DSN = os.environ.get("DGP_TEST_DATABASE_URL", "postgresql:///postgres")
REDIS_URL = os.environ.get("DGP_TEST_REDIS_URL", "redis://127.0.0.1:6399/0")
HASH_KEY = b"bench-key-" * 4


@contextmanager
def bench_services() -> Iterator[tuple[str, str]]:
    """(database DSN, redis key prefix) for one benchmark run; removed afterwards."""
    name = f"dgp_bench_{secrets.token_hex(4)}"
    admin = psycopg2.connect(ADMIN_DSN)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    dsn = make_dsn(**{**parse_dsn(ADMIN_DSN), "dbname": name})
    database = Database(dsn)
    with database.connection() as conn:
        migrate(conn)
    database.close()
    prefix = f"dgpbench-{secrets.token_hex(4)}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        yield dsn, prefix
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def worker_env(dsn: str, prefix: str) -> dict[str, str]:
    return {
        **os.environ,
        "DGP_CONFIG": "/nonexistent",
        "DGP_SECRETS": "/nonexistent",
        "DGP_HASH_KEY": HASH_KEY.hex(),
        "DGP_REDIS_URL": REDIS_URL,
        "DGP_DATABASE_URL": dsn,
        "DGP_KEY_PREFIX": prefix,
    }


def wait_alive(queue: JobQueue, consumers: dict[str, int], seconds: float = 60) -> None:
    """Until each kind has its consumers started (imported, detector compiled,
    connected): a consumer beats just before its first read, so the clock that
    starts after this measures work, not start-up."""
    deadline = time.monotonic() + seconds
    liveness = Liveness(queue)
    while any(len(liveness.alive(kind)) < n for kind, n in consumers.items()):
        if time.monotonic() > deadline:
            raise SystemExit(f"the consumers did not start within {seconds:.0f} s")
        time.sleep(0.1)
