"""The consumer loop of one scanner kind: claim the scan, run it, commit, then ACK.

A job is acknowledged only after its result (or its final failure) is committed
to Postgres, so a crash at any point leaves it pending: the same consumer reads
it again after a restart, or the janitor hands it to another. Redis counts the
deliveries; past `max_deliveries` the scan is failed with the reason and the job
goes to the dead-letter stream, so a scan that always kills its scanner ends.
An outage of Postgres or Redis is waited out with the job in hand, so it does not
use up deliveries. Quick jobs are read, claimed and saved several at a time; the
jobs a consumer holds are kept from the janitor by a heartbeat (dgp.plumbing.holding).

Findings stream: the scan hands them on in pages (ScanInputs.pages) and a page of
STORE_PAGE is written to Postgres at once, under the delivery's fence
(ScanStore.add_findings), so a scanner holds one page whatever the scan finds. A
scan with fewer findings keeps them until its result is committed with others. The
job is still acknowledged only after that final commit: a crash before it leaves
the scan running with some pages stored; the next delivery's claim deletes them and
the scan runs again, so nothing is lost and nothing is counted twice.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from dgp import kinds
from dgp.domain.credential import Credential, scrubbed
from dgp.domain.finding import Finding
from dgp.domain.job import (
    Progress,
    ScanInputError,
    ScanInputs,
    ScanJob,
    ScanResult,
    TargetUnavailable,
    check_artefacts,
)
from dgp.domain.options import Limits, ScanOptions
from dgp.domain.scan import Scan
from dgp.kinds import KindSpec
from dgp.plumbing.breakers import BreakerOpen, Breakers
from dgp.plumbing.credential_cipher import CredentialCipher
from dgp.plumbing.holding import OUTAGES, Heartbeat, Held, HeldJobs
from dgp.plumbing.isolation import IsolatedScan, ScannerRaised, ScanStopped
from dgp.plumbing.queue import Job, JobQueue, Liveness
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ClaimedScan, ScanStore, StoreUnavailable
from dgp.plumbing.store.credentials import CredentialStore
from dgp.plumbing.store.errors import CredentialMissing, UploadCorrupt, UploadMissing

log = logging.getLogger(__name__)
T = TypeVar("T")
ScanFunction = Callable[[ScanJob, ScanInputs], ScanResult]

PROGRESS_INTERVAL = 0.5  # seconds between progress writes
# Results of quick scans are committed together (one wait for the disk, one XACK):
# at most this many, held at most this long, and never while the queue is empty.
SAVE_BATCH = 32
SAVE_DELAY = 0.05  # seconds
# Jobs are read and claimed several at a time only while they are quick: the number
# read doubles (up to READ_BATCH) after a read whose jobs each took under QUICK_JOB,
# and falls back to one after a read with a slower job, so long scans are not
# hoarded by one consumer while another waits for work.
READ_BATCH = 32
QUICK_JOB = 0.02  # seconds
SLOW_JOB = 1.0  # seconds: the jobs waiting behind one running this long go back
HEARTBEAT_INTERVAL = 1.0  # seconds between looks for a slow job
CHECK_INTERVAL = 5.0  # seconds between looks at own pending jobs (and liveness beats)
KEEP_FRESH_INTERVAL = 10.0  # seconds between resets of a running job's idle time
OUTAGE_BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0)  # seconds, then 5 s until it is back
STORE_PAGE = 1000  # findings written to Postgres at once while a scan runs
# Options that do not parse, a target that is refused, an upload or a credential that is
# gone or cannot be decrypted here (a ValueError naming the key id), artefacts too large
# to store: retrying cannot help, so the scan fails with the reason at once.
FINAL_ERRORS = (ScanInputError, ValueError, UploadMissing, UploadCorrupt, CredentialMissing)


@dataclass
class Finished:
    """A scan that ran; its result waits to be committed with others, then ACKed."""

    job: Job
    scan: ClaimedScan
    result: ScanResult


class Superseded(Exception):
    """The scan is no longer this delivery's (cancelled, deleted, or claimed again by
    another consumer that took the job over): it stops without writing more."""


class StoredPages:
    """The page sink of one delivery: findings gathered until STORE_PAGE, then written
    (an outage is waited out with the page in hand)."""

    def __init__(self, worker: Worker, claimed: ClaimedScan) -> None:
        self._worker = worker
        self._claimed = claimed
        self.held: list[Finding] = []
        self.stored = 0

    def __call__(self, findings: Sequence[Finding]) -> None:
        self.held.extend(findings)
        if len(self.held) >= STORE_PAGE:
            page, claimed = self.held, self._claimed
            written = self._worker._patiently(
                lambda: self._worker.store.add_findings(
                    claimed.id, claimed.deliveries, page, self.stored
                )
            )
            if not written:
                raise Superseded(claimed.id)
            self.stored += len(page)
            self.held = []

    def result(self, result: ScanResult) -> ScanResult:
        """The scan's result with the findings not stored yet, to commit at its end."""
        result.findings = [*self.held, *result.findings]
        result.handed_on = self.stored
        self.held = []
        return result


