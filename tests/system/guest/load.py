#!/usr/bin/env python3
"""A bounded HTTP load, run inside a test host (only its own loopback is a target).

    load.py --rate 100 --seconds 30 --url http://127.0.0.1:5001/health [--url ...]
            [--header 'Authorization: Bearer ...']

Sends `rate` requests a second for `seconds`, round-robin over the URLs, each on a
new connection (as a proxy would after a backend restart), and prints one JSON
object: requests sent, failures with their reasons, and latency percentiles (ms)
per URL. Plain standard library: the host has only Debian's python3.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor


def fetch(url: str, headers: dict[str, str], timeout: float) -> tuple[int | str, float]:
    parts = urllib.parse.urlsplit(url)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", path, headers={**headers, "Connection": "close"})
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    except OSError as e:
        return type(e).__name__, time.perf_counter() - started
    finally:
        conn.close()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", action="append", required=True)
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--timeout", type=float, default=30)
    args = ap.parse_args()
    headers = dict(h.split(": ", 1) for h in args.header)
    total = int(args.rate * min(args.seconds, 600))  # bounded in count and in time
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {u: [] for u in args.url}
    failures: list[str] = []

    def one(url: str) -> None:
        status, seconds = fetch(url, headers, args.timeout)
        with lock:
            if status == 200:
                latencies[url].append(seconds)
            else:
                failures.append(f"{url}: {status}")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        for n in range(total):
            delay = started + n / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, args.url[n % len(args.url)])
    print(
        json.dumps(
            {
                "sent": total,
                "failed": len(failures),
                "failures": failures[:20],
                "seconds": round(time.monotonic() - started, 2),
                "p50_ms": {u: round(percentile(v, 50), 2) for u, v in latencies.items()},
                "p99_ms": {u: round(percentile(v, 99), 2) for u, v in latencies.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
