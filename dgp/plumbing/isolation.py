"""Run one scan in a child process of its own, with a hard time and memory limit.

Why: a hung parser (a PDF that loops, a page that never loads, a model file that
unpacks forever) must fail its job with the reason, not hold the consumer until
systemd's watchdog restarts the whole unit; an input that eats memory must fail
that job, not the consumer and every job it holds.

How:
- fork+exec of `python -m dgp.plumbing.isolation`: a fresh interpreter inherits no
  lock, connection or thread of the consumer. It imports the kind's implementation
  module by name; the consumer never does, so its own memory stays small.
- The child leads a process group of its own. The parent enforces a wall-clock
  deadline (the job's timeout_seconds, plus a grace in which the scan stops itself
  and returns what it found) and then ends the whole group, and with it the
  processes the scan started (tesseract, chromium), also those that left the group
  (setsid) but carry the job's mark in their environment (dgp.plumbing.processes).
  What a finished scan leaves running is ended the same way.
- Before the scan, the child sets RLIMIT_DATA to the job's max_memory_bytes. Not
  RLIMIT_AS: browsers and JIT runtimes reserve far more address space than they
  use, while RLIMIT_DATA counts only private writable memory (heap, anonymous
  mappings), what a runaway parse grows. RLIMIT_CPU is a backstop (the deadline
  times the CPUs, so never stricter than the deadline) for a child whose parent
  cannot stop it; PR_SET_PDEATHSIG ends it with a dead parent. RLIMIT_CORE is 0:
  a core dump would hold scanned data.
- The job goes in over stdin as JSON (the hash key too: never in argv or the
  environment, which /proc shows to the user's other processes). The result
  comes back over a pipe of its own as JSON lines: progress reports (forwarded
  to the worker's progress callback, which feeds the watchdog and the store),
  one line per finding and per artefact, then the scan. JSON, not pickle: the
  child has parsed hostile input and may be under its control, and unpickling
  what it sends would give it code execution in the consumer. Every line is
  bounded and every value goes through the domain's from_dict.
- A failure has one reason for the user: the scan's own error (sent as its type
  and, for the errors whose text is meant for the user, its message), or
  ScanStopped when the child ran out of time or memory, or died.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import math
import os
import resource
import secrets
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dgp.domain.credential import Credential, CredentialKind, Secret
from dgp.domain.finding import Finding
from dgp.domain.job import (
    MAX_ARTEFACT_BYTES,
    Artefact,
    Progress,
    ScanInputError,
    ScanInputs,
    ScanJob,
    ScanResult,
    TargetUnavailable,
)
from dgp.domain.options import MiB, ScanOptions
from dgp.domain.scan import Scan
from dgp.plumbing.processes import die_with_parent, end_group

if TYPE_CHECKING:
    from dgp.kinds import KindSpec

log = logging.getLogger("dgp.plumbing.isolation")  # also when run as __main__

MARK = "DGP_ISOLATED_JOB"  # NAME=<token> in the environment of every process of a job
EXIT_RAISED = 3  # the scan raised; the error was sent
EXIT_OUT_OF_MEMORY = 4  # MemoryError: the memory limit was reached
GRACE_SECONDS = (2.0, 60.0)  # the hard deadline's grace: 10 % of the time limit, within these
BEAT_SECONDS = 1.0  # the parent feeds the watchdog this often while it waits
PROGRESS_SECONDS = 0.1  # the child reports progress at most this often
MAX_MESSAGE = 200  # characters of a progress message
# One line: an artefact in base64, and some room. In all: a bound on what a child can
# make the consumer hold (findings are a few hundred bytes each).
MAX_LINE = MAX_ARTEFACT_BYTES * 4 // 3 + MiB
MAX_RECEIVED = 1024 * MiB


class ScanStopped(Exception):
    """The child running a scan ran out of time or memory, or died: str() is the reason
    shown to the user, `why` the log's, and `crashed` says it points at a scanner bug."""

    def __init__(self, reason: str, why: str, crashed: bool = False) -> None:
        super().__init__(reason)
        self.why = why
        self.crashed = crashed


