"""The job queue: one Redis stream per scanner kind, one consumer group, explicit ACK.

Postgres holds the scans; a stream entry carries only a scan id. A consumer reads
its own pending entries first (work it was given before a crash), then new ones,
and ACKs only after the result is committed. Redis counts every delivery
(re-reads and XAUTOCLAIM included), which decides when a job goes to the
dead-letter stream.

Redis can lose a stream or its group (FLUSHALL, a restore without the append-only
file, a key deleted by hand). A consumer then makes them again and goes on: what
was pending in them is gone, but the consumer is not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import redis

log = logging.getLogger(__name__)
T = TypeVar("T")

GROUP = "scanners"
# Replies that mean the stream or its group no longer exists: NOGROUP (either is
# missing), UNBLOCKED (the stream was deleted while XREADGROUP waited on it), and
# XINFO's "no such key".
_LOST_REPLIES = ("NOGROUP", "UNBLOCKED", "no such key")


class _GroupLost(Exception):
    """The stream exists but its group does not (XINFO GROUPS lists no such group)."""


@dataclass(frozen=True)
class Job:
    kind: str
    entry_id: str
    scan_id: str
    deliveries: int  # including this one


@dataclass(frozen=True)
class Depth:
    length: int  # entries in the stream not yet acknowledged or trimmed
    pending: int  # delivered, not yet acknowledged
    consumers: int


class JobQueue:
    def __init__(self, client: redis.Redis, prefix: str = "dgp") -> None:
        self.redis = client
        self.prefix = prefix
        self._groups: set[str] = set()

    def stream(self, kind: str) -> str:
        return f"{self.prefix}:jobs:{kind}"

    def dead_letters(self, kind: str) -> str:
        return f"{self.prefix}:dead:{kind}"

    def ensure_group(self, kind: str) -> None:
        """Create the stream and its group once per process (see _create_group)."""
        if kind not in self._groups:
            self._create_group(kind)
            self._groups.add(kind)

    def _create_group(self, kind: str) -> bool:
        """Create the stream and its group; id 0 so jobs added before the group still
        run. False when the group was there already."""
        try:
            self.redis.xgroup_create(self.stream(kind), GROUP, id="0", mkstream=True)
        except redis.ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise
            return False
        return True

    def in_group(self, kind: str, command: Callable[[], T]) -> T:
        """Run a command on the kind's group; if Redis lost the stream or the group,
        make them again and run it once more. Of the consumers that notice a loss,
        the one that makes the group again says so."""
        self.ensure_group(kind)
        try:
            return command()
        except (redis.ResponseError, _GroupLost) as error:
            if isinstance(error, redis.ResponseError) and not str(error).startswith(_LOST_REPLIES):
                raise
        if self._create_group(kind):
            log.warning(
                "the job stream %s or its consumer group was lost (Redis flushed, or "
                "restored without its append-only file?): made again; the jobs it held "
                "are gone",
                self.stream(kind),
            )
        return command()

    def submit(self, kind: str, scan_id: str) -> str:
        self.ensure_group(kind)
        return str(self.redis.xadd(self.stream(kind), {"scan_id": scan_id}))

    def read(
        self,
        kind: str,
        consumer: str,
        block_ms: int = 1000,
        own_first: bool = True,
        own_only: bool = False,
    ) -> Job | None:
        """One job for `consumer`; see read_many."""
        jobs = self.read_many(kind, consumer, 1, block_ms, own_first, own_only)
        return jobs[0] if jobs else None

    def read_many(
        self,
        kind: str,
        consumer: str,
        count: int,
        block_ms: int = 1000,
        own_first: bool = True,
        own_only: bool = False,
    ) -> list[Job]:
        """Up to `count` jobs for `consumer`: its own unacknowledged ones first (unless
        the caller knows it has none), else new ones. A new entry is always on its
        first delivery; only re-read ones need their counts looked up. `block_ms` 0:
        do not wait."""
        stream = self.stream(kind)
        wait = block_ms if block_ms > 0 else None  # BLOCK 0 would wait forever
        starts = (("0", None), (">", wait)) if own_first else ((">", wait),)
        if own_only:
            starts = (("0", None),)
        for start, block in starts:
            reply = self.in_group(
                kind,
                partial(
                    self.redis.xreadgroup,
                    GROUP,
                    consumer,
                    {stream: start},
                    count=count,
                    block=block,
                ),
            )
            entries = [(_str(e), fields) for e, fields in (reply[0][1] if reply else [])]
            gone = [e for e, fields in entries if not fields]  # deleted while pending
            if gone:
                self.redis.xack(stream, GROUP, *gone)
            entries = [(e, fields) for e, fields in entries if fields]
            if entries:
                counts = {} if start == ">" else self._deliveries_of(kind, consumer, entries)
                return [
                    Job(kind, e, _str(fields[_key(fields, "scan_id")]), counts.get(e, 1))
                    for e, fields in entries
                ]
        return []

    def ack(self, job: Job) -> None:
        self.redis.xack(self.stream(job.kind), GROUP, job.entry_id)

    def ack_all(self, jobs: Sequence[Job]) -> None:
        """ACK jobs of one kind in one command."""
        if jobs:
            self.redis.xack(self.stream(jobs[0].kind), GROUP, *(job.entry_id for job in jobs))

    def requeue(self, jobs: Sequence[Job]) -> None:
        """Hand jobs of one kind that were read but never run back to the queue: each
        becomes a new entry (delivered 0 times, at the end) and the old one is ACKed,
        in one transaction."""
        if not jobs:
            return
        stream = self.stream(jobs[0].kind)
        pipe = self.redis.pipeline(transaction=True)
        for job in jobs:
            pipe.xadd(stream, {"scan_id": job.scan_id})
        pipe.xack(stream, GROUP, *(job.entry_id for job in jobs))
        pipe.execute()

    def dead_letter(self, job: Job, reason: str) -> None:
        """Move a job that cannot succeed to the kind's dead-letter stream, then ACK it."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.xadd(
            self.dead_letters(job.kind),
            {
                "scan_id": job.scan_id,
                "entry_id": job.entry_id,
                "deliveries": str(job.deliveries),
                "reason": reason,
            },
        )
        pipe.xack(self.stream(job.kind), GROUP, job.entry_id)
        pipe.execute()

    def reclaim(self, kind: str, consumer: str, min_idle_ms: int, count: int = 100) -> list[Job]:
        """Hand jobs that sat unacknowledged longer than `min_idle_ms` to `consumer`."""
        jobs, start = [], "0-0"
        while True:
            reply = self.in_group(
                kind,
                partial(
                    self.redis.xautoclaim,
                    self.stream(kind),
                    GROUP,
                    consumer,
                    min_idle_ms,
                    start_id=start,
                    count=count,
                ),
            )
            start, entries = _str(reply[0]), reply[1]
            for entry_id, fields in entries:
                if fields:  # an entry trimmed meanwhile has no fields
                    jobs.append(
                        Job(
                            kind,
                            _str(entry_id),
                            _str(fields[_key(fields, "scan_id")]),
                            self._deliveries(kind, _str(entry_id)),
                        )
                    )
            if start == "0-0" or not entries:
                return jobs

    def depth(self, kind: str) -> Depth:
        info = self.in_group(kind, partial(self._group_info, kind))
        lag = info.get("lag")
        return Depth(
            length=int(lag or 0) + int(info["pending"]),
            pending=int(info["pending"]),
            consumers=int(info["consumers"]),
        )

    def _group_info(self, kind: str) -> dict:
        for group in self.redis.xinfo_groups(self.stream(kind)):
            if _str(group["name"]) == GROUP:
                return group
        raise _GroupLost(kind)

    def _deliveries_of(
        self, kind: str, consumer: str, entries: list[tuple[str, object]]
    ) -> dict[str, int]:
        """Delivery counts of a consumer's own pending entries, in one XPENDING."""
        rows = self.in_group(
            kind,
            partial(
                self.redis.xpending_range,
                self.stream(kind),
                GROUP,
                entries[0][0],
                entries[-1][0],
                len(entries),
                consumer,
            ),
        )
        return {_str(row["message_id"]): int(row["times_delivered"]) for row in rows}

    def _deliveries(self, kind: str, entry_id: str) -> int:
        rows = self.in_group(
            kind,
            partial(self.redis.xpending_range, self.stream(kind), GROUP, entry_id, entry_id, 1),
        )
        return int(rows[0]["times_delivered"]) if rows else 1


