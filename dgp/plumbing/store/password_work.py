"""argon2 work on threads that only get a core nobody else wants, so password checks
never starve the other requests.

argon2id with the library's defaults fills 64 MiB in four lanes, on threads of its own:
one check keeps both cores of a small host busy for about 100 ms. A flood of sign-ins
took the CPU from everything else in the web process: /health, whose answer Nginx,
systemd and the operators rely on, waited hundreds of milliseconds for a core
(bench/health.py --login-flood). The hashing cannot be made cheaper without weakening
it, so it runs on a few threads of this process under Linux's SCHED_IDLE policy (the
scheduling policy is per thread, and argon2's lane threads inherit it): a core goes to
any request first and to password work when it would otherwise idle. `nice 19` was
not enough: its small share still took the cores at the moments that make the tail.
The web slice's CPUWeight keeps the scanners' CPU use from starving this work: they
compete with the web's cgroup, not with its threads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import TypeVar

from argon2 import PasswordHasher

T = TypeVar("T")

PASSWORD_THREADS = 2
FALLBACK_NICENESS = 19  # where SCHED_IDLE is not allowed

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0


def _lower_priority() -> None:
    """This thread (and the threads it starts) runs only on otherwise idle cores."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # 0: this thread
    except OSError:
        with suppress(OSError):  # neither allowed: the work runs at normal priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), FALLBACK_NICENESS)


def _executor() -> ThreadPoolExecutor:
    """This process's pool (made again in a forked child: threads do not survive fork)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(
                max_workers=PASSWORD_THREADS,
                thread_name_prefix="password-work",
                initializer=_lower_priority,
            )
            _pool_pid = os.getpid()
        return _pool


def run_idle(work: Callable[[], T]) -> T:
    """`work()` on an idle-priority thread; its result, or its exception, here."""
    return _executor().submit(work).result()


class IdlePriorityHasher:
    """A PasswordHasher whose hashing and verifying run at idle priority."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher

    def hash(self, password: str) -> str:
        return run_idle(lambda: self.hasher.hash(password))

    def verify(self, stored: str, password: str) -> bool:
        return run_idle(lambda: self.hasher.verify(stored, password))

    def check_needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)