class ScannerRaised(Exception):
    """The scan raised an exception of type `name` in its child process. Its message is
    not passed on: a library's message may quote the input."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _Malformed(Exception):
    """The child sent something that is not the protocol."""


class _Late(Exception):
    """The child still ran at its deadline."""


def hard_deadline(timeout_seconds: float) -> float:
    """Seconds after which the child is ended: the scan's own time limit (it stops
    itself then and returns what it found) plus a grace to do so."""
    low, high = GRACE_SECONDS
    return timeout_seconds + min(max(0.1 * timeout_seconds, low), high)


class IsolatedScan:
    """A scan function (job, inputs) -> ScanResult that runs each job in a child process.

    `implementation` is the module that defines scan(job, inputs); `options` the kind's
    options type; `beat` is called while the parent waits (the unit's watchdog: the
    parent is not hung, it enforces the deadline)."""

    def __init__(
        self,
        implementation: str,
        options: type[ScanOptions] = ScanOptions,
        *,
        beat: Callable[[], None] | None = None,
    ) -> None:
        self.implementation = implementation
        self.options = options
        self.beat = beat or (lambda: None)

    @classmethod
    def of(cls, spec: KindSpec, beat: Callable[[], None] | None = None) -> IsolatedScan:
        return cls(spec.implementation_module, spec.options, beat=beat)

    def __call__(self, job: ScanJob, inputs: ScanInputs) -> ScanResult:
        limits = job.options.limits
        seconds = hard_deadline(limits.timeout_seconds)
        request = {
            "implementation": self.implementation,
            "options": f"{self.options.__module__}:{self.options.__qualname__}",
            "job": job.to_dict(),
            "hash_key": inputs.hash_key.hex(),
            "upload": str(inputs.upload) if inputs.upload is not None else None,
            # over the child's stdin pipe only (never argv or the environment)
            "credential": _credential_out(inputs.credential),
            "scans": [scan.to_dict() for scan in inputs.scans],
            "memory_bytes": limits.max_memory_bytes,
            "cpu_seconds": math.ceil(seconds * (os.cpu_count() or 1)),
        }
        child = _Child.start(f"{MARK}={secrets.token_hex(12)}")
        try:
            return child.run(request, time.monotonic() + seconds, inputs.progress, self.beat)
        except _Malformed:
            raise ScanStopped(
                "the scanner's process sent a malformed result and was stopped",
                "malformed result from the scanner",
                crashed=True,
            ) from None
        except _Late:
            raise ScanStopped(
                f"the scan exceeded its time limit of {limits.timeout_seconds:g} s and was stopped",
                "time limit",
            ) from None
        finally:
            child.close()
            if child.left:
                log.info("ended %d processes the scan left running", child.left)


class _Child:
    """One child process, its result pipe and what it has sent."""

    def __init__(self, process: subprocess.Popen[bytes], pipe: int, mark: str) -> None:
        self.process = process
        self.pipe = pipe
        self.mark = mark
        self.left = 0  # processes ended besides the child (grandchildren)
        self._buffer = b""
        self._received = 0
        self._ended = False
        self.findings: list[Finding] = []
        self.artefacts: list[Artefact] = []
        self.scan: Scan | None = None
        self.error: dict[str, Any] | None = None

    @classmethod
    def start(cls, mark: str) -> _Child:
        read_end, write_end = os.pipe()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("DGP_")}
        environment[mark.partition("=")[0]] = mark.partition("=")[2]
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(write_end), str(os.getpid())],
                stdin=subprocess.PIPE,
                pass_fds=(write_end,),
                process_group=0,
                env=environment,
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        return cls(process, read_end, mark)

    def run(
        self,
        request: dict[str, Any],
        deadline: float,
        progress: Progress | None,
        beat: Callable[[], None],
    ) -> ScanResult:
        """Send the job, relay progress until the child exits (_Late past the deadline),
        and return its result or raise its failure."""
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # it died at once: its status says why
            self.process.stdin.write(json.dumps(request).encode())
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.close()
        exited = os.pidfd_open(self.process.pid)
        try:
            watched = [self.pipe, exited]
            while exited in watched:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _Late
                ready, _, _ = select.select(watched, [], [], min(left, BEAT_SECONDS))
                beat()
                if self.pipe in ready and not self._read(progress):
                    watched.remove(self.pipe)  # closed; wait for the exit
                if exited in ready:
                    watched.remove(exited)
        finally:
            os.close(exited)
        self.end()  # what it left running; the pipe has no writer after that
        os.set_blocking(self.pipe, False)
        while self._read(progress):
            pass
        return self._outcome(self.process.wait(), request["memory_bytes"])

    def _read(self, progress: Progress | None) -> bool:
        """Take what the pipe holds; False at its end (or when nothing is left to read
        from a non-blocking pipe)."""
        try:
            chunk = os.read(self.pipe, 1 << 16)
        except BlockingIOError:
            return False
        if not chunk:
            return False
        self._received += len(chunk)
        if self._received > MAX_RECEIVED:
            raise _Malformed
        *lines, self._buffer = (self._buffer + chunk).split(b"\n")
        if len(self._buffer) > MAX_LINE:
            raise _Malformed
        for line in lines:
            self._take(line, progress)
        return True

    def _take(self, line: bytes, progress: Progress | None) -> None:
        try:
            message = json.loads(line)
            if not isinstance(message, dict) or len(message) != 1:
                raise _Malformed
            ((what, value),) = message.items()
            if what == "progress":
                percent, text = value
                if progress is not None:
                    progress(max(0, min(100, int(percent))), str(text)[:MAX_MESSAGE])
            elif what == "finding":
                self.findings.append(Finding.from_dict(value))
            elif what == "artefact":
                self.artefacts.append(Artefact.from_dict(value))
            elif what == "scan":
                self.scan = Scan.from_dict(value)
            elif what == "error" and isinstance(value, dict):
                self.error = value
            else:
                raise _Malformed
        except (ValueError, TypeError, KeyError, AttributeError):  # JSON, types, fields
            raise _Malformed from None

    def _outcome(self, status: int, memory_bytes: int) -> ScanResult:
        memory = f"{memory_bytes / MiB:g} MiB"
        if status == 0 and self.scan is not None:
            return ScanResult(self.scan, self.findings, self.artefacts)
        if status == EXIT_RAISED and self.error is not None:
            raise _rebuilt(self.error)
        if status == EXIT_OUT_OF_MEMORY:
            raise ScanStopped(
                f"the scan ran out of its memory limit of {memory} and was stopped",
                "memory limit",
            )
        if status == -signal.SIGXCPU:
            raise ScanStopped(
                "the scan used up its CPU time limit and was stopped", "CPU time limit"
            )
        if status == -signal.SIGKILL:
            raise ScanStopped(
                "the scan's process was killed (SIGKILL; the host or the scanner may have "
                f"run out of memory, its own limit was {memory})",
                "killed",
            )
        if status < 0:
            name = signal.Signals(-status).name if -status in signal.valid_signals() else "?"
            raise ScanStopped(
                f"the scanner crashed ({name}); the input may be malformed",
                f"{name} in the scanner",
                crashed=True,
            )
        raise ScanStopped(
            f"the scanner's process ended (status {status}) without a result",
            f"exit status {status} in the scanner",
            crashed=True,
        )

    def end(self) -> None:
        """End the child's process group and the processes with its mark, then reap it;
        once only."""
        if self._ended:
            return
        self._ended = True
        ended = end_group(self.process.pid, self.mark)  # before the reap: the id stays ours
        self.process.wait()
        self.left = len(ended - {self.process.pid})

    def close(self) -> None:
        self.end()
        os.close(self.pipe)


def _rebuilt(error: dict[str, Any]) -> Exception:
    """The parent's copy of an error the scan raised in its child."""
    what = error.get("type")
    message = str(error.get("message", ""))
    if what == "TargetUnavailable":
        return TargetUnavailable(message, str(error.get("host", "")))
    if what == "ScanInputError":
        return ScanInputError(message)
    if what == "ValueError":
        return ValueError(message)
    name = str(error.get("name", ""))
    return ScannerRaised(name if name.isidentifier() and len(name) <= 80 else "Exception")


