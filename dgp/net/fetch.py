"""The bounded HTTP fetcher that every kind going over the network uses.

Why each part is there:
- every hop of a redirect chain is parsed and checked by the SSRF policy before
  anything is sent to it, and the connection goes to the address that was
  checked: the network backend below dials only pinned addresses, so a name
  that resolves differently the second time (DNS rebinding) never gets a
  second lookup. TLS still verifies the certificate for the name (SNI and Host
  stay the name);
- the response is read as a stream and reading stops past the byte limit,
  decompressed bytes included (gzip and deflate are decoded here, bounded, so a
  small compressed body cannot inflate in memory);
- one deadline bounds the whole fetch: every connect, TLS handshake, read and
  write waits at most until then, so a server that trickles a byte a second
  cannot hold a scan;
- an HTTP(S) proxy from the usual environment variables (HTTPS_PROXY,
  HTTP_PROXY, ALL_PROXY, NO_PROXY) is used as curl would. The target is still
  resolved and checked; the proxy then makes its own connection (its own
  egress rules are the second line there);
- a User-Agent that says who is asking.

Use one Fetcher per scan (it keeps connections and cookies) and close it.
"""

from __future__ import annotations

import ssl
import threading
import time
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from dgp import __version__
from dgp.net.errors import (
    FetchFailed,
    NetError,
    ResponseTooLarge,
    TargetRefused,
    TargetUnreachable,
    TLSFailed,
    TooManyRedirects,
)
from dgp.net.policy import Checked, NetPolicy, Resolver, check_target
from dgp.net.urls import WEB_SCHEMES, TargetURL, parse_url, redact_text

USER_AGENT = f"DataGuardianPro/{__version__} (+privacy scan)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ACCEPT_ENCODING = "gzip, deflate"  # the encodings decoded here, within the byte limit
# headers that belong to the first origin only: not sent on after a redirect elsewhere
ORIGIN_BOUND_HEADERS = ("authorization", "cookie", "proxy-authorization")
MiB = 1024 * 1024


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 10 * MiB  # of the (decoded) body
    total_seconds: float = 30.0  # the whole fetch, redirects included
    connect_seconds: float = 10.0  # each connection, TLS handshake included
    max_redirects: int = 5


# The deadline of the fetch running in this thread (or task); the backend clamps every
# wait to it.
_deadline: ContextVar[float | None] = ContextVar("dgp_net_deadline", default=None)


