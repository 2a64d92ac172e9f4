"""The scanner app (Falcon) and `dgp scanner KIND` under gunicorn, with real Redis/Postgres.

Processes are started on 127.0.0.1 only, waited for with bounded loops, and always
killed in `finally`. journald is not here: its protocol is checked against a
datagram socket of our own.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import falcon.testing
import pytest

from dgp.apps import logs
from dgp.apps.scanner.app import create_app
from dgp.apps.scanner.consumer import ConsumerProcess
from dgp.apps.serving import Watchdog, sd_notify
from dgp.plumbing.breakers import Breakers
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ScanStore, UserStore
from dgp.plumbing.worker import Worker
from tests.integration.conftest import code_tree, new_token, new_user

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
METRIC_LINE = re.compile(r'^[a-z_:][a-z0-9_:]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? \S+$')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_healthy(port: int, proc: subprocess.Popen, seconds: float = 30.0) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"dgp scanner exited with {proc.returncode}"
        try:
            status, body = get(port, "/health", timeout=1.0)
            if status == 200:
                return json.loads(body)
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("dgp scanner did not become healthy")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL: never leave a server (or its consumer) behind."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def serve_scanner(env: dict[str, str], *args: str, **popen: object) -> subprocess.Popen:
    command = [sys.executable, "-m", "dgp.cli.serve", "scanner", "code", *args]
    return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, **popen)  # type: ignore[call-overload]


def wait_status(store: ScanStore, org: str, scan_id: str, want: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        scan = store.get_scan(org, scan_id)
        if scan is not None and scan.status.value == want:
            return
        time.sleep(0.1)
    raise AssertionError(f"scan {scan_id} did not reach {want}")


def tree(base: Path, files: int, repeat: int) -> str:
    """Files whose findings are each 30 lines apart: scans that take a while."""
    return str(code_tree(base, files, lines=repeat, padding=30))


def parse_metrics(text: str) -> dict[str, float]:
    """A strict enough reading of the Prometheus text format: every line must parse."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        assert METRIC_LINE.match(line), line
        name, value = line.rsplit(" ", 1)
        values[name] = float(value)
    return values


# -- the app, in-process (falcon.testing), over a real consumer process --------------


