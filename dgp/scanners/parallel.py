"""Reading and detecting in worker processes, reporting in the scan's own process.

The detection engine is single-threaded Python around hyperscan, so a scan uses
more than one core only with processes. Workers read a file and find its hits
(`dgp.scanners.session.Hit`, plain data); the scan's process takes the results
in file order and turns them into findings, so limits, fingerprints and the
order of findings are exactly those of a scan without workers.
"""

from __future__ import annotations

import importlib
import itertools
import math
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dgp.scanners.session import detector_for

# Below this many bytes of files a pool costs more than it saves (starting processes).
MIN_PARALLEL_BYTES = 8 * 1024 * 1024
AHEAD_PER_WORKER = 4096  # files handed to the pool before their turn, per process
BATCH_BYTES = 1024 * 1024  # files sent to a worker together, up to this size
BATCH_FILES = 64


Outcome = tuple[Any, BaseException | None]  # a file's result, or its exception


@dataclass(frozen=True)
class BatchWork:
    """A file's work that has a form for many files at once: `many` takes each file's
    arguments and gives each file's outcome (the code kind detects a batch's texts
    together, which is quicker than one by one). Module-level instances cross to
    worker processes by reference."""

    one: Callable[..., Any]
    many: Callable[[list[tuple[Any, ...]]], list[Outcome]]

    def __call__(self, *args: Any) -> Any:
        return self.one(*args)


