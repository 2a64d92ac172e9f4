"""The consumer of one scanner kind, in a child process, with its counters in shared memory.

Why a process and not a thread: a scan is pure Python and holds the GIL, and a
request-serving thread that has to win the GIL back at every I/O step waits up to
the switch interval (5 ms) each time. Measured on this 2-core machine, /health
under gunicorn (1 gthread worker) while a code scan of 400 files (6.7 s) ran
beside it, 300 requests:

    no scan            p50 1.2 ms   p99  6.1 ms
    consumer thread    p50 6.2 ms   p99 78.6 ms   (misses the 50 ms target)
    consumer process   p50 1.8 ms   p99  2.4 ms

So the consumer runs in a child process (`python -m dgp.apps.scanner.consumer`: a
fresh interpreter, no inherited sockets, locks or connections) started by the
serving process before gunicorn forks its workers. Counters, the consumer's pool
statistics and its liveness live in a few int64 slots of a shared memfd mapping,
passed to the child as an fd and inherited by the gunicorn workers through fork,
so /stats and /health read them without asking the child anything (no Manager, no
pipe). The child is the only writer. Not multiprocessing.Process: its atexit join
breaks in gunicorn's forked workers, and gunicorn's arbiter reaps every child.

The child dies with its parent (PR_SET_PDEATHSIG), so a killed `dgp scanner` never
leaves an orphan consumer that would share its stable consumer name with the next one.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import mmap
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from dgp.plumbing.processes import die_with_parent, running

log = logging.getLogger("dgp.apps.scanner.consumer")  # also when run as __main__

COUNTERS = ("processed", "failed", "dead_lettered", "in_flight")
POOL_FIELDS = (
    "active",
    "idle",
    "size",
    "minconn",
    "maxconn",
    "total_queries",
    "failed_queries",
    "pool_exhausted",
    "connect_failures",
    "discarded",
    "available",
)
_STATE = ("pid", "alive", "clean_exit", "last_beat_ms")
FIELDS = (*_STATE, *COUNTERS, *(f"pool_{f}" for f in POOL_FIELDS))
_INDEX = {name: i for i, name in enumerate(FIELDS)}


class SharedState:
    """Named int64 slots in a shared memfd mapping; one writer (the child), many readers."""

    SIZE = len(FIELDS) * 8

    def __init__(self, fd: int | None = None) -> None:
        if fd is None:
            fd = os.memfd_create("dgp-consumer-state", 0)  # close-on-exec unless passed
            os.ftruncate(fd, self.SIZE)
        self.fd = fd
        self._map = mmap.mmap(fd, self.SIZE)
        self._slots = (ctypes.c_int64 * len(FIELDS)).from_buffer(self._map)

    def get(self, name: str) -> int:
        return int(self._slots[_INDEX[name]])

    def set(self, name: str, value: int) -> None:
        self._slots[_INDEX[name]] = int(value)


class SharedWorkerStats:
    """Stands in for Worker.stats (WorkerStats) in the child: same attributes, shared."""

    def __init__(self, state: SharedState) -> None:
        object.__setattr__(self, "_state", state)

    def __getattr__(self, name: str) -> int:
        if name in COUNTERS:
            return self._state.get(name)
        raise AttributeError(name)

    def __setattr__(self, name: str, value: int) -> None:
        if name not in COUNTERS:
            raise AttributeError(name)
        self._state.set(name, value)

    def to_dict(self) -> dict[str, int]:
        return {name: self._state.get(name) for name in COUNTERS}


class PoolView:
    """The consumer's Database.stats(), as published by the child (it does the queries)."""

    def __init__(self, state: SharedState) -> None:
        self._state = state

    def stats(self) -> dict[str, Any]:
        values: dict[str, Any] = {f: self._state.get(f"pool_{f}") for f in POOL_FIELDS}
        values["available"] = bool(values["available"])
        return values


