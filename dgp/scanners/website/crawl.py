"""The HTTP crawl: the site's pages as a first-time visitor's browser receives them,
before any interaction, fetched politely through dgp.net's bounded, pinned fetcher.

- Same site: hosts of the start URL's registrable domain (site.py); links elsewhere
  are third parties, recorded but not followed.
- robots.txt (RFC 9309, parsed with Protego) is obeyed for our user agent unless the
  scan turns it off; 4xx means no rules, 5xx or no answer means "disallow all", as the
  RFC says. Its Crawl-delay raises the delay between requests to that host.
- sitemap.xml (and the sitemaps robots.txt names, and sitemap indexes, gzipped or not)
  adds pages at depth 1.
- At most `requests_per_host` requests to one host at a time and `delay_seconds`
  between their starts; every fetch bounded in bytes and time (FetchLimits); the crawl
  in pages, bytes and time (the session's limits).

Worker threads only fetch and parse; the scan session (limits, findings) is used from
the calling thread only.
"""

from __future__ import annotations

import io
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import httpx
from lxml import etree
from protego import Protego

from dgp.domain.job import ScanInputError, TargetUnavailable
from dgp.net import (
    FetchFailed,
    NetError,
    TargetRefused,
    TargetUnreachable,
    TargetURL,
    TLSFailed,
    TooManyRedirects,
    parse_url,
)
from dgp.net.fetch import Fetcher, TLSInfo
from dgp.scanners.session import ScanSession, StopScan
from dgp.scanners.website import page as html_page
from dgp.scanners.website.options import WebsiteOptions
from dgp.scanners.website.site import Site

ROBOTS_AGENT = "DataGuardianPro"
MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB
MAX_SITEMAP_BYTES = 10 * 1024 * 1024
MAX_SITEMAPS = 5
MAX_CRAWL_DELAY = 10.0
HTML_TYPES = ("text/html", "application/xhtml+xml")
SKIPPED_EXTENSIONS = frozenset(
    ".pdf .jpg .jpeg .png .gif .svg .webp .avif .ico .bmp .tif .tiff .zip .gz .tgz .bz2 .xz "
    ".7z .rar .mp4 .m4v .mov .avi .webm .mp3 .wav .ogg .flac .doc .docx .xls .xlsx .ppt .pptx "
    ".odt .ods .odp .css .js .mjs .map .woff .woff2 .ttf .otf .eot .xml .json .rss .atom .exe "
    ".dmg .iso .apk .msi .bin .csv .txt".split()
)


@dataclass
class Fetched:
    """One page the crawl asked for: its answer, or why there is none."""

    requested: str  # shown redacted
    depth: int
    url: TargetURL | None = None  # the final address after redirects
    status: int = 0
    headers: httpx.Headers | None = None
    html: html_page.Page | None = None
    size: int = 0
    tls: TLSInfo | None = None
    redirects: tuple[str, ...] = ()
    error: str | None = None  # why the page was not read (safe to show)
    failure: NetError | None = None  # the error itself
    not_html: bool = False

    @property
    def set_cookies(self) -> list[str]:
        return self.headers.get_list("set-cookie") if self.headers is not None else []


@dataclass
class Robots:
    parser: Protego | None  # None: no rules (allow all)
    disallow_all: str | None = None  # why everything is disallowed (a 5xx, no answer)

    def allows(self, url: str) -> bool:
        if self.disallow_all is not None:
            return False
        return self.parser is None or self.parser.can_fetch(url, ROBOTS_AGENT)

    def delay(self) -> float:
        if self.parser is None:
            return 0.0
        value = self.parser.crawl_delay(ROBOTS_AGENT)
        return min(float(value), MAX_CRAWL_DELAY) if value else 0.0

    def sitemaps(self) -> list[str]:
        return list(self.parser.sitemaps) if self.parser is not None else []


@dataclass
class Crawl:
    pages: list[Fetched] = field(default_factory=list)
    robots: dict[str, Robots] = field(default_factory=dict)  # per origin "scheme://host:port"
    sitemap_urls: int = 0
    disallowed: int = 0  # links robots.txt kept us from
    stopped: str | None = None  # why the crawl ended early
    tls_failure: str | None = None  # the start page's certificate did not verify


class HostGate:
    """Per-host politeness: at most `parallel` requests at once, `delay` between starts."""

    def __init__(self, parallel: int, delay: float) -> None:
        self._parallel = parallel
        self._delay = delay
        self._lock = threading.Lock()
        self._slots: dict[str, threading.Semaphore] = {}
        self._next: dict[str, float] = {}
        self._delays: dict[str, float] = {}  # a longer delay asked by robots.txt

    def set_delay(self, host: str, delay: float) -> None:
        with self._lock:
            self._delays[host] = max(self._delay, delay)

    def _delay_of(self, host: str) -> float:
        return self._delays.get(host, self._delay)

    def enter(self, host: str) -> threading.Semaphore:
        with self._lock:
            slot = self._slots.setdefault(host, threading.Semaphore(self._parallel))
        slot.acquire()
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, 0.0))
            self._next[host] = start + self._delay_of(host)
        if start > now:
            time.sleep(start - now)
        return slot


