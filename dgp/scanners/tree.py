"""Turning a target into files, and the loop that walks them.

Shared by every scanner that reads files (code, document): a local path, a
single file, an upload or an archive, and for code a git URL. Temporary copies
live in the scan's private workspace and are removed when the scan ends.
"""

from __future__ import annotations

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
from dgp.scanners.workspace import Workspace


@dataclass
class Target:
    root: Path  # a folder to walk
    only: Path | None = None  # set when the target is one file inside root
    repository: bool = False
    refused: list[tuple[str, str]] = field(default_factory=list)


@contextmanager
def open_target(
    job: ScanJob, inputs: ScanInputs, *, allow_git: bool, time_left: float
) -> Iterator[Target]:
    """The target as files on disk; `time_left` bounds a clone by the scan's own limit.

    Clones and unpacked archives go into the scan's private workspace, as does every
    other temporary file made while the target is open."""
    with Workspace() as work:
        yield _resolve(job, inputs, work, allow_git, time_left)


def _resolve(
    job: ScanJob, inputs: ScanInputs, work: Workspace, allow_git: bool, time_left: float
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


def _from_file(path: Path, work: Workspace, job: ScanJob) -> Target:
    if archives.is_archive(path):
        try:
            unpacked = archives.unpack(path, work.path / "unpacked", job.options.limits)
        except archives.ArchiveError as e:
            raise ScanInputError(f"archive refused: {e.reason}") from None
        return Target(unpacked.root, refused=unpacked.refused)
    return Target(path.parent, only=path)


BINARY = "binary"
FileHandler = Callable[[ScanSession, TreeEntry], None]
# scans an unpacked archive: (its files, the prefix of their shown names, the nesting depth)
InnerScan = Callable[[Target, str, int], None]


def target_depth(job: ScanJob, inputs: ScanInputs) -> int:
    """1 when the target is an archive (open_target unpacked it), so it counts as a level."""
    top = inputs.upload if inputs.upload is not None else Path(job.target)
    return 1 if archives.is_archive(top) and top.is_file() else 0


def scan_archive(
    session: ScanSession, path: Path, shown: str, depth: int, scan_inner: InnerScan
) -> None:
    """An archive found inside the target: unpacked into the scan's workspace and its files
    scanned as `shown!/name`, down to the depth limit; refused ones are reported why."""
    if depth >= session.limits.max_archive_depth:
        not_scanned(session, shown, f"archive nested deeper than {depth} levels")
        return
    with tempfile.TemporaryDirectory(prefix="dgp-archive-") as tmp:  # in the workspace
        try:
            unpacked = archives.unpack(path, Path(tmp) / "x", session.limits)
        except archives.ArchiveError as e:
            not_scanned(session, shown, f"archive refused: {e.reason}")
            return
        scan_inner(Target(unpacked.root, refused=unpacked.refused), f"{shown}!/", depth + 1)


def scan_files(
    session: ScanSession,
    target: Target,
    handle: FileHandler,
    *,
    keep: Callable[[str], bool] = lambda relative: True,
    prefix: str = "",
    ahead: Callable[[TreeEntry], None] | None = None,
    window: int = 0,
) -> None:
    """Walk the target's files within the limits and hand each to `handle`, in order.

    With `ahead`, each of the next `window` files that will be handed over (not
    skipped, not too large) is first shown to `ahead`, so that work on it can start
    elsewhere (a worker process) while earlier files are handled.
    """
    refused: list[TreeEntry | Skipped] = [Skipped(name, why) for name, why in target.refused]
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
    # In the order of their names as shown, refused archive members among them: the order
    # of the report, so a streamed scan hands on each item's findings complete and in order.
    entries = sorted(refused + entries, key=lambda e: e.relative)
    total = max(len(entries), 1)
    limit = session.limits.max_file_bytes
    announced = 0
    for done, entry in enumerate(entries):
        if ahead is not None:
            for upcoming in entries[announced : done + window + 1]:
                if isinstance(upcoming, TreeEntry) and upcoming.size <= limit:
                    ahead(upcoming)
            announced = max(announced, done + window + 1)
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


def read_text_file(path: Path) -> tuple[str | None, str | None]:
    """(text, None), or (None, why not): "binary", or "cannot read: <reason>"."""
    try:
        data = path.read_bytes()
    except OSError as e:
        return None, f"cannot read: {e.strerror or type(e).__name__}"
    if looks_binary(data[:SNIFF_BYTES]):
        return None, BINARY
    return decode(data), None


def skip_unread(session: ScanSession, shown: str, problem: str) -> None:
    """A file `read_text_file` gave no text for: binary files are skipped silently,
    unreadable ones are reported."""
    if problem == BINARY:
        session.skip(BINARY)
    else:
        not_scanned(session, shown, problem)


def scan_text_file(session: ScanSession, path: Path, shown: str) -> str | None:
    """Scan a file as plain text; a binary or unreadable file is skipped (None)."""
    text, problem = read_text_file(path)
    if text is None:
        skip_unread(session, shown, problem or BINARY)
        return None
    session.scan_text(text, Location(path=shown))
    return text


def not_scanned(session: ScanSession, path: str, reason: str) -> None:
    session.skip(reason)
    session.add(
        ITEM_NOT_SCANNED,
        Location(path=path),
        value=None,
        evidence=reason,
        description=f"Not scanned: {reason}.",
    )
