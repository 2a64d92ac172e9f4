"""The jobs a consumer holds, and the thread that keeps them its own.

A consumer holds a job from its read until its ACK: while it runs, while it waits
its turn behind the others of its read (claimed, not started), and after it ran
until its result is committed. The janitor takes from consumers the jobs idle for
longer than `reclaim_idle_seconds`, so a `Heartbeat` thread refreshes every held
job on a timer (XCLAIM JUSTID: no delivery is counted). A timer, because a scan's
progress reports do not come during a git clone or an archive extraction.

Waiting jobs were read together because the jobs before them were quick. When
the running one turns out slow, the heartbeat hands the waiting ones back to the
queue as new entries (never run, so no delivery is counted against them), where
another consumer can take them at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from dgp.plumbing.queue import Job
from dgp.plumbing.store import ClaimedScan, StoreUnavailable

log = logging.getLogger(__name__)
# Postgres or Redis unreachable: waited out, never a reason to give up on a job
OUTAGES = (StoreUnavailable, redis.ConnectionError, redis.TimeoutError)


@dataclass(frozen=True)
class Held:
    job: Job
    scan: ClaimedScan


class HeldJobs:
    """The running job and the claimed ones waiting behind it; shared by the consumer
    loop and its heartbeat, so every change is made under one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[Held] = []
        self._running: Held | None = None
        self._started = 0.0

    def hold(self, held: list[Held]) -> None:
        with self._lock:
            self._waiting.extend(held)

    def waiting(self) -> bool:
        with self._lock:
            return bool(self._waiting)

    def start_next(self) -> Held | None:
        """The next waiting job, now running; None when none waits."""
        with self._lock:
            if not self._waiting:
                return None
            self._running = self._waiting.pop(0)
            self._started = time.monotonic()
            return self._running

    def finish(self) -> None:
        with self._lock:
            self._running = None

    def put_back(self, held: Held) -> None:
        """A job cut short by an outage: it runs again first, without a new read."""
        with self._lock:
            self._waiting.insert(0, held)
            self._running = None

    def jobs(self) -> list[Job]:
        with self._lock:
            running = [self._running.job] if self._running else []
            return running + [held.job for held in self._waiting]

    def hand_back(self, give: Callable[[list[Held]], None], behind_slower_than: float) -> int:
        """Give the waiting jobs back with `give` when the running one has taken longer
        than `behind_slower_than` seconds (0: always); how many were given back.

        `give` runs under the lock, so the consumer cannot start one of them, nor read
        them again as its own pending jobs, meanwhile; if it raises, all stay here.
        """
        with self._lock:
            if not self._waiting:
                return 0
            if behind_slower_than > 0 and (
                self._running is None or time.monotonic() - self._started < behind_slower_than
            ):
                return 0
            give(self._waiting)
            given, self._waiting = len(self._waiting), []
            return given


class Heartbeat:
    """Calls `beat` every `interval` seconds in a thread of its own until stopped;
    an outage of Redis or Postgres only skips that beat."""

    def __init__(self, beat: Callable[[], None], interval: float) -> None:
        self._beat = beat
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dgp-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._beat()
            except OUTAGES as error:
                log.warning("heartbeat skipped: %s unavailable", type(error).__name__)
            except Exception:  # a bug here must not end the beats for good
                log.exception("heartbeat failed")
