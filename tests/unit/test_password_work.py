"""Password hashing runs at a low CPU priority and answers as the hasher would."""

from __future__ import annotations

import os
import threading

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from dgp.plumbing.store.password_work import PASSWORD_NICENESS, NicedHasher, run_niced

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_the_work_runs_on_another_thread_with_a_lower_priority() -> None:
    here = _niceness()
    there, thread = run_niced(lambda: (_niceness(), threading.get_ident()))
    assert thread != threading.get_ident()
    assert there == min(19, here + PASSWORD_NICENESS)
    assert _niceness() == here  # the caller's own priority is untouched


def test_a_niced_hasher_hashes_and_verifies_as_its_hasher() -> None:
    niced = NicedHasher(FAST)
    stored = niced.hash("correct horse battery staple")
    assert FAST.verify(stored, "correct horse battery staple")
    assert niced.verify(stored, "correct horse battery staple")
    with pytest.raises(VerifyMismatchError):  # the worker thread's exception, here
        niced.verify(stored, "wrong")
    assert niced.check_needs_rehash(stored) is False
    assert NicedHasher(PasswordHasher()).check_needs_rehash(stored) is True


def test_a_forked_child_makes_its_own_threads() -> None:
    run_niced(lambda: None)  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports by its exit status
        os._exit(0 if run_niced(lambda: 42) == 42 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
