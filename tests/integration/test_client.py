"""`dgp submit --wait` and `dgp status` against the web app served over loopback HTTP,
with a worker consuming the job: the whole path a user takes from the command line."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from dgp import kinds
from dgp.apps.web.app import create_app
from dgp.cli import main
from dgp.plumbing.breakers import Breakers
from dgp.plumbing.credential_cipher import CredentialCipher
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import Database, ScanStore, UserStore
from dgp.plumbing.store.credentials import CredentialStore
from dgp.plumbing.worker import Worker
from tests import toykind, toyquestionnaire, toyreport
from tests.integration.conftest import consuming, new_token, new_user

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS_KEY = b"c" * 32


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(app: object, *workers: Worker) -> Iterator[str]:
    """The app over loopback HTTP, with the workers consuming, while the block runs;
    its base URL."""
    server = make_server("127.0.0.1", 0, app, server_class=_Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with consuming(*workers):
            yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def served(
    store: ScanStore, users: UserStore, queue: JobQueue, settings: Settings, org: str
) -> Iterator[tuple[str, str, Worker]]:
    token = new_token(users, new_user(users, org, "analyst"), ["scans:read", "scans:write"])
    app = create_app(store, users, queue, settings, Breakers())
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    with serving(app, worker) as url:
        yield url, token, worker


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
    assert "404: unknown credential" in capsys.readouterr().err
    local = str(ROOT / "samples" / "code")
    assert main(["submit", "code", local, "--credential", credential.id, *common]) == 2
    assert "not with an upload" in capsys.readouterr().err


@pytest.fixture
def served_toys(
    store: ScanStore, users: UserStore, queue: JobQueue, settings: Settings, org: str
) -> Iterator[list[str]]:
    """The web app over HTTP with workers of the toy kinds: `dgp` arguments that reach it."""
    specs = [kinds.register(m.SPEC) for m in (toykind, toyquestionnaire, toyreport)]
    scopes = ["scans:read", "scans:write", "findings:read"]  # artefacts show findings
    token = new_token(users, new_user(users, org, "analyst"), scopes)
    app = create_app(store, users, queue, settings, Breakers())
    workers = [Worker.for_kind(s.name, queue, store, settings, f"{s.name}-1") for s in specs]
    try:
        with serving(app, *workers) as url:
            yield ["--server", url, "--token", token]
    finally:
        for spec in specs:
            kinds.unregister(spec.name)


def submitted(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["submit", *args, "--wait"])
    out, err = capsys.readouterr()
    return code, out, err


def test_submit_a_questionnaire_or_scan_ids_and_download_the_artefacts(
    served_toys: list[str], capsys, tmp_path: Path
) -> None:
    server, folder = served_toys, str(tmp_path / "out")
    code, out, err = submitted(capsys, "toy", "mail jan@example.nl", *server, "--artefacts", folder)
    assert code == 0, err
    first = out.split()[0]
    assert (tmp_path / "out" / "summary.txt").read_text().startswith("pii.email at column 6: ")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"contact": "piet@example.com"}))
    code, out, err = submitted(capsys, "toyquestionnaire", str(answers), *server)
    assert code == 0 and out.split()[1:3] == ["toyquestionnaire", "done"], err
    second = out.split()[0]
    code, out, err = submitted(
        capsys, "toyreport", f"{first}, {second}", *server, "--artefacts", folder
    )
    assert code == 0 and " done " in out, err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["asked"] == [first, second] == [s["id"] for s in report["scans"]]
    code, _, err = submitted(capsys, "toyreport", str(uuid.uuid4()), *server)
    assert code == 2 and "404: unknown scan" in err
    assert main(["submit", "toy", "x", *server, "--artefacts", folder]) == 2
    assert "--artefacts needs --wait" in capsys.readouterr().err
