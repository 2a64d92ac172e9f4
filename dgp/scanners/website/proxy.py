"""The browser's only way out: a local HTTP proxy that applies dgp.net's target policy
to every connection Chromium makes.

Chromium is started with this proxy for every scheme and host (loopback included) and
with host resolution switched off (--host-resolver-rules), so it never resolves or
dials a name itself. For each CONNECT (https, wss) or absolute-form request (http) the
proxy resolves the host once, checks every address against the scan's NetPolicy
(SSRF: private, loopback, link-local, metadata addresses refused unless allowed) and
connects to the checked address: a name that resolves differently a second time
(DNS rebinding) gets no second lookup. TLS stays end to end between Chromium and the
site. An operator's proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) is used as the next
hop, the target still checked first.

It also bounds the state's traffic: bytes in both directions count against a
budget; past it, open connections are closed and new ones refused.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field

from dgp.net import NetError, NetPolicy, Resolver, TargetURL, check_target
from dgp.net.urls import normalise_host

MAX_HEAD = 64 * 1024
# Chromium's own background services, which it calls whatever the flags say (component
# and extension updates, account checks): never connected, so a scan's browser talks
# to the scanned site and its third parties only. A page's own request to one of these
# is still recorded (the browser reports it before connecting), only not answered.
BROWSER_SERVICES = frozenset(
    {"update.googleapis.com", "clients2.google.com", "accounts.google.com"}
)
CONNECT_SECONDS = 10.0
IDLE_SECONDS = 60.0
CHUNK = 64 * 1024


@dataclass
class ProxyStats:
    connections: int = 0
    bytes: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # host -> why (safe to show)
    over_budget: bool = False


class PolicyProxy:
    """Start with `start()` (or as a context manager); `url` is what Chromium is given."""

    def __init__(
        self,
        policy: NetPolicy,
        resolver: Resolver | None = None,
        proxies: Mapping[str, str] | None = None,
        max_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        self.policy = policy
        self.resolver = resolver
        self.proxies = dict(urllib.request.getproxies_environment() if proxies is None else proxies)
        self.max_bytes = max_bytes
        self.stats = ProxyStats()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="dgp-proxy", daemon=True
        )
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PolicyProxy:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._client, "127.0.0.1", 0, limit=MAX_HEAD), self._loop
        ).result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def reset_budget(self, max_bytes: int) -> None:
        """A new state: a budget of its own (the crawl's and earlier states' spent)."""
        self.max_bytes = max_bytes
        self.stats = ProxyStats()

    def close(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> PolicyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one client connection --------------------------------------------------------

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        upstream: asyncio.StreamWriter | None = None
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_SECONDS)
            method, target, rest = _request_line(head)
            if self.stats.over_budget:
                await _answer(writer, 509, "the scan's byte limit is reached")
                return
            if method == "CONNECT":
                host, port = _authority(target)
                checked = await self._check("https", host, port)
                up_reader, upstream = await self._open(checked, host, port)
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                await writer.drain()
            else:
                url = urllib.parse.urlsplit(target)
                if url.scheme != "http" or not url.hostname:
                    await _answer(writer, 400, "absolute http:// URLs only")
                    return
                host, port = url.hostname, url.port or 80
                checked = await self._check("http", host, port)
                up_reader, upstream = await self._open(checked, host, port)
                path = url.path or "/"
                if url.query:
                    path += "?" + url.query
                upstream.write(_origin_form(method, path, rest))
            self.stats.connections += 1
            await asyncio.gather(
                self._pipe(reader, upstream), self._pipe(up_reader, writer), return_exceptions=True
            )
        except _Refused as refused:
            await _answer(writer, 403, refused.reason)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, OSError):
            pass
        except ValueError:
            await _answer(writer, 400, "not a proxy request")
        finally:
            for w in (writer, upstream):
                if w is not None:
                    w.close()
            self._writers.discard(writer)

    async def _check(self, scheme: str, host: str, port: int) -> tuple[str, ...]:
        if host.lower() in BROWSER_SERVICES:
            raise _Refused("a browser background service, not the site's: not connected")
        try:
            name = normalise_host(host.strip("[]"), bracketed=host.startswith("["))
            target = TargetURL(scheme=scheme, host=name, port=port, path="/")
            checked = await self._loop.run_in_executor(
                None, check_target, target, self.policy, self.resolver
            )
        except NetError as e:
            self.stats.refused.setdefault(host, e.reason)
            raise _Refused(e.reason) from None
        return checked.addresses

    async def _open(
        self, addresses: tuple[str, ...], host: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        hop = self._next_hop(host)
        if hop is not None:
            return await self._through(hop, host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(address, port, limit=CHUNK), CONNECT_SECONDS
                )
            except (OSError, TimeoutError) as e:
                failure = e
        raise _Refused(f"{host}:{port}: cannot connect ({type(failure).__name__})")

    def _next_hop(self, host: str) -> urllib.parse.SplitResult | None:
        proxy = self.proxies.get("https") or self.proxies.get("http") or self.proxies.get("all")
        if not proxy or urllib.request.proxy_bypass_environment(host, self.proxies):
            return None
        return urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")

    async def _through(
        self, hop: urllib.parse.SplitResult, host: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(hop.hostname, hop.port or 3128, limit=CHUNK), CONNECT_SECONDS
        )
        auth = b""
        if hop.username:
            pair = (
                f"{urllib.parse.unquote(hop.username)}:{urllib.parse.unquote(hop.password or '')}"
            )
            auth = b"Proxy-Authorization: Basic " + base64.b64encode(pair.encode()) + b"\r\n"
        shown = f"[{host}]" if ":" in host else host
        writer.write(
            f"CONNECT {shown}:{port} HTTP/1.1\r\nHost: {shown}:{port}\r\n".encode() + auth + b"\r\n"
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), CONNECT_SECONDS)
        if head.split(b" ", 2)[1:2] != [b"200"]:
            writer.close()
            raise _Refused(f"the configured proxy refused {host}:{port}")
        return reader, writer

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await asyncio.wait_for(source.read(CHUNK), IDLE_SECONDS)
                if not data:
                    break
                self.stats.bytes += len(data)
                if self.stats.bytes > self.max_bytes:
                    self.stats.over_budget = True
                    break
                sink.write(data)
                await sink.drain()
        finally:
            if sink.can_write_eof():
                try:
                    sink.write_eof()
                except OSError:
                    sink.close()
            else:
                sink.close()


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _request_line(head: bytes) -> tuple[str, str, bytes]:
    line, _, rest = head.partition(b"\r\n")
    parts = line.decode("latin-1").split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError("not an HTTP request line")
    return parts[0].upper(), parts[1], rest


def _authority(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError("CONNECT needs host:port")
    return host, int(port)


def _origin_form(method: str, path: str, rest: bytes) -> bytes:
    """The request for the origin server: its path only, one request per connection."""
    headers = [
        h
        for h in rest.split(b"\r\n")
        if h and not h.lower().startswith((b"proxy-connection:", b"connection:", b"keep-alive:"))
    ]
    head = [f"{method} {path} HTTP/1.1".encode(), *headers, b"Connection: close"]
    return b"\r\n".join(head) + b"\r\n\r\n"


async def _answer(writer: asyncio.StreamWriter, status: int, reason: str) -> None:
    body = reason.encode("utf-8", "replace")[:500]
    try:
        writer.write(
            f"HTTP/1.1 {status} Refused\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
    except OSError:
        pass
