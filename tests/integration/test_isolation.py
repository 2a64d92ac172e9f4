"""Jobs of an isolated kind through a running consumer (Redis -> worker -> Postgres).

Each job runs in a child process with hard limits (dgp.plumbing.isolation). Whatever
the scan does (hang, eat memory, crash, leave processes running) its scan ends done
or failed with the reason, the consumer goes on with its next job, and no process of
the job is left.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from dgp import kinds
from dgp.domain.job import ScanInputs, ScanJob
from dgp.domain.scan import Scan
from dgp.kinds import KindSpec
from dgp.plumbing.isolation import IsolatedScan
from dgp.plumbing.queue import JobQueue, Liveness
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ScanStore
from dgp.plumbing.worker import Worker
from tests import isolatedkind, toykind
from tests.integration.conftest import HASH_KEY

pytestmark = pytest.mark.integration

TEXT = "klant bsn 111222333, mail jan.jansen@example.nl"
ENDED = ("done", "failed", "degraded")


@pytest.fixture
def misbehaving() -> Iterator[KindSpec]:
    yield kinds.register(isolatedkind.SPEC)
    kinds.unregister(isolatedkind.SPEC.name)


@pytest.fixture
def consumer(
    misbehaving: KindSpec, queue: JobQueue, store: ScanStore, settings: Settings
) -> Iterator[Worker]:
    """A worker of the misbehaving kind, consuming in a thread as a scanner app's does."""
    worker = Worker.for_kind(misbehaving, queue, store, settings, "m1")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    yield worker
    worker.stop.set()
    thread.join(timeout=120)
    assert not thread.is_alive()


def run(store: ScanStore, queue: JobQueue, org: str, target: str, **limits: float) -> Scan:
    """Submit a scan of the misbehaving kind and wait until it has ended."""
    options = {"limits": limits} if limits else {}
    scan_id = store.start_scan(org, None, isolatedkind.SPEC.name, target, options).id
    queue.submit(isolatedkind.SPEC.name, scan_id)
    deadline = time.monotonic() + 300  # a bound for a broken build, not a timing
    while (scan := store.get_scan(org, scan_id)) is None or scan.status.value not in ENDED:
        assert time.monotonic() < deadline, f"scan still {scan.status.value if scan else None}"
        time.sleep(0.05)
    return scan


def live(group: int, pids: list[int]) -> list[int]:
    """The processes of `group`, and those of `pids`, that still run (not zombies)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != b"Z" and (int(fields[3]) == group or int(entry.name) in pids):
            found.append(int(entry.name))
    return found


Ended = Callable[..., Scan]


@pytest.fixture
def ended_helpers(
    store: ScanStore, queue: JobQueue, org: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Ended:
    """Runs a scan whose target (`hang` or `leave`) starts three helper processes, and
    checks that the scan led a process group and that the helpers were ended and counted."""

    def scan(command: str, **limits: float) -> Scan:
        record = tmp_path / f"{command}.json"
        with caplog.at_level(logging.INFO, logger="dgp.plumbing.isolation"):
            ended = run(store, queue, org, f"{command} {record}", **limits)
        started = json.loads(record.read_text())
        assert started["group"] == started["scan"]  # it led a process group of its own
        assert len(started["helpers"]) == 3
        assert live(started["group"], started["helpers"]) == []
        assert "ended 3 processes the scan left running" in caplog.messages
        return ended

    return scan


def still_consuming(store: ScanStore, queue: JobQueue, org: str, consumer: Worker) -> None:
    """The consumer is alive and its next job is done."""
    assert run(store, queue, org, TEXT).status.value == "done"
    assert consumer.stats.failed >= 1 and Liveness(queue).alive(isolatedkind.SPEC.name) == ["m1"]


def test_a_hung_scan_fails_at_its_time_limit_and_takes_its_processes_with_it(
    store: ScanStore, queue: JobQueue, org: str, consumer: Worker, ended_helpers: Ended
) -> None:
    scan = ended_helpers("hang", timeout_seconds=0.5)
    assert scan.status.value == "failed"
    assert scan.error == "the scan exceeded its time limit of 0.5 s and was stopped"
    assert (scan.progress, scan.progress_message) == (5, "hanging")  # relayed from the child
    still_consuming(store, queue, org, consumer)


@pytest.mark.parametrize(
    ("target", "limits", "reason"),
    [
        ("allocate", {}, "the scan ran out of its memory limit of 256 MiB and was stopped"),
        (  # a scan may ask for less than its kind's limit
            "allocate",
            {"max_memory_bytes": 128 * 1024 * 1024},
            "the scan ran out of its memory limit of 128 MiB and was stopped",
        ),
        ("crash", {}, "the scanner crashed (SIGSEGV); the input may be malformed"),
        ("raise", {}, "the scanner failed (KeyError); the input may be malformed"),  # unquoted
        ("refuse", {}, "the misbehaving kind refuses this target"),  # meant for the user
    ],
    ids=["past its memory limit", "past a lower one", "SIGSEGV", "an exception", "input error"],
)
def test_a_scan_that_fails_in_its_child_fails_with_the_reason(
    store: ScanStore,
    queue: JobQueue,
    org: str,
    consumer: Worker,
    target: str,
    limits: dict[str, float],
    reason: str,
) -> None:
    scan = run(store, queue, org, target, **limits)
    assert (scan.status.value, scan.error) == ("failed", reason)
    still_consuming(store, queue, org, consumer)


def test_processes_a_finished_scan_leaves_running_are_ended(
    consumer: Worker, ended_helpers: Ended
) -> None:
    assert ended_helpers("leave").status.value == "done"


def test_an_unreachable_target_counts_in_its_hosts_breaker_across_the_process_boundary(
    store: ScanStore, queue: JobQueue, org: str, consumer: Worker
) -> None:
    unreachable = [run(store, queue, org, "unreachable").status.value for _ in range(4)]
    assert unreachable == ["failed", "failed", "failed", "degraded"]
    still_consuming(store, queue, org, consumer)


def test_a_normal_scan_stores_what_it_would_store_in_process(
    store: ScanStore, queue: JobQueue, org: str, consumer: Worker
) -> None:
    scan = run(store, queue, org, TEXT)
    assert scan.status.value == "done" and scan.progress == 100
    stored, total = store.list_findings(org, scan.id)
    job = ScanJob(isolatedkind.SPEC.name, TEXT, isolatedkind.SPEC.options(), scan_id=scan.id)
    expected = isolatedkind.scan(job, ScanInputs(HASH_KEY))
    assert total == len(expected.findings) == 2
    assert [f.to_dict() for f in stored] == [f.to_dict() for f in expected.findings]
    assert scan.stats.to_dict() == expected.scan.stats.to_dict()
    assert scan.score == expected.scan.score


def test_the_isolated_kinds_setting_isolates_a_kind_whose_spec_does_not(
    store: ScanStore, queue: JobQueue, settings: Settings
) -> None:
    kinds.register(toykind.SPEC)
    try:
        plain = Worker.for_kind("toy", queue, store, settings, "t1")
        chosen = replace(settings, isolated_kinds="document, toy")
        isolated = Worker.for_kind("toy", queue, store, chosen, "t2")
    finally:
        kinds.unregister(toykind.SPEC.name)
    assert not isinstance(plain.scan, IsolatedScan)
    assert isinstance(isolated.scan, IsolatedScan)
    assert isolated.scan.implementation == toykind.__name__
