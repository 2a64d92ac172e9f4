"""The scanner app of one kind: /health, /stats and /metrics over its consumer.

Thin on purpose: the consumer (dgp.apps.scanner.consumer) runs the scans in its own
process; this app only reads its shared counters, the queue depth (Redis, behind a
breaker) and the pool statistics. /health touches neither Redis nor Postgres, so it
answers in about a millisecond whatever they or the scans are doing.
"""

from __future__ import annotations

from typing import Any, Protocol

import falcon
import redis

from dgp.plumbing.breakers import BreakerOpen, Breakers
from dgp.plumbing.queue import JobQueue

PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


class ConsumerView(Protocol):
    """What the app needs of a consumer (ConsumerProcess, or a test double)."""

    consumer: str

    def alive(self) -> bool: ...

    def stats(self) -> dict[str, Any]: ...


class PoolStats(Protocol):
    def stats(self) -> dict[str, Any]: ...


class Health:
    def __init__(self, kind: str, worker: ConsumerView) -> None:
        self.kind = kind
        self.worker = worker

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        alive = self.worker.alive()
        resp.media = {
            "status": "up" if alive else "down",
            "kind": self.kind,
            "consumer": self.worker.consumer,
            "in_flight": int(self.worker.stats().get("in_flight", 0)),
        }
        if not alive:
            resp.status = falcon.HTTP_503
            resp.media["error"] = {"code": "consumer_down", "message": "the consumer has stopped"}


class Snapshot:
    """Everything /stats and /metrics report, gathered once per request."""

    def __init__(
        self,
        kind: str,
        worker: ConsumerView,
        queue: JobQueue,
        database: PoolStats,
        breakers: Breakers,
    ) -> None:
        self.kind = kind
        self.worker = worker
        self.queue = queue
        self.database = database
        self.breakers = breakers

    def take(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "consumer": self.worker.consumer,
            "alive": self.worker.alive(),
            "queue": self._queue(),
            **self.worker.stats(),
            "pool": self.database.stats(),
            "breakers": self.breakers.states(),
        }

    def _queue(self) -> dict[str, Any]:
        try:
            depth = self.breakers["redis"].call(self.queue.depth, self.kind)
        except BreakerOpen as e:
            return {"error": str(e)}
        except (redis.RedisError, OSError) as e:
            return {"error": f"Redis unavailable: {type(e).__name__}"}
        return {"size": depth.length, "pending": depth.pending, "consumers": depth.consumers}


class Stats:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.snapshot.take()


class Metrics:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = PROMETHEUS
        resp.text = render_metrics(self.snapshot.take())


_COUNTERS = {  # stats key -> (metric, help); *_total are counters, the rest gauges
    "processed": ("dgp_scanner_scans_processed_total", "Scans completed by this consumer."),
    "failed": ("dgp_scanner_scans_failed_total", "Scans failed with a final input error."),
    "dead_lettered": ("dgp_scanner_scans_dead_lettered_total", "Jobs sent to dead letters."),
    "in_flight": ("dgp_scanner_scans_in_flight", "Scans running now."),
}
_QUEUE = {
    "size": ("dgp_queue_size", "Jobs in the kind's stream not yet acknowledged."),
    "pending": ("dgp_queue_pending", "Jobs delivered, not yet acknowledged."),
    "consumers": ("dgp_queue_consumers", "Consumers in the kind's group."),
}
_POOL = {
    "active": ("dgp_db_pool_active", "Connections checked out."),
    "idle": ("dgp_db_pool_idle", "Idle pooled connections."),
    "size": ("dgp_db_pool_size", "Open pooled connections."),
    "maxconn": ("dgp_db_pool_max", "Pool limit."),
    "total_queries": ("dgp_db_queries_total", "Statements run."),
    "failed_queries": ("dgp_db_queries_failed_total", "Statements that failed."),
    "pool_exhausted": ("dgp_db_pool_exhausted_total", "Checkouts refused: pool exhausted."),
    "connect_failures": ("dgp_db_connect_failures_total", "Failed connects."),
    "available": ("dgp_db_available", "1 unless connects are paused after a failure."),
}
_BREAKER_STATES = ("closed", "open", "half-open")


def render_metrics(snap: dict[str, Any]) -> str:
    """Prometheus text exposition (format 0.0.4) of a /stats snapshot."""
    kind = _label(snap["kind"])
    lines: list[str] = []

    def metric(name: str, help_: str, value: float, labels: str = "") -> None:
        kind_ = "counter" if name.endswith("_total") else "gauge"
        lines.extend((f"# HELP {name} {help_}", f"# TYPE {name} {kind_}"))
        lines.append(f'{name}{{kind="{kind}"{labels}}} {float(value):g}')

    metric("dgp_scanner_up", "1 while the consumer runs.", 1 if snap["alive"] else 0)
    for key, (name, help_) in _COUNTERS.items():
        metric(name, help_, snap.get(key) or 0)
    queue = snap["queue"]
    metric("dgp_queue_available", "1 when Redis answered.", 0 if "error" in queue else 1)
    for key, (name, help_) in _QUEUE.items():
        if key in queue:
            metric(name, help_, queue[key])
    for key, (name, help_) in _POOL.items():
        if key in snap["pool"]:
            metric(name, help_, int(snap["pool"][key]))
    if snap["breakers"]:
        lines.append("# HELP dgp_breaker_state 1 for the breaker's current state.")
        lines.append("# TYPE dgp_breaker_state gauge")
        for breaker, info in snap["breakers"].items():
            for state in _BREAKER_STATES:
                value = 1 if info["state"] == state else 0
                lines.append(
                    f'dgp_breaker_state{{kind="{kind}",breaker="{_label(breaker)}",'
                    f'state="{state}"}} {value}'
                )
    return "\n".join(lines) + "\n"


def _label(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def create_app(
    kind: str,
    worker: ConsumerView,
    queue: JobQueue,
    database: PoolStats,
    breakers: Breakers,
) -> falcon.App:
    """The scanner app. `database` is anything with Database.stats(): under `dgp scanner`
    it is the consumer process's pool (ConsumerProcess.pool), where the queries run."""
    app = falcon.App()
    snapshot = Snapshot(kind, worker, queue, database, breakers)
    app.add_route("/health", Health(kind, worker))
    app.add_route("/stats", Stats(snapshot))
    app.add_route("/metrics", Metrics(snapshot))
    return app
