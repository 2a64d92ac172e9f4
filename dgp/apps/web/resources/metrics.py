"""GET /metrics: pool statistics, breaker states, queue depths and request counts.

A scrape never fails because Redis is down: the queue gauges are left out and
dgp_redis_up says why. Restrict /metrics to the monitoring network in Nginx.
"""

from __future__ import annotations

from typing import ClassVar

import falcon

from dgp import kinds
from dgp.apps.web.openapi import Op
from dgp.apps.web.prometheus import CONTENT_TYPE, Exposition, RequestCounter
from dgp.apps.web.resources.common import Api, Resource
from dgp.apps.web.resources.health import DOWN_ERRORS
from dgp.apps.web.services import Services

POOL_GAUGES = ("active", "idle", "size", "minconn", "maxconn", "available")
POOL_COUNTERS = {
    "total_queries": "dgp_db_queries_total",
    "failed_queries": "dgp_db_failed_queries_total",
    "pool_exhausted": "dgp_db_pool_exhausted_total",
    "connect_failures": "dgp_db_connect_failures_total",
    "discarded": "dgp_db_discarded_connections_total",
}
BREAKER_STATES = ("closed", "open", "half-open")


class Metrics(Resource):
    public = frozenset({"GET"})
    api: ClassVar[Api] = {
        "GET": Op(
            "Prometheus metrics (text exposition format 0.0.4)",
            description="Content type text/plain; version=0.0.4.",
            tags=("operations",),
        )
    }

    def __init__(self, services: Services, requests: RequestCounter) -> None:
        super().__init__(services)
        self.requests = requests

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        out = Exposition()
        stats = self.services.store.db.stats()
        for name in POOL_GAUGES:
            out.add(f"dgp_db_pool_{name}", "gauge", f"connection pool: {name}", stats[name])
        for name, metric in POOL_COUNTERS.items():
            out.add(metric, "counter", f"connection pool: {name.replace('_', ' ')}", stats[name])
        for name, breaker in self.services.breakers.states().items():
            for state in BREAKER_STATES:
                out.add(
                    "dgp_breaker_state",
                    "gauge",
                    "1 for the breaker's current state",
                    breaker["state"] == state,
                    {"breaker": name, "state": state},
                )
            out.add(
                "dgp_breaker_failures",
                "gauge",
                "consecutive failures counted by the breaker",
                breaker["failures"],
                {"breaker": name},
            )
        self._queues(out)
        for (method, route, status), count in sorted(self.requests.snapshot().items()):
            out.add(
                "dgp_http_requests_total",
                "counter",
                "requests answered by this process",
                count,
                {"method": method, "route": route, "status": status},
            )
        resp.content_type = CONTENT_TYPE
        resp.text = out.render()

    def _queues(self, out: Exposition) -> None:
        queue = self.services.queue
        try:
            depths = {kind: self.services.redis(queue.depth, kind) for kind in kinds.names()}
        except DOWN_ERRORS:
            out.add("dgp_redis_up", "gauge", "1 when Redis answered this scrape", 0)
            return
        out.add("dgp_redis_up", "gauge", "1 when Redis answered this scrape", 1)
        for kind, depth in depths.items():
            out.add("dgp_queue_length", "gauge", "jobs not yet done", depth.length, {"kind": kind})
            out.add(
                "dgp_queue_pending", "gauge", "jobs being worked on", depth.pending, {"kind": kind}
            )
            out.add(
                "dgp_queue_consumers",
                "gauge",
                "consumers in the group",
                depth.consumers,
                {"kind": kind},
            )
