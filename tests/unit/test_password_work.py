"""Password hashing runs at idle CPU priority and answers as the hasher would."""

from __future__ import annotations

import os
import threading

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from dgp.plumbing.store.password_work import IdlePriorityHasher, run_idle

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def test_the_work_runs_on_another_thread_at_idle_priority() -> None:
    policy, thread = run_idle(lambda: (os.sched_getscheduler(0), threading.get_ident()))
    assert thread != threading.get_ident()
    assert policy == os.SCHED_IDLE
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the caller's own is untouched


def test_threads_the_work_starts_inherit_the_idle_priority() -> None:
    def started_thread_policy() -> int:
        seen: list[int] = []
        child = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))
        child.start()
        child.join()
        return seen[0]

    assert run_idle(started_thread_policy) == os.SCHED_IDLE  # as argon2's lane threads


def test_the_hasher_hashes_and_verifies_as_its_hasher() -> None:
    idle = IdlePriorityHasher(FAST)
    stored = idle.hash("correct horse battery staple")
    assert FAST.verify(stored, "correct horse battery staple")
    assert idle.verify(stored, "correct horse battery staple")
    with pytest.raises(VerifyMismatchError):  # the worker thread's exception, here
        idle.verify(stored, "wrong")
    assert idle.check_needs_rehash(stored) is False
    assert IdlePriorityHasher(PasswordHasher()).check_needs_rehash(stored) is True


def test_a_forked_child_makes_its_own_threads() -> None:
    run_idle(lambda: None)  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports by its exit status
        os._exit(0 if run_idle(lambda: 42) == 42 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
