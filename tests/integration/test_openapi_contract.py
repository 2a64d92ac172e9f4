"""The OpenAPI contract: a generic client (schemathesis) that makes its requests from our
own /openapi.json, against the web app served on a loopback port over real Postgres and
Redis with seeded data (two organisations, an admin token of the first), all checks,
stateful links between the create and get operations, a bounded number of examples.
0 failures: the document says exactly what the server accepts and answers.
"""

from __future__ import annotations

import shutil
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import falcon.testing
import pytest

from dgp.apps.web import create_app
from dgp.plumbing.breakers import Breakers
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ScanStore, UserStore
from tests.integration.conftest import new_token, new_user

pytestmark = [pytest.mark.integration, pytest.mark.settings(credentials_key=bytes(range(32)))]
MAX_EXAMPLES = 8  # per operation and phase: the run stays within a few minutes here
RUN_SECONDS = 240  # schemathesis' own budget; the subprocess is stopped a minute later
# The one relaxation: whether a scan's target is one (a host name that IDNA accepts, a
# database URL, a path) is the kind's own check (KindSpec.check_target), which JSON
# Schema does not express; such a request is answered 400 with the reason.
CONFIG = """
[[operations]]
include-path = "/api/v1/scans"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", 400, 401, 403, 404, 409, 429, "5xx",
]
"""


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log on stderr: the run makes thousands of requests."""


@pytest.fixture
def served(
    store: ScanStore, users: UserStore, queue: JobQueue, settings: Settings
) -> Iterator[str]:
    """The web app on a free loopback port; its base URL."""
    app = create_app(store, users, queue, settings, Breakers())
    server = make_server("127.0.0.1", 0, app, ThreadingServer, QuietHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def seed(store: ScanStore, users: UserStore, org: str) -> str:
    """A second organisation with its own users and scans, ours with some of every
    object; the admin token the client uses."""
    other = store.create_organisation(f"other-{org[:8]}")
    for role in ("admin", "analyst"):
        new_user(users, other, role)
    store.start_scan(other, None, "code", "https://example.org/theirs.git", {})
    admin = new_user(users, org, "admin")
    for role in ("analyst", "viewer", "auditor"):
        new_user(users, org, role)
    for n in range(3):
        store.start_scan(org, admin.id, "code", f"https://example.org/ours-{n}.git", {})
    return new_token(users, admin)


def test_the_served_api_keeps_its_openapi_contract(
    served: str, store: ScanStore, users: UserStore, org: str, tmp_path: Path
) -> None:
    token = seed(store, users, org)
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert cli, "schemathesis is in the test extra"
    report = tmp_path / "report.xml"
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    run = subprocess.run(
        [
            cli,
            "--config-file",
            str(config),
            "run",
            f"{served}/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--max-time",
            str(RUN_SECONDS),
            "--seed",
            "1",
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "-H",
            f"Authorization: Bearer {token}",
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS + 60,
        check=False,
        cwd=tmp_path,  # its .schemathesis cache (replayed failures) stays out of the tree
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-4000:]


def test_the_document_declares_links_from_each_create_to_its_get(
    store: ScanStore, users: UserStore, queue: JobQueue, settings: Settings
) -> None:
    """The stateful phase follows these: what a create answers, its get must find."""
    client = falcon.testing.TestClient(create_app(store, users, queue, settings, Breakers()))
    paths = client.simulate_get("/openapi.json").json["paths"]
    linked = {}
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method != "post" or not isinstance(operation, dict):
                continue
            for answer in operation["responses"].values():
                for link in answer.get("links", {}).values():
                    linked[path] = link["operationId"]
    gets = {
        operation["operationId"]: path
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method == "get"
    }
    for create in ("/api/v1/scans", "/api/v1/users", "/api/v1/credentials"):
        assert create in linked, sorted(linked)
        assert gets[linked[create]].startswith(create + "/{"), (create, linked[create])
