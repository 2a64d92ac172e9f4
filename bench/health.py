"""/health latency of a scanner app while it scans, of the web app during a flood of
failed sign-ins, or of the web app with ten kinds while one scanner app hangs.

Default: starts `dgp scanner code` (gunicorn + its consumer process) on a free loopback
port, measures N GET /health requests idle, then again while the consumer scans a
large tree, and prints p50/p99 of both. Target: p99 while scanning < 50 ms.

--login-flood: starts `dgp web` and measures its /health idle, then while 64 clients
(each its own address, named by the trusted proxy header) post failed sign-ins with
made-up e-mail addresses as fast as they can. Target: p99 during the flood < 50 ms.
Then, as a same-run baseline, while the same 64 clients GET a path that does not
exist (no sign-in, no password, no database): what any flood of cheap requests costs
/health on this host. The load average is printed with each figure (the flood client
runs on the same cores as the server).

--ten-kinds: starts `dgp web` (one gunicorn worker) with eight toy kinds registered
besides code and document, every kind with a live consumer, the scanner apps of the
toy kinds on this host: seven answer (a small HTTP server each), one is a listening
socket that accepts connections and never answers. Prints p50/p99 of the web app's
/health and the hung kind's state. Target: p99 < 100 ms.

    python bench/health.py [--requests 300] [--login-flood | --ten-kinds]
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (first: keeps bench/ off the import path)

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.services import ROOT, bench_services, worker_env
from dgp.plumbing.queue import JobQueue, Liveness
from dgp.plumbing.store import Database, ScanStore
from tests.netfixtures import Handler, serve

TARGET_MS = 50.0
TEN_KINDS_TARGET_MS = 100.0
TOY_KINDS = [f"toy{n}" for n in range(1, 9)]  # with code and document: ten
HUNG = TOY_KINDS[-1]
DGP = [sys.executable, "-m", "dgp.cli"]
LINE = 'klant = {"bsn": "111222333", "email": "jan.jansen@example.nl"}  # gegevens\n'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def latencies(port: int, n: int, answers: list[bytes] | None = None) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("GET", "/health")
        body = conn.getresponse().read()
        times.append((time.perf_counter() - t0) * 1000)
        if answers is not None:
            answers.append(body)
        time.sleep(0.005)
    return times


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def start_server(
    argv: list[str], env: dict[str, str], port: int, launcher: list[str] = DGP
) -> subprocess.Popen[bytes]:
    """`dgp ARGV --bind 127.0.0.1:PORT` (run by `launcher`), once it answers /health."""
    server = subprocess.Popen(
        [*launcher, *argv, "--bind", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            latencies(port, 1)
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit(f"dgp {argv[0]} did not start") from None
            time.sleep(0.2)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


FLOOD_CLIENTS = 64
FLOOD_MAX_SECONDS = 120  # the flood stops by itself, whatever happens


def flood(port: int, stop: Any, answers: Any, sign_in: bool = True) -> None:
    """In a process of its own (so the /health client is not slowed by this one's GIL):
    FLOOD_CLIENTS threads, each a client with its own address, failing to sign in (or,
    for the baseline, asking for a path that does not exist)."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json", "X-Real-IP": f"203.0.113.{n + 1}"}
        deadline = time.monotonic() + FLOOD_MAX_SECONDS
        i = 0
        while not stop.is_set() and time.monotonic() < deadline:
            body = json.dumps({"email": f"nobody-{n}-{i}@example.org", "password": "guess" * 3})
            try:
                if sign_in:
                    conn.request("POST", "/api/v1/session", body, headers)
                else:
                    conn.request("GET", "/no-such-page", headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                statuses[status] += 1
                answers.value += 1
            i += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(FLOOD_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    what = "failed sign-ins" if sign_in else "requests for a missing page"
    print(
        f"{FLOOD_CLIENTS} clients sent {sum(statuses.values())} {what}: "
        + ", ".join(f"{code or 'no answer'} x {n}" for code, n in sorted(statuses.items()))
    )


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


def flooded(port: int, n: int, sign_in: bool) -> tuple[list[float], str]:
    """/health latencies while FLOOD_CLIENTS clients flood the app; the load meanwhile."""
    stop, answers = multiprocessing.Event(), multiprocessing.Value("q", 0)
    flooder = multiprocessing.Process(target=flood, args=(port, stop, answers, sign_in))
    flooder.start()
    try:
        while answers.value < FLOOD_CLIENTS:  # every client has been answered once
            time.sleep(0.05)
        busy = latencies(port, n)
        return busy, load()
    finally:
        stop.set()
        flooder.join(60)


def login_flood(args: argparse.Namespace) -> int:
    """/health of the web app while FLOOD_CLIENTS clients fail to sign in, and while
    they flood it with requests for a missing page (the baseline)."""
    with bench_services() as (dsn, prefix):
        port = free_port()
        server = start_server(["web"], worker_env(dsn, prefix), port)
        try:
            idle, idle_load = latencies(port, args.requests), load()
            busy, busy_load = flooded(port, args.requests, sign_in=True)
            base, base_load = flooded(port, args.requests, sign_in=False)
        finally:
            stop_server(server)
    print(f"idle:          p50 {p(idle, 50):6.1f} ms   p99 {p(idle, 99):6.1f} ms   ({idle_load})")
    print(f"login flood:   p50 {p(busy, 50):6.1f} ms   p99 {p(busy, 99):6.1f} ms   ({busy_load})")
    print(f"missing pages: p50 {p(base, 50):6.1f} ms   p99 {p(base, 99):6.1f} ms   ({base_load})")
    ok = p(busy, 99) < TARGET_MS
    print(
        f"target /health p99 during the flood < {TARGET_MS:.0f} ms: {'OK' if ok else 'MISSED'}; "
        f"login flood / missing-page flood p99 {p(busy, 99) / p(base, 99):.2f}x"
    )
    return 0


@contextmanager
def scanner_apps(kinds: list[str], hung: str) -> Iterator[dict[str, int]]:
    """kind -> port: an answering /health for each kind, and for `hung` a socket that
    accepts connections (the kernel does, from its backlog) and never answers."""
    with ExitStack() as servers, socket.socket() as never:
        never.bind(("127.0.0.1", 0))
        never.listen(1024)
        ports = {hung: never.getsockname()[1]}
        for kind in kinds:
            if kind != hung:
                ports[kind] = servers.enter_context(serve(_up)).server_address[1]
        yield ports


def _up(handler: Handler) -> None:
    """A scanner app's /health that is up."""
    handler.reply(200, b'{"status": "up"}', {"Content-Type": "application/json"})


def serve_web(toy_ports: dict[str, int], argv: list[str]) -> int:
    """In the web process: register the toy kinds, then run `dgp ARGV` (its gunicorn
    worker forks from here, so it has them too)."""
    from dgp import kinds
    from dgp.cli import main as dgp
    from dgp.kinds import KindSpec

    for name, toy_port in toy_ports.items():
        kinds.register(KindSpec(name, "a toy kind (bench)", toy_port, "tests.toykind"))
    return dgp(argv)


def ten_kinds(args: argparse.Namespace) -> int:
    """/health of the web app with ten kinds, one scanner app hung."""
    import redis

    from dgp import kinds

    with bench_services() as (dsn, prefix), scanner_apps(TOY_KINDS, HUNG) as toy_ports:
        env = {**worker_env(dsn, prefix), "DGP_SCANNER_APPS": ",".join(TOY_KINDS)}
        liveness = Liveness(JobQueue(redis.Redis.from_url(env["DGP_REDIS_URL"]), prefix))
        for kind in [*kinds.names(), *TOY_KINDS]:  # a live consumer each (TTL 30 s)
            liveness.beat(kind, f"{kind}-1")
        launcher = [sys.executable, __file__, "--serve-web", json.dumps(toy_ports)]
        server = start_server(["web", "--workers", "1"], env, free_port(), launcher)
        port = int(server.args[-1].rpartition(":")[2])  # type: ignore[index]
        answers: list[bytes] = []
        try:
            times = latencies(port, args.requests, answers)
        finally:
            stop_server(server)
    last = json.loads(answers[-1])["scanners"]
    hung = last[HUNG]
    others = sorted({s["status"] for k, s in last.items() if k != HUNG})
    print(f"{len(last)} kinds, {len(toy_ports)} scanner apps on this host, {HUNG}'s never answers")
    print(f"web /health: p50 {p(times, 50):6.1f} ms   p99 {p(times, 99):6.1f} ms")
    print(
        f"{HUNG}: {hung['status']} (app: {hung['app']['status']}, breaker {hung['breaker']}); "
        f"the other kinds: {', '.join(others)}"
    )
    ok = p(times, 99) < TEN_KINDS_TARGET_MS
    verdict = "OK" if ok else "MISSED"
    print(f"target p99 with ten kinds, one hung < {TEN_KINDS_TARGET_MS:.0f} ms: {verdict}")
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--serve-web"]:  # the web process of --ten-kinds
        return serve_web(json.loads(sys.argv[2]), sys.argv[3:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=300)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--login-flood", action="store_true", help="the web app under sign-ins")
    mode.add_argument("--ten-kinds", action="store_true", help="the web app, ten kinds, one hung")
    args = ap.parse_args()
    if args.login_flood:
        return login_flood(args)
    if args.ten_kinds:
        return ten_kinds(args)
    import redis

    with tempfile.TemporaryDirectory() as tmp, bench_services() as (dsn, prefix):
        tree = Path(tmp) / "tree"
        tree.mkdir()
        for i in range(3000):
            (tree / f"m{i}.py").write_text(LINE * 40)
        env = worker_env(dsn, prefix)
        port = free_port()
        server = start_server(["scanner", "code"], env, port)
        database = Database(dsn)
        try:
            idle = latencies(port, args.requests)
            store = ScanStore(database)
            org = store.create_organisation("bench")
            queue = JobQueue(redis.Redis.from_url(env["DGP_REDIS_URL"]), prefix)
            scan_id = store.start_scan(
                org, None, "code", str(tree), {"allow_local_sources": True}
            ).id
            queue.submit("code", scan_id)
            while store.get_scan(org, scan_id).status.value != "running":  # type: ignore[union-attr]
                time.sleep(0.05)
            busy = latencies(port, args.requests)
            still = store.get_scan(org, scan_id).status.value  # type: ignore[union-attr]
        finally:
            stop_server(server)  # the consumer finishes its scan first; we need not wait
            database.close()
    print(f"idle:     p50 {p(idle, 50):6.1f} ms   p99 {p(idle, 99):6.1f} ms")
    print(
        f"scanning: p50 {p(busy, 50):6.1f} ms   p99 {p(busy, 99):6.1f} ms   "
        f"(scan still {still} at the end of the measurement)"
    )
    ok = p(busy, 99) < TARGET_MS
    print(
        f"target p99 while scanning < {TARGET_MS:.0f} ms: {'OK' if ok else 'MISSED'}; "
        f"busy/idle p99 {p(busy, 99) / p(idle, 99):.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
