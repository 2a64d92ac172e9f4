"""Code scanner (SPEC 3.1): PII literals, secrets and privacy anti-patterns in source."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import fields, replace

from dgp.domain.finding import Location
from dgp.domain.job import ScanInputError, ScanInputs, ScanJob, ScanResult
from dgp.domain.options import CodeOptions, ScanOptions
from dgp.domain.text import printable_name
from dgp.net import redact_text
from dgp.scanners import archives, git
from dgp.scanners.code.rules import CODE_PATTERNS, TRACKING_REGEX, is_manifest
from dgp.scanners.files import TreeEntry
from dgp.scanners.session import ScanSession, StopScan
from dgp.scanners.session import warm_up as session_warm_up
from dgp.scanners.tree import (
    Target,
    open_target,
    scan_archive,
    scan_files,
    scan_text_file,
    target_depth,
)

EXTRA_PATTERNS = CODE_PATTERNS  # the detector's patterns beyond the engine's own
MAX_BLAMED_FINDINGS = 1000  # git blame is one process per line: bounded


def warm_up() -> None:
    session_warm_up(EXTRA_PATTERNS)


def scan(job: ScanJob, inputs: ScanInputs) -> ScanResult:
    options = _code_options(job.options)
    job = replace(job, options=options)
    session = ScanSession(job, inputs.hasher(), inputs.progress, extra_patterns=EXTRA_PATTERNS)
    # the clone needs them; reports do not
    session.scan.target = printable_name(redact_text(job.target))
    with open_target(job, inputs, allow_git=True, time_left=session.remaining_seconds()) as target:
        keep = _changed_filter(options.since, target)
        with suppress(StopScan):  # a limit was reached: keep what was found
            _scan_target(session, target, "", target_depth(job, inputs), keep)
        if options.git_metadata and target.repository:
            _add_git_metadata(session, target)
    return session.finish()


def _code_options(options: ScanOptions) -> CodeOptions:
    """A job built by hand may carry the common options only: the code defaults apply."""
    if isinstance(options, CodeOptions):
        return options
    return CodeOptions(**{f.name: getattr(options, f.name) for f in fields(options)})


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
    keep: Callable[[str], bool] = lambda relative: True,
) -> None:
    def handle(session: ScanSession, entry: TreeEntry) -> None:
        _scan_file(session, entry, prefix + entry.relative, depth)

    scan_files(session, target, handle, keep=keep, prefix=prefix)


def _scan_file(session: ScanSession, entry: TreeEntry, shown: str, depth: int) -> None:
    if archives.is_archive(entry.path):  # a fixture or a release in the tree: read it too

        def inner(target: Target, prefix: str, depth: int) -> None:
            _scan_target(session, target, prefix, depth)

        scan_archive(session, entry.path, shown, depth, inner)
        return
    text = scan_text_file(session, entry.path, shown)
    if text is not None and is_manifest(entry.path.name):
        _tracking_sdks(session, shown, text)


def _tracking_sdks(session: ScanSession, relative: str, text: str) -> None:
    for m in TRACKING_REGEX.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        name = m.group(1)
        session.add(
            "code.tracking_sdk",
            Location(path=relative, line=line, column=column, end_column=column + len(name)),
            value=name,
            evidence=name,
            confidence=0.9,
            description=f"The dependency {name} is a tracking or analytics library.",
        )


def _add_git_metadata(session: ScanSession, target: Target) -> None:
    for finding in session.findings[:MAX_BLAMED_FINDINGS]:
        loc = finding.location
        if loc.path and loc.line:
            try:
                finding.extra.update(git.blame_line(target.root, loc.path, loc.line))
            except git.GitError:
                continue
