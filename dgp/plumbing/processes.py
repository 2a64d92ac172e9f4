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
import signal

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
    wanted = mark.encode() if mark else None
    found = set()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        pid = int(name)
        stat = _stat(pid)
        if stat is None or stat[0] == "Z":
            continue
        if stat[1] == pgid or (wanted is not None and _carries(pid, wanted)):
            found.add(pid)
    return found


def end_group(pgid: int, mark: str | None = None) -> set[int]:
    """SIGKILL every process of group `pgid` and every process that carries `mark`;
    their pids. Each is stopped first and the search repeated until no new one
    appears, so none can start another between the search and the kill.

    Call it before the group's leader is reaped: until then its pid, which is the
    group's id, cannot be given to another process.
    """
    if pgid <= 1 or pgid == os.getpgrp():
        raise ValueError(f"refusing to end process group {pgid}")
    stopped: set[int] = set()
    while found := members(pgid, mark) - stopped:
        for pid in found:
            _signal(pid, signal.SIGSTOP)
        stopped |= found
    for pid in stopped:
        _signal(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)  # one that joined while we looked
    return stopped


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signum)
