"""A kind that misbehaves on request, run isolated: for the tests only, never shipped.

Its target says what the scan does:
    hang FILE        start three helper processes (one in a session of its own, as a
                     browser launched by Playwright is, one forked with the result pipe
                     open), write the pids to FILE, and hang
    allocate         allocate memory until there is none
    leave FILE       start the same helpers, write their pids to FILE, and return a
                     result while they still run
    crash            dereference a null pointer (SIGSEGV)
    raise            raise an exception whose message quotes the input
    refuse           raise a ScanInputError (shown to the user as it is)
    unreachable      raise TargetUnavailable for host toy.invalid:1
    garble           write what is not the protocol (a pickle) to the result pipe, and hang
    expose FILE      write its own command line and environment to FILE, then scan ""
    anything else    scan the text like the toy kind (tests/toykind.py)
"""

from __future__ import annotations

import ctypes
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

from dgp.domain.job import ScanInputError, ScanInputs, ScanJob, ScanResult, TargetUnavailable
from dgp.domain.options import Limits, MiB
from dgp.kinds import Input, KindSpec
from tests import toykind

SLEEPER = [sys.executable, "-c", "import time; time.sleep(3600)"]


def start_helpers(record: str) -> None:
    """Three processes that would outlive the scan; their pids (and the scan's own, and
    its process group) go to `record`."""
    grouped = subprocess.Popen(SLEEPER)
    escaped = subprocess.Popen(SLEEPER, start_new_session=True)
    forked = os.fork()
    if forked == 0:  # keeps every descriptor of the scan, the result pipe too
        time.sleep(3600)
        os._exit(0)
    helpers = [grouped.pid, escaped.pid, forked]
    pids = {"scan": os.getpid(), "group": os.getpgrp(), "helpers": helpers}
    Path(record).write_text(json.dumps(pids))


def scan(job: ScanJob, inputs: ScanInputs) -> ScanResult:
    command, _, argument = job.target.partition(" ")
    if command == "hang":
        start_helpers(argument)
        if inputs.progress is not None:
            inputs.progress(5, "hanging")
        while True:
            time.sleep(3600)
    if command == "allocate":
        hoard = []
        while True:
            hoard.append(bytearray(16 * MiB))
    if command == "leave":
        start_helpers(argument)
        return toykind.scan(job, inputs)
    if command == "crash":
        ctypes.string_at(0)
    if command == "raise":
        raise KeyError(f"no such field in {job.target!r}")
    if command == "refuse":
        raise ScanInputError("the misbehaving kind refuses this target")
    if command == "unreachable":
        raise TargetUnavailable("toy.invalid:1 did not answer", "toy.invalid:1")
    if command == "garble":  # a child an input took over; the runner's argv names the pipe
        os.write(int(sys.argv[1]), pickle.dumps(ScanInputs(b"x")) + b"\n")
        while True:
            time.sleep(3600)
    if command == "expose":
        seen = {"argv": sys.argv, "environ": dict(os.environ)}
        if inputs.credential is not None:  # what the child was handed, for the test to see
            seen["credential"] = [inputs.credential.name, inputs.credential.kind.value]
            seen["secret_length"] = len(inputs.credential.secret)
        seen["scans"] = [scan.id for scan in inputs.scans]
        Path(argument).write_text(json.dumps(seen))
    return toykind.scan(job, inputs)


SPEC = KindSpec(
    name="misbehaving",
    summary="misbehaves as its target says, in a child process (tests only)",
    port=5998,
    implementation_module=__name__,
    inputs=frozenset({Input.TARGET}),
    limits=Limits(timeout_seconds=60.0, max_memory_bytes=256 * MiB),
    endpoint=lambda target: "toy.invalid:1" if target == "unreachable" else None,
    isolated=True,
)