def page_key(target: TargetURL) -> str:
    """A page's identity for the crawl: its URL without the fragment."""
    return target.with_path(target.path or "/", target.query).url


class Crawler:
    def __init__(
        self,
        session: ScanSession,
        fetcher: Fetcher,
        options: WebsiteOptions,
        start: TargetURL,
        max_pages: int,
    ) -> None:
        self.session = session
        self.fetcher = fetcher
        self.options = options
        self.start = start
        self.max_pages = max_pages
        self.site = Site(start.host)
        self.gate = HostGate(options.requests_per_host, options.delay_seconds)
        self.result = Crawl()
        self._robots_lock = threading.Lock()
        self._seen: set[str] = set()
        self.workers = min(8, max(2, options.requests_per_host * 2))

    # -- robots.txt and sitemaps ---------------------------------------------------------

    def robots_for(self, target: TargetURL) -> Robots:
        origin = f"{target.scheme}://{target.endpoint}"
        with self._robots_lock:
            known = self.result.robots.get(origin)
        if known is not None:
            return known
        robots = self._read_robots(target)
        with self._robots_lock:
            robots = self.result.robots.setdefault(origin, robots)
        self.gate.set_delay(target.host, robots.delay())
        return robots

    def _read_robots(self, target: TargetURL) -> Robots:
        if not self.options.obey_robots and not self.options.use_sitemap:
            return Robots(None)
        where = target.with_path("/robots.txt")
        try:
            with self.fetcher.open(where) as answer:
                if answer.status >= 500:
                    return Robots(None, f"robots.txt answered {answer.status}")
                if answer.status >= 400:
                    return Robots(None)
                body = _read_at_most(answer.iter_bytes(), MAX_ROBOTS_BYTES)
        except FetchFailed:
            return Robots(None)
        if answer.status >= 300:
            return Robots(None)
        return Robots(Protego.parse(body.decode("utf-8", errors="replace")))

    def allowed(self, target: TargetURL) -> bool:
        if not self.options.obey_robots:
            return True
        return self.robots_for(target).allows(target.url)

    def sitemap_pages(self, robots: Robots) -> list[TargetURL]:
        """Same-site page URLs from the sitemaps (robots.txt's, and /sitemap.xml)."""
        queue = deque([*robots.sitemaps(), self.start.with_path("/sitemap.xml").url])
        done: set[str] = set()
        pages: list[TargetURL] = []
        while queue and len(done) < MAX_SITEMAPS and len(pages) < 2 * self.max_pages:
            url = queue.popleft()
            target = parse_link(url)
            if target is None or target.url in done or not self.site.contains(target.host):
                continue
            done.add(target.url)
            for kind, loc in self._sitemap_entries(target):
                found = parse_link(loc)
                if found is None or not self.site.contains(found.host):
                    continue
                if kind == "sitemap":
                    queue.append(found.url)
                else:
                    pages.append(found)
        self.result.sitemap_urls = len(pages)
        return pages[: 2 * self.max_pages]

    def _sitemap_entries(self, target: TargetURL) -> list[tuple[str, str]]:
        try:
            with self.fetcher.open(target) as answer:
                if answer.status != 200:
                    return []
                body = _read_at_most(answer.iter_bytes(), MAX_SITEMAP_BYTES)
        except NetError:
            return []
        self.session.scan.stats.bytes_scanned += len(body)
        if body[:2] == b"\x1f\x8b":
            body = _gunzip(body, MAX_SITEMAP_BYTES)
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
        )
        try:
            root = etree.fromstring(body, parser)
        except etree.XMLSyntaxError:
            return []
        if root is None:
            return []
        found = []
        for el in root.iter("{*}loc"):
            parent = el.getparent()
            kind = (
                "sitemap" if parent is not None and str(parent.tag).endswith("sitemap") else "url"
            )
            if el.text:
                found.append((kind, el.text.strip()))
        return found

    # -- pages -----------------------------------------------------------------------------

    def fetch(self, target: TargetURL, depth: int) -> Fetched:
        """One page (a worker thread's job); never raises for a page that fails."""
        fetched = Fetched(requested=target.display, depth=depth)
        slot = self.gate.enter(target.host)
        try:
            with self.fetcher.open(target, headers={"Accept": "text/html,*/*;q=0.5"}) as answer:
                fetched.url, fetched.status, fetched.headers = (
                    answer.url,
                    answer.status,
                    answer.headers,
                )
                fetched.redirects, fetched.tls = answer.redirects, answer.tls
                content_type = answer.headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type and content_type not in HTML_TYPES:
                    fetched.not_html = True
                    return fetched
                body = answer.read()
            fetched.size = len(body)
            charset = _charset(answer.headers.get("content-type", ""))
            fetched.html = html_page.parse(body, answer.url.url, charset)
        except NetError as e:
            fetched.error, fetched.failure = e.reason, e
        finally:
            slot.release()
        return fetched

    def run(self) -> Crawl:
        """Crawl from the start URL; raises ScanInputError or TargetUnavailable when the
        start page cannot be had at all (refused, endless redirects, host down)."""
        try:
            start_robots = self.robots_for(self.start)
        except TargetRefused as e:
            raise ScanInputError(e.reason) from None
        except TargetUnreachable as e:  # the host is down: no robots.txt, no pages either
            raise TargetUnavailable(e.reason, self.start.endpoint) from None
        if self.options.obey_robots and not start_robots.allows(self.start.url):
            why = start_robots.disallow_all or "its rules disallow the start page"
            raise ScanInputError(
                f"robots.txt of {self.start.bracketed_host} keeps {ROBOTS_AGENT} out ({why}); "
                "scan with robots.txt ignored (obey_robots: false) if you own the site"
            )
        first = self.fetch(self.start, 0)
        self._seen.add(page_key(self.start))
        self._first_page(first)
        if self.result.tls_failure is not None:
            return self.result
        frontier: deque[tuple[TargetURL, int]] = deque(self._links(first))
        if self.options.use_sitemap:
            frontier.extend((t, 1) for t in self.sitemap_pages(start_robots))
        self._crawl(frontier)
        return self.result

    def _first_page(self, first: Fetched) -> None:
        failure = first.failure
        if isinstance(failure, TLSFailed):
            self.result.tls_failure = failure.reason
            return
        if isinstance(failure, TargetRefused | TooManyRedirects):
            raise ScanInputError(failure.reason)
        if isinstance(failure, TargetUnreachable):
            raise TargetUnavailable(failure.reason, self.start.endpoint)
        if first.url is not None:
            self.site.add(first.url.host)
        self._account(first)

    def _account(self, fetched: Fetched) -> None:
        """The session counts pages and bytes (raises StopScan past a limit)."""
        self.result.pages.append(fetched)
        if fetched.html is not None:
            self.session.admit(fetched.size)
            self.session.item_done()

    def _links(self, fetched: Fetched) -> Iterator[tuple[TargetURL, int]]:
        if fetched.html is None or fetched.depth >= self.options.max_depth:
            return
        for link in fetched.html.links:
            target = parse_link(link.url)
            if target is not None:
                yield target, fetched.depth + 1

    def _wanted(self, target: TargetURL) -> bool:
        if not self.site.contains(target.host):
            return False
        key = page_key(target)
        if key in self._seen:
            return False
        self._seen.add(key)
        suffix = target.path.rsplit("/", 1)[-1]
        if "." in suffix and "." + suffix.rsplit(".", 1)[-1].lower() in SKIPPED_EXTENSIONS:
            return False
        try:
            allowed = self.allowed(target)
        except NetError:
            allowed = False
        if not allowed:
            self.result.disallowed += 1
        return allowed

    def _crawl(self, frontier: deque[tuple[TargetURL, int]]) -> None:
        pending: dict[Future[Fetched], None] = {}
        pages = len([p for p in self.result.pages if p.html is not None])
        with ThreadPoolExecutor(self.workers, thread_name_prefix="dgp-crawl") as pool:
            try:
                while frontier or pending:
                    while frontier and len(pending) < 2 * self.workers:
                        if pages + len(pending) >= self.max_pages:
                            frontier.clear()
                            self.result.stopped = f"page limit of {self.max_pages} reached"
                            break
                        target, depth = frontier.popleft()
                        if self._wanted(target):
                            pending[pool.submit(self.fetch, target, depth)] = None
                    if not pending:
                        continue
                    self.session.check_time()
                    left = max(0.1, self.session.remaining_seconds())
                    done, _ = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
                    for future in done:
                        del pending[future]
                        fetched = future.result()
                        self._account(fetched)
                        if fetched.html is not None:
                            pages += 1
                        frontier.extend(self._links(fetched))
            except StopScan as stop:
                self.result.stopped = str(stop)
            finally:
                for future in pending:
                    future.cancel()


def parse_link(url: str) -> TargetURL | None:
    try:
        target = parse_url(url)
    except (TargetRefused, ValueError):
        return None
    return None if target.has_userinfo else target


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _read_at_most(chunks: Iterator[bytes], limit: int) -> bytes:
    buffer = io.BytesIO()
    for chunk in chunks:
        buffer.write(chunk[: limit - buffer.tell()])
        if buffer.tell() >= limit:
            break
    return buffer.getvalue()


def _gunzip(data: bytes, limit: int) -> bytes:
    """A gzipped sitemap, decompressed to at most `limit` bytes (no gzip bomb)."""
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, limit)
    except zlib.error:
        return b""
