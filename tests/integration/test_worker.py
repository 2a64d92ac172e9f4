"""Jobs through real processes: queue (Redis) -> worker -> store (Postgres).

Nothing is lost: a job ends done or failed-with-reason, never twice. Workers that
must die (kill -9, a crash on every delivery) run as subprocesses; a test-only
crash is injected in the subprocess only, never in a production code path.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from contextlib import ExitStack, closing, suppress
from pathlib import Path

import pytest
import redis

from dgp.domain.job import ScanInputs, ScanJob
from dgp.domain.options import ScanOptions
from dgp.plumbing import worker as worker_module
from dgp.plumbing.janitor import Janitor
from dgp.plumbing.queue import GROUP, JobQueue, Liveness
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ScanStore, StoreUnavailable
from dgp.plumbing.worker import Worker
from dgp.scanners.code import scanner as code
from dgp.scanners.document import scanner as document
from tests.integration.conftest import (
    HASH_KEY,
    REDIS_URL,
    code_tree,
    consuming,
    delete_keys,
    wait_for,
    waiting_in_xreadgroup,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.settings(max_deliveries=3, reclaim_idle_seconds=0.5),
]

ROOT = Path(__file__).resolve().parents[2]


def submit(store: ScanStore, queue: JobQueue, org: str, kind: str, target: str) -> str:
    scan_id = store.start_scan(org, None, kind, target, {}).id
    queue.submit(kind, scan_id)
    return scan_id


def direct(kind: str, target: str, scan_id: str):
    module = {"code": code, "document": document}[kind]
    return module.scan(ScanJob(kind, target, ScanOptions(), scan_id=scan_id), ScanInputs(HASH_KEY))


def stored_findings(store: ScanStore, org: str, scan_id: str) -> list:
    """Every stored finding of the scan, page by page."""
    findings: list = []
    while True:
        page, total = store.list_findings(org, scan_id, limit=1000, offset=len(findings))
        findings += page
        if not page or len(findings) >= total:
            assert len(findings) == total
            return findings


def same_findings(store: ScanStore, org: str, scan_id: str, kind: str, target: str) -> None:
    expected = direct(kind, target, scan_id).findings
    got = stored_findings(store, org, scan_id)
    key = lambda f: (f.fingerprint, f.rule_id, f.location.path, f.location.line)  # noqa: E731
    assert sorted(map(key, got)) == sorted(map(key, expected))
    assert len({f.fingerprint for f in got}) == len(got)  # no duplicates


# -- the happy path ---------------------------------------------------------------------


def test_code_and_document_scans_end_done_with_the_direct_findings(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    tree = str(code_tree(tmp_path / "tree"))
    docs = str(ROOT / "samples" / "documents")
    code_scan = submit(store, queue, org, "code", tree)
    doc_scan = submit(store, queue, org, "document", docs)
    assert Worker.for_kind("code", queue, store, settings, "c1").run_once(block_ms=100)
    assert Worker.for_kind("document", queue, store, settings, "d1").run_once(block_ms=100)
    for scan_id, kind, target in ((code_scan, "code", tree), (doc_scan, "document", docs)):
        scan = store.get_scan(org, scan_id)
        assert scan is not None and scan.status.value == "done" and scan.progress == 100
        same_findings(store, org, scan_id, kind, target)
    assert queue.depth("code").pending == 0 and queue.depth("document").pending == 0


def test_an_input_error_fails_the_scan_with_the_reason(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    scan_id = submit(store, queue, org, "code", str(tmp_path / "missing"))
    Worker.for_kind("code", queue, store, settings, "c1").run_once(block_ms=100)
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.status.value == "failed"
    assert "no such file or folder" in (scan.error or "")
    assert queue.depth("code").pending == 0


# -- processes that die --------------------------------------------------------------


CRASH_IN_SCANNER = "import os, dgp.scanners.code.scanner as c; c.scan = lambda *a: os._exit(137)\n"
CRASH_BEFORE_SAVING = (
    "import os, dgp.plumbing.store as s\ns.ScanStore.save_results = lambda *a: os._exit(137)\n"
)


def stall_after_the_first_file(marker: Path) -> str:
    """Test-only code for start_worker: the code scanner, once it has scanned its first
    file, creates `marker` and waits for ever, so a test can kill it there: at a known
    point of a scan, however fast the machine is."""
    return (
        "import dataclasses, threading, dgp.scanners.code.scanner as c\n"
        "def stalling(scan):\n"
        "    def wrapper(job, inputs):\n"
        "        reports = []\n"
        "        def report(percent, message):\n"
        "            inputs.progress(percent, message)\n"
        "            reports.append(message)\n"
        "            if len(reports) == 2:  # reported before each file: the first is done\n"
        f"                open({str(marker)!r}, 'w').close()\n"
        "                threading.Event().wait()\n"
        "        return scan(job, dataclasses.replace(inputs, progress=report))\n"
        "    return wrapper\n"
        "c.scan = stalling(c.scan)\n"
    )


def start_worker(
    env: dict[str, str], consumer: str, *, once: bool = False, crash: bool = False, setup: str = ""
) -> subprocess.Popen:
    """`dgp worker code` in a process of its own; `crash` makes its scanner kill it,
    `setup` is test-only code run first in that process."""
    setup = CRASH_IN_SCANNER if crash else setup
    args = ["worker", "code", "--consumer", consumer] + (["--once"] if once else [])
    program = setup + f"from dgp.cli import main; raise SystemExit(main({args!r}))"
    return subprocess.Popen(
        [sys.executable, "-c", program],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_job_that_crashes_its_scanner_every_time_is_dead_lettered(
    store: ScanStore,
    queue: JobQueue,
    settings: Settings,
    env: dict[str, str],
    org: str,
    tmp_path: Path,
) -> None:
    scan_id = submit(store, queue, org, "code", str(code_tree(tmp_path / "t")))
    codes = []
    for _ in range(settings.max_deliveries + 1):  # systemd would restart it like this
        process = start_worker(env, "c1", once=True, crash=True)
        codes.append(process.wait(timeout=60))
    assert codes == [137] * settings.max_deliveries + [0]
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.status.value == "failed"
    assert f"gave up after {settings.max_deliveries} deliveries" in (scan.error or "")
    dead = queue.redis.xrange(queue.dead_letters("code"))
    assert [d[1][b"scan_id"].decode() for d in dead] == [scan_id]
    assert queue.depth("code").pending == 0


def test_kill_9_in_the_middle_of_a_scan(
    store: ScanStore,
    queue: JobQueue,
    settings: Settings,
    env: dict[str, str],
    org: str,
    tmp_path: Path,
) -> None:
    tree = code_tree(tmp_path / "tree", files=20)
    scan_id = submit(store, queue, org, "code", str(tree))
    marker = tmp_path / "first-file-scanned"
    first = start_worker(env, "c1", setup=stall_after_the_first_file(marker))
    try:
        wait_for(marker.exists)  # the scan is under way: one file of twenty done
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    assert store.get_scan(org, scan_id).status.value == "running"  # type: ignore[union-attr]
    # the restarted process (same stable consumer name) finds the job in its pending list
    second = start_worker(env, "c1", once=True)
    assert second.wait(timeout=120) == 0
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.status.value == "done"
    assert deliveries(store, [scan_id]) == {2}
    same_findings(store, org, scan_id, "code", str(tree))
    assert queue.depth("code").pending == 0


def test_quick_jobs_are_saved_together_and_acked_only_after_the_commit(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    tree = str(code_tree(tmp_path / "t", files=1))
    ids = [submit(store, queue, org, "code", tree) for _ in range(40)]
    batches: list[int] = []
    save_results = store.save_results

    def save_and_record(results):  # the real store, watched
        unacked = queue.depth("code").pending
        assert unacked >= len(results)  # none of these is ACKed before its commit
        batches.append(len(results))
        return save_results(results)

    store.save_results = save_and_record  # type: ignore[method-assign]
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    with consuming(worker):
        wait_for(lambda: all_done(store, org, ids), seconds=60)
    assert sum(batches) == len(ids) and max(batches) > 1
    assert queue.depth("code").pending == 0


@pytest.fixture
def lenient_quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-file scan counts as quick even on a loaded machine (the worker's own bound,
    20 ms, is for production): tests of batching must not depend on the machine's speed."""
    monkeypatch.setattr(worker_module, "QUICK_JOB", 0.25)


