"""No-op jobs per second through the whole path: HTTP submit (dgp web under gunicorn)
-> Postgres row + Redis stream -> `dgp worker` -> result in Postgres.

A "no-op" job is a code scan of an empty folder: every hop runs, the scan itself
costs nearly nothing. Measured with 1 and with 2 consumers in one run; the clock
runs from the first submit until the last scan is done. Target: >= 500 jobs/s.
Also printed, to show where the time goes: the consumers alone (jobs queued
directly, no HTTP), and the HTTP submits alone (within the whole-path run).

    python bench/queue.py [--jobs 3000] [--clients 16]
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (first: keeps bench/ off the import path)

import argparse
import http.client
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable

import redis

from bench.services import REDIS_URL, ROOT, bench_services, wait_alive, worker_env
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.store import Database, ScanStore, UserStore

TARGET = 500.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("dgp web did not start")


class KeepAliveClient:
    """A bare HTTP/1.1 client on one kept-alive connection.

    The load generator shares the two cores with the server under test, so it must
    cost little: the request is built once as bytes, and of the response only the
    status line and Content-Length are read (http.client costs several times more).
    """

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""

    def send(self, request: bytes) -> int:
        """Send a whole request; the response's status."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in lines
            if line.lower().startswith(b"content-length:")
        )
        while len(self.buffer) < length:
            self._fill()
        self.buffer = self.buffer[length:]
        return int(lines[0].split()[1])

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def submit_all(port: int, token: str, target: str, jobs: int, clients: int) -> None:
    body = json.dumps(
        {"kind": "code", "target": target, "options": {"allow_local_sources": True}}
    ).encode()
    request = (
        f"POST /api/v1/scans HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    counter = iter(range(jobs))
    lock = threading.Lock()
    errors: list[int] = []

    def client() -> None:
        connection: KeepAliveClient | None = None
        while True:
            with lock:
                if next(counter, None) is None:
                    break
            for attempt in (1, 2):  # gunicorn closes idle kept-alive connections
                try:
                    connection = connection or KeepAliveClient(port)
                    status = connection.send(request)
                    break
                except ConnectionError:
                    connection = None
                    if attempt == 2:
                        raise
            if status != 202:
                errors.append(status)
        if connection:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"{len(errors)} submits failed, e.g. HTTP {errors[0]}")


def done_count(store: ScanStore) -> int:
    with store.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM scans WHERE status IN ('done', 'failed')")
        return int(cur.fetchone()[0])


def wait_until_done(store: ScanStore, jobs: int, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while done_count(store) < jobs:
        if time.monotonic() > deadline:
            raise SystemExit(f"jobs did not finish within {seconds:.0f} s")
        time.sleep(0.05)


def dgp(env: dict[str, str], *args: str) -> subprocess.Popen:
    """`dgp ARGS` in a process of its own, quiet."""
    return subprocess.Popen(
        [sys.executable, "-m", "dgp.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        p.terminate()
    for p in processes:
        p.wait(timeout=30)


def timed(
    processes: list[subprocess.Popen],
    queue: JobQueue,
    store: ScanStore,
    consumers: int,
    jobs: int,
    start: Callable[[], None],
    ready: Callable[[], None] = lambda: None,
) -> float:
    """Jobs per second from `start()` (once `ready()` returned and the consumers have
    started) until the last of `jobs` scans is done; the processes are stopped
    afterwards."""
    try:
        ready()
        wait_alive(queue, {"code": consumers})
        started = time.perf_counter()
        start()
        wait_until_done(store, jobs)
        return jobs / (time.perf_counter() - started)
    finally:
        stop(processes)
        store.db.close()


def run(consumers: int, args: argparse.Namespace) -> float:
    with tempfile.TemporaryDirectory() as empty, bench_services() as (dsn, prefix):
        database = Database(dsn)
        store, users = ScanStore(database), UserStore(database)
        org = store.create_organisation("bench")
        admin = users.create_user(org, "bench@example.nl", "bench password 12345", "admin")
        _, token = users.create_token(admin, "bench", ["scans:read", "scans:write"])
        # the no-op target is an empty local folder: the operator allows local sources
        env = {**worker_env(dsn, prefix), "DGP_ALLOW_LOCAL_SOURCES": "true"}
        queue = JobQueue(redis.Redis.from_url(REDIS_URL), prefix)
        port = free_port()
        processes = [dgp(env, "web", "--bind", f"127.0.0.1:{port}")]
        processes += [
            dgp(env, "worker", "code", "--consumer", f"bench-{n}") for n in range(consumers)
        ]

        def submit() -> None:
            started = time.perf_counter()
            submit_all(port, token, empty, args.jobs, args.clients)
            submitted = time.perf_counter() - started
            print(
                f"  {consumers} consumer(s): {args.jobs} submits took {submitted:.2f} s "
                f"({args.jobs / submitted:.0f}/s over HTTP)",
                flush=True,
            )

        return timed(
            processes, queue, store, consumers, args.jobs, submit, ready=lambda: wait_http(port)
        )


def consumers_only(consumers: int, args: argparse.Namespace) -> float:
    """Jobs per second of the consumers alone: rows and stream entries made directly."""
    with tempfile.TemporaryDirectory() as empty, bench_services() as (dsn, prefix):
        store = ScanStore(Database(dsn))
        org = store.create_organisation("bench")
        env = {**worker_env(dsn, prefix), "DGP_ALLOW_LOCAL_SOURCES": "true"}
        queue = JobQueue(redis.Redis.from_url(REDIS_URL), prefix)
        ids = [store.start_scan(org, None, "code", empty, {}).id for _ in range(args.jobs)]
        workers = [dgp(env, "worker", "code", "--consumer", f"only-{n}") for n in range(consumers)]

        def queue_all() -> None:
            pipe = queue.redis.pipeline(transaction=False)
            for scan_id in ids:
                pipe.xadd(queue.stream("code"), {"scan_id": scan_id})
            pipe.execute()

        return timed(workers, queue, store, consumers, args.jobs, queue_all)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=3000)
    ap.add_argument("--clients", type=int, default=16)
    args = ap.parse_args()
    results = {n: run(n, args) for n in (1, 2)}
    alone = {n: consumers_only(n, args) for n in (1, 2)}
    for n, rate in results.items():
        print(
            f"{n} consumer(s): {rate:7.1f} jobs/s through the whole path "
            f"({args.jobs} jobs, {args.clients} clients); the consumers alone {alone[n]:.1f}/s"
        )
    best = max(results.values())
    print(
        f"target >= {TARGET:.0f} jobs/s: {'OK' if best >= TARGET else 'MISSED'} "
        f"(best {best:.1f}); 2/1 consumers: {results[2] / results[1]:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
