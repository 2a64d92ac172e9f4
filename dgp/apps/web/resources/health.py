"""GET /health: web, Postgres, Redis and each scanner kind, for Nginx and the operators.

Anyone gets the status only ({"status": "up" | "degraded" | "down"}, 200 or 503): the
details (latencies, breaker states, queue depths, consumers, scanner apps) tell an
attacker what is down and how busy we are, so they go to administrators (a token or
session of an admin) and to loopback clients (the operator on the host; behind Nginx
the client is the address Nginx names, dgp.apps.web.throttle.client_address). Never
cached: the same URL answers differently by caller.

200 while the web app can serve (web, Postgres and Redis up), else 503. A scan kind
with no live consumer, or whose scanner app says it is not up, makes the answer
"degraded" (still 200): scans of that kind wait in their stream. Every check goes
through its breaker, so /health stays fast while a service is down.

The checks run at the same time, in a small pool of threads made once per app: with
ten kinds, asking each scanner app and each kind's consumers one after another
added up, and one scanner app that accepts connections but never answers held
every /health for its whole HTTP timeout. A kind's check is waited for at most
KIND_CHECK_WAIT; one still running then is reported as not answering, and runs on
(one at a time per check: later requests neither start another nor wait on it), so
its breaker still counts the failure and opens. A check's report is reused for
CHECK_FRESH seconds after it ended, and while the next run of it goes on (the first
run excepted, which is waited for): /health answers from the last reports at once, so
the checks cost the same under a flood of /health as under one monitor, and no answer
waits for them; a report is at most CHECK_FRESH plus one check old.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as NotYet
from functools import partial
from typing import Any, ClassVar

import falcon

from dgp import kinds
from dgp.apps.web.auth import identify
from dgp.apps.web.openapi import Op
from dgp.apps.web.resources.common import Api, Resource
from dgp.apps.web.services import POSTGRES_OUTAGES, REDIS_OUTAGES
from dgp.apps.web.throttle import client_address
from dgp.plumbing.breakers import BreakerOpen
from dgp.plumbing.queue import Liveness

DOWN_ERRORS = (*POSTGRES_OUTAGES, *REDIS_OUTAGES, BreakerOpen)
KIND_CHECK_WAIT = 0.05  # seconds a request waits for a check of a kind it started
CHECK_THREADS = 16
CHECK_FRESH = 1.0  # seconds a check's report answers every /health after it
Report = dict[str, Any]
NOT_HERE: Report = {}  # a kind whose scanner app does not run on this host


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class _Running:
    """A check in flight or ended: its future, when it started and ended, and the report
    of the run before it (answered while this one has not ended)."""

    def __init__(self, future: Future[Report], before: _Running | None = None) -> None:
        self.future = future
        self.started = time.monotonic()
        self.ended = float("inf")
        self.before = before if before is not None and before.future.done() else None
        future.add_done_callback(self._ended)

    def _ended(self, _: Future[Report]) -> None:
        self.ended = time.monotonic()
        self.before = None  # no chain of old runs

    def fresh(self, seconds: float) -> bool:
        """Running, or ended within the last `seconds`."""
        return not self.future.done() or time.monotonic() - self.ended < seconds

    def result(self, wait: float | None = None) -> Report | None:
        """The check's report; while it runs, the report of the run before it if there
        is one, else None when it is still running `wait` seconds after it started
        (None: wait until it ends)."""
        before = self.before
        if before is not None and not self.future.done():
            return before.future.result()
        left = None if wait is None else max(0.0, self.started + wait - time.monotonic())
        try:
            return self.future.result(timeout=left)
        except NotYet:
            return None


class Checks:
    """Runs checks in a pool of threads, at most one at a time of each name: a request
    that asks for a check already running joins it instead of starting another, so a
    check that hangs holds one thread, not one per request. A check that ended less
    than `fresh` seconds ago answers again: /health is public, and a flood of it would
    otherwise become a flood of round trips to Postgres, Redis and every scanner app
    (and, on a small host, wait for the threads of all those checks each time)."""

    def __init__(self, threads: int = CHECK_THREADS, fresh: float = CHECK_FRESH) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="health")
        self._fresh = fresh
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()

    def start(self, name: str, check: Callable[[], Report]) -> _Running:
        with self._lock:
            running = self._running.get(name)
            if running is None or not running.fresh(self._fresh):
                running = self._running[name] = _Running(self._pool.submit(check), running)
            return running


class Health(Resource):
    public = frozenset({"GET"})
    api: ClassVar[Api] = {
        "GET": Op(
            "Aggregated health: web, Postgres, Redis and every scanner kind",
            returns="Health",
            description="503 when Postgres or Redis is down; 'degraded' (200) when a scanner "
            "kind has no live consumer. The status only, unless the caller is an "
            "administrator or on the loopback interface: then with the components and "
            "scanners.",
            tags=("operations",),
        )
    }

    def __init__(self, services: Any) -> None:
        super().__init__(services)
        self.checks = Checks()
        self.proxies = services.settings.trusted_proxy_networks()

    def shows_details(self, req: falcon.Request) -> bool:
        """Administrators and loopback clients see the details; anyone else the status."""
        if _loopback(client_address(req, self.proxies)):
            return True
        try:
            principal = identify(self.services, req)
        except DOWN_ERRORS:  # Postgres down: nobody can be told apart, the status says it
            return False
        return principal is not None and principal.user.role == "admin"

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        services = self.services
        start = self.checks.start
        db_ping = partial(services.db, services.store.db.ping)
        redis_ping = partial(services.redis, services.queue.redis.ping)
        postgres = start("postgres", partial(self._check, "postgres", db_ping))
        redis = start("redis", partial(self._check, "redis", redis_ping))
        names = kinds.names()
        consumers = {k: start(f"consumers:{k}", partial(self._consumers, k)) for k in names}
        apps = {}
        if services.scanner_health is not None:
            apps = {k: start(f"app:{k}", partial(self._app, k)) for k in names}
        components = {
            "web": {"status": "up"},
            "postgres": postgres.result(),
            "redis": redis.result(),
        }
        redis_up = components["redis"]["status"] == "up"
        scanners = {
            kind: self._scanner(
                kind,
                consumers[kind].result(KIND_CHECK_WAIT) if redis_up else {},
                apps[kind].result(KIND_CHECK_WAIT) if kind in apps else NOT_HERE,
            )
            for kind in names
        }
        core_up = all(c["status"] == "up" for c in components.values())
        if not core_up:
            status = "down"
        elif all(s["status"] == "up" for s in scanners.values()):
            status = "up"
        else:
            status = "degraded"
        resp.status = falcon.HTTP_200 if core_up else falcon.HTTP_503
        if not core_up:
            resp.set_header("Retry-After", "5")
        resp.set_header("Cache-Control", "no-store")
        if self.shows_details(req):
            resp.media = {"status": status, "components": components, "scanners": scanners}
        else:
            resp.media = {"status": status}

    def _check(self, name: str, ping: Callable[[], object]) -> Report:
        started = time.monotonic()
        breaker = self.services.breakers[name]
        try:
            ping()
        except DOWN_ERRORS as e:
            # /health is public: the kind of failure only, never hosts, users or messages
            return {"status": "down", "error": type(e).__name__, "breaker": breaker.state}
        latency = round((time.monotonic() - started) * 1000, 2)
        return {"status": "up", "latency_ms": latency, "breaker": breaker.state}

    def _consumers(self, kind: str) -> Report:
        """The kind's queue and live consumers (Redis)."""
        services = self.services
        try:
            depth = services.redis(services.queue.depth, kind)
            alive = services.redis(Liveness(services.queue).alive, kind)
        except DOWN_ERRORS as e:
            return {"error": str(e)}
        return {
            "queue": {"length": depth.length, "pending": depth.pending},
            "consumers": {"registered": depth.consumers, "alive": len(alive)},
        }

    def _app(self, kind: str) -> Report:
        """The kind's scanner app's own /health; NOT_HERE when its app does not run on
        this host. The scanner_health function keeps the per-host breakers itself
        (ScannerHealth): calling it through the same breaker again here would count
        its every answer, "unreachable" too, as a success and keep the breaker closed."""
        assert self.services.scanner_health is not None
        try:
            report = self.services.scanner_health(kind)
        except Exception as e:  # /health is public: the kind of failure only
            report = {"status": "down", "error": type(e).__name__}
        return NOT_HERE if report is None else report

    def _scanner(self, kind: str, consumers: Report | None, app: Report | None) -> Report:
        """A kind's entry from its two checks (None: no answer within KIND_CHECK_WAIT)."""
        breaker = self.services.breakers[f"scanner:{kind}"]
        entry: Report = {"status": "unknown", "breaker": breaker.state}
        if consumers is None:
            entry["error"] = f"Redis did not answer within {KIND_CHECK_WAIT * 1000:g} ms"
        elif consumers:
            entry.update(consumers)
            if "consumers" in consumers:
                alive = consumers["consumers"]["alive"]
                entry["status"] = "up" if alive else "degraded"
                if not alive:
                    entry["reason"] = "no live consumer: scans of this kind wait in the queue"
        if app is None:
            app = {
                "status": "no answer",
                "error": f"no answer within {KIND_CHECK_WAIT * 1000:g} ms",
            }
        if app is NOT_HERE:  # its consumers' liveness says it all
            return entry
        entry["app"] = app
        entry["breaker"] = breaker.state
        if app.get("status") != "up" and entry["status"] == "up":
            entry["status"] = "degraded"
            entry["reason"] = "the scanner app is not up"
        return entry