def test_health_stats_and_metrics_over_a_real_consumer(
    env: dict[str, str], queue: JobQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    consumer = ConsumerProcess("code", "test-consumer")
    consumer.start()
    try:
        client = falcon.testing.TestClient(
            create_app("code", consumer, queue, consumer.pool, Breakers())
        )
        health = client.simulate_get("/health")
        assert health.status_code == 200
        assert health.json == {
            "status": "up",
            "kind": "code",
            "consumer": "test-consumer",
            "in_flight": 0,
        }
        deadline = time.monotonic() + 20
        while consumer.stats()["seconds_since_beat"] is None:  # connected and looping
            assert time.monotonic() < deadline, "the consumer never beat"
            time.sleep(0.1)
        stats = client.simulate_get("/stats").json
        assert stats["queue"] == {"size": 0, "pending": 0, "consumers": 1}
        assert {k: stats[k] for k in ("processed", "failed", "dead_lettered", "in_flight")} == {
            "processed": 0,
            "failed": 0,
            "dead_lettered": 0,
            "in_flight": 0,
        }
        assert stats["pool"]["maxconn"] == 8 and stats["pool"]["available"] is True
        assert stats["breakers"] == {"redis": {"state": "closed", "failures": 0}}
        metrics = client.simulate_get("/metrics")
        assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
        values = parse_metrics(metrics.text)
        assert values['dgp_scanner_up{kind="code"}'] == 1
        assert values['dgp_queue_consumers{kind="code"}'] == 1
        assert values['dgp_scanner_scans_processed_total{kind="code"}'] == 0
        assert values['dgp_breaker_state{kind="code",breaker="redis",state="closed"}'] == 1

        os.kill(consumer.pid, signal.SIGKILL)  # the consumer dies: /health says so
        deadline = time.monotonic() + 10
        while client.simulate_get("/health").status_code != 503:
            assert time.monotonic() < deadline, "/health kept answering 200"
            time.sleep(0.05)
        assert client.simulate_get("/health").json["status"] == "down"
        assert (
            parse_metrics(client.simulate_get("/metrics").text)['dgp_scanner_up{kind="code"}'] == 0
        )
    finally:
        consumer.stop(timeout=5)


# -- `dgp scanner code` as a real process ------------------------------------------------


def test_a_code_scan_completes_through_dgp_scanner_and_health_stays_fast(
    env: dict[str, str], store: ScanStore, queue: JobQueue, org: str, tmp_path: Path
) -> None:
    port = free_port()
    proc = serve_scanner(env, "--bind", f"127.0.0.1:{port}", "--consumer", "it-code")
    try:
        assert wait_healthy(port, proc)["consumer"] == "it-code"
        small = store.start_scan(org, None, "code", tree(tmp_path / "small", 3, 2), {}).id
        queue.submit("code", small)
        wait_status(store, org, small, "done", 60)
        deadline = time.monotonic() + 10
        while json.loads(get(port, "/stats")[1])["processed"] != 1:
            assert time.monotonic() < deadline, "the first scan is never counted"
            time.sleep(0.05)

        big = store.start_scan(org, None, "code", tree(tmp_path / "big", 300, 60), {}).id
        queue.submit("code", big)
        deadline = time.monotonic() + 30
        while json.loads(get(port, "/health")[1])["in_flight"] != 1:
            assert time.monotonic() < deadline, "the large scan never started"
            time.sleep(0.02)
        latencies, busy = [], 0
        for _ in range(200):
            started = time.perf_counter()
            status, body = get(port, "/health")
            latencies.append(time.perf_counter() - started)
            assert status == 200
            busy += json.loads(body)["in_flight"]
            time.sleep(0.005)
        latencies.sort()
        p50, p99 = latencies[len(latencies) // 2] * 1000, latencies[198] * 1000
        print(f"/health while scanning: p50 {p50:.1f} ms, p99 {p99:.1f} ms, busy {busy}/200")
        # every check answered while the consumer scanned; how fast is bench/health.py's
        # figure (a timed assertion here would only measure this machine's neighbours)
        assert busy >= 150, "the scan ended too early to show anything"
        wait_status(store, org, big, "done", 120)
        # "done" is visible when the result commits; the ACK and the count follow it
        deadline = time.monotonic() + 10
        while (stats := json.loads(get(port, "/stats")[1]))["processed"] != 2:
            assert time.monotonic() < deadline, f"processed stays {stats['processed']}"
            time.sleep(0.05)
        assert stats["queue"]["pending"] == 0
        assert stats["pool"]["total_queries"] > 0  # the consumer's pool, published to the app
    finally:
        stop(proc)
    assert proc.returncode == 0


@pytest.mark.parametrize("instance", ["code", "code-2"])  # code-2: one more consumer of code
def test_socket_activation_serves_the_socket_passed_as_fd_3(
    env: dict[str, str], instance: str
) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    fd = listener.fileno()
    # What systemd does: the socket at fd 3, LISTEN_FDS=1, LISTEN_PID = the pid that execs.
    wrapper = (
        "import os, sys\n"
        f"os.dup2({fd}, 3)\n"
        f"os.close({fd})\n"
        "os.environ.update(LISTEN_FDS='1', LISTEN_PID=str(os.getpid()))\n"
        "os.execv(sys.executable, [sys.executable, '-m', 'dgp.cli.serve', 'scanner', "
        f"'{instance}'])\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", wrapper],
        env=env,
        cwd=ROOT,
        pass_fds=(fd,),
        start_new_session=True,
        stderr=subprocess.PIPE,
    )
    listener.close()  # only the child holds it now
    try:
        assert wait_healthy(port, proc)["kind"] == "code"
    finally:
        stop(proc)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert f"Listening at: http://127.0.0.1:{port}" in stderr
    assert "5001" not in stderr  # no default bind when activated


# -- systemd glue: journald fields, stderr elsewhere, sd_notify ----------------------------


def receive_datagrams(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    return sock


def parse_journal(data: bytes) -> dict[str, str]:
    """journald's native format, both the KEY=value and the length-prefixed form."""
    fields, i = {}, 0
    while i < len(data):
        end = data.index(b"\n", i)
        line = data[i:end]
        if b"=" in line:
            key, value = line.split(b"=", 1)
            i = end + 1
        else:
            key, (size,) = line, struct.unpack("<Q", data[end + 1 : end + 9])
            value = data[end + 9 : end + 9 + size]
            i = end + 9 + size + 1
        fields[key.decode()] = value.decode()
    return fields


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.handlers[:], root.level = saved[0], saved[1]


def test_logs_go_to_the_journal_with_dgp_fields_under_systemd(
    tmp_path: Path, root_logging: None
) -> None:
    journal = receive_datagrams(tmp_path / "journal.sock")
    handler = logs.setup_logging(
        scanner="code",
        environ={"INVOCATION_ID": "abc", "JOURNAL_STREAM": "8:123"},
        journal_socket=str(journal.getsockname()),
    )
    assert isinstance(handler, logs.JournalHandler)
    log = logging.getLogger("dgp.plumbing.worker")
    log.info("scan %s done: %d findings", "s-1", 3, extra={"dgp_scan_id": "s-1", "dgp_org": "o-1"})
    log.warning("line one\nline two")
    first, second = (parse_journal(journal.recv(65536)) for _ in range(2))
    journal.close()
    assert first["MESSAGE"] == "scan s-1 done: 3 findings"
    assert first["PRIORITY"] == "6" and first["SYSLOG_IDENTIFIER"] == "dgp-scanner-code"
    assert (first["DGP_SCAN_ID"], first["DGP_SCANNER"], first["DGP_ORG"]) == ("s-1", "code", "o-1")
    assert first["LOGGER"] == "dgp.plumbing.worker"
    assert second["MESSAGE"] == "line one\nline two" and second["PRIORITY"] == "4"
    assert "DGP_SCAN_ID" not in second and second["DGP_SCANNER"] == "code"


def test_logs_go_to_stderr_when_not_under_systemd(
    tmp_path: Path, root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = logs.setup_logging(scanner="code", environ={}, journal_socket=str(tmp_path / "x"))
    assert type(handler) is logging.StreamHandler
    # under systemd but without a journal socket (a container without journald): stderr too
    assert (
        type(logs.setup_logging(environ={"INVOCATION_ID": "x"}, journal_socket="/nonexistent"))
        is logging.StreamHandler
    )
    logging.getLogger("dgp.test").info("scan %s started", "s-2", extra={"dgp_scan_id": "s-2"})
    assert "INFO dgp.test: scan s-2 started [scan_id=s-2]" in capsys.readouterr().err


def test_the_worker_logs_carry_scan_kind_and_org(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    records: list[logging.LogRecord] = []
    capture = logging.Handler()
    capture.emit = records.append  # type: ignore[method-assign]
    capture.addFilter(logs.ScanFields())
    worker_log = logging.getLogger("dgp.plumbing.worker")
    worker_log.addHandler(capture)
    old_level, worker_log.level = worker_log.level, logging.INFO
    try:
        scan_id = store.start_scan(org, None, "code", tree(tmp_path / "t", 2, 1), {}).id
        queue.submit("code", scan_id)
        assert Worker.for_kind("code", queue, store, settings, "c1").run_once(block_ms=100)
    finally:
        worker_log.removeHandler(capture)
        worker_log.setLevel(old_level)
    fields = {(r.dgp_scan_id, r.dgp_scanner, r.dgp_org) for r in records}  # type: ignore[attr-defined]
    assert fields == {(scan_id, "code", org)}
    assert [r.getMessage() for r in records][-1].startswith(f"scan {scan_id} done:")


def test_watchdog_beats_are_sent_and_rate_limited(tmp_path: Path) -> None:
    notify = receive_datagrams(tmp_path / "notify.sock")
    environ = {"NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "4000000"}
    watchdog = Watchdog(environ)
    for _ in range(100):
        watchdog()
    assert notify.recv(100) == b"WATCHDOG=1"
    notify.settimeout(0.2)
    with pytest.raises(TimeoutError):
        notify.recv(100)  # one beat per second (WATCHDOG_USEC / 4), not a hundred
    assert sd_notify("STATUS=scanning", environ) and notify.recv(100) == b"STATUS=scanning"
    notify.close()
    assert not Watchdog({}).enabled and not sd_notify("WATCHDOG=1", {})


def test_dgp_web_under_gunicorn_takes_chunked_bodies_within_the_limits(
    env: dict[str, str], store: ScanStore, users: UserStore, org: str, tmp_path: Path
) -> None:
    """Bodies without Content-Length (Transfer-Encoding: chunked): a JSON scan request
    works, one over the JSON limit is 413, an upload is refused with 411 (the form
    parser needs the length); nothing of a refused request is kept."""
    token = new_token(users, new_user(users, org, "admin"), ["scans:write", "scans:read"])
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "dgp.cli.serve", "web", "--bind", f"127.0.0.1:{port}"],
        env={**env, "DGP_UPLOAD_MAX_BYTES": "4096"},
        cwd=ROOT,
        start_new_session=True,
    )

    def post(body: bytes, content_type: str) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
            chunks = (body[i : i + 1000] for i in range(0, len(body), 1000))
            # refused before the whole body was sent (gunicorn answers, then closes): read why
            with suppress(BrokenPipeError):
                conn.request("POST", "/api/v1/scans", chunks, headers, encode_chunked=True)
            response = conn.getresponse()
            # the server names neither itself nor its version; answers are not sniffed
            assert "gunicorn" not in (response.getheader("Server") or "").lower()
            assert response.getheader("X-Content-Type-Options") == "nosniff"
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()

    try:
        wait_healthy(port, web)
        request = json.dumps({"kind": "code", "target": "https://example.org/x.git"}).encode()
        status, body = post(request, "application/json")
        assert status == 202 and body["status"] == "queued", body
        boundary = "b" * 20
        upload = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ncode\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n'
                "Content-Type: application/zip\r\n\r\n"
            ).encode()
            + b"0" * 20_000
            + f"\r\n--{boundary}--\r\n".encode()
        )
        status, body = post(upload, f"multipart/form-data; boundary={boundary}")
        assert status == 411 and body["error"]["code"] == "length_required"
        huge = json.dumps({"kind": "code", "target": "x" * (2 * 1024 * 1024)}).encode()
        status, body = post(huge, "application/json")
        assert status == 413 and body["error"]["code"] == "too_large"
        assert len(store.list_scans(org)) == 1
        assert store.list_scans(org)[0].target == "https://example.org/x.git"
        with store.db.transaction() as cur:  # nothing of the refused upload was kept
            cur.execute("SELECT count(*) FROM uploads WHERE organisation_id = %s", (org,))
            assert cur.fetchone()[0] == 0
    finally:
        stop(web)