@pytest.mark.usefixtures("lenient_quick")
def test_quick_jobs_are_read_several_at_a_time_and_a_slow_one_sets_that_back(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    tree = str(code_tree(tmp_path / "t", files=1))
    quick = [submit(store, queue, org, "code", tree) for _ in range(40)]
    slow = submit(store, queue, org, "code", tree)
    after: list[str] = []  # submitted while the slow one runs
    reads: list[tuple[int, list[str]]] = []  # (count asked, scan ids got)
    read_many = queue.read_many

    def read_and_record(kind, consumer, count, *args, **kwargs):  # the real queue, watched
        jobs = read_many(kind, consumer, count, *args, **kwargs)
        if jobs:
            reads.append((count, [j.scan_id for j in jobs]))
        return jobs

    queue.read_many = read_and_record  # type: ignore[method-assign]
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    scan = worker.scan

    def scan_slowly_once(job, inputs):
        if job.scan_id == slow:
            after.extend(submit(store, queue, org, "code", tree) for _ in range(5))
            time.sleep(0.6)  # slower than lenient_quick's bound
        return scan(job, inputs)

    worker.scan = scan_slowly_once  # type: ignore[method-assign]
    with consuming(worker):
        wait_for(lambda: len(after) == 5 and all_done(store, org, [*quick, slow, *after]), 60)
    assert sum(len(got) for _, got in reads) == 46  # each job read once
    assert len(reads) < 20 and max(count for count, _ in reads) > 4
    slow_read = next(n for n, (_, got) in enumerate(reads) if slow in got)
    assert reads[slow_read + 1][0] == 1  # after the slow job: one at a time again
    assert queue.depth("code").pending == 0
    with store.db.transaction() as cur:
        cur.execute("SELECT max(deliveries) FROM scans WHERE organisation_id = %s", (org,))
        assert cur.fetchone()[0] == 1


def deliveries(store: ScanStore, ids: list[str]) -> set[int]:
    with store.db.transaction() as cur:
        cur.execute("SELECT deliveries FROM scans WHERE id = ANY(%s::uuid[])", (ids,))
        return {row[0] for row in cur.fetchall()}


def queue_at_once(store: ScanStore, queue: JobQueue, org: str, tree: str, n: int) -> list[str]:
    """n scans whose jobs enter the stream together, so that one read can take them all.
    (The rows first: a worker that reads a job must find its scan.)"""
    ids = [store.start_scan(org, None, "code", tree, {}).id for _ in range(n)]
    pipe = queue.redis.pipeline()
    for scan_id in ids:
        pipe.xadd(queue.stream("code"), {"scan_id": scan_id})
    pipe.execute()
    return ids


def warm(store: ScanStore, queue: JobQueue, org: str, tree: str, worker: Worker) -> None:
    """Quick jobs until the worker reads many at a time."""
    quick = [submit(store, queue, org, "code", tree) for _ in range(40)]
    wait_for(lambda: all_done(store, org, quick), seconds=60)
    assert worker._read_size > 8


@pytest.mark.usefixtures("lenient_quick")
def test_jobs_waiting_behind_a_slow_one_go_back_to_the_queue_for_another_consumer(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    tree = str(code_tree(tmp_path / "t", files=1))
    first, second = (Worker.for_kind("code", queue, store, settings, name) for name in ("c1", "c2"))
    scan = first.scan
    slow: list[str] = []
    behind: list[str] = []
    slow_ended_with: list[bool] = []

    def slow_until_the_others_are_done(job, inputs):
        if job.scan_id in slow:  # the others were read with it: c2 must run them meanwhile
            later.enter_context(consuming(second))
            with suppress(AssertionError):
                wait_for(lambda: all_done(store, org, behind), seconds=20)
            slow_ended_with.append(all_done(store, org, behind))
        return scan(job, inputs)

    first.scan = slow_until_the_others_are_done  # type: ignore[method-assign]
    with consuming(first), ExitStack() as later:  # `later`: the second, once started
        warm(store, queue, org, tree, first)
        slow_first, *others = queue_at_once(store, queue, org, tree, 11)
        slow.append(slow_first)
        behind += others
        wait_for(lambda: all_done(store, org, [*slow, *behind]), seconds=60)
    assert slow_ended_with == [True]
    assert second.stats.processed == len(behind) and deliveries(store, behind) == {1}
    assert queue.depth("code").pending == 0


@pytest.mark.usefixtures("lenient_quick")
def test_asked_to_stop_mid_batch_the_jobs_not_started_go_back_uncounted(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    tree = str(code_tree(tmp_path / "t", files=1))
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    scan = worker.scan
    batch: list[str] = []

    def stop_at_the_third(job, inputs):
        if batch and job.scan_id == batch[2]:
            worker.stop.set()
        return scan(job, inputs)

    worker.scan = stop_at_the_third  # type: ignore[method-assign]
    with consuming(worker) as threads:
        warm(store, queue, org, tree, worker)
        ids = queue_at_once(store, queue, org, tree, 10)
        batch += ids
        wait_for(lambda: not threads[0].is_alive(), seconds=60)  # it stopped itself
    ran = [i for i in ids if store.get_scan(org, i).status.value == "done"]  # type: ignore[union-attr]
    assert ran == ids[:3]
    rest = [store.get_scan(org, i) for i in ids[3:]]
    assert {s.status.value for s in rest if s} == {"queued"} and deliveries(store, ids[3:]) == {0}
    assert queue.depth("code").pending == 0  # handed back: new entries, not pending here
    again = Worker.for_kind("code", queue, store, settings, "c1")
    with consuming(again):
        wait_for(lambda: all_done(store, org, ids), seconds=60)
    assert deliveries(store, ids) == {1}


@pytest.mark.usefixtures("lenient_quick")
def test_an_outage_in_the_middle_of_a_batch_costs_no_job_a_delivery(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    tree = str(code_tree(tmp_path / "t", files=1))
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    scan = worker.scan
    batch: list[str] = []
    cut: list[str] = []

    def postgres_gone_once(job, inputs):
        if batch and job.scan_id == batch[4] and not cut:
            cut.append(job.scan_id)
            raise StoreUnavailable("Postgres went away (test)")
        return scan(job, inputs)

    worker.scan = postgres_gone_once  # type: ignore[method-assign]
    with consuming(worker):
        warm(store, queue, org, tree, worker)
        ids = queue_at_once(store, queue, org, tree, 10)
        batch += ids
        wait_for(lambda: all_done(store, org, ids), seconds=60)
    assert cut == [ids[4]]  # the outage happened, in the middle of the batch
    assert deliveries(store, ids) == {1}
    assert queue.depth("code").pending == 0


def test_the_heartbeat_keeps_waiting_and_unsaved_jobs_from_the_janitor(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    tree = str(code_tree(tmp_path / "t", files=1))
    ids = [submit(store, queue, org, "code", tree) for _ in range(3)]
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    jobs = queue.read_many("code", "c1", 3, block_ms=100)
    worker.claim(jobs)
    finished = worker.held.start_next()
    assert finished is not None
    worker.handle(finished.job, finished.scan)  # one ran, its result not yet saved,
    worker.held.finish()
    assert worker.held.start_next() is not None  # one runs, one waits
    assert len(worker._unsaved) == 1 and worker.held.waiting()
    time.sleep(0.6)  # longer than reclaim_idle_seconds (0.5 s here)
    worker._freshened_at = float("-inf")
    worker._heartbeat()
    assert queue.reclaim("code", "c2", min_idle_ms=500) == []  # none of the three
    assert {j.scan_id for j in queue.read_many("code", "c1", 10, 0, own_only=True)} == set(ids)


def test_results_lost_before_their_commit_are_run_again(
    store: ScanStore,
    queue: JobQueue,
    settings: Settings,
    env: dict[str, str],
    org: str,
    tmp_path: Path,
) -> None:
    tree = str(code_tree(tmp_path / "t", files=1))
    ids = [submit(store, queue, org, "code", tree) for _ in range(10)]
    dying = start_worker(env, "c1", setup=CRASH_BEFORE_SAVING)
    assert dying.wait(timeout=60) == 137  # scans ran, the process died before saving
    assert queue.depth("code").pending >= 1
    worker = start_worker(env, "c1")
    try:
        wait_for(lambda: all_done(store, org, ids), seconds=60)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    expected = len(direct("code", tree, ids[0]).findings)
    assert all(len(stored_findings(store, org, i)) == expected for i in ids)
    assert queue.depth("code").pending == 0


def test_the_janitor_hands_a_dead_consumers_job_to_a_live_one(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    scan_id = submit(store, queue, org, "code", str(code_tree(tmp_path / "t")))
    assert queue.read("code", "dead-host-code", block_ms=100) is not None  # then it died
    live = Worker.for_kind("code", queue, store, settings, "live-host-code")
    assert not live.run_once(block_ms=50)  # not its job (yet); also marks it alive
    time.sleep(settings.reclaim_idle_seconds + 0.1)
    report = Janitor(queue, store, settings).run_once(["code"])
    assert report["code"]["reclaimed"] == 1
    assert live.run_once(block_ms=100)
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.status.value == "done"


# -- Redis and Postgres restarted under load --------------------------------------------


def all_done(store: ScanStore, org: str, ids: list[str]) -> bool:
    return all(store.get_scan(org, i).status.value == "done" for i in ids)  # type: ignore[union-attr]


def run_through_an_outage(
    store: ScanStore,
    queue: JobQueue,
    settings: Settings,
    org: str,
    tmp_path: Path,
    jobs: int,
    outage_after: int,
    outage: list[str],
) -> None:
    """Run `jobs` scans through a worker, run the `outage` command after `outage_after`
    are done, and check that every job then ends done exactly once."""
    tree = str(code_tree(tmp_path / "t", files=1))
    ids = [submit(store, queue, org, "code", tree) for _ in range(jobs)]
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    with consuming(worker):
        wait_for(lambda: worker.stats.processed >= outage_after, seconds=60)
        subprocess.run(outage, check=True, stdout=subprocess.DEVNULL)
        wait_for(lambda: _quietly(lambda: all_done(store, org, ids)), seconds=120, step=0.5)
    expected = len(direct("code", tree, ids[0]).findings)
    assert expected > 0
    for scan_id in ids:  # every job done exactly once: the same findings, no duplicates
        assert len(stored_findings(store, org, scan_id)) == expected
    assert queue.depth("code").pending == 0


def test_redis_restarted_during_a_run_of_200_jobs(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    restart = f"redis-cli -p 6399 shutdown; sleep 0.5; bash {ROOT / 'tests/services/up.sh'}"
    run_through_an_outage(
        store,
        queue,
        settings,
        org,
        tmp_path,
        jobs=200,
        outage_after=40,
        outage=["bash", "-c", restart],
    )


def test_postgres_restarted_during_a_run(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    run_through_an_outage(
        store,
        queue,
        settings,
        org,
        tmp_path,
        jobs=60,
        outage_after=10,
        outage=["pg_ctlcluster", "15", "main", "restart"],
    )


def _quietly(check) -> bool:
    try:
        return bool(check())
    except Exception:
        return False


def test_a_target_host_that_keeps_failing_makes_scans_degraded(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str
) -> None:
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    url = "git://127.0.0.1:1/repo.git"  # nothing listens on loopback port 1
    ids = [submit(store, queue, org, "code", url) for _ in range(5)]
    for _ in ids:
        assert worker.run_once(block_ms=100)
    scans = [store.get_scan(org, i) for i in ids]
    statuses = [s.status.value for s in scans]  # type: ignore[union-attr]
    assert statuses[:3] == ["failed"] * 3  # the host did not answer: said why
    assert "cannot clone the repository" in (scans[0].error or "")  # type: ignore[union-attr]
    assert statuses[3:] == ["degraded"] * 2  # the breaker is open: not tried again
    assert "circuit open" in (scans[-1].error or "")  # type: ignore[union-attr]
    assert queue.depth("code").pending == 0


def test_an_unexpected_scanner_error_fails_the_scan_instead_of_the_consumer(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    target = str(code_tree(tmp_path / "t"))
    scan_id = store.start_scan(org, None, "code", target, {"limits": {"max_items": "lots"}}).id
    queue.submit("code", scan_id)
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    assert worker.run_once(block_ms=100)  # no exception escapes
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.status.value == "failed"
    assert "the scanner failed (TypeError)" in (scan.error or "")
    assert queue.depth("code").pending == 0


def test_the_target_breaker_is_per_host_and_port(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str
) -> None:
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    for _ in range(3):  # opens target:127.0.0.1:1
        submit(store, queue, org, "code", "git://127.0.0.1:1/repo.git")
        worker.run_once(block_ms=100)
    other = submit(store, queue, org, "code", "git://127.0.0.1:2/repo.git")
    worker.run_once(block_ms=100)
    scan = store.get_scan(org, other)
    assert scan is not None and scan.status.value == "failed"  # tried, not degraded
    assert "circuit open" not in (scan.error or "")


def test_a_consumer_that_stops_cleanly_is_no_longer_alive(
    store: ScanStore, queue: JobQueue, settings: Settings
) -> None:
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    with consuming(worker):
        wait_for(lambda: Liveness(queue).alive("code") == ["c1"], seconds=10)
    assert Liveness(queue).alive("code") == []


# -- Redis loses the stream or its group (FLUSHALL, a restore without AOF) ---------------


def queue_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "dgp.plumbing.queue" and r.levelno >= logging.WARNING
    ]


def test_a_worker_waiting_on_a_stream_that_is_deleted_goes_on_consuming(
    store: ScanStore,
    queue: JobQueue,
    settings: Settings,
    org: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = f"{settings.key_prefix}-worker"
    own = JobQueue(redis.Redis.from_url(REDIS_URL, client_name=name), settings.key_prefix)
    worker = Worker.for_kind("code", own, store, settings, "c1")
    with closing(own.redis), consuming(worker) as threads:
        wait_for(lambda: waiting_in_xreadgroup(queue.redis, name))
        queue.redis.delete(queue.stream("code"))  # its XREADGROUP answers UNBLOCKED
        wait_for(lambda: waiting_in_xreadgroup(queue.redis, name))  # waiting again
        tree = str(code_tree(tmp_path / "t", files=1))
        scan_id = submit(store, queue, org, "code", tree)
        wait_for(lambda: all_done(store, org, [scan_id]))
        assert threads[0].is_alive()
    same_findings(store, org, scan_id, "code", tree)
    assert len(queue_warnings(caplog)) == 1


@pytest.mark.parametrize("lost", ["every key", "the group"])
def test_an_idle_worker_whose_stream_or_group_was_lost_consumes_the_next_job(
    store: ScanStore,
    queue: JobQueue,
    settings: Settings,
    org: str,
    tmp_path: Path,
    lost: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = Worker.for_kind("code", queue, store, settings, "c1")
    assert not worker.run_once(block_ms=50)  # the group is made and known
    if lost == "every key":  # as FLUSHDB would, but only this test's keys
        delete_keys(queue.redis, settings.key_prefix)
    else:
        queue.redis.xgroup_destroy(queue.stream("code"), GROUP)
    scan_id = submit(store, queue, org, "code", str(code_tree(tmp_path / "t", files=1)))
    assert worker.run_once(block_ms=100)
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.status.value == "done"
    assert len(queue_warnings(caplog)) == 1
    assert queue.depth("code").pending == 0
