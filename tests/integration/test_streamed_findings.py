"""Findings stream from the scan to Postgres in pages: stored in order, idempotent, fenced
by the delivery, and a scan cut short mid-way and delivered again ends with each finding
once (real Redis and Postgres)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dgp.domain.job import ScanInputs, ScanJob
from dgp.plumbing import worker as worker_module
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ScanStore
from dgp.plumbing.worker import Worker
from dgp.scanners import session as session_module
from dgp.scanners.code import scanner as code
from tests.integration.conftest import code_tree
from tests.integration.test_worker import direct, stored_findings, submit

pytestmark = [pytest.mark.integration, pytest.mark.settings(max_deliveries=3)]


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 3 from the session, stored 5 at a time: a small tree makes many."""
    monkeypatch.setattr(session_module, "PAGE_SIZE", 3)
    monkeypatch.setattr(worker_module, "STORE_PAGE", 5)


class Crash(BaseException):
    """Stands for the scanner's process dying (kill -9, OOM) in the middle of a scan."""


def test_pages_are_stored_in_the_scans_order(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    tree = str(code_tree(tmp_path / "tree", files=8, lines=3))
    scan_id = submit(store, queue, org, "code", tree)
    stored_pages: list[int] = []
    real_add = store.add_findings

    def counting(*args, **kwargs):  # the store's own method, its calls counted
        stored_pages.append(len(args[2]))
        return real_add(*args, **kwargs)

    store.add_findings = counting  # type: ignore[method-assign]
    assert Worker.for_kind("code", queue, store, settings, "c1").run_once(block_ms=100)
    expected = direct("code", tree, scan_id).findings
    assert len(stored_pages) >= 3  # written while the scan ran, not only at its end
    got = stored_findings(store, org, scan_id)
    assert [f.id for f in got] == [f.id for f in expected]
    assert [f.id for f in store.iter_findings(org, scan_id, page=7)] == [f.id for f in expected]
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.status.value == "done"
    assert sum(scan.stats.findings_by_severity.values()) == len(expected)
    assert queue.depth("code").pending == 0


def test_a_scan_cut_short_after_some_pages_runs_again_without_duplicates(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, tmp_path: Path
) -> None:
    tree = str(code_tree(tmp_path / "tree", files=8, lines=3))
    scan_id = submit(store, queue, org, "code", tree)

    def dies_after_two_pages(job: ScanJob, inputs: ScanInputs):
        handed = {"pages": 0}
        pages = inputs.pages
        assert pages is not None

        def counting(findings):
            pages(findings)
            handed["pages"] += 1
            if handed["pages"] == 4:  # at least one page of 5 is stored by now
                raise Crash

        inputs.pages = counting
        return code.scan(job, inputs)

    first = Worker("code", queue, store, settings, "c1", scan=dies_after_two_pages)
    with pytest.raises(Crash):
        first.run_once(block_ms=100)
    partial = stored_findings(store, org, scan_id)
    assert partial  # pages of the cut-short delivery are in Postgres, the job is not ACKed
    assert queue.depth("code").pending == 1
    # the same consumer, restarted, reads its pending job first
    assert Worker.for_kind("code", queue, store, settings, "c1").run_once(block_ms=100)
    expected = direct("code", tree, scan_id).findings
    got = stored_findings(store, org, scan_id)
    assert [f.id for f in got] == [f.id for f in expected]
    assert len({f.fingerprint for f in got}) == len(got)
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.status.value == "done"
    assert queue.depth("code").pending == 0


def test_a_page_of_an_earlier_delivery_writes_nothing(
    store: ScanStore, queue: JobQueue, org: str, tmp_path: Path
) -> None:
    tree = str(code_tree(tmp_path / "tree", files=2, lines=2))
    scan_id = submit(store, queue, org, "code", tree)
    findings = direct("code", tree, scan_id).findings
    old = store.claim_scan(scan_id)
    assert old is not None and store.add_findings(scan_id, old.deliveries, findings[:2], 0)
    assert store.add_findings(scan_id, old.deliveries, findings[:2], 0)  # again: nothing more
    assert len(stored_findings(store, org, scan_id)) == 2
    new = store.claim_scan(scan_id)  # the janitor handed the job to another consumer
    assert new is not None and new.deliveries == old.deliveries + 1
    assert stored_findings(store, org, scan_id) == []  # the earlier delivery's pages went
    assert not store.add_findings(scan_id, old.deliveries, findings, 0)
    assert store.add_findings(scan_id, new.deliveries, findings, 0)
    assert [f.id for f in stored_findings(store, org, scan_id)] == [f.id for f in findings]
