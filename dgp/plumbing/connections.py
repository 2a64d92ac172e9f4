"""Building the connections a process needs from its settings, in one place."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from psycopg2.extensions import make_dsn
from redis.backoff import NoBackoff
from redis.retry import Retry

from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import Database, ScanStore

REDIS_CONNECT_TIMEOUT = 3.0
REDIS_TIMEOUT = 10.0  # above the 1 s blocking reads


@dataclass
class Connections:
    database: Database
    store: ScanStore
    queue: JobQueue


def redis_client(settings: Settings) -> redis.Redis:
    # no retries inside redis-py (by default it backs off for seconds on a refused
    # connection): the web app must answer 503 at once, the worker waits outages out itself
    return redis.Redis.from_url(
        settings.redis_url,
        password=settings.redis_password or None,
        retry=Retry(NoBackoff(), 0),
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
        socket_timeout=REDIS_TIMEOUT,
        health_check_interval=30,
    )


def database_dsn(settings: Settings) -> str:
    """The database URL with the password from the secrets file, quoted by libpq's rules."""
    if not settings.database_password:
        return settings.database_url
    return make_dsn(settings.database_url, password=settings.database_password)


def connect(settings: Settings, maxconn: int = 8) -> Connections:
    # minconn = maxconn: psycopg2's pool closes connections above minconn when they come
    # back, so a smaller minconn reconnects on nearly every request under load
    database = Database(database_dsn(settings), minconn=maxconn, maxconn=maxconn)
    return Connections(
        database, ScanStore(database), JobQueue(redis_client(settings), settings.key_prefix)
    )