def _until_deadline(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the time limit ran out")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every wait ends by the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _until_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _until_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        wait = _until_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, wait))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Dials a host only at the addresses the policy checked for it (`pin`), never by
    its name; the configured proxies are the one exception (the operator chose them)."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()
        self._pins: dict[tuple[str, int], tuple[str, ...]] = {}
        self._proxies: set[tuple[str, int]] = set()
        self._lock = threading.Lock()

    def pin(self, checked: Checked) -> None:
        with self._lock:
            self._pins[(checked.target.host, checked.target.port)] = checked.addresses

    def allow_proxy(self, host: str, port: int) -> None:
        with self._lock:
            self._proxies.add((host.lower(), port))

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        key = (host.lower(), port)
        with self._lock:
            addresses = self._pins.get(key) or ((host,) if key in self._proxies else ())
        if not addresses:
            raise httpcore.ConnectError(f"{host}:{port} was not checked by the network policy")
        failure: Exception | None = None
        for address in addresses:  # in the resolver's order, as getaddrinfo's users do
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    timeout=_until_deadline(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                failure = e
                continue
            return _DeadlineStream(stream)
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not network targets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Body(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from self._response.iter_stream()

    def close(self) -> None:
        self._response.close()


class PinnedTransport(httpx.BaseTransport):
    """httpx's transport interface over httpcore pools (direct, or one per proxy) that
    all dial through the pinning backend: httpx.HTTPTransport takes no backend."""

    def __init__(
        self,
        backend: PinnedBackend,
        ssl_context: ssl.SSLContext,
        proxies: Mapping[str, str],
        http2: bool,
    ) -> None:
        self._backend = backend
        self._ssl_context = ssl_context
        self._proxies = dict(proxies)
        self._http2 = http2
        self._pools: dict[str | None, httpcore.ConnectionPool] = {}
        self._lock = threading.Lock()

    def proxy_for(self, scheme: str, host: str) -> str | None:
        """The proxy curl would use for this scheme and host (NO_PROXY honoured)."""
        proxy = self._proxies.get(scheme) or self._proxies.get("all")
        if not proxy:
            return None
        shown = f"[{host}]" if ":" in host else host
        if urllib.request.proxy_bypass_environment(shown, self._proxies):
            return None
        return proxy if "://" in proxy else f"http://{proxy}"

    def _pool(self, proxy: str | None) -> httpcore.ConnectionPool:
        with self._lock:
            pool = self._pools.get(proxy)
            if pool is None:
                pool = self._pools[proxy] = self._make_pool(proxy)
            return pool

    def _make_pool(self, proxy: str | None) -> httpcore.ConnectionPool:
        common: dict[str, Any] = {
            "ssl_context": self._ssl_context,
            "http2": self._http2,
            "network_backend": self._backend,
        }
        if proxy is None:
            return httpcore.ConnectionPool(**common)
        settings = httpx.Proxy(proxy)
        if settings.url.scheme not in WEB_SCHEMES:
            raise FetchFailed(f"proxy {redact_text(proxy)}: only http:// and https:// proxies")
        self._backend.allow_proxy(settings.url.host, settings.url.port or _port(settings.url))
        return httpcore.HTTPProxy(
            proxy_url=httpcore.URL(
                scheme=settings.url.raw_scheme,
                host=settings.url.raw_host,
                port=settings.url.port,
                target=settings.url.raw_path,
            ),
            proxy_auth=settings.raw_auth,
            proxy_headers=settings.headers.raw,
            proxy_ssl_context=ssl.create_default_context()
            if settings.url.scheme == "https"
            else None,
            **common,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        pool = self._pool(self.proxy_for(request.url.scheme, request.url.host))
        sent = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        answer = pool.handle_request(sent)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(answer),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


def _port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


class _Decoder:
    """Content-Encoding decoding that never produces more than the room left."""

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        self._raw_deflate_tried = encoding != "deflate"
        if encoding in ("", "identity"):
            self._z = None
        elif encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":  # zlib-wrapped as the RFC says, or raw as some send
            self._z = zlib.decompressobj()
        else:
            raise FetchFailed(f"unsupported content encoding {encoding!r}")

    @property
    def identity(self) -> bool:
        return self._z is None

    def feed(self, data: bytes, room: int) -> bytes:
        if self._z is None:
            return data
        try:
            return self._z.decompress(data, room + 1)
        except zlib.error:
            if self._raw_deflate_tried:
                raise FetchFailed("the response's compressed body is corrupt") from None
            self._raw_deflate_tried = True
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            return self.feed(data, room)


@dataclass(frozen=True)
class TLSInfo:
    """The TLS session of a response: what a scan reports about the site's transport."""

    version: str  # "TLSv1.3"
    not_after: float  # the certificate's expiry, seconds since the epoch
    subject: str  # the certificate's common name, or its first DNS name
    issuer: str


def tls_info(response: httpx.Response) -> TLSInfo | None:
    """The verified peer certificate and protocol of the connection that carried it."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    cert = ssl_object.getpeercert() or {}
    try:
        not_after = float(ssl.cert_time_to_seconds(str(cert.get("notAfter", ""))))
    except ValueError:
        return None

    def name(field: str) -> str:
        for rdn in cert.get(field, ()):
            for key, value in rdn:
                if key in ("commonName", "organizationName"):
                    return str(value)
        return ""

    alt = [v for k, v in cert.get("subjectAltName", ()) if k == "DNS"]
    return TLSInfo(
        ssl_object.version() or "",
        not_after,
        name("subject") or (alt[:1] or [""])[0],
        name("issuer"),
    )


@dataclass
class Streamed:
    """A response after its redirects, body not read yet: `iter_bytes` reads it within
    the byte limit. `addresses` are the ones checked for the final host."""

    url: TargetURL
    status: int
    headers: httpx.Headers
    addresses: tuple[str, ...]
    redirects: tuple[str, ...]  # the URLs that redirected here, in order (redacted)
    max_bytes: int
    _response: httpx.Response
    tls: TLSInfo | None = None  # https: the verified certificate and protocol

    def iter_bytes(self) -> Iterator[bytes]:
        decoder = _Decoder(self.headers.get("content-encoding", ""))
        declared = self.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes and decoder.identity:
            raise self._too_large()
        total = 0
        for chunk in self._response.iter_raw():
            data = decoder.feed(chunk, self.max_bytes - total)
            total += len(data)
            if total > self.max_bytes:
                raise self._too_large()
            if data:
                yield data

    def read(self) -> bytes:
        return b"".join(self.iter_bytes())

    def _too_large(self) -> ResponseTooLarge:
        return ResponseTooLarge(
            f"{self.url.display}: the response is larger than {self.max_bytes} bytes; "
            "reading stopped there"
        )


@dataclass(frozen=True)
class Fetched:
    """A whole response, its body within the byte limit."""

    url: TargetURL
    status: int
    headers: httpx.Headers
    body: bytes
    addresses: tuple[str, ...]
    redirects: tuple[str, ...]
    tls: TLSInfo | None = None


class Fetcher:
    """GET over HTTP(S) under a NetPolicy and FetchLimits (see the module docstring).
    `resolver` replaces getaddrinfo (tests), `proxies` the environment's proxy settings
    ({"https": "http://proxy:3128", "no": "intranet"}), `ssl_context` the system's CAs."""

    def __init__(
        self,
        policy: NetPolicy | None = None,
        limits: FetchLimits | None = None,
        *,
        resolver: Resolver | None = None,
        proxies: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = USER_AGENT,
        http2: bool = True,
    ) -> None:
        self.policy = policy or NetPolicy()
        self.limits = limits or FetchLimits()
        self.resolver = resolver
        self._backend = PinnedBackend()
        self._transport = PinnedTransport(
            self._backend,
            ssl_context or ssl.create_default_context(),  # the system's CAs, as git's curl
            urllib.request.getproxies_environment() if proxies is None else proxies,
            http2,
        )
        self._client = httpx.Client(
            transport=self._transport,
            trust_env=False,  # proxies are chosen above; no .netrc credentials
            follow_redirects=False,  # followed below, each hop checked
            headers={"User-Agent": user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(self.limits.total_seconds, connect=self.limits.connect_seconds),
        )

    def get(self, url: str | TargetURL, *, headers: Mapping[str, str] | None = None) -> Fetched:
        return self.request("GET", url, headers=headers)

    def request(
        self,
        method: str,
        url: str | TargetURL,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Fetched:
        """A whole response to `method` (HEAD, OPTIONS, or a body-carrying one)."""
        with self.open(url, headers=headers, method=method, content=content) as response:
            body = response.read()
        return Fetched(
            response.url,
            response.status,
            response.headers,
            body,
            response.addresses,
            response.redirects,
            response.tls,
        )

    @contextmanager
    def open(
        self,
        url: str | TargetURL,
        *,
        headers: Mapping[str, str] | None = None,
        method: str = "GET",
        content: bytes | None = None,
    ) -> Iterator[Streamed]:
        """The response to GET `url` (or `method`, with `content` as its body) after its
        redirects; read its body inside the block. A 303, and a 301 or 302 after a POST,
        continue as a GET without the body, as browsers do; other methods are kept.
        NetError (TargetRefused, TargetUnreachable, FetchFailed) says what went wrong."""
        limits = self.limits
        target = url if isinstance(url, TargetURL) else parse_url(url, WEB_SCHEMES)
        token = _deadline.set(time.monotonic() + limits.total_seconds)
        try:
            if target.has_userinfo:
                raise TargetRefused(f"{target.display}: credentials go in headers, not the URL")
            first = target.origin
            redirects: list[str] = []
            while True:
                try:
                    checked = check_target(target, self.policy, self.resolver)
                except TargetRefused as e:
                    if not redirects:
                        raise
                    raise TargetRefused(
                        f"{redirects[-1]} redirects to {target.display}; {e.reason}"
                    ) from None
                self._backend.pin(checked)
                sent = dict(headers or {})
                if target.origin != first:
                    sent = {k: v for k, v in sent.items() if k.lower() not in ORIGIN_BOUND_HEADERS}
                response = self._client.send(
                    self._client.build_request(method, target.url, headers=sent, content=content),
                    stream=True,
                )
                location = response.headers.get("location")
                if response.status_code in REDIRECT_STATUSES and location:
                    response.close()
                    if response.status_code == 303 or (
                        response.status_code in (301, 302) and method == "POST"
                    ):
                        method, content = "GET", None
                    redirects.append(target.display)
                    if len(redirects) > limits.max_redirects:
                        raise TooManyRedirects(
                            f"{redirects[0]}: more than {limits.max_redirects} redirects"
                        )
                    target = _redirected(target, location)
                    continue
                try:
                    yield Streamed(
                        target,
                        response.status_code,
                        response.headers,
                        checked.addresses,
                        tuple(redirects),
                        limits.max_bytes,
                        response,
                        tls_info(response),
                    )
                finally:
                    response.close()
                return
        except (httpcore.TimeoutException, httpx.TimeoutException) as e:
            raise _timed_out(e, target, limits) from None
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.ProxyError) as e:
            raise _failed(e, target) from None
        except httpx.HTTPError as e:
            raise FetchFailed(f"{target.display}: {redact_text(str(e))}") from None
        finally:
            _deadline.reset(token)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _redirected(current: TargetURL, location: str) -> TargetURL:
    """The target a Location header sends us to, parsed like any other target."""
    try:
        following = urllib.parse.urljoin(current.url, location.strip())
    except ValueError:
        raise TargetRefused(f"{current.display} redirects to an invalid URL") from None
    target = parse_url(following, WEB_SCHEMES)
    if target.has_userinfo:
        raise TargetRefused(f"{current.display} redirects to a URL with credentials; refused")
    return target


def _timed_out(error: Exception, target: TargetURL, limits: FetchLimits) -> NetError:
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() >= deadline - 0.05:
        return TargetUnreachable(
            f"{target.display}: took longer than {limits.total_seconds:g} s; stopped"
        )
    if isinstance(error, httpcore.ConnectTimeout | httpx.ConnectTimeout):
        return TargetUnreachable(
            f"{target.endpoint}: no connection within {limits.connect_seconds:g} s"
        )
    return TargetUnreachable(f"{target.display}: timed out ({type(error).__name__})")


def _tls_cause(error: BaseException) -> ssl.SSLError | None:
    """The TLS error behind a connection error (httpcore wraps it, not always as cause)."""
    seen: BaseException | None = error
    for _ in range(5):
        seen = seen.__cause__ or seen.__context__ if seen is not None else None
        if isinstance(seen, ssl.SSLError):
            return seen
    return None


def _failed(error: Exception, target: TargetURL) -> NetError:
    cause = _tls_cause(error)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return TLSFailed(
            f"{target.endpoint}: the TLS certificate does not verify "
            f"({cause.verify_message}); verification stays on"
        )
    if isinstance(cause, ssl.SSLError):
        return TLSFailed(f"{target.endpoint}: the TLS handshake failed ({cause.reason})")
    message = redact_text(str(error)) or type(error).__name__
    if isinstance(error, httpcore.ProxyError):
        return FetchFailed(f"{target.display}: the proxy refused: {message}")
    if isinstance(error, httpcore.ProtocolError):
        return FetchFailed(f"{target.display}: broken HTTP answer: {message}")
    return TargetUnreachable(f"{target.endpoint}: cannot connect: {message}")


@dataclass(frozen=True)
class NetRuntime:
    """What a network scan takes from its surroundings; the tests give their own (a
    resolver that maps test host names to loopback, a TLS context that trusts their CA)."""

    resolver: Resolver | None = None
    ssl_context: ssl.SSLContext | None = None
    proxies: Mapping[str, str] | None = None  # None: the environment's (HTTPS_PROXY, ...)

    def fetcher(
        self, policy: NetPolicy, max_bytes: int, seconds: float, max_redirects: int
    ) -> Fetcher:
        """A Fetcher for one scan: each response within `max_bytes` and `seconds`."""
        limits = FetchLimits(
            max_bytes=max_bytes,
            total_seconds=seconds,
            connect_seconds=min(10.0, seconds),
            max_redirects=max_redirects,
        )
        return Fetcher(
            policy,
            limits,
            resolver=self.resolver,
            proxies=self.proxies,
            ssl_context=self.ssl_context,
        )
