"""`dgp submit --wait` and `dgp status` against the web app served over loopback HTTP,
with a worker consuming the job: the whole path a user takes from the command line."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import redis

from dgp.apps.web.app import create_app
from dgp.cli import main
from dgp.plumbing.breakers import Breakers
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import Database, ScanStore, UserStore
from dgp.plumbing.worker import Worker

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("DGP_TEST_REDIS_URL", "redis://127.0.0.1:6399/0")


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(database: Database, store: ScanStore, org: str) -> Iterator[tuple[str, str, Worker]]:
    settings = Settings(
        hash_key=b"k" * 32, redis_url=REDIS_URL, key_prefix=f"dgptest-{uuid.uuid4().hex[:8]}"
    )
    client = redis.Redis.from_url(REDIS_URL)
    queue = JobQueue(client, settings.key_prefix)
    users = UserStore(database)
    user = users.create_user(
        org, f"analyst-{uuid.uuid4().hex[:6]}@example.nl", "a long enough password 1", "analyst"
    )
    _, token = users.create_token(user, "cli", ["scans:read", "scans:write"])
    app = create_app(store, users, queue, settings, Breakers())
    server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", token, worker
    finally:
        worker.stop.set()
        thread.join(timeout=30)
        server.shutdown()
        for key in client.scan_iter(f"{settings.key_prefix}:*"):
            client.delete(key)


def test_submit_wait_and_status(served: tuple[str, str, Worker], capsys) -> None:
    server, token, _ = served
    code = main(
        [
            "submit",
            "code",
            str(ROOT / "samples" / "code"),
            "--server",
            server,
            "--token",
            token,
            "--wait",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    scan_id, kind, status = out.split()[:3]
    assert (kind, status) == ("code", "done")
    assert main(["status", scan_id, "--server", server, "--token", token]) == 0
    assert " done " in capsys.readouterr().out


def test_a_bad_token_is_a_clear_error(served: tuple[str, str, Worker], capsys) -> None:
    server, _, _ = served
    assert main(["status", str(uuid.uuid4()), "--server", server, "--token", "dgp_nope"]) == 2
    assert "401" in capsys.readouterr().err
