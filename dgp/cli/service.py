"""Service commands: `dgp db migrate`, `dgp worker KIND`, `dgp janitor`.

They read /etc/dataguardian/ (or DGP_CONFIG / DGP_SECRETS and DGP_* variables).
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable

import redis

from dgp import kinds
from dgp.cli.kinds import instance_name, kind_name
from dgp.plumbing.connections import Connections, connect
from dgp.plumbing.janitor import Janitor
from dgp.plumbing.settings import Settings, SettingsError, load_settings
from dgp.plumbing.store import StoreUnavailable, migrate
from dgp.plumbing.worker import Worker


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    migrate = db_sub.add_parser("migrate", help="apply pending schema migrations")
    migrate.set_defaults(run=run_migrate)

    worker = sub.add_parser("worker", help="consume one scanner kind's job stream")
    worker.add_argument("kind", type=instance_name, help="KIND, or KIND-N for one more consumer")
    worker.add_argument("--consumer", help="stable consumer name (default HOST-KIND)")
    worker.add_argument("--once", action="store_true", help="handle at most one job, then stop")
    worker.set_defaults(run=run_worker)

    janitor = sub.add_parser(
        "janitor", help="hand jobs of dead consumers to live ones; purge past the retention"
    )
    janitor.add_argument(
        "--kind", action="append", type=kind_name, help="only these kinds (default: all)"
    )
    janitor.add_argument(
        "--loop", type=float, metavar="SECONDS", help="repeat every SECONDS instead of once"
    )
    janitor.set_defaults(run=run_janitor)


def _setup() -> tuple[Connections, Settings]:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    return connect(settings), settings


# Problems of the setting, not of our code: a message and exit 2, no traceback.
SERVICE_ERRORS = (SettingsError, StoreUnavailable, redis.ConnectionError, redis.TimeoutError)
Command = Callable[[argparse.Namespace], int]


def reporting_errors(name: str) -> Callable[[Command], Command]:
    def wrap(run: Command) -> Command:
        @functools.wraps(run)
        def wrapper(args: argparse.Namespace) -> int:
            try:
                return run(args)
            except SERVICE_ERRORS as e:
                print(f"{name}: error: {e}", file=sys.stderr)
                return 2

        return wrapper

    return wrap


@reporting_errors("dgp db migrate")
def run_migrate(args: argparse.Namespace) -> int:
    connections, _ = _setup()
    with connections.database.connection() as conn:
        applied = migrate(conn)
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    return 0


@reporting_errors("dgp worker")
def run_worker(args: argparse.Namespace) -> int:
    connections, settings = _setup()
    consumer = args.consumer or f"{socket.gethostname()}-{args.kind}"  # the instance's name
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    spec = kinds.for_instance(args.kind)
    worker = Worker.for_kind(
        spec, connections.queue, connections.store, settings, consumer, stop=stop
    )
    if args.once:
        worker.run_once(block_ms=2000)
    else:
        worker.run()
    return 0


@reporting_errors("dgp janitor")
def run_janitor(args: argparse.Namespace) -> int:
    connections, settings = _setup()
    janitor = Janitor(connections.queue, connections.store, settings)
    names = args.kind or kinds.names()
    while True:
        report = {"jobs": janitor.run_once(names), "purged": janitor.purge()}
        print(json.dumps(report), flush=True)
        if args.loop is None:
            return 0
        time.sleep(args.loop)
