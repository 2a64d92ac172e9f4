"""Serving commands: `dgp web` and `dgp scanner KIND`, each gunicorn in this process.

Socket-activated (LISTEN_FDS/LISTEN_PID from systemd) they serve the sockets they
were given and ignore --bind; otherwise they bind --bind (default 127.0.0.1 and the
seed's port: web 5000, scanners 5001..5010, see dgp.apps.ports).

Also runnable as `python -m dgp.cli.serve ...` (used by the tests, and usable before
this module is registered in dgp.cli.COMMANDS).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any

from dgp import kinds
from dgp.apps import ports
from dgp.cli.kinds import instance_name
from dgp.plumbing.settings import SettingsError, load_settings

log = logging.getLogger(__name__)
GRACEFUL_TIMEOUT = 30  # seconds for a request, or the consumer's current job, to end


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    scanner = sub.add_parser("scanner", help="serve one scanner kind: its consumer and /health")
    scanner.add_argument(
        "kind", type=instance_name, help="KIND, or KIND-N for one more consumer of it"
    )
    scanner.add_argument(
        "--bind",
        help="ADDR (host:port or unix:PATH) when not socket-activated "
        "(default 127.0.0.1 and the kind's port)",
    )
    scanner.add_argument("--consumer", help="stable consumer name (default HOST-KIND)")
    scanner.set_defaults(run=run_scanner)

    web = sub.add_parser("web", help="serve the web app and JSON API")
    web.add_argument("--bind", help=f"ADDR when not socket-activated (default {ports.web_bind()})")
    web.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    web.add_argument("--threads", type=int, default=8, help="threads per worker")
    web.set_defaults(run=run_web)


def run_scanner(args: argparse.Namespace) -> int:
    from dgp.apps.logs import setup_logging
    from dgp.apps.scanner.consumer import ConsumerProcess
    from dgp.apps.serving import Server, socket_activated

    kind = kinds.for_instance(args.kind).name  # instance website-2 runs kind website
    setup_logging(scanner=kind)
    try:
        settings = load_settings()
        # socket-activated, the socket is systemd's (an extra instance, website-2, gets
        # the template's unix socket); otherwise --bind or the kind's own port
        bind = args.bind or ("" if socket_activated() else ports.scanner_bind(args.kind))
    except (SettingsError, ValueError) as e:
        print(f"dgp scanner: error: {e}", file=sys.stderr)
        return 2
    consumer = ConsumerProcess(kind, args.consumer or f"{socket.gethostname()}-{args.kind}")
    died: list[bool] = []

    def on_consumer_exit(clean: bool) -> None:
        if not clean:  # let systemd restart the unit (Restart=on-failure): exit non-zero
            log.error("consumer %s died; stopping", consumer.consumer)
            died.append(True)
            os.kill(os.getpid(), signal.SIGTERM)

    def load_app() -> Any:  # in the gunicorn worker, after fork
        from dgp.apps.scanner.app import create_app
        from dgp.plumbing.breakers import Breakers
        from dgp.plumbing.connections import redis_client
        from dgp.plumbing.queue import JobQueue

        queue = JobQueue(redis_client(settings), settings.key_prefix)
        return create_app(kind, consumer, queue, consumer.pool, Breakers())

    consumer.start()
    try:
        consumer.watch(on_consumer_exit)
        _serve(Server(f"scanner-{args.kind}", load_app, bind, workers=1, threads=4))
    finally:
        consumer.stop(GRACEFUL_TIMEOUT)
    return 1 if died else 0


def run_web(args: argparse.Namespace) -> int:
    from dgp.apps.logs import setup_logging
    from dgp.apps.serving import Server

    setup_logging()
    try:
        settings = load_settings()
    except SettingsError as e:
        print(f"dgp web: error: {e}", file=sys.stderr)
        return 2

    def load_app() -> Any:  # in each gunicorn worker, after fork: its own pool and Redis
        from dgp.apps.web.app import create_app
        from dgp.plumbing.breakers import Breakers
        from dgp.plumbing.connections import connect
        from dgp.plumbing.scanner_health import ScannerHealth
        from dgp.plumbing.store import UserStore

        conns = connect(settings)
        breakers = Breakers()
        scanners = {
            kind: f"http://{ports.HOST}:{ports.scanner_port(kind)}"
            for kind in settings.local_scanner_apps(kinds.names())
        }
        return create_app(
            conns.store,
            UserStore(conns.database),
            conns.queue,
            settings,
            breakers,
            scanner_health=ScannerHealth(breakers, scanners),
        )

    server = Server(
        "web", load_app, args.bind or ports.web_bind(), workers=args.workers, threads=args.threads
    )
    _serve(server)
    return 0


def _serve(server: Any) -> None:
    """Run gunicorn until it stops; its arbiter ends with sys.exit, which is not ours."""
    try:
        server.run()
    except SystemExit as e:
        if e.code not in (0, None):
            raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dgp")
    add_parser(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
