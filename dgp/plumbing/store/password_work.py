"""argon2 work in processes of its own that only get a core nobody else wants, so password
checks never starve the other requests.

argon2id with the library's defaults fills 64 MiB in four lanes, on threads of its own:
one check keeps both cores of a small host busy for about 100 ms. A flood of sign-ins
took the CPU from everything else in the web process: /health, whose answer Nginx,
systemd and the operators rely on, waited hundreds of milliseconds for a core
(bench/health.py --login-flood). The hashing cannot be made cheaper without weakening
it, so it runs in PASSWORD_PROCESSES processes under Linux's SCHED_IDLE policy (argon2's
lane threads inherit it): a core goes to any request first, and to password work when
it would otherwise idle. Processes, not threads of the web process: an idle-priority
thread that holds the GIL when it is preempted stops every thread of its process until
a core is idle again, and argon2's memory and thread churn then hit the web threads too
(measured: p99 42-72 ms with threads, 38-46 ms with processes, 1000 health checks each).
The web slice's CPUWeight keeps the scanners from starving this work: they compete with
the web's cgroup, not with its processes.

The processes are spawned (a web worker has threads: forking it is unsafe) when a
UserStore with the default hasher is made, so the first sign-in does not wait for them.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress

from argon2 import PasswordHasher

PASSWORD_PROCESSES = 2
FALLBACK_NICENESS = 19  # where SCHED_IDLE is not allowed

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_pid = 0


def lower_priority() -> None:
    """This process (and the threads it starts) runs only on otherwise idle cores."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except OSError:
        with suppress(OSError):  # neither allowed: the work runs at normal priority
            os.nice(FALLBACK_NICENESS)


def _executor() -> ProcessPoolExecutor:
    """This process's pool, started at once (made again in a forked child)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ProcessPoolExecutor(
                max_workers=PASSWORD_PROCESSES,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=lower_priority,
            )
            _pool_pid = os.getpid()
            for _ in range(PASSWORD_PROCESSES):
                _pool.submit(os.getpid)  # start them now, not at the first sign-in
        return _pool


def _hash(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(password)


def _verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    return hasher.verify(stored, password)


class IdlePriorityHasher:
    """A PasswordHasher whose hashing and verifying run in the idle-priority processes;
    their answer, or their exception, is raised here as the hasher's own would be."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        _executor()

    def hash(self, password: str) -> str:
        return _executor().submit(_hash, self.hasher, password).result()

    def verify(self, stored: str, password: str) -> bool:
        return _executor().submit(_verify, self.hasher, stored, password).result()

    def check_needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)
