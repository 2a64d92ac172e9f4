"""Turning a target into files, and the loop that walks them.

Shared by every scanner that reads files (code, document): a local path, a
single file, an upload or an archive, and for code a git URL. Temporary copies
are removed when the scan ends.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dgp.documents.textcodec import SNIFF_BYTES, decode, looks_binary
from dgp.domain.finding import Location
from dgp.domain.job import ScanInputError, ScanInputs, ScanJob, TargetUnavailable
from dgp.domain.options import CodeOptions, FileOptions
from dgp.net import NetPolicy
from dgp.scanners import archives, git
from dgp.scanners.common_rules import ITEM_NOT_SCANNED
from dgp.scanners.files import Skipped, TreeEntry, walk
from dgp.scanners.session import ScanSession


@dataclass
class Target:
    root: Path  # a folder to walk
    only: Path | None = None  # set when the target is one file inside root
    repository: bool = False
    refused: list[tuple[str, str]] = field(default_factory=list)


class Scratch:
    """A temporary folder made on first use: a local folder to scan needs none."""

    def __init__(self) -> None:
        self._path: Path | None = None

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = Path(tempfile.mkdtemp(prefix="dgp-scan-"))
        return self._path

    def remove(self) -> None:
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)


@contextmanager
def open_target(
    job: ScanJob, inputs: ScanInputs, *, allow_git: bool, time_left: float
) -> Iterator[Target]:
    """The target as files on disk; `time_left` bounds a clone by the scan's own limit."""
    work = Scratch()
    try:
        yield _resolve(job, inputs, work, allow_git, time_left)
    finally:
        work.remove()


def _resolve(
    job: ScanJob, inputs: ScanInputs, work: Scratch, allow_git: bool, time_left: float
) -> Target:
    options = job.options
    if not job.target.strip() and inputs.upload is None:
        raise ScanInputError("no target given")
    if inputs.upload is not None:
        return _from_file(inputs.upload, work, job)
    is_url = allow_git and git.is_git_url(job.target)
    if not options.allow_local_sources and (not is_url or job.target.startswith("file:")):
        raise ScanInputError("local paths and file:// URLs are for administrators only")
    if is_url:
        if not isinstance(options, CodeOptions):
            raise ScanInputError(f"a {job.kind} scan does not clone repositories")
        dest = work.path / "repo"
        try:
            git.clone(
                job.target,
                dest,
                branch=options.branch,
                commit=options.commit,
                # incremental scans diff against history; blame needs it to name the
                # commit that wrote a line, not the shallow clone's only commit
                full_history=options.since is not None or options.git_metadata,
                timeout=min(options.clone_timeout_seconds, time_left),
                policy=NetPolicy(allow_private=options.allow_private_hosts),
            )
        except git.GitError as e:
            message = f"cannot clone the repository: {e.reason}"
            if e.unreachable:
                raise TargetUnavailable(message, git.host_of(job.target) or "") from None
            raise ScanInputError(message) from None
        return Target(dest, repository=True)
    path = Path(job.target)
    if path.is_dir():
        return Target(path, repository=git.is_repository(path))
    if path.is_file():
        return _from_file(path, work, job)
    raise ScanInputError(f"{job.target}: no such file or folder")


def _from_file(path: Path, work: Scratch, job: ScanJob) -> Target:
    if archives.is_archive(path):
        try:
            unpacked = archives.unpack(path, work.path / "unpacked", job.options.limits)
        except archives.ArchiveError as e:
            raise ScanInputError(f"archive refused: {e.reason}") from None
        return Target(unpacked.root, refused=unpacked.refused)
    return Target(path.parent, only=path)


FileHandler = Callable[[ScanSession, TreeEntry], None]


def scan_files(
    session: ScanSession,
    target: Target,
    handle: FileHandler,
    *,
    keep: Callable[[str], bool] = lambda relative: True,
    prefix: str = "",
) -> None:
    """Walk the target's files within the limits and hand each to `handle`."""
    for name, reason in target.refused:
        not_scanned(session, prefix + name, reason)
    if target.only is not None:
        entries: list[TreeEntry | Skipped] = [
            TreeEntry(target.only, target.only.name, target.only.stat().st_size)
        ]
    else:
        options = session.options
        include_vendored = isinstance(options, FileOptions) and options.include_vendored
        entries = [
            e for e in walk(target.root, include_vendored=include_vendored) if keep(e.relative)
        ]
    total = max(len(entries), 1)
    limit = session.limits.max_file_bytes
    for done, entry in enumerate(entries):
        session.check_time()
        if isinstance(entry, Skipped):
            not_scanned(session, prefix + entry.relative, entry.reason)
            continue
        if entry.size > limit:
            not_scanned(session, prefix + entry.relative, f"larger than {limit} bytes")
            continue
        session.progress(int(100 * done / total), f"{done}/{total} files")
        session.admit(entry.size)
        handle(session, entry)
        session.item_done()


def scan_text_file(session: ScanSession, path: Path, shown: str) -> str | None:
    """Scan a file as plain text; a binary or unreadable file is skipped (None)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        not_scanned(session, shown, f"cannot read: {e.strerror or type(e).__name__}")
        return None
    if looks_binary(data[:SNIFF_BYTES]):
        session.skip("binary")
        return None
    text = decode(data)
    session.scan_text(text, Location(path=shown))
    return text


def target_depth(job: ScanJob, inputs: ScanInputs) -> int:
    """1 when the target is an archive (open_target unpacked it), so it counts as a level."""
    top = inputs.upload if inputs.upload is not None else Path(job.target)
    return 1 if archives.is_archive(top) and top.is_file() else 0


@contextmanager
def nested_archive(
    session: ScanSession, path: Path, shown: str, depth: int
) -> Iterator[Target | None]:
    """An archive found among the files, unpacked for the time of the `with` (None, and
    a finding that says why, when it is nested too deeply or refused)."""
    if depth >= session.limits.max_archive_depth:
        not_scanned(session, shown, f"archive nested deeper than {depth} levels")
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="dgp-archive-") as tmp:
        try:
            unpacked = archives.unpack(path, Path(tmp) / "x", session.limits)
        except archives.ArchiveError as e:
            not_scanned(session, shown, f"archive refused: {e.reason}")
            yield None
            return
        yield Target(unpacked.root, refused=unpacked.refused)


def not_scanned(session: ScanSession, path: str, reason: str) -> None:
    session.skip(reason)
    session.add(
        ITEM_NOT_SCANNED,
        Location(path=path),
        value=None,
        evidence=reason,
        description=f"Not scanned: {reason}.",
    )
