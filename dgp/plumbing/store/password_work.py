"""argon2 work at a low CPU priority, so password checks never starve the other requests.

argon2id with the library's defaults computes its four lanes in threads of its own:
one check keeps both cores of a small host busy for about 100 ms. A flood of sign-ins
then took the CPU from everything else in the web process; /health, whose answer
Nginx, systemd and the operators rely on, waited hundreds of milliseconds for a core
(bench/health.py --login-flood). The hashing itself cannot be made cheaper without
weakening it, so it runs on a few threads of this process whose scheduling priority
is lowered (Linux: `nice` is per thread, and argon2's lane threads inherit it): a core
goes to a normal request first, and to password work whenever nobody else wants it.
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

PASSWORD_NICENESS = 10  # the threads' `nice` above the process's (0 to 19)

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0


def _lower_priority() -> None:
    with suppress(OSError):  # not allowed here: the work still runs, at normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PASSWORD_NICENESS)


def _executor(threads: int) -> ThreadPoolExecutor:
    """This process's pool (made again in a forked child: threads do not survive fork)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(
                max_workers=threads,
                thread_name_prefix="password-work",
                initializer=_lower_priority,
            )
            _pool_pid = os.getpid()
        return _pool


def run_niced(work: Callable[[], T], threads: int = 2) -> T:
    """`work()` on a low-priority thread; its result, or its exception, here."""
    return _executor(threads).submit(work).result()


class NicedHasher:
    """A PasswordHasher whose hashing and verifying run at a low priority."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher

    def hash(self, password: str) -> str:
        return run_niced(lambda: self.hasher.hash(password))

    def verify(self, stored: str, password: str) -> bool:
        return run_niced(lambda: self.hasher.verify(stored, password))

    def check_needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)
