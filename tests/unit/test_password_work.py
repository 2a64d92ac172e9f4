"""Password hashing runs at idle CPU priority, in processes of its own, and answers as
the hasher would."""

from __future__ import annotations

import os
import threading

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from dgp.plumbing.store import password_work
from dgp.plumbing.store.password_work import IdlePriorityHasher

FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _policy_and_pid() -> tuple[int, int, int]:
    """In a pool process: its policy, its pid, and the policy of a thread it starts (as
    argon2 starts its lanes)."""
    seen: list[int] = []
    lane = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))
    lane.start()
    lane.join()
    return os.sched_getscheduler(0), os.getpid(), seen[0]


def test_the_work_runs_in_other_processes_at_idle_priority() -> None:
    IdlePriorityHasher(FAST)
    policy, pid, lane_policy = password_work._executor().submit(_policy_and_pid).result(60)
    assert pid != os.getpid()
    assert policy == lane_policy == os.SCHED_IDLE
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # ours is untouched


def test_the_hasher_hashes_and_verifies_as_its_hasher() -> None:
    idle = IdlePriorityHasher(FAST)
    stored = idle.hash("correct horse battery staple")
    assert FAST.verify(stored, "correct horse battery staple")
    assert idle.verify(stored, "correct horse battery staple")
    with pytest.raises(VerifyMismatchError):  # the pool process's exception, here
        idle.verify(stored, "wrong")
    assert idle.check_needs_rehash(stored) is False
    assert IdlePriorityHasher().check_needs_rehash(stored) is True  # the defaults: stronger
