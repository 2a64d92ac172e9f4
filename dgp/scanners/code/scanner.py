"""Code scanner (SPEC 3.1): PII literals, secrets and privacy anti-patterns in source."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dgp.domain.evidence import ValueHasher
from dgp.domain.finding import Finding, Location
from dgp.domain.job import ScanInputError, ScanInputs, ScanJob, ScanResult
from dgp.domain.options import CodeOptions, ScanOptions
from dgp.domain.text import printable_name
from dgp.net import redact_text
from dgp.scanners import archives, git
from dgp.scanners.code.fileclass import CreditsLedger, Policy, classify
from dgp.scanners.code.rules import CODE_PATTERNS, TRACKING_REGEX, is_manifest
from dgp.scanners.files import TreeEntry
from dgp.scanners.parallel import BATCH_FILES, BatchWork, FilePool, Outcome, available_cpus
from dgp.scanners.session import Hit, ScanSession, StopScan, detector_for, find_hits_in
from dgp.scanners.session import warm_up as session_warm_up
from dgp.scanners.tree import (
    Target,
    open_target,
    read_text_file,
    scan_archive,
    scan_files,
    skip_unread,
    target_depth,
)

EXTRA_PATTERNS = CODE_PATTERNS  # the detector's patterns beyond the engine's own
MAX_BLAMED_FINDINGS = 1000  # git blame is one process per line: bounded


def warm_up() -> None:
    session_warm_up(EXTRA_PATTERNS)


def scan(job: ScanJob, inputs: ScanInputs) -> ScanResult:
    options = _code_options(job.options)
    job = replace(job, options=options)
    session = ScanSession(
        job, inputs.hasher(), inputs.progress, extra_patterns=EXTRA_PATTERNS, pages=inputs.pages
    )
    # the clone needs them; reports do not
    session.scan.target = printable_name(redact_text(job.target))
    jobs = options.jobs or available_cpus()
    with (
        open_target(job, inputs, allow_git=True, time_left=session.remaining_seconds()) as target,
        FilePool(jobs, options.min_confidence, __name__, ready=lambda: session.detector) as pool,
    ):
        keep = _changed_filter(options.since, target)
        if options.git_metadata and target.repository:
            session.annotate = _git_metadata(target)
        credits = CreditsLedger()
        with suppress(StopScan):  # a limit was reached: keep what was found
            _scan_target(session, target, "", target_depth(job, inputs), credits, keep, pool)
        session.report(credits.hits())
        return session.finish()  # the last findings are annotated while the clone is there


def _code_options(options: ScanOptions) -> CodeOptions:
    """A job built by hand may carry the common options only: the code defaults apply."""
    return CodeOptions.of_job(options)


def _changed_filter(since: str | None, target: Target) -> Callable[[str], bool]:
    if since is None:
        return lambda relative: True
    if not target.repository:
        raise ScanInputError("--since needs a git repository")
    try:
        changed = git.changed_files(target.root, since)
    except git.GitError as e:
        raise ScanInputError(f"cannot list changes since {since}: {e.reason}") from None
    return changed.__contains__


def _scan_target(
    session: ScanSession,
    target: Target,
    prefix: str,
    depth: int,
    credits: CreditsLedger,
    keep: Callable[[str], bool] = lambda relative: True,
    pool: FilePool | None = None,
) -> None:
    """Scan a tree's files in order; with a pool, the next files are read and searched in
    worker processes meanwhile (archives inside are unpacked and scanned here)."""
    min_confidence = session.options.min_confidence

    def work(entry: TreeEntry) -> tuple[Any, ...]:
        shown = prefix + entry.relative
        return (READ_FILE, entry.path, shown, min_confidence, session.hasher, session.deadline)

    def ahead(entry: TreeEntry) -> None:
        if pool is not None and not archives.is_archive(entry.path):
            pool.submit(entry.path, entry.size, *work(entry))

    def handle(session: ScanSession, entry: TreeEntry) -> None:
        shown = prefix + entry.relative
        if archives.is_archive(entry.path):  # a fixture or a release in the tree: read it too

            def inner(target: Target, prefix: str, depth: int) -> None:
                _scan_target(session, target, prefix, depth, credits)

            scan_archive(session, entry.path, shown, depth, inner)
            return
        outcome = pool.result(entry.path, *work(entry)) if pool else read_file(*work(entry)[1:])
        _report(session, shown, outcome, credits)

    window = 0 if pool is None else pool.window if pool.jobs > 1 else BATCH_FILES
    scan_files(session, target, handle, keep=keep, prefix=prefix, ahead=ahead, window=window)


@dataclass(frozen=True)
class FileOutcome:
    """What reading one file gave: its hits, or why it has none."""

    hits: tuple[Hit, ...] = ()
    problem: str | None = None  # "binary", "cannot read: ..."
    out_of_time: bool = False


class _OutOfTime(Exception):
    pass


def read_file(
    path: Path, shown: str, min_confidence: float, hasher: ValueHasher, deadline: float
) -> FileOutcome:
    """Read one file and find its hits: the same work in a worker process or here."""
    ((outcome, error),) = read_files([(path, shown, min_confidence, hasher, deadline)])
    if error is not None:
        raise error
    return outcome


def read_files(calls: list[tuple[Path, str, float, ValueHasher, float]]) -> list[Outcome]:
    """`read_file` of each file (a pool's batch), their texts detected together. A file
    that fails alone fails alone: if the batch fails, each file is read again by itself."""
    try:
        return [(outcome, None) for outcome in _read_files(calls)]
    except Exception as e:
        if len(calls) == 1:
            return [(None, e)]
        return [read_files([call])[0] for call in calls]


def _read_files(calls: list[tuple[Path, str, float, ValueHasher, float]]) -> list[FileOutcome]:
    _, _, min_confidence, hasher, deadline = calls[0]  # one scan's: the same for all
    read = [read_text_file(path) for path, *_ in calls]
    texts = [
        (text, Location(path=shown))
        for (text, _), (_, shown, *_) in zip(read, calls, strict=True)
        if text is not None
    ]

    def check_time() -> None:
        if time.monotonic() > deadline:
            raise _OutOfTime

    detector = detector_for(min_confidence, EXTRA_PATTERNS)
    try:
        found = iter(find_hits_in(detector, hasher, texts, check_time=check_time))
    except _OutOfTime:
        return [FileOutcome(problem=p, out_of_time=t is not None) for t, p in read]
    outcomes = []
    for (path, shown, *_), (text, problem) in zip(calls, read, strict=True):
        if text is None:
            outcomes.append(FileOutcome(problem=problem))
            continue
        hits = next(found)
        if is_manifest(path.name):
            hits += _tracking_sdks(shown, text, hasher)
        # every file is scanned; its class decides which hits fit it (see fileclass.py)
        policy = Policy(classify(shown, text))
        outcomes.append(FileOutcome(tuple(policy.apply(hits, text, shown))))
    return outcomes


READ_FILE = BatchWork(read_file, read_files)


def _report(session: ScanSession, shown: str, outcome: FileOutcome, credits: CreditsLedger) -> None:
    if outcome.out_of_time:
        session.time_up()
    if outcome.problem is not None:
        skip_unread(session, shown, outcome.problem)
    else:
        session.report(credits.take(outcome.hits))


def _tracking_sdks(shown: str, text: str, hasher: ValueHasher) -> list[Hit]:
    hits = []
    for m in TRACKING_REGEX.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        name = m.group(1)
        where = Location(path=shown, line=line, column=column, end_column=column + len(name))
        description = f"The dependency {name} is a tracking or analytics library."
        rule_id = "code.tracking_sdk"
        hits.append(Hit(rule_id, where, hasher(name, rule_id), name, 0.9, description))
    return hits


def _git_metadata(target: Target) -> Callable[[Finding], None]:
    """Adds commit and author to each of the scan's first MAX_BLAMED_FINDINGS findings, as
    they are reported."""
    blamed = 0

    def annotate(finding: Finding) -> None:
        nonlocal blamed
        loc = finding.location
        if blamed >= MAX_BLAMED_FINDINGS:
            return
        blamed += 1
        if loc.path and loc.line:
            with suppress(git.GitError):
                finding.extra.update(git.blame_line(target.root, loc.path, loc.line))

    return annotate
