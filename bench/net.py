"""What dgp.net's target policy costs: import time, checking a target, fetching.

    python bench/net.py [--requests 500] [--imports 5]

(a) import time of `dgp.net` (what the web app and the kind specs load) and of
    `dgp.net.fetch` (httpx, only in the processes that fetch), each in a fresh
    interpreter, median of --imports runs;
(b) microseconds per target for parse_url + refuse_credentials + check_target (an
    address literal, so no DNS: the policy's own cost);
(c) milliseconds per GET of a 1 kB page from a server on 127.0.0.1, over keep-alive:
    the Fetcher (checked, pinned, bounded, each request re-checked) against a plain
    httpx.Client. Only loopback traffic.
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (first: keeps bench/ off the import path)

import argparse
import statistics
import subprocess
import sys
import time

import httpx

from dgp.net import NetPolicy, check_target, parse_url, refuse_credentials
from dgp.net.fetch import Fetcher
from tests.netfixtures import Handler, serve

BODY = b"x" * 1024


def import_ms(module: str, runs: int) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(times) * 1000


def policy_us(n: int = 20_000) -> float:
    policy = NetPolicy()
    urls = [f"HTTPS://93.184.{i % 250}.{i % 200 + 1}:8443/repo{i}.git?page={i}" for i in range(n)]
    started = time.perf_counter()
    for url in urls:
        refuse_credentials(url)
        check_target(parse_url(url), policy)
    return (time.perf_counter() - started) / n * 1e6


def page(handler: Handler) -> None:
    handler.reply(200, BODY, {"Content-Type": "text/plain"})


def fetch_ms(requests: int) -> tuple[float, float]:
    with serve(page) as server:
        url = server.url("/page")
        with Fetcher(NetPolicy.allowing("127.0.0.0/8")) as fetcher:
            fetcher.get(url)  # warm: connection open
            started = time.perf_counter()
            for _ in range(requests):
                assert fetcher.get(url).body == BODY
            ours = (time.perf_counter() - started) / requests * 1000
        with httpx.Client(trust_env=False) as client:
            client.get(url)
            started = time.perf_counter()
            for _ in range(requests):
                assert client.get(url).content == BODY
            plain = (time.perf_counter() - started) / requests * 1000
    return ours, plain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--imports", type=int, default=5)
    args = parser.parse_args()
    print(f"import dgp.net           {import_ms('dgp.net', args.imports):7.1f} ms")
    print(f"import dgp.net.fetch     {import_ms('dgp.net.fetch', args.imports):7.1f} ms")
    print(f"check a target           {policy_us():7.1f} µs (parse, credentials, addresses)")
    ours, plain = fetch_ms(args.requests)
    print(f"GET 1 kB, dgp Fetcher    {ours:7.3f} ms per request")
    print(f"GET 1 kB, plain httpx    {plain:7.3f} ms per request ({ours / plain:.2f}x)")


if __name__ == "__main__":
    main()
