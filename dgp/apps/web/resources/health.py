"""GET /health: web, Postgres, Redis and each scanner kind, for Nginx and the operators.

200 while the web app can serve (web, Postgres and Redis up), else 503. A scan kind
with no live consumer, or whose scanner app says it is not up, makes the answer
"degraded" (still 200): scans of that kind wait in their stream. Every check goes
through its breaker, so /health stays fast while a service is down.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import falcon

from dgp import kinds
from dgp.apps.web.openapi import Op
from dgp.apps.web.resources.common import Api, Resource
from dgp.apps.web.services import POSTGRES_OUTAGES, REDIS_OUTAGES, guarded
from dgp.plumbing.breakers import BreakerOpen
from dgp.plumbing.queue import Liveness

DOWN_ERRORS = (*POSTGRES_OUTAGES, *REDIS_OUTAGES, BreakerOpen)


class Health(Resource):
    public = frozenset({"GET"})
    api: ClassVar[Api] = {
        "GET": Op(
            "Aggregated health: web, Postgres, Redis and every scanner kind",
            returns="Health",
            description="503 when Postgres or Redis is down; 'degraded' (200) when a scanner "
            "kind has no live consumer.",
            tags=("operations",),
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        services = self.services
        components = {
            "web": {"status": "up"},
            "postgres": self._check("postgres", lambda: services.db(services.store.db.ping)),
            "redis": self._check("redis", lambda: services.redis(services.queue.redis.ping)),
        }
        redis_up = components["redis"]["status"] == "up"
        scanners = {kind: self._scanner(kind, redis_up) for kind in kinds.names()}
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
        resp.media = {"status": status, "components": components, "scanners": scanners}

    def _check(self, name: str, ping: Any) -> dict[str, Any]:
        started = time.monotonic()
        breaker = self.services.breakers[name]
        try:
            ping()
        except DOWN_ERRORS as e:
            # /health is public: the kind of failure only, never hosts, users or messages
            return {"status": "down", "error": type(e).__name__, "breaker": breaker.state}
        latency = round((time.monotonic() - started) * 1000, 2)
        return {"status": "up", "latency_ms": latency, "breaker": breaker.state}

    def _scanner(self, kind: str, redis_up: bool) -> dict[str, Any]:
        services = self.services
        breaker = services.breakers[f"scanner:{kind}"]
        entry: dict[str, Any] = {"status": "unknown", "breaker": breaker.state}
        if redis_up:
            try:
                depth = services.redis(services.queue.depth, kind)
                alive = services.redis(Liveness(services.queue).alive, kind)
            except DOWN_ERRORS as e:
                entry["error"] = str(e)
            else:
                entry["queue"] = {"length": depth.length, "pending": depth.pending}
                entry["consumers"] = {"registered": depth.consumers, "alive": len(alive)}
                entry["status"] = "up" if alive else "degraded"
                if not alive:
                    entry["reason"] = "no live consumer: scans of this kind wait in the queue"
        if services.scanner_health is not None:
            try:
                report = guarded(breaker, (Exception,), services.scanner_health, kind)
            except (Exception, BreakerOpen) as e:
                report = {"status": "down", "error": str(e)}
            if report is None:  # not on this host: its consumers' liveness says it all
                return entry
            entry["app"] = report
            entry["breaker"] = breaker.state
            if report.get("status") != "up" and entry["status"] == "up":
                entry["status"] = "degraded"
                entry["reason"] = "the scanner app is not up"
        return entry
