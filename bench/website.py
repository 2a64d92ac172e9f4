"""The website scanner's speed and memory, against sites served on loopback.

    python bench/website.py [--pages 500] [--skip-browser]

(a) HTTP mode: pages per second crawling a local 500-page site, the scanner pinned to
    one core (the server to the other), with a same-run baseline: plain sequential
    httpx GETs of the same pages on the same core. Target: >= 50 pages/s.
(b) Browser mode: seconds per page per consent state, from a browser scan of the test
    suite's compliant site (3 pages x 3 states) minus an HTTP-mode scan of it.
    Target: <= 3 s.
(c) Peak memory of one browser scan: the RSS of the scanning process and all its
    descendants (Playwright's driver, every Chromium process) summed, sampled every
    20 ms, against the MemoryMax of units/dgp-scanner@website.service.d.
Only loopback traffic; third-party names resolve to 127.0.0.1 in the scan's resolver.
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (first: keeps bench/ off the import path)

import argparse
import json
import multiprocessing
import os
import re
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from dgp.domain.job import ScanInputs, ScanJob
from dgp.domain.options import Limits
from dgp.scanners.website import scanner
from dgp.scanners.website.options import WebsiteOptions

HOST = "www.voorbeeld.nl"
NAMES = ("voorbeeld.nl", "piwik.pro", "google-analytics.com", "facebook.com", "facebook.net")
KEY = b"b" * 32
UNIT = Path(__file__).resolve().parents[1] / "units/dgp-scanner@website.service.d"


# -- (a) a 500-page site ------------------------------------------------------------------


def site_page(n: int, pages: int) -> bytes:
    links = "".join(f'<li><a href="/p/{(n * 7 + k) % pages}">Pagina {k}</a></li>' for k in range(8))
    text = " ".join(f"Dit is alinea {i} van pagina {n} over onze diensten." for i in range(40))
    return (
        f'<!doctype html><html lang="nl"><head><title>Pagina {n}</title>'
        '<link rel="stylesheet" href="/s.css"><script src="/app.js"></script></head><body>'
        f"<h1>Pagina {n}</h1><ul>{links}</ul><p>{text}</p>"
        '<form action="/zoek"><input name="q" type="search"></form>'
        '<footer><a href="/p/0">Home</a> <a href="/privacy">Privacy</a> KvK 12345678</footer>'
        "</body></html>"
    ).encode()


def serve_site(pages: int, ready: multiprocessing.Queue, cpu: int | None) -> None:  # type: ignore[type-arg]
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    bodies = {f"/p/{n}": site_page(n, pages) for n in range(pages)}
    bodies["/"] = bodies["/p/0"]
    bodies["/privacy"] = b"<html><body><h1>Privacyverklaring</h1></body></html>"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body are two writes

        def do_GET(self) -> None:
            body = bodies.get(self.path.split("?")[0])
            if self.path == "/robots.txt":
                body = b"User-agent: *\nDisallow:\n"
            status = 200 if body is not None else 404
            body = body or b"not found"
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ready.put(server.server_address[1])
    server.serve_forever()


def resolver(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


def http_mode(pages: int) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    scan_cpu, server_cpu = cpus[0], (cpus[1] if len(cpus) > 1 else None)
    ready: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(
        target=serve_site, args=(pages, ready, server_cpu), daemon=True
    )
    server.start()
    port = ready.get(timeout=30)
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {scan_cpu})
    try:
        urls = [f"http://{HOST}:{port}/p/{n}" for n in range(pages)]
        with httpx.Client(transport=httpx.HTTPTransport(retries=0)) as client:
            started = time.perf_counter()
            for url in urls:
                client.get(url.replace(HOST, "127.0.0.1"))
            baseline = pages / (time.perf_counter() - started)
        options = WebsiteOptions(
            mode="http",
            delay_seconds=0.0,
            requests_per_host=4,
            max_depth=100,
            use_sitemap=False,
            limits=Limits(max_items=pages),
        )
        job = ScanJob("website", f"http://{HOST}:{port}/", options)
        runtime = scanner.Runtime(resolver=resolver, proxies={})
        started = time.perf_counter()
        result = scanner.scan(job, ScanInputs(KEY), runtime)
        took = time.perf_counter() - started
    finally:
        os.sched_setaffinity(0, before)
        server.terminate()
    crawled = result.scan.stats.items_scanned
    rate = crawled / took
    print(f"(a) HTTP mode, one core: {crawled} pages in {took:.1f} s = {rate:.0f} pages/s "
          f"(target >= 50; plain sequential httpx GETs of the same pages: {baseline:.0f} pages/s, "
          f"ratio {rate / baseline:.2f})")  # fmt: skip


# -- (b) and (c): the browser ----------------------------------------------------------------


def rss_of_tree(root: int) -> int:
    """The summed RSS (bytes) of `root` and every process below it."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def scan_compliant(mode: str, states: tuple[str, ...], out: Path) -> None:
    """One scan of the compliant test site (a child process: its RSS is measured)."""
    from tests import websites as w

    web = w.Web()
    with (
        tempfile.TemporaryDirectory() as work,
        w.running(web, (HOST, *w.THIRD_PARTIES), Path(work)) as served,
    ):
        w.compliant_site(web, HOST, served.url)
        assert served.tls is not None
        runtime = scanner.Runtime(
            resolver=w.resolver(*NAMES), ssl_context=served.tls.client, proxies={},
            trusted_spki=served.spki(),
        )  # fmt: skip
        options = WebsiteOptions(
            mode=mode, delay_seconds=0.0, browser_pages=3, states=states, page_seconds=20.0
        )
        started = time.perf_counter()
        result = scanner.scan(
            ScanJob("website", served.url(HOST), options), ScanInputs(KEY), runtime
        )
        took = time.perf_counter() - started
    out.write_text(json.dumps({"seconds": took, "findings": len(result.findings)}))


def measured(mode: str, states: tuple[str, ...]) -> tuple[float, int]:
    """Seconds of one scan, and the peak RSS of its process tree."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "result.json"
        child = multiprocessing.Process(target=scan_compliant, args=(mode, states, out))
        child.start()
        peak = 0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                assert child.pid is not None
                peak = max(peak, rss_of_tree(child.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        child.join(timeout=600)
        stop.set()
        sampler.join()
        if child.exitcode != 0:
            raise SystemExit(f"the {mode} scan failed (exit {child.exitcode})")
        return json.loads(out.read_text())["seconds"], peak


def memory_max() -> int:
    text = (UNIT / "20-resources.conf").read_text()
    value = re.search(r"^MemoryMax=(\d+)([KMG]?)", text, re.M)
    assert value is not None
    return int(value[1]) * {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[value[2]]


def browser_mode() -> None:
    states = ("none", "accept", "reject")
    http_seconds, _ = measured("http", states)
    browser_seconds, peak = measured("browser", states)
    per = (browser_seconds - http_seconds) / (3 * len(states))
    print(
        f"(b) browser mode: {browser_seconds:.1f} s for 3 pages x 3 states (HTTP mode alone "
        f"{http_seconds:.2f} s): {per:.2f} s per page per state (target <= 3)"
    )
    limit, mib = memory_max(), 1024**2
    print(
        "(c) peak RSS of one browser scan (scanner, driver and Chromium summed): "
        f"{peak / mib:.0f} MiB (target: under the unit's MemoryMax, {limit / mib:.0f} MiB; "
        f"{100 * peak / limit:.0f}%)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    http_mode(args.pages)
    if not args.skip_browser:
        browser_mode()
    return 0


if __name__ == "__main__":
    sys.exit(main())