# -- the child ------------------------------------------------------------------------


def _described(error: BaseException) -> dict[str, Any]:
    """What the parent learns of an error: its type, and the message of the errors the
    worker shows as they are (the same ones as when the scan runs in the consumer)."""
    if isinstance(error, TargetUnavailable):
        return {"type": "TargetUnavailable", "message": str(error), "host": error.host}
    if isinstance(error, ScanInputError):
        return {"type": "ScanInputError", "message": str(error)}
    if isinstance(error, ValueError):
        return {"type": "ValueError", "message": str(error)}
    return {"type": "other", "name": type(error).__name__}


class _Channel:
    """The child's end of the result pipe: one JSON object per line."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._reported = -PROGRESS_SECONDS

    def send(self, what: str, value: object) -> None:
        data = memoryview(json.dumps({what: value}, separators=(",", ":")).encode() + b"\n")
        while data:
            data = data[os.write(self.fd, data) :]

    def progress(self, percent: int, message: str) -> None:
        now = time.monotonic()
        if now - self._reported >= PROGRESS_SECONDS:
            self._reported = now
            self.send("progress", [percent, message])

    def result(self, result: ScanResult) -> None:
        for finding in result.findings:
            self.send("finding", finding.to_dict())
        for artefact in result.artefacts:
            self.send("artefact", artefact.to_dict())
        self.send("scan", result.scan.to_dict())


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    """Hard limits for this process and what it starts (never above the ones it has)."""
    for which, soft, hard in (
        (resource.RLIMIT_DATA, memory_bytes, memory_bytes),
        (resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 5),  # SIGXCPU, then SIGKILL
        (resource.RLIMIT_CORE, 0, 0),
    ):
        _, ceiling = resource.getrlimit(which)
        if ceiling != resource.RLIM_INFINITY:
            soft, hard = min(soft, ceiling), min(hard, ceiling)
        resource.setrlimit(which, (soft, hard))


def _named(name: str) -> Any:
    """The object `module:qualname` names (the kind's options type)."""
    module, _, qualname = name.partition(":")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def _scan(request: dict[str, Any], channel: _Channel) -> ScanResult:
    implementation = importlib.import_module(request["implementation"])
    job = ScanJob.from_dict(request["job"], _named(request["options"]))
    upload = request.get("upload")
    inputs = ScanInputs(
        bytes.fromhex(request["hash_key"]),
        channel.progress,
        Path(upload) if upload else None,
        credential=_credential_in(request.get("credential")),
        scans=tuple(Scan.from_dict(scan) for scan in request.get("scans") or ()),
    )
    return implementation.scan(job, inputs)  # type: ignore[no-any-return]


def _credential_out(credential: Credential | None) -> dict[str, str] | None:
    if credential is None:
        return None
    return {
        "id": credential.id,
        "name": credential.name,
        "kind": credential.kind.value,
        "secret": credential.secret.reveal(),
    }


def _credential_in(data: dict[str, str] | None) -> Credential | None:
    if data is None:
        return None
    kind = CredentialKind.parse(data["kind"])
    return Credential(data["id"], data["name"], kind, Secret(data["secret"]))


def _exit(status: int) -> None:
    """Leave at once: no atexit handler or thread the scan left may hold the exit up."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def _child_main(pipe: int, parent: int) -> None:
    die_with_parent(parent)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    channel = _Channel(pipe)
    try:
        request = json.loads(sys.stdin.buffer.read())
        _limit(int(request["memory_bytes"]), int(request["cpu_seconds"]))
        channel.result(_scan(request, channel))
    except MemoryError:
        _exit(EXIT_OUT_OF_MEMORY)
    except BaseException as error:  # whatever it was, the parent learns its type
        try:
            channel.send("error", _described(error))
        except MemoryError:
            _exit(EXIT_OUT_OF_MEMORY)
        except OSError:  # the parent is gone
            pass
        _exit(EXIT_RAISED)
    _exit(0)


if __name__ == "__main__":
    _child_main(int(sys.argv[1]), int(sys.argv[2]))