def _run_batch(batch: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> list[Outcome]:
    """In a worker (or here): each file's work, its result or its exception (one file's
    failure is that file's, raised in the scan's process when its turn comes). Files in
    a row with the same BatchWork are done by its `many`."""
    results: list[Outcome] = []
    for work, group in itertools.groupby(batch, key=lambda item: item[0]):
        calls = [args for _, args in group]
        if isinstance(work, BatchWork) and len(calls) > 1:
            results += work.many(calls)
            continue
        for args in calls:
            try:
                results.append((work(*args), None))
            except Exception as e:
                results.append((None, e))
    return results


def available_cpus() -> int:
    """The CPUs this process may use: its affinity, and its cgroup's CPU quota (a systemd
    unit's CPUQuota=, a container's limit), whichever is smaller."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    quota = _cgroup_quota()
    return max(1, min(cpus or 1, quota if quota is not None else cpus or 1))


def _cgroup_quota() -> int | None:
    """CPUs allowed by the cgroup (v2 cpu.max, v1 cfs quota), rounded up; None: no limit."""
    for path, split in (
        ("/sys/fs/cgroup/cpu.max", lambda text: text.split()),
        (
            "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
            lambda text: [text.strip(), _read("/sys/fs/cgroup/cpu/cpu.cfs_period_us") or "0"],
        ),
    ):
        text = _read(path)
        if text is None:
            continue
        try:
            quota, period = split(text)[:2]
            if quota in ("max", "-1") or int(period) <= 0:
                return None
            return max(1, math.ceil(int(quota) / int(period)))
        except ValueError:
            return None
    return None


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def _warm(min_confidence: float, kind_module: str) -> None:
    """Compile the kind's detector in a new worker (a no-op in a forked one)."""
    detector_for(min_confidence, importlib.import_module(kind_module).EXTRA_PATTERNS)


@dataclass
class _Batch:
    """Files that travel to a worker together, or are done here when that is quicker."""

    items: list[tuple[Callable[..., Any], tuple[Any, ...]]] = field(default_factory=list)
    size: int = 0
    future: Future[Any] | None = None
    results: list[Outcome] | None = None
    left: int = 0  # results not taken yet


class FilePool:
    """A process pool for one scan: `submit` a file's work early, take its `result` in turn.

    `jobs` counts this process too: it takes results in order, and while the
    next result is still being worked on it does the newest batch no worker has
    started yet itself, so no core waits while another works. Workers are
    forked from this process when it runs no other thread: they inherit its
    compiled detector, so the pool starts at once. In a process with threads (a
    scanner service) they start as fresh interpreters and compile their own
    detector, which pays only on larger trees: the pool then starts once
    MIN_PARALLEL_BYTES of files were submitted, and files before that are read here.
    """

    def __init__(
        self,
        jobs: int,
        min_confidence: float,
        kind_module: str,
        ready: Callable[[], object] = lambda: None,
    ) -> None:
        """`kind_module` names the module whose EXTRA_PATTERNS the detector adds (patterns
        hold functions that do not cross processes; their module's name does). `ready`
        is called before workers start: it waits for this process's own detector, which
        forked workers inherit (and for the thread that compiles it to end)."""
        self.jobs = jobs
        self._ready = ready
        self._offered = 0
        self._init = (min_confidence, kind_module)
        self._executor: ProcessPoolExecutor | None = None
        self._where: dict[Any, tuple[_Batch, int]] = {}  # key -> its batch and place in it
        self._open = _Batch()  # being filled
        self._sent: deque[_Batch] = deque()  # handed to the workers, oldest first
        self.from_workers = 0  # files whose work a worker did

    @property
    def window(self) -> int:
        return self.jobs * AHEAD_PER_WORKER

    def submit(self, key: object, size: int, work: Callable[..., Any], *args: Any) -> None:
        """Queue `work(*args)` for a worker. Small files travel together (BATCH_BYTES,
        BATCH_FILES): one round trip each. Without workers (one job, or a pool not worth
        starting yet) the batch is done here, when its first file's turn comes."""
        if key in self._where:
            return
        self._offered += size
        if self.jobs > 1 and self._executor is None:
            self._start()
        batch = self._open
        self._where[key] = (batch, len(batch.items))
        batch.items.append((work, args))
        batch.left += 1
        batch.size += size
        if batch.size >= BATCH_BYTES or len(batch.items) >= BATCH_FILES:
            self._open = _Batch()
            if self._executor is not None:
                batch.future = self._executor.submit(_run_batch, batch.items)
                self._sent.append(batch)

    def _start(self) -> None:
        """Start the workers, unless they would start as fresh interpreters (this process
        runs threads) and the files so far are too few to pay for that."""
        self._ready()
        forking = threading.active_count() == 1
        if not forking and self._offered < MIN_PARALLEL_BYTES:
            return
        self._executor = ProcessPoolExecutor(
            max_workers=self.jobs - 1,
            mp_context=multiprocessing.get_context("fork" if forking else "spawn"),
            initializer=_warm,
            initargs=self._init,
        )

    def result(self, key: object, work: Callable[..., Any], *args: Any) -> Any:
        """The result of the work submitted under `key`, or of `work(*args)` done here
        when it was not submitted. A worker's exception is raised here."""
        where = self._where.pop(key, None)
        if where is None:
            return work(*args)
        batch, index = where
        if batch.results is None and batch.future is None:  # not sent: done here, now
            if batch is self._open:
                self._open = _Batch()
            batch.results = _run_batch(batch.items)
        while batch.results is None and batch.future is not None and not batch.future.done():
            if not self._steal():
                break
        if batch.results is None and not self._take(batch):
            assert batch.future is not None
            batch.results = batch.future.result()
            self.from_workers += len(batch.items)
        outcome, error = batch.results[index]
        batch.left -= 1
        while self._sent and self._sent[0].left == 0:
            self._sent.popleft()
        if error is not None:
            raise error
        return outcome

    def _steal(self) -> bool:
        """Do the newest batch no worker has started here; False when there is none."""
        for batch in reversed(self._sent):
            if batch.results is None:
                return self._take(batch)  # when started, every older one has started too
        return False

    def _take(self, batch: _Batch) -> bool:
        """Do `batch` here if no worker has started it (True), else leave it (False)."""
        assert batch.future is not None
        if not batch.future.cancel():
            return False
        batch.results = _run_batch(batch.items)
        return True

    def close(self) -> None:
        """Stop the workers; work not started is dropped (the scan stopped early)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        self._where.clear()
        self._sent.clear()
        self._open = _Batch()

    def __enter__(self) -> FilePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
