"""One scan in progress: limits, progress, and turning detections into findings.

Every scanner kind uses this, so masking, hashing, fingerprints, baselines,
thresholds and the score work the same way everywhere.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from dgp.domain.evidence import ValueHasher, mask
from dgp.domain.finding import Finding, Location
from dgp.domain.finding import fingerprint as finding_fingerprint
from dgp.domain.job import Progress, ScanJob, ScanResult
from dgp.domain.options import DEFAULT_MIN_CONFIDENCE, ScanOptions
from dgp.domain.scan import Scan, ScanStatus, utcnow
from dgp.domain.score import score_findings
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
FINDING_NAMESPACE = uuid.UUID("8a3e4f0c-5d1b-4c7e-9a61-2f0b7c4d9e15")


class StopScan(Exception):
    """A limit was reached: the scan ends early with what it found so far."""


_detectors = threading.local()


def detector_for(min_confidence: float, extra: Sequence[PatternSpec] = ()) -> Detector:
    """Compiling a detector takes most of a second: keep one per thread and configuration."""
    cache: dict[Any, Detector] = _detectors.__dict__.setdefault("cache", {})
    key = (min_confidence, tuple(extra))
    if key not in cache:
        cache[key] = Detector(min_confidence=min_confidence, extra_patterns=extra)
    return cache[key]


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
    ) -> None:
        self.job = job
        self.options = job.options
        self.limits = job.options.limits
        self.detector = detector_for(job.options.min_confidence, extra_patterns)
        self._hasher = hasher
        self._progress = progress
        self._deadline = time.monotonic() + self.limits.timeout_seconds
        self._occurrences: dict[tuple[str, str, str | None], int] = {}
        self._admitted: int | None = None  # size of the item being handled
        self._listed: dict[tuple[str | None, str], int] = {}  # findings per item and rule
        self._unlisted: dict[tuple[str | None, str], int] = {}  # beyond the cap: counted
        self.findings: list[Finding] = []
        self.scan = Scan(
            id=job.scan_id,
            kind=job.kind,
            target=job.target,
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
            self._stop(f"time limit of {self.limits.timeout_seconds:g} s reached")
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

    def remaining_seconds(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def check_time(self) -> None:
        if time.monotonic() > self._deadline:
            self._stop(f"time limit of {self.limits.timeout_seconds:g} s reached")

    def _stop(self, why: str) -> None:
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
        """Detect in one run of text; `location` says where the text starts.

        Rules in `exclude` are not reported (the caller reports that value itself).
        `context` is text that stands before this text without being part of it,
        such as a table cell's column header ("bsn"): it counts as context words,
        but nothing in it is reported. `keep`, when given, decides per detection
        whether it is reported (a website's own published contact address is not a
        finding). `locate`, when given, refines each finding's location from the
        detection's start and end offsets in `text` (OCR text: the words' bounding box).
        Long texts are read in chunks, with the time limit checked between them.
        Returns the number of detections.
        """
        found, row, counted_to = 0, (location.line or 1), 0
        for start, end in _chunks(text):
            if start:
                self.check_time()
            head = (
                text[max(0, start - CHUNK_OVERLAP) : start]
                if start
                else (f"{context}:\n" if context else "")
            )
            detections = [
                replace(d, start=d.start - len(head) + start, end=d.end - len(head) + start)
                for d in self.detector.detect(head + text[start:end])
                if d.rule_id not in exclude and d.start >= len(head)
            ]
            if keep is not None:
                detections = [d for d in detections if keep(d)]
            for det in detections:  # sorted by start: count newlines once, left to right
                row += text.count("\n", counted_to, det.start)
                counted_to = det.start
                column = det.start - (text.rfind("\n", 0, det.start) + 1) + 1
                end_column = column + min(det.end, _line_end(text, det.start)) - det.start
                where = replace(location, line=row, column=column, end_column=end_column)
                if locate is not None:
                    where = locate(where, det.start, det.end)
                self._report(det, where, text, detections)
            found += len(detections)
        return found

    def _report(
        self, det: Detection, where: Location, text: str, detections: list[Detection]
    ) -> None:
        key = (where.path, det.rule_id)
        listed = self._listed.get(key, 0)
        if listed >= MAX_FINDINGS_PER_RULE_PER_ITEM:
            self._unlisted[key] = self._unlisted.get(key, 0) + 1
            return
        self._listed[key] = listed + 1
        family = det.rule_id.split(".", 1)[0]
        if family == "secret" and (note := fixture_note(where.path, det.confidence)):
            # a real-format key in a test or example file: kept, with the reason
            confidence, why = note
            description = f"{RULES[det.rule_id].description} {why}"
            self.add(
                det.rule_id, where, value=det.value, confidence=confidence, description=description
            )
        elif family in VALUE_FAMILIES:
            self.add(det.rule_id, where, value=det.value, confidence=det.confidence)
        else:  # a code pattern: show the snippet, with any value inside it masked
            snippet = _masked_snippet(text, det, detections)
            self.add(det.rule_id, where, value=snippet, evidence=snippet, confidence=det.confidence)

    def add(
        self,
        rule_id: str,
        location: Location,
        *,
        value: str | None = None,
        evidence: str | None = None,
        confidence: float = 1.0,
        description: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Finding:
        """Record a finding. `value` is hashed and masked; it is never stored as is.

        The fingerprint is built from the rule, the location (without line and
        column, which shift) and the keyed hash of `value`, so it stays the same
        across scans. Findings without a personal value (a code pattern, a
        package name) pass the matched text as `value` too; only personal and
        secret values keep their hash in the output.
        """
        rule = RULES[rule_id]
        if location.line is None and (location.path or location.url):
            # a finding about a whole item (a file, a property) points at its start
            location = replace(location, line=1, column=1, end_column=1)
        value_hash = self._hasher(value, rule_id) if value is not None else None
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
            severity=rule.severity,
            confidence=confidence,
            title=rule.title,
            description=description or rule.description,
            location=location,
            evidence=evidence if evidence is not None else (mask(value) if value else ""),
            value_hash=value_hash if rule.category in VALUE_CATEGORIES else None,
            legal_refs=list(rule.legal_refs),
            remediation=rule.remediation,
            fingerprint=fingerprint,
            extra=extra or {},
        )
        self.findings.append(finding)
        return finding

    def finish(self, status: ScanStatus = ScanStatus.DONE, error: str | None = None) -> ScanResult:
        """Apply the severity threshold and the baseline, order findings, score the scan."""
        for (path, rule_id), count in sorted(self._unlisted.items(), key=str):
            self.add(
                FINDINGS_CAPPED,
                Location(path=path),
                evidence=f"{rule_id}: {count} more",
                description=f"{count} more findings of {rule_id} in this item are not listed "
                f"(at most {MAX_FINDINGS_PER_RULE_PER_ITEM} per rule and item).",
            )
        threshold = self.options.severity_threshold
        baseline = self.job.baseline
        kept = []
        for f in self.findings:
            if not f.severity.at_least(threshold):
                continue
            if baseline is not None and baseline.suppresses(f):
                self.scan.stats.suppressed += 1
                continue
            kept.append(f)
        kept.sort(key=_finding_order)
        stats = self.scan.stats
        for f in kept:
            stats.findings_by_severity[f.severity.value] += 1
        self.scan.status = status
        self.scan.error = error
        self.scan.score = score_findings(kept)
        self.scan.finished_at = utcnow()
        if status is ScanStatus.DONE:
            message = self.scan.progress_message if stats.truncated else "done"
            self.progress(100, message)
        return ScanResult(self.scan, kept)


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
    for other in detections:
        if other.rule_id.split(".", 1)[0] in VALUE_FAMILIES and det.start <= other.start < det.end:
            parts += [text[pos : other.start], mask(other.value)]
            pos = max(pos, other.end)
    parts.append(text[pos : det.end])
    snippet = _MAYBE_VALUE.sub(lambda m: mask(m.group()), "".join(parts))
    snippet = " ".join(snippet.split())
    return snippet if len(snippet) <= MAX_SNIPPET else snippet[: MAX_SNIPPET - 1] + "…"


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


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
