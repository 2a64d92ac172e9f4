"""Password checks from the web (sign-in, password change) go through the login
throttle (dgp.plumbing.login_throttle) before any password is hashed, keyed by the
account and the client. The client address is the direct peer's, or the one a
trusted proxy (Nginx) names in X-Real-IP / X-Forwarded-For."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import falcon

from dgp.apps.web.errors import too_many_requests
from dgp.apps.web.services import REDIS_OUTAGES, Services
from dgp.plumbing.breakers import BreakerOpen
from dgp.plumbing.login_throttle import LoginThrottle

T = TypeVar("T")
log = logging.getLogger(__name__)


def client_address(req: falcon.Request, trusted_proxies: Iterable[str]) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy, which then
    names the client (X-Real-IP, else the last X-Forwarded-For hop it added)."""
    peer = req.remote_addr or ""
    if not _in(peer, trusted_proxies):
        return peer
    named = req.get_header("X-Real-IP") or ""
    if not named:
        hops = [h.strip() for h in (req.get_header("X-Forwarded-For") or "").split(",")]
        named = hops[-1] if hops else ""
    try:
        return str(ipaddress.ip_address(named))
    except ValueError:
        return peer


def _in(address: str, networks: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks if n)


class PasswordGuard:
    """Every check of a password a client sends (sign-in, password change) goes through
    the login throttle first, keyed by the account and the client."""

    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.services = services
        self.proxies = settings.trusted_proxy_networks()
        self.throttle = LoginThrottle(services.queue.redis, settings.key_prefix, settings.hash_key)

    def attempt(self, req: falcon.Request, email: str) -> Attempt:
        """429 when this account may not be tried from this client now; else the attempt,
        to report its outcome on. Every password slot taken: 429 before anything else."""
        self.services.users.check_password_work_free()
        client = client_address(req, self.proxies)
        wait = self._throttled(self.throttle.retry_after, email, client) or 0
        if wait:
            raise too_many_requests("too many failed password checks; try again later", wait)
        return Attempt(self, email, client)

    def _throttled(self, action: Callable[..., T], *args: str) -> T | None:
        """The throttle through the Redis breaker. Redis down: checks go on unthrottled
        (argon2, bounded per process, still makes each guess slow) rather than nobody
        signing in."""
        try:
            return self.services.redis(action, *args)
        except (*REDIS_OUTAGES, BreakerOpen):
            log.warning("login throttle unavailable: Redis is down")
            return None


@dataclass(frozen=True)
class Attempt:
    guard: PasswordGuard
    email: str
    client: str

    def failed(self) -> None:
        self.guard._throttled(self.guard.throttle.failed, self.email, self.client)

    def succeeded(self) -> None:
        self.guard._throttled(self.guard.throttle.succeeded, self.email, self.client)