class ConsumerProcess:
    """Starts, watches and stops the consumer child; a read-only view of it for the app."""

    def __init__(self, kind: str, consumer: str) -> None:
        self.kind = kind
        self.consumer = consumer
        self.state = SharedState()
        self.pool = PoolView(self.state)
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = False

    @property
    def pid(self) -> int:
        return self.state.get("pid")

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            __name__,
            self.kind,
            self.consumer,
            str(self.state.fd),
            str(os.getpid()),
        ]
        self._process = subprocess.Popen(command, pass_fds=(self.state.fd,))
        self.state.set("pid", self._process.pid)
        self.state.set("alive", 1)

    def alive(self) -> bool:
        """The child is running (readable from any process that shares the state)."""
        return bool(self.state.get("alive")) and running(self.pid)

    def stats(self) -> dict[str, Any]:
        values: dict[str, Any] = {name: self.state.get(name) for name in COUNTERS}
        beat = self.state.get("last_beat_ms")
        values["seconds_since_beat"] = round((_monotonic_ms() - beat) / 1000, 1) if beat else None
        return values

    def watch(self, on_exit: Callable[[bool], None]) -> threading.Thread:
        """Call `on_exit(clean)` from a thread when the child ends.

        Uses a pidfd, so it works even though gunicorn's arbiter reaps every child
        (waitpid(-1)) and multiprocessing's own bookkeeping then no longer sees the exit.
        """
        pid = self.pid

        def wait() -> None:
            try:
                fd = os.pidfd_open(pid)
            except OSError:  # no pidfd (kernel < 5.3): poll
                while running(pid):
                    time.sleep(0.5)
            else:
                try:
                    select.select([fd], [], [])
                finally:
                    os.close(fd)
            self.state.set("alive", 0)
            if not self._stopping:  # an exit we asked for is not news
                on_exit(bool(self.state.get("clean_exit")))

        thread = threading.Thread(target=wait, name="consumer-watch", daemon=True)
        thread.start()
        return thread

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (finish the current job, then exit), then SIGKILL after `timeout`."""
        pid = self.pid
        self._stopping = True
        if not pid:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while running(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.05)
        if running(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _reap(pid, block=True)
        self.state.set("alive", 0)


def _reap(pid: int, block: bool = False) -> None:
    with contextlib.suppress(ChildProcessError):  # not our child, or reaped already
        os.waitpid(pid, 0 if block else os.WNOHANG)


def _monotonic_ms() -> int:
    return int(time.monotonic() * 1000)  # CLOCK_MONOTONIC: the same in every process


def _child_main(kind: str, consumer: str, fd: int, parent: int) -> None:
    """The consumer process: connect, then run the Worker until SIGTERM."""
    die_with_parent(parent)
    from dgp import kinds
    from dgp.apps.logs import setup_logging
    from dgp.apps.serving import Watchdog
    from dgp.plumbing.connections import connect
    from dgp.plumbing.settings import load_settings
    from dgp.plumbing.worker import Worker

    setup_logging(scanner=kind)
    state = SharedState(fd)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C reaches the parent, which stops us
    settings = load_settings()
    connections = connect(settings)
    watchdog = Watchdog()

    def beat() -> None:
        state.set("last_beat_ms", _monotonic_ms())
        for name, value in connections.database.stats().items():
            if name in POOL_FIELDS:
                state.set(f"pool_{name}", int(value))
        watchdog()

    spec = kinds.get(kind)
    worker = Worker.for_kind(
        spec, connections.queue, connections.store, settings, consumer, stop=stop, on_beat=beat
    )
    worker.stats = SharedWorkerStats(state)  # type: ignore[assignment]
    log.info("consumer %s started for %s", consumer, kind, extra={"dgp_scanner": kind})
    try:
        worker.run()
    except Exception:
        log.exception("consumer %s crashed", consumer, extra={"dgp_scanner": kind})
        raise
    finally:
        connections.database.close()
    state.set("clean_exit", 1)
    log.info("consumer %s stopped", consumer, extra={"dgp_scanner": kind})


if __name__ == "__main__":
    _kind, _consumer, _fd, _parent = sys.argv[1:5]
    _child_main(_kind, _consumer, int(_fd), int(_parent))
