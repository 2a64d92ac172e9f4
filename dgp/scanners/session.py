"""One scan in progress: limits, progress, and turning detections into findings.

Every scanner kind uses this, so masking, hashing, fingerprints, baselines,
thresholds and the score work the same way everywhere.

Given a page sink (`ScanInputs.pages`), a session hands its findings on in pages of
PAGE_SIZE as the scan goes, instead of keeping them: memory holds one item's findings
(a file's) and one page, whatever the size of the scan. An item's findings are
complete when the next item's first one comes (a kind reports an item's findings
together); then the per-rule cap, the severity threshold and the baseline apply to
them, they are put in order and counted (per severity, for the score). Without a
sink the whole scan is one item and its findings come back in the ScanResult.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import Any, NoReturn

from dgp.domain.evidence import ValueHasher, mask
from dgp.domain.finding import Finding, Location, pickled_by_fields
from dgp.domain.finding import fingerprint as finding_fingerprint
from dgp.domain.job import PageSink, Progress, ScanJob, ScanResult
from dgp.domain.options import DEFAULT_MIN_CONFIDENCE, ScanOptions
from dgp.domain.scan import Scan, ScanStatus, utcnow
from dgp.domain.score import score_counts
from dgp.domain.severity import Severity
from dgp.domain.text import printable_name
from dgp.engine.detector import Detection, Detector
from dgp.engine.patterns import PatternSpec
from dgp.engine.rules import RULES
from dgp.engine.secrets.paths import fixture_note
from dgp.scanners.common_rules import FINDINGS_CAPPED

log = logging.getLogger(__name__)
VALUE_FAMILIES = frozenset({"pii", "secret", "special"})  # rule-id prefixes of value detections
VALUE_CATEGORIES = frozenset({"pii", "secret", "special_category"})  # findings that keep a hash
MAX_SNIPPET = 160
_MAYBE_VALUE = re.compile(r"\d[\d .\-/]{4,}\d|[^\s@\"'<>(){}\[\],;:`]+@[^\s@\"'<>(){}\[\],;:`]+")
CHUNK_CHARS = 1 << 20  # text read by the detector at once
CHUNK_OVERLAP = 200  # the end of the previous chunk, read again as context
MAX_FINDINGS_PER_RULE_PER_ITEM = 1000
FREEZE_EVERY = 2_000  # findings between two gc.freeze() calls
FINDING_NAMESPACE = uuid.UUID("8a3e4f0c-5d1b-4c7e-9a61-2f0b7c4d9e15")
PAGE_SIZE = 1000  # findings handed on at once to a page sink


class StopScan(Exception):
    """A limit was reached: the scan ends early with what it found so far."""


_detectors = threading.local()


def detector_for(min_confidence: float, extra: Sequence[PatternSpec] = ()) -> Detector:
    """Compiling a detector takes most of a second: keep one per thread and configuration."""
    return detector_soon(min_confidence, extra)()


def detector_soon(
    min_confidence: float, extra: Sequence[PatternSpec] = ()
) -> Callable[[], Detector]:
    """The detector `detector_for` gives, compiled in a thread of its own meanwhile (hyperscan
    compiles without holding the GIL: a scan lists its files in the same time). The
    returned function waits for it, once, and keeps it for this thread."""
    cache: dict[Any, Callable[[], Detector]] = _detectors.__dict__.setdefault("cache", {})
    key = (min_confidence, tuple(extra))
    if key in cache:
        return cache[key]
    made: list[Detector | BaseException] = []

    def compile_it() -> None:
        try:
            made.append(Detector(min_confidence=min_confidence, extra_patterns=extra))
        except BaseException as e:  # raised where the detector is wanted
            made.append(e)

    compiling = threading.Thread(target=compile_it, name="dgp-detector", daemon=True)
    compiling.start()

    def ready() -> Detector:
        compiling.join()
        if isinstance(made[0], BaseException):
            del cache[key]  # the next scan tries again
            raise made[0]
        return made[0]

    cache[key] = ready
    return ready


def warm_up(extra: Sequence[PatternSpec] = ()) -> None:
    """Compile the default detector in this thread now, so that the first scan after a
    start does not wait most of a second for it."""
    detector_for(DEFAULT_MIN_CONFIDENCE, extra)


class ScanSession:
    def __init__(
        self,
        job: ScanJob,
        hasher: ValueHasher,
        progress: Progress | None = None,
        extra_patterns: Sequence[PatternSpec] = (),
        pages: PageSink | None = None,
    ) -> None:
        self.job = job
        self.options = job.options
        self.limits = job.options.limits
        self._detector = detector_soon(job.options.min_confidence, extra_patterns)
        self._hasher = hasher
        self._progress = progress
        self._deadline = time.monotonic() + self.limits.timeout_seconds
        self._admitted: int | None = None  # size of the item being handled
        # The item whose findings are being reported (streamed: one path or URL; else
        # the whole scan), and what is counted per item until it is complete:
        self._pages = pages
        self._item_key: str | None = None
        self._item: list[Finding] = []
        self._occurrences: dict[tuple[str, str, str | None], int] = {}
        self._listed: dict[tuple[str | None, str], int] = {}  # findings per item and rule
        self._unlisted: dict[tuple[str | None, str], int] = {}  # beyond the cap: counted
        self._page: list[Finding] = []  # complete findings, not yet handed on
        self._handed_on = 0
        self._counts: dict[Severity, int] = {}
        # Called with each kept finding before it is handed on (e.g. git blame).
        self.annotate: Callable[[Finding], None] | None = None
        self._recorders: list[list[Finding]] = []  # open recording() lists
        self._frozen_at = 0  # findings when the garbage collector was last told to skip them
        # What an earlier scan in this process set aside (its findings are gone by now; any
        # garbage frozen with them is collected again). Not at this scan's end: its report
        # is still being written then.
        gc.unfreeze()
        self.scan = Scan(
            id=job.scan_id,
            kind=job.kind,
            target=printable_name(job.target),
            organisation=job.organisation,
            created_by=job.created_by,
            options=_describe_options(job.options),
            status=ScanStatus.RUNNING,
            started_at=utcnow(),
        )

    # -- limits and progress -------------------------------------------------

    def admit(self, size: int) -> None:
        """Account for one more item of `size` bytes; raise StopScan past a limit."""
        stats = self.scan.stats
        if time.monotonic() > self._deadline:
            self.time_up()
        if stats.items_scanned >= self.limits.max_items:
            self._stop(f"item limit of {self.limits.max_items} reached")
        if stats.bytes_scanned + size > self.limits.max_bytes:
            self._stop(f"byte limit of {self.limits.max_bytes} reached")
        stats.items_scanned += 1
        stats.bytes_scanned += size
        self._admitted = size

    def item_done(self) -> None:
        """The admitted item is finished; a later skip() is about another item."""
        self._admitted = None

    @property
    def detector(self) -> Detector:
        """The scan's detector (waits for its compilation the first time)."""
        return self._detector()

    @property
    def hasher(self) -> ValueHasher:
        """The keyed hash of values, for work done in worker processes."""
        return self._hasher

    @property
    def deadline(self) -> float:
        """When the scan's time is up, in time.monotonic() seconds (for extractors)."""
        return self._deadline

    def remaining_seconds(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def check_time(self) -> None:
        if time.monotonic() > self._deadline:
            self.time_up()

    def time_up(self) -> NoReturn:
        """The time limit passed (found here or inside an extractor): stop the scan."""
        self._stop(f"time limit of {self.limits.timeout_seconds:g} s reached")

    def _stop(self, why: str) -> NoReturn:
        self.scan.stats.truncated = True
        self.scan.progress_message = f"stopped early: {why}"
        raise StopScan(why)

    def skip(self, why: str) -> None:
        """An item that was not scanned; `why` goes to the log, so it never holds a value.

        Called while an admitted item is handled (a file found to be binary, an
        archive refused), it turns that item from scanned into skipped.
        """
        stats = self.scan.stats
        if self._admitted is not None:
            stats.items_scanned -= 1
            stats.bytes_scanned -= self._admitted
            self._admitted = None
        stats.items_skipped += 1
        log.debug("scan %s: item not scanned: %s", self.job.scan_id, why)

    def progress(self, percent: int, message: str) -> None:
        self.scan.progress = max(0, min(100, percent))
        self.scan.progress_message = message
        if self._progress is not None:
            self._progress(self.scan.progress, message)

    # -- findings ------------------------------------------------------------

    def scan_text(
        self,
        text: str,
        location: Location,
        exclude: frozenset[str] = frozenset(),
        context: str = "",
        keep: Callable[[Detection], bool] | None = None,
        locate: Callable[[Location, int, int], Location] | None = None,
    ) -> int:
        """Detect in one run of text and report what is found (see `find_hits`).
        `keep`, when given, decides per detection whether it is reported (a website's
        own published contact address is not a finding); `locate` refines a finding's
        location from the detection's offsets (OCR text: the words' bounding box).
        Returns the number of detections."""
        hits = find_hits(
            self.detector,
            self._hasher,
            text,
            location,
            exclude,
            context,
            self.check_time,
            keep,
            locate,
        )
        self.report(hits)
        return len(hits)

    def report(self, hits: Sequence[Hit]) -> None:
        """Hits found here or by a worker process, as findings (at most
        MAX_FINDINGS_PER_RULE_PER_ITEM per rule and item; the rest counted)."""
        if self._pages is None and len(self._item) >= self._frozen_at + FREEZE_EVERY:
            # Kept findings live until the scan ends and hold no cycles, yet Python's cyclic
            # garbage collector would walk all of them again and again (seconds on a large
            # tree, while the worker processes wait to hand over their results).
            gc.freeze()
            self._frozen_at = len(self._item)
        for hit in hits:
            self._enter(hit.location)
            key = (hit.location.path, hit.rule_id)
            listed = self._listed.get(key, 0)
            if listed >= MAX_FINDINGS_PER_RULE_PER_ITEM:
                self._unlisted[key] = self._unlisted.get(key, 0) + 1
                continue
            self._listed[key] = listed + 1
            self.add(
                hit.rule_id,
                hit.location,
                value_hash=hit.value_hash,
                evidence=hit.evidence,
                confidence=hit.confidence,
                description=hit.description,
                severity=hit.severity,
            )

    @contextmanager
    def recording(self) -> Iterator[list[Finding]]:
        """The findings reported while inside the `with`, in a list of their own: a kind
        that acts on its own findings (an image's redacted copy, the rules an API
        operation broke) reads them there, whether or not they were handed on since."""
        found: list[Finding] = []
        self._recorders.append(found)
        try:
            yield found
        finally:
            self._recorders.pop()  # recordings nest: this one is the last

    def add(
        self,
        rule_id: str,
        location: Location,
        *,
        value: str | None = None,
        value_hash: str | None = None,
        evidence: str | None = None,
        confidence: float = 1.0,
        description: str | None = None,
        severity: Severity | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Finding:
        """Record a finding. `value` is hashed and masked; it is never stored as is
        (a worker process that found it passes its `value_hash` and evidence instead).

        The fingerprint is built from the rule, the location (without line and
        column, which shift) and the keyed hash of `value`, so it stays the same
        across scans. Findings without a personal value (a code pattern, a
        package name) pass the matched text as `value` too; only personal and
        secret values keep their hash in the output.
        """
        self._enter(location)
        finding = self._finding(
            rule_id, location, value, value_hash, evidence, confidence, description, severity, extra
        )
        self._item.append(finding)
        for found in self._recorders:
            found.append(finding)
        return finding

    def _finding(
        self,
        rule_id: str,
        location: Location,
        value: str | None,
        value_hash: str | None,
        evidence: str | None,
        confidence: float,
        description: str | None,
        severity: Severity | None,
        extra: dict[str, Any] | None,
    ) -> Finding:
        rule = RULES[rule_id]
        location = _printable(location)
        if evidence is not None:
            evidence = printable_name(evidence)
        if description is not None:
            description = printable_name(description)
        if location.line is None and (location.path or location.url):
            # a finding about a whole item (a file, a property) points at its start
            location = replace(location, line=1, column=1, end_column=1)
        if value is not None:
            value_hash = self._hasher(value, rule_id)
        anchor = (rule_id, location.anchor(), value_hash)
        n = self._occurrences.get(anchor, 0)
        self._occurrences[anchor] = n + 1
        fingerprint = finding_fingerprint(self.job.kind, rule_id, location, value_hash, n)
        finding = Finding(
            id=str(uuid.uuid5(FINDING_NAMESPACE, f"{self.job.scan_id}:{fingerprint}")),
            scan_id=self.job.scan_id,
            scanner=self.job.kind,
            rule_id=rule_id,
            category=rule.category,
            severity=severity or rule.severity,
            confidence=confidence,
            title=rule.title,
            description=description or rule.description,
            location=location,
            evidence=evidence if evidence is not None else (mask(value) if value else ""),
            value_hash=value_hash if rule.category in VALUE_CATEGORIES else None,
            legal_refs=rule.legal_refs,  # the rule's own tuple, shared by its findings
            remediation=rule.remediation,
            fingerprint=fingerprint,
            extra=extra or {},
        )
        return finding

    def _enter(self, location: Location) -> None:
        """Findings about another item begin: streamed, the current item is complete. An
        archive or a mail is one item with its members (`outer!member` paths), whose
        findings are ordered together."""
        key = location.path or location.url
        if key is not None and "!" in key:  # a member of an archive or mail: its container's
            key = key.split("!", 1)[0]
        if key != self._item_key and self._pages is not None:
            self._complete_item()
        self._item_key = key

    def _complete_item(self) -> None:
        """The current item's findings, capped, filtered, in order and counted, join the
        page (handed on when full); the item's counters start again."""
        for (path, rule_id), count in sorted(self._unlisted.items(), key=str):
            self._item.append(
                self._finding(
                    FINDINGS_CAPPED,
                    Location(path=path),
                    None,
                    None,
                    f"{rule_id}: {count} more",
                    1.0,
                    f"{count} more findings of {rule_id} in this item are not listed "
                    f"(at most {MAX_FINDINGS_PER_RULE_PER_ITEM} per rule and item).",
                    None,  # the rule's severity
                    None,
                )
            )
        threshold = self.options.severity_threshold
        baseline = self.job.baseline
        kept = []
        for f in self._item:
            if not f.severity.at_least(threshold):
                continue
            if baseline is not None and baseline.suppresses(f):
                self.scan.stats.suppressed += 1
                continue
            kept.append(f)
        kept.sort(key=_finding_order)
        counts = self._counts
        for f in kept:
            counts[f.severity] = counts.get(f.severity, 0) + 1
            if self.annotate is not None:
                self.annotate(f)
        self._item, self._occurrences, self._listed, self._unlisted = [], {}, {}, {}
        self._page.extend(kept)
        if self._pages is not None and len(self._page) >= PAGE_SIZE:
            self._hand_on()

    def _hand_on(self) -> None:
        if self._page and self._pages is not None:
            page, self._page = self._page, []
            self._handed_on += len(page)
            self._pages(page)

    def finish(self, status: ScanStatus = ScanStatus.DONE, error: str | None = None) -> ScanResult:
        """Apply the severity threshold and the baseline, order findings, score the scan;
        the last page is handed on (streamed) or all findings come in the result."""
        self._complete_item()
        self._hand_on()
        stats = self.scan.stats
        for severity, n in self._counts.items():
            stats.findings_by_severity[severity.value] += n
        self.scan.status = status
        self.scan.error = error
        self.scan.score = score_counts(self._counts)
        self.scan.finished_at = utcnow()
        if status is ScanStatus.DONE:
            message = self.scan.progress_message if stats.truncated else "done"
            self.progress(100, message)
        kept, self._page = self._page, []
        return ScanResult(self.scan, kept, handed_on=self._handed_on)


@pickled_by_fields
@dataclass(frozen=True)
class Hit:
    """A detection placed in its text, about to become a finding. Plain data, so that a
    worker process can find hits and the scan's own process report them; the value
    itself is already hashed and masked (it never leaves the process that read it)."""

    rule_id: str
    location: Location
    value_hash: str
    evidence: str
    confidence: float
    description: str | None = None  # None: the rule's
    severity: Severity | None = None  # None: the rule's


def find_hits(
    detector: Detector,
    hasher: ValueHasher,
    text: str,
    location: Location,
    exclude: frozenset[str] = frozenset(),
    context: str = "",
    check_time: Callable[[], None] | None = None,
    keep: Callable[[Detection], bool] | None = None,
    locate: Callable[[Location, int, int], Location] | None = None,
) -> list[Hit]:
    """Detect in one run of text; `location` says where the text starts.

    Rules in `exclude` are not reported (the caller reports that value itself).
    `context` is text that stands before this text without being part of it,
    such as a table cell's column header ("bsn"): it counts as context words,
    but nothing in it is reported. `keep`, when given, decides per detection
    whether it is reported; `locate` refines each location from the detection's
    start and end offsets in `text`. Long texts are read in chunks, with `check_time`
    called between them. A code pattern's hit shows its snippet, with every
    value in it masked. A secret in a test or example file is kept with lower
    confidence and the reason (here, so worker processes do the same).
    """
    (hits,) = find_hits_in(
        detector, hasher, [(text, location)], exclude, context, check_time, keep, locate
    )
    return hits


def find_hits_in(
    detector: Detector,
    hasher: ValueHasher,
    texts: Sequence[tuple[str, Location]],
    exclude: frozenset[str] = frozenset(),
    context: str = "",
    check_time: Callable[[], None] | None = None,
    keep: Callable[[Detection], bool] | None = None,
    locate: Callable[[Location, int, int], Location] | None = None,
) -> list[list[Hit]]:
    """`find_hits` of each text (a batch of small files): their chunks go to the detector
    together, up to CHUNK_CHARS at a time (`Detector.detect_many`), with `check_time`
    called between those batches."""
    detections: list[list[Detection]] = [[] for _ in texts]
    batch: list[tuple[int, int, int, str]] = []  # text index, chunk start, head length, chunk
    size = 0

    def detect_batch() -> None:
        found = detector.detect_many([chunk for _, _, _, chunk in batch])
        for (index, start, head, _), dets in zip(batch, found, strict=True):
            detections[index] += [
                d._replace(start=d.start - head + start, end=d.end - head + start)
                for d in dets
                if d.rule_id not in exclude and d.start >= head
            ]

    for index, (text, _) in enumerate(texts):
        for start, end in _chunks(text):
            if size and size + end - start > CHUNK_CHARS:
                detect_batch()
                batch, size = [], 0
                if check_time is not None:
                    check_time()
            head = (
                text[max(0, start - CHUNK_OVERLAP) : start]
                if start
                else (f"{context}:\n" if context else "")
            )
            batch.append((index, start, len(head), head + text[start:end]))
            size += end - start
    if batch:
        detect_batch()
    return [
        _hits(
            text, location, dets if keep is None else [d for d in dets if keep(d)], hasher, locate
        )
        for (text, location), dets in zip(texts, detections, strict=True)
    ]


def _hits(
    text: str,
    location: Location,
    detections: list[Detection],
    hasher: ValueHasher,
    locate: Callable[[Location, int, int], Location] | None,
) -> list[Hit]:
    """The detections in one text (sorted by start) placed as hits."""
    hits: list[Hit] = []
    row, counted_to, line_start = (location.line or 1), 0, 0
    for det in detections:  # sorted by start: count newlines once, left to right
        newlines = text.count("\n", counted_to, det.start)
        if newlines:
            row += newlines
            line_start = text.rfind("\n", counted_to, det.start) + 1
        counted_to = det.start
        column = det.start - line_start + 1
        end_column = column + _line_end(text, det.start, det.end) - det.start
        where = replace(location, line=row, column=column, end_column=end_column)
        if locate is not None:
            where = locate(where, det.start, det.end)
        family = det.rule_id.split(".", 1)[0]
        confidence, description = det.confidence, None
        if family in VALUE_FAMILIES:
            value, evidence = det.value, mask(det.value)
            if family == "secret" and (note := fixture_note(where.path, confidence)):
                # a real-format key in a test or example file: kept, with the reason
                confidence, why = note
                description = f"{RULES[det.rule_id].description} {why}"
        else:  # a code pattern: show the snippet, with any value inside it masked
            value = evidence = _masked_snippet(text, det, detections)
        hits.append(
            Hit(
                det.rule_id,
                where,
                hasher(value, det.rule_id),
                evidence,
                confidence,
                description,
            )
        )
    return hits


_TEXT_FIELDS = tuple(
    f.name for f in fields(Location) if f.name not in ("line", "column", "end_column", "page")
)


def _printable(location: Location) -> Location:
    """Names read from disk may hold bytes that are not UTF-8: escaped here, once for every
    kind, so no report, store or fingerprint meets an unencodable character."""
    changes = {
        name: shown
        for name in _TEXT_FIELDS
        if isinstance(value := getattr(location, name), str)
        and (shown := printable_name(value)) is not value
    }
    return replace(location, **changes) if changes else location


def _chunks(text: str) -> list[tuple[int, int]]:
    """Spans of about CHUNK_CHARS that end at a line end where there is one."""
    spans, start = [], 0
    while start < len(text):
        end = min(start + CHUNK_CHARS, len(text))
        if end < len(text):
            newline = text.rfind("\n", start, end)
            end = newline + 1 if newline > start else end
        spans.append((start, end))
        start = end
    return spans


def _masked_snippet(text: str, det: Detection, detections: list[Detection]) -> str:
    """The code a pattern matched, with every value in it masked: the detected ones, and
    anything that may be one below the threshold (long digit runs, e-mail-like words)."""
    parts, pos = [], det.start
    first = bisect.bisect_left(detections, det.start, key=lambda d: d.start)  # sorted by start
    for other in itertools.islice(detections, first, None):
        if other.start >= det.end:
            break
        if other.rule_id.split(".", 1)[0] in VALUE_FAMILIES:
            parts += [text[pos : other.start], mask(other.value)]
            pos = max(pos, other.end)
    parts.append(text[pos : det.end])
    snippet = _MAYBE_VALUE.sub(lambda m: mask(m.group()), "".join(parts))
    snippet = " ".join(snippet.split())
    return snippet if len(snippet) <= MAX_SNIPPET else snippet[: MAX_SNIPPET - 1] + "…"


def _line_end(text: str, start: int, end: int) -> int:
    """Where the line of `start` ends, or `end` if that comes first (never read further)."""
    newline = text.find("\n", start, end)
    return end if newline < 0 else newline


def _finding_order(f: Finding) -> tuple[Any, ...]:
    loc = f.location
    return (
        loc.path or loc.url or "",
        loc.page or 0,
        loc.sheet or "",
        loc.paragraph or 0,
        loc.line or 0,
        loc.cell or "",
        loc.column or 0,
        f.rule_id,
        f.fingerprint,
    )


def _describe_options(options: ScanOptions) -> dict[str, Any]:
    described: dict[str, Any] = {
        "severity_threshold": options.severity_threshold.value,
        "min_confidence": options.min_confidence,
    }
    for name in ("since", "branch", "commit"):
        if getattr(options, name, None):
            described[name] = getattr(options, name)
    if getattr(options, "git_metadata", False):
        described["git_metadata"] = True
    return described
