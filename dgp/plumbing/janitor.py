"""The janitor (`dgp janitor`, run by dgp-janitor.timer): hands the jobs of dead
consumers to live ones with XAUTOCLAIM, dead-letters the hopeless ones, and purges
what is older than the retention (scans with their findings and artefacts, uploads).

A consumer is dead when its liveness key has expired; a live consumer keeps every
job it holds fresh (dgp.plumbing.holding), so only a dead one's jobs go idle for
`reclaim_idle_seconds`.
"""

from __future__ import annotations

from typing import Any

from dgp.plumbing.queue import GROUP, JobQueue, Liveness
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ScanStore


class Janitor:
    """Hands jobs left by dead consumers to live ones; dead-letters hopeless ones;
    applies the retention."""

    def __init__(self, queue: JobQueue, store: ScanStore, settings: Settings) -> None:
        self.queue = queue
        self.store = store
        self.settings = settings
        self.liveness = Liveness(queue)

    def run_once(self, kinds: list[str]) -> dict[str, Any]:
        report: dict[str, Any] = {}
        idle_ms = int(self.settings.reclaim_idle_seconds * 1000)
        for kind in kinds:
            alive = self.liveness.alive(kind)
            if not alive:
                report[kind] = {"reclaimed": 0, "dead_lettered": 0, "note": "no live consumer"}
                continue
            moved = dead = 0
            for n, job in enumerate(self.queue.reclaim(kind, alive[0], idle_ms)):
                if job.deliveries > self.settings.max_deliveries:
                    reason = f"gave up after {job.deliveries - 1} deliveries"
                    forget = self.settings.delete_uploads_after_scan
                    self.store.fail_scan(job.scan_id, reason, forget_upload=forget)
                    self.queue.dead_letter(job, reason)
                    dead += 1
                else:  # spread over the live consumers
                    owner = alive[n % len(alive)]
                    if owner != alive[0]:
                        self.queue.redis.xclaim(
                            self.queue.stream(kind), GROUP, owner, 0, [job.entry_id], justid=True
                        )
                    moved += 1
            report[kind] = {"reclaimed": moved, "dead_lettered": dead}
        return report

    def purge(self) -> dict[str, int]:
        """Delete scans (with their findings and artefacts) and uploads older than
        `retention_days`; nothing when it is 0. How many of each went."""
        days = self.settings.retention_days
        if days <= 0:
            return {"scans": 0, "uploads": 0}
        return {"scans": self.store.purge_scans(days), "uploads": self.store.purge_uploads(days)}
