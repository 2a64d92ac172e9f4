"""`dgp submit --wait` and `dgp status` against the web app served over loopback HTTP,
with a worker consuming the job: the whole path a user takes from the command line."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from dgp.apps.web.app import create_app
from dgp.cli import main
from dgp.plumbing.breakers import Breakers
from dgp.plumbing.credential_cipher import CredentialCipher
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import Database, ScanStore, UserStore
from dgp.plumbing.store.credentials import CredentialStore
from dgp.plumbing.worker import Worker
from tests.integration.conftest import consuming, new_token, new_user

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS_KEY = b"c" * 32


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(
    store: ScanStore, users: UserStore, queue: JobQueue, settings: Settings, org: str
) -> Iterator[tuple[str, str, Worker]]:
    token = new_token(users, new_user(users, org, "analyst"), ["scans:read", "scans:write"])
    app = create_app(store, users, queue, settings, Breakers())
    server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    try:
        with consuming(worker):
            yield f"http://127.0.0.1:{server.server_port}", token, worker
    finally:
        server.shutdown()
        server.server_close()


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


@pytest.mark.settings(credentials_key=CREDENTIALS_KEY)
def test_submit_names_a_stored_credential(
    served: tuple[str, str, Worker], database: Database, org: str, capsys
) -> None:
    server, token, _ = served
    stored = CredentialStore(database, CredentialCipher(CREDENTIALS_KEY))
    credential = stored.create(org, f"git-{uuid.uuid4().hex[:6]}", "git_token", "ghp_value")
    common = ["--server", server, "--token", token]
    target = "https://10.255.255.1/team/app.git"  # refused by the scanner: no network used
    assert main(["submit", "code", target, "--credential", credential.id, *common]) == 0
    scan_id = capsys.readouterr().out.split()[0]
    with database.transaction() as cur:
        cur.execute("SELECT credential_id FROM scans WHERE id = %s", (scan_id,))
        assert str(cur.fetchone()[0]) == credential.id
    assert main(["submit", "code", target, "--credential", str(uuid.uuid4()), *common]) == 2
    assert "400: unknown credential" in capsys.readouterr().err
    local = str(ROOT / "samples" / "code")
    assert main(["submit", "code", local, "--credential", credential.id, *common]) == 2
    assert "not with an upload" in capsys.readouterr().err
