"""The /health lane of the gunicorn worker (dgp.apps.health_lane): a health check is
answered while every thread of the main pool is taken, and nothing else takes the lane."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dgp.apps.health_lane import GIL_SWITCH_SECONDS, is_health_request, waiting_request_head

ROOT = Path(__file__).resolve().parents[2]

# One worker, ONE thread in its main pool: /block holds it until the test says so.
SERVED_APP = textwrap.dedent(
    """
    import os, sys, time
    from dgp.apps.serving import Server

    started, release = sys.argv[1], sys.argv[2]

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/block":
            open(started, "w").close()
            while not os.path.exists(release):
                time.sleep(0.01)
        if path == "/switch":
            path = repr(sys.getswitchinterval())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [path.encode()]

    Server("lane-test", lambda: app, sys.argv[3], workers=1, threads=1).run()
    """
)


def test_only_a_get_of_health_is_a_health_request() -> None:
    assert is_health_request(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    assert is_health_request(b"GET /health?details=1 HTTP/1.1\r\n")
    for other in (
        b"GET /healthz HTTP/1.1\r\n",
        b"GET /health/../api/v1/scans HTTP/1.1",
        b"POST /health HTTP/1.1\r\n",
        b"GET /api/v1/scans HTTP/1.1\r\n",
        b"get /health HTTP/1.1\r\n",
        b"GET /heal",  # not all there yet: the main pool reads the rest
        b"",
    ):
        assert not is_health_request(other), other


def test_peeking_leaves_the_request_where_it_was() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert waiting_request_head(ours) == b""  # nothing sent yet: never blocks
        theirs.sendall(b"GET /health HTTP/1.1\r\n\r\n")
        head = waiting_request_head(ours)
        assert is_health_request(head)
        assert ours.recv(1024) == b"GET /health HTTP/1.1\r\n\r\n"  # all of it still there


def _wait_for(condition: object, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds:.0f} s")
        time.sleep(0.02)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, Path, Path]]:
    """The app above under dgp's gunicorn Server: (port, started marker, release file)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started, release = tmp_path / "started", tmp_path / "release"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVED_APP, str(started), str(release), f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def listening() -> bool:
        assert server.poll() is None, "the server stopped"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    try:
        _wait_for(listening, "the server listening")
        yield port, started, release
    finally:
        release.touch()
        server.terminate()
        server.wait(timeout=30)


def test_health_is_answered_while_every_main_thread_is_taken(
    served: tuple[int, Path, Path],
) -> None:
    port, started, release = served
    monitor = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    monitor.request("GET", "/health")  # a new connection: served by the main pool
    assert monitor.getresponse().read() == b"/health"

    blocker = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    blocker.request("GET", "/block")
    _wait_for(started.exists, "the main pool's only thread taken")

    # its next request on the kept-alive connection goes to the lane, so it is answered
    # although the main pool's only thread is still held (release is not there yet)
    monitor.request("GET", "/health")
    assert monitor.getresponse().read() == b"/health"
    assert not release.exists()

    # any other request is served by the main pool once its thread is free
    other = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    other.request("GET", "/other")
    release.touch()
    assert other.getresponse().read() == b"/other"
    assert blocker.getresponse().read() == b"/block"
    for conn in (monitor, blocker, other):
        conn.close()


def test_a_worker_hands_the_gil_over_sooner_than_pythons_default(
    served: tuple[int, Path, Path],
) -> None:
    """Under a flood a health check waits for the GIL at each of its hand-overs."""
    port, _, _ = served
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/switch")
    assert float(conn.getresponse().read()) == GIL_SWITCH_SECONDS < 0.005
    conn.close()