def _str(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _key(fields: dict, name: str) -> object:
    return name if name in fields else name.encode()


class Liveness:
    """Which consumers are alive: each refreshes a key with a short TTL while it runs.

    The janitor hands idle jobs only to consumers whose key exists, and a scan in
    progress keeps its job fresh (XCLAIM JUSTID resets the idle time without
    counting a delivery), so a long scan is never taken from a live consumer.
    """

    TTL_SECONDS = 30

    def __init__(self, queue: JobQueue) -> None:
        self.queue = queue

    def _key(self, kind: str, consumer: str) -> str:
        return f"{self.queue.prefix}:alive:{kind}:{consumer}"

    def beat(self, kind: str, consumer: str) -> None:
        self.queue.redis.set(self._key(kind, consumer), "1", ex=self.TTL_SECONDS)

    def forget(self, kind: str, consumer: str) -> None:
        """A consumer that stops cleanly says so at once (a killed one expires)."""
        self.queue.redis.delete(self._key(kind, consumer))

    def alive(self, kind: str) -> list[str]:
        prefix = self._key(kind, "")
        return sorted(_str(k)[len(prefix) :] for k in self.queue.redis.scan_iter(f"{prefix}*"))

    def keep_fresh(self, jobs: Sequence[Job], consumer: str) -> None:
        """Reset the idle time of jobs of one kind that `consumer` holds."""
        if jobs:
            kind = jobs[0].kind
            self.queue.in_group(
                kind,
                partial(
                    self.queue.redis.xclaim,
                    self.queue.stream(kind),
                    GROUP,
                    consumer,
                    0,
                    [job.entry_id for job in jobs],
                    justid=True,
                ),
            )
