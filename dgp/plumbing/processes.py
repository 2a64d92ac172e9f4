"""Child processes that die with their parent, and process groups that end whole.

A consumer (dgp.apps.scanner.consumer) and an isolated scan (dgp.plumbing.isolation)
are children that must never outlive the process that started them: a leftover
consumer would share its stable consumer name with the next one, a leftover scan
would keep parsing for nobody. `end_group` ends a scan together with everything it
started: its process group, and the processes that left the group (setsid, as
browsers launched by Playwright do) but still carry the job's mark in their
environment.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import time

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """In a child: be killed (SIGKILL) when the parent thread that started it ends, and
    exit at once if the parent already has (it died before prctl ran)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def running(pid: int) -> bool:
    """pid exists and is not a zombie."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, process group) from /proc/PID/stat, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()  # the name, in (), may hold spaces
    except (OSError, IndexError):
        return None
    try:
        return fields[0].decode(), int(fields[3])
    except (IndexError, ValueError):
        return None


def _carries(pid: int, mark: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return mark in f.read().split(b"\0")
    except OSError:  # gone, or another user's
        return False


def members(pgid: int, mark: str | None = None) -> set[int]:
    """The live processes of group `pgid`, and those whose environment holds `mark`
    ("NAME=value")."""
    found = set()
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid() and _member(int(name), pgid, mark):
            found.add(int(name))
    return found


def _member(pid: int, pgid: int, mark: str | None) -> bool:
    stat = _stat(pid)
    if stat is None or stat[0] == "Z":
        return False
    return stat[1] == pgid or (mark is not None and _carries(pid, mark.encode()))


def end_group(pgid: int, mark: str | None = None, wait: float = 5.0) -> set[int]:
    """SIGKILL every process of group `pgid` and every process that carries `mark`, and
    wait (at most `wait` seconds) until they are gone; their pids.

    Each is held by a pidfd (so a pid given to another process meanwhile is never
    signalled) and stopped first, and the search repeated until no new one appears,
    so none can start another between the search and the kill. Call it before the
    group's leader is reaped: until then its pid, the group's id, stays taken.
    """
    if pgid <= 1 or pgid == os.getpgrp():
        raise ValueError(f"refusing to end process group {pgid}")
    held: dict[int, int] = {}  # pid -> pidfd
    try:
        while found := members(pgid, mark) - held.keys():
            for pid in found:
                handle = _hold(pid, pgid, mark)
                held[pid] = handle
                if handle >= 0:
                    _signal(handle, signal.SIGSTOP)
        for handle in held.values():
            _signal(handle, signal.SIGKILL)
        _wait_gone([h for h in held.values() if h >= 0], wait)
    finally:
        for handle in held.values():
            if handle >= 0:
                os.close(handle)
    return {pid for pid, handle in held.items() if handle >= 0}


def _hold(pid: int, pgid: int, mark: str | None) -> int:
    """A pidfd of `pid` if it is (still) one of the processes to end, else -1."""
    try:
        handle = os.pidfd_open(pid)
    except OSError:  # gone
        return -1
    if _member(pid, pgid, mark):  # the same process the search found, not a reused pid
        return handle
    os.close(handle)
    return -1


def _signal(handle: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        signal.pidfd_send_signal(handle, signum)


def _wait_gone(handles: list[int], seconds: float) -> None:
    """Until every process of `handles` (pidfds) has ended, or `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while handles and (left := deadline - time.monotonic()) > 0:
        ended, _, _ = select.select(handles, [], [], left)
        handles = [h for h in handles if h not in ended]
