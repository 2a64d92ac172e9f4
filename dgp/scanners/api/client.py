"""Requests to the API under test: paced per host, counted against the scan's limits,
passive unless the scan is active, credentials attached only where asked.

The one place the scanner sends anything: every request goes through `Client.send`,
which refuses a mutating method in a passive scan (a second line behind the scanner's
own choice of requests), waits for the host's pace, counts the request as a scan
item, and turns every network failure into an `Exchange` with its error, so a hung,
huge or redirecting endpoint is a note on that endpoint, not the end of the scan.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from dgp.domain.credential import Credential, CredentialKind
from dgp.domain.job import ScanInputError
from dgp.net import NetError, TargetURL, TLSFailed
from dgp.net.fetch import Fetcher, TLSInfo
from dgp.scanners.api.operations import SAFE_METHODS
from dgp.scanners.session import ScanSession


class PassiveViolation(RuntimeError):
    """A mutating request in a passive scan: a bug, never sent."""


@dataclass
class Exchange:
    method: str
    url: TargetURL
    status: int = 0  # 0: no answer (see error)
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    body: bytes = b""
    error: str | None = None
    failure: NetError | None = None  # what went wrong, when there is no answer
    tls: TLSInfo | None = None
    tls_failed: bool = False
    authenticated: bool = False
    seconds: float = 0.0  # from sending to the last byte read

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def credential_headers(credential: Credential | None) -> dict[str, str]:
    """The Authorization header of the scan's credential (an API token: Bearer; basic_auth:
    Basic); ScanInputError for a kind of credential an API does not take."""
    if credential is None:
        return {}
    if credential.kind is CredentialKind.API_TOKEN:
        return {"Authorization": f"Bearer {credential.secret.reveal()}"}
    if credential.kind is CredentialKind.BASIC_AUTH:
        user, password = credential.basic_auth()
        token = base64.b64encode(f"{user}:{password.reveal()}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}
    raise ScanInputError(
        f"credential {credential.id} is a {credential.kind}; an API scan takes an api_token "
        "or basic_auth credential"
    )


class Client:
    def __init__(
        self,
        session: ScanSession,
        fetcher: Fetcher,
        *,
        active: bool,
        requests_per_second: float,
        auth: Mapping[str, str],
    ) -> None:
        self.session = session
        self.fetcher = fetcher
        self.active = active
        self._interval = 1.0 / requests_per_second
        self._next: dict[str, float] = {}
        self._auth = dict(auth)
        self.sent: list[tuple[str, str]] = []  # (method, url): what this scan asked
        self.server_seconds = 0.0  # time spent waiting for answers (the bench's "server")
        self.paced_seconds = 0.0  # time spent waiting for the host's pace

    @property
    def has_credential(self) -> bool:
        return bool(self._auth)

    def send(
        self,
        method: str,
        url: TargetURL,
        *,
        authenticated: bool = False,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        paced: bool = True,
    ) -> Exchange:
        """One request; StopScan when the scan's request, byte or time limit is reached."""
        method = method.upper()
        if method not in SAFE_METHODS and not self.active:
            raise PassiveViolation(f"{method} {url.display} in a passive scan")
        self.session.admit(0)  # counts the request; StopScan past a limit
        if paced:
            self._pace(url.host)
        sent = dict(headers or {})
        if content is not None:
            sent.setdefault("Content-Type", "application/json")
        with_auth = authenticated and bool(self._auth)
        if with_auth:
            sent.update(self._auth)
        exchange = Exchange(method, url, authenticated=with_auth)
        self.sent.append((method, url.display))
        start = time.perf_counter()
        try:
            with self.fetcher.open(url, headers=sent, method=method, content=content) as answer:
                exchange.status, exchange.headers, exchange.tls = (
                    answer.status,
                    answer.headers,
                    answer.tls,
                )
                exchange.url = answer.url
                exchange.body = b"" if method == "HEAD" else answer.read()
        except NetError as e:
            exchange.error, exchange.failure = e.reason, e
            exchange.tls_failed = isinstance(e, TLSFailed)
        finally:
            exchange.seconds = time.perf_counter() - start
            self.server_seconds += exchange.seconds
        self._count_bytes(len(exchange.body))
        return exchange

    def _pace(self, host: str) -> None:
        now = time.monotonic()
        start = max(now, self._next.get(host, 0.0))
        self._next[host] = start + self._interval
        if start > now:
            wait = min(start - now, self.session.remaining_seconds())
            self.paced_seconds += wait
            time.sleep(wait)

    def _count_bytes(self, size: int) -> None:
        stats = self.session.scan.stats
        stats.bytes_scanned += size
        self.session.item_done()
        if stats.bytes_scanned > self.session.limits.max_bytes:
            self.session.admit(0)  # raises StopScan: the byte limit is past