@dataclass
class WorkerStats:
    processed: int = 0
    failed: int = 0
    dead_lettered: int = 0
    in_flight: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(vars(self))


class Worker:
    """Consumes one kind's stream. It is given the kind's scan function (and how to key
    the target's host, parse options, warm up): it never imports scanner code itself."""

    def __init__(
        self,
        kind: str,
        queue: JobQueue,
        store: ScanStore,
        settings: Settings,
        consumer: str,
        *,
        scan: ScanFunction,
        endpoint: Callable[[str], str | None] = lambda target: None,
        options: type[ScanOptions] = ScanOptions,
        limits: Limits | None = None,
        warm_up: Callable[[], None] = lambda: None,
        stop: threading.Event | None = None,
        on_beat: Callable[[], None] | None = None,
    ) -> None:
        self.kind = kind
        self.queue = queue
        self.store = store
        self.settings = settings
        self.consumer = consumer
        self.stop = stop or threading.Event()
        self.on_beat = on_beat or (lambda: None)  # e.g. sd_notify WATCHDOG=1
        self.liveness = Liveness(queue)
        self.credentials = CredentialStore(store.db, CredentialCipher.from_settings(settings))
        self.stats = WorkerStats()
        self.scan = scan
        self.endpoint = endpoint
        self.options = options
        self.limits = limits or Limits()  # the kind's: what a job's options do not set
        self.warm_up = warm_up
        self._checked_at = -CHECK_INTERVAL  # so the first read looks at own pending jobs
        self._unsaved: list[Finished] = []
        self._unsaved_since = 0.0
        self._read_size = 1
        self.held = HeldJobs()  # claimed: running or waiting their turn
        self._freshened_at = time.monotonic()
        # scanner -> scan target: a host that keeps not answering is not tried again
        # for a while; only "unreachable" failures count, not a missing repository
        self.target_breakers = Breakers(
            fail_max=3,
            reset_timeout=60,
            exclude=[lambda e: not isinstance(e, TargetUnavailable)],
        )

    @classmethod
    def for_kind(
        cls,
        spec: KindSpec | str,
        queue: JobQueue,
        store: ScanStore,
        settings: Settings,
        consumer: str,
        **kwargs: Any,
    ) -> Worker:
        """A worker of a registered kind (a spec, or its name). It imports the kind's
        implementation, unless its jobs run isolated (the spec's `isolated`, or the
        `isolated_kinds` setting): then only each job's child process does."""
        if isinstance(spec, str):
            spec = kinds.get(spec)
        if spec.isolated or settings.isolates(spec.name):
            scan: ScanFunction = IsolatedScan.of(spec, beat=kwargs.get("on_beat"))
            warm_up: Callable[[], None] = lambda: None  # noqa: E731 (each child starts cold)
        else:
            scan, warm_up = spec.scan_function(), spec.warm_up
        return cls(
            spec.name,
            queue,
            store,
            settings,
            consumer,
            scan=scan,
            endpoint=spec.endpoint,
            options=spec.options,
            limits=spec.limits,
            warm_up=warm_up,
            **kwargs,
        )

    def run(self) -> None:
        """Consume until `stop` is set; what has run is saved before returning."""
        self.warm_up()
        try:
            with Heartbeat(self._heartbeat, HEARTBEAT_INTERVAL):
                while not self.stop.is_set():
                    self._patiently(lambda: self._step(block_ms=1000))
        finally:
            with suppress(*OUTAGES):  # else those jobs stay pending and run again
                self.flush()
            with suppress(*OUTAGES):
                self.liveness.forget(self.kind, self.consumer)

    def run_once(self, block_ms: int = 1000) -> bool:
        """Handle at most one job and save its result; False when there was none."""
        handled = self._step(block_ms, most=1)
        self.flush()
        return handled

    def _step(self, block_ms: int, most: int = READ_BATCH) -> bool:
        """Read and run a job, or a few while jobs are quick (at most `most`); their
        results join the unsaved ones.

        The consumer's own pending list (jobs from before a crash, or handed over by
        the janitor) is looked at on start, every CHECK_INTERVAL and when idle, not
        before every job.
        """
        now = time.monotonic()
        own_first = now - self._checked_at >= CHECK_INTERVAL
        if own_first:
            self._checked_at = now
            self.liveness.beat(self.kind, self.consumer)
        self.on_beat()
        if own_first:  # own pending entries include the jobs whose results are unsaved
            self.flush()
        if not self.held.waiting():  # else those run first (left by an outage)
            if self._unsaved:  # results in hand: do not wait for new jobs
                block_ms = 0
            count = min(self._read_size, most)
            read = partial(self.queue.read_many, self.kind, self.consumer, count)
            jobs = read(block_ms=block_ms, own_first=own_first)
            if not jobs:
                self.flush()  # nothing waits: save what has run
                if not own_first:  # idle: time to see what the janitor handed us
                    jobs = read(block_ms=0, own_only=True)
                if not jobs:
                    return False
            self.claim(jobs)
        slowest = self.run_held()
        quick = slowest < QUICK_JOB
        self._read_size = min(2 * self._read_size, READ_BATCH) if quick else 1
        return True

    def _flush_when_due(self) -> None:
        waited = time.monotonic() - self._unsaved_since
        if len(self._unsaved) >= SAVE_BATCH or (self._unsaved and waited >= SAVE_DELAY):
            self.flush()

    def flush(self) -> None:
        """Commit the results that have run, in one transaction, then ACK their jobs."""
        batch = self._unsaved
        if not batch:
            return
        self._patiently(lambda: self.store.save_results([(f.scan.id, f.result) for f in batch]))
        self._patiently(lambda: self.queue.ack_all([f.job for f in batch]))
        self._unsaved = []
        for done in batch:
            self._forget_upload(done.scan)
            self.stats.processed += 1
            log.info(
                "scan %s done: %d findings, %d artefacts",
                done.scan.id,
                len(done.result.findings) + done.result.handed_on,
                len(done.result.artefacts),
                extra=self._fields(done.scan.id, done.scan.organisation_id),
            )

    def claim(self, jobs: list[Job]) -> None:
        """Claim the jobs' scans in one statement and hold them; a job whose scan is
        over (done, cancelled, deleted) is only acknowledged."""
        live = [job for job in jobs if not self._gave_up(job)]
        ids = [job.scan_id for job in live]
        claimed = self._patiently(lambda: self.store.claim_scans(ids)) if live else {}
        over = [job for job in live if job.scan_id not in claimed]
        self._patiently(lambda: self.queue.ack_all(over))
        self.held.hold([Held(job, claimed[job.scan_id]) for job in live if job.scan_id in claimed])

    def run_held(self) -> float:
        """Run the held jobs one after another; the seconds the slowest one took.

        Asked to stop, the ones not started go back to the queue. An outage that
        cuts a scan short leaves it held, to run again first once the outage is over.
        """
        slowest = 0.0
        while not self.stop.is_set() and (held := self.held.start_next()) is not None:
            started = time.monotonic()
            self.stats.in_flight = 1
            try:
                self.handle(held.job, held.scan)
            except OUTAGES:
                self.held.put_back(held)
                raise
            finally:
                self.stats.in_flight = 0
            self.held.finish()
            slowest = max(slowest, time.monotonic() - started)
            self._flush_when_due()
        if self.stop.is_set():
            with suppress(*OUTAGES):  # else they stay pending here and run after a restart
                self.held.hand_back(self._give_back, behind_slower_than=0)
        return slowest

    def _heartbeat(self) -> None:
        """In the heartbeat thread: hand back the jobs waiting behind a slow one; keep
        this consumer alive and every job it holds fresh."""
        if self.held.hand_back(self._give_back, behind_slower_than=SLOW_JOB):
            log.info("jobs waiting behind a slow scan went back to the queue", extra=self._fields())
        if time.monotonic() - self._freshened_at >= KEEP_FRESH_INTERVAL:
            unsaved = [done.job for done in list(self._unsaved)]
            self.liveness.beat(self.kind, self.consumer)
            self.liveness.keep_fresh([*self.held.jobs(), *unsaved], self.consumer)
            self._freshened_at = time.monotonic()

    def _give_back(self, held: list[Held]) -> None:
        self.store.release_scans([h.scan.id for h in held])
        self.queue.requeue([h.job for h in held])

    def _gave_up(self, job: Job) -> bool:
        """Fail and dead-letter a job delivered too often; True if it was."""
        if job.deliveries <= self.settings.max_deliveries:
            return False
        reason = (
            f"gave up after {job.deliveries - 1} deliveries: the scanner stopped "
            "(crashed, killed or out of memory) each time"
        )
        forget = self.settings.delete_uploads_after_scan  # it never ran: its upload goes
        self._patiently(lambda: self.store.fail_scan(job.scan_id, reason, forget_upload=forget))
        self._patiently(lambda: self.queue.dead_letter(job, reason))
        self.stats.dead_lettered += 1
        log.warning(
            "scan %s dead-lettered after %d deliveries",
            job.scan_id,
            job.deliveries,
            extra=self._fields(job.scan_id),
        )
        return True

    def handle(self, job: Job, claimed: ClaimedScan) -> None:
        """Run one claimed scan; its result joins the unsaved ones, a failure is saved."""
        fields = self._fields(job.scan_id, claimed.organisation_id)
        log.info("scan %s started (delivery %d)", job.scan_id, job.deliveries, extra=fields)
        credential: Credential | None = None  # kept out of what is stored and logged
        try:
            credential = self._credential(claimed)
            result = self._run(job, claimed, credential)
        except OUTAGES:
            raise  # waited out by the caller; the job stays pending
        except Superseded:
            # not acknowledged: the job is another delivery's now, or its scan is over
            # (the next read of it only acknowledges it)
            log.info("scan %s stopped: no longer this delivery's", job.scan_id, extra=fields)
            return
        except Exception as error:  # whatever went wrong, the scan ends failed, not the consumer
            self._fail(job, claimed, error, credential)
            return
        if credential is not None:
            result = _without(credential, result)
        if not self._unsaved:
            self._unsaved_since = time.monotonic()
        self._unsaved.append(Finished(job, claimed, result))

    def _credential(self, claimed: ClaimedScan) -> Credential | None:
        """The scan's credential, decrypted; CredentialMissing or a ValueError that names
        the key id (never the value) fail the scan."""
        if claimed.credential_id is None:
            return None
        credential_id = claimed.credential_id
        return self._patiently(
            lambda: self.credentials.reveal(claimed.organisation_id, credential_id)
        )

    def _run(self, job: Job, claimed: ClaimedScan, credential: Credential | None) -> ScanResult:
        with _upload_folder(claimed) as work:
            upload = None
            if claimed.upload_id:
                upload = self._patiently(
                    lambda: self.store.fetch_upload(claimed.upload_id, Path(work))
                )
            scan_job = ScanJob(
                self.kind,
                claimed.target,
                self.options.from_dict(claimed.options, self.limits),
                scan_id=claimed.id,
                organisation=claimed.organisation_id,
                questionnaire=claimed.questionnaire,
                scan_ids=claimed.scan_ids,
            )
            earlier: list[Scan] = []
            if claimed.scan_ids:  # of this organisation only, and those not deleted since
                earlier = self._patiently(
                    lambda: self.store.get_scans(claimed.organisation_id, claimed.scan_ids)
                )
            inputs = ScanInputs(
                self.settings.hash_key,
                self._progress(job, credential),
                upload,
                credential=credential,
                scans=tuple(earlier),
                pages=(pages := StoredPages(self, claimed)),
            )
            endpoint = self.endpoint(claimed.target)
            if endpoint is None:
                result = self.scan(scan_job, inputs)
            else:
                breaker = self.target_breakers[f"target:{endpoint}"]
                result = breaker.call(self.scan, scan_job, inputs)
        settings = self.settings  # what it made must fit what this server stores
        check_artefacts(
            result.artefacts, settings.artefact_max_bytes, settings.scan_artefacts_max_bytes
        )
        return pages.result(result)

    def _fail(
        self, job: Job, claimed: ClaimedScan, error: Exception, credential: Credential | None
    ) -> None:
        """The one failure path: the scan fails with a reason the user can read (never a
        library's message, which may quote the input, nor the scan's credential), its job
        is acknowledged."""
        degraded, bug = isinstance(error, BreakerOpen), False
        if degraded:  # the target's host is known to be down
            reason, why = f"{error}; the scan was not tried", "target host down"
        elif isinstance(error, ScanStopped):  # its child process ran out of time or memory
            reason, why, bug = str(error), error.why, error.crashed
        elif isinstance(error, FINAL_ERRORS):  # the input cannot be scanned, now or later
            reason, why = str(error), "input refused"
        else:  # a scanner bug or an odd input (raised here, or in an isolated job's child)
            name = error.name if isinstance(error, ScannerRaised) else type(error).__name__
            reason = f"the scanner failed ({name}); the input may be malformed"
            why, bug = f"{name} in the scanner", True
        if credential is not None:
            reason = credential.scrub(reason)
        forget = self.settings.delete_uploads_after_scan
        self._patiently(
            lambda: self.store.fail_scan(
                claimed.id, reason, degraded=degraded, forget_upload=forget
            )
        )
        self._patiently(lambda: self.queue.ack(job))
        self.stats.failed += 1
        fields = self._fields(job.scan_id, claimed.organisation_id)
        level = logging.ERROR if bug else logging.INFO
        status = "degraded" if degraded else "failed"
        log.log(level, "scan %s %s: %s", job.scan_id, status, why, extra=fields)

    def _forget_upload(self, claimed: ClaimedScan) -> None:
        """An upload holds raw personal data: gone once its scan has ended, however it
        ended, unless the operator keeps uploads (delete_uploads_after_scan off)."""
        if claimed.upload_id and self.settings.delete_uploads_after_scan:
            self._patiently(partial(self.store.delete_upload, claimed.upload_id))

    def _progress(self, job: Job, credential: Credential | None = None) -> Progress:
        """Publish progress at most every PROGRESS_INTERVAL (the heartbeat thread keeps
        the job fresh); each report also feeds the watchdog."""
        last = {"progress": 0.0}

        def report(percent: int, message: str) -> None:
            now = time.monotonic()
            self.on_beat()
            # 100 % is written with the result itself
            if now - last["progress"] >= PROGRESS_INTERVAL and percent < 100:
                last["progress"] = now
                if credential is not None:
                    message = credential.scrub(message)
                with suppress(StoreUnavailable):  # progress is best effort; the result is not
                    self.store.set_progress(job.scan_id, percent, message)

        return report

    def _fields(self, scan_id: str | None = None, org: str | None = None) -> dict[str, Any]:
        """Journal fields of a log line (dgp.apps.logs): ids only, never personal data."""
        return {"dgp_scan_id": scan_id, "dgp_scanner": self.kind, "dgp_org": org}

    def _patiently(self, action: Callable[[], T]) -> T:
        """Run `action`, waiting out an outage of Postgres or Redis (until told to stop)."""
        for attempt in range(10**9):
            try:
                return action()
            except OUTAGES as e:
                delay = OUTAGE_BACKOFF[min(attempt, len(OUTAGE_BACKOFF) - 1)]
                log.warning(
                    "%s unavailable, retrying in %.1f s",
                    _service(e),
                    delay,
                    extra=self._fields(),
                )
                self.on_beat()
                if self.stop.wait(delay):
                    raise
        raise AssertionError("unreachable")


def _without(credential: Credential, result: ScanResult) -> ScanResult:
    """`result` with the credential's value replaced wherever a scanner let it through
    (a finding's text, the error, the progress message): nothing stored holds it."""
    scan = result.scan
    if scan.error:
        scan.error = credential.scrub(scan.error)
    scan.progress_message = credential.scrub(scan.progress_message)
    findings = []
    for finding in result.findings:
        data = finding.to_dict()
        clean = scrubbed(data, credential)
        findings.append(finding if clean == data else Finding.from_dict(clean))
    return replace(result, findings=findings)


def _upload_folder(claimed: ClaimedScan) -> AbstractContextManager[str]:
    """A folder for the scan's upload, written there under its own name (the type
    shows); a scan without an upload needs none."""
    if claimed.upload_id:
        return tempfile.TemporaryDirectory(prefix="dgp-job-")
    return nullcontext("")


def _service(error: Exception) -> str:
    return "Postgres" if isinstance(error, StoreUnavailable) else "Redis"
