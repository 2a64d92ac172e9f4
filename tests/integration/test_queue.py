"""The Redis Streams job queue against a real Redis (tests/services/up.sh starts it)."""

from __future__ import annotations

import logging
import threading
import time

import pytest
import redis

from dgp.plumbing.queue import GROUP, JobQueue, Liveness
from tests.integration.conftest import REDIS_URL, delete_keys, wait_for, waiting_in_xreadgroup

pytestmark = pytest.mark.integration


def test_submit_read_ack(queue: JobQueue) -> None:
    queue.submit("code", "scan-1")
    job = queue.read("code", "c1", block_ms=100)
    assert job is not None and job.scan_id == "scan-1" and job.deliveries == 1
    assert queue.depth("code").pending == 1
    queue.ack(job)
    assert queue.depth("code").pending == 0
    assert queue.read("code", "c1", block_ms=100) is None


def test_a_consumer_gets_its_own_pending_job_first(queue: JobQueue) -> None:
    queue.submit("code", "scan-1")
    queue.submit("code", "scan-2")
    first = queue.read("code", "c1", block_ms=100)
    assert first is not None and first.scan_id == "scan-1"
    # c1 "crashed" without ACK: after its restart it is handed the same job again
    again = queue.read("code", "c1", block_ms=100)
    assert again is not None and again.entry_id == first.entry_id and again.deliveries == 2
    other = queue.read("code", "c2", block_ms=100)
    assert other is not None and other.scan_id == "scan-2"


def test_read_many_takes_several_and_counts_own_redeliveries_in_one_look(
    queue: JobQueue,
) -> None:
    for n in range(5):
        queue.submit("code", f"scan-{n}")
    first = queue.read_many("code", "c1", 3, block_ms=100)
    assert [j.scan_id for j in first] == ["scan-0", "scan-1", "scan-2"]
    assert {j.deliveries for j in first} == {1}
    # c1 restarts: its own three come back, each on its second delivery
    again = queue.read_many("code", "c1", 10, block_ms=100)
    assert [j.entry_id for j in again] == [j.entry_id for j in first]
    assert {j.deliveries for j in again} == {2}
    rest = queue.read_many("code", "c1", 10, block_ms=100, own_first=False)
    assert [j.scan_id for j in rest] == ["scan-3", "scan-4"]


def test_an_entry_deleted_while_pending_is_acknowledged_not_returned(queue: JobQueue) -> None:
    queue.submit("code", "scan-1")
    queue.submit("code", "scan-2")
    gone, kept = queue.read_many("code", "c1", 2, block_ms=100)
    queue.redis.xdel(queue.stream("code"), gone.entry_id)
    again = queue.read_many("code", "c1", 10, block_ms=100, own_only=True)
    assert [j.entry_id for j in again] == [kept.entry_id]
    assert queue.depth("code").pending == 1


def test_jobs_submitted_before_the_group_exists_still_run(queue: JobQueue) -> None:
    queue.redis.xadd(queue.stream("document"), {"scan_id": "early"})
    job = queue.read("document", "c1", block_ms=100)
    assert job is not None and job.scan_id == "early"


def test_dead_letter_moves_and_acknowledges(queue: JobQueue) -> None:
    queue.submit("code", "scan-1")
    job = queue.read("code", "c1", block_ms=100)
    assert job is not None
    queue.dead_letter(job, "gave up")
    assert queue.depth("code").pending == 0
    dead = queue.redis.xrange(queue.dead_letters("code"))
    assert len(dead) == 1 and dead[0][1][b"reason"] == b"gave up"
    assert dead[0][1][b"scan_id"] == b"scan-1"


def test_reclaim_takes_idle_jobs_and_counts_the_delivery(queue: JobQueue) -> None:
    queue.submit("code", "scan-1")
    job = queue.read("code", "dead-consumer", block_ms=100)
    assert job is not None
    time.sleep(0.05)
    taken = queue.reclaim("code", "c2", min_idle_ms=10)
    assert [j.scan_id for j in taken] == ["scan-1"] and taken[0].deliveries == 2
    mine = queue.read("code", "c2", block_ms=100)  # now c2's own pending job
    assert mine is not None and mine.entry_id == job.entry_id
    assert queue.reclaim("code", "c3", min_idle_ms=60_000) == []


def test_keep_fresh_protects_a_running_job_without_counting_a_delivery(queue: JobQueue) -> None:
    liveness = Liveness(queue)
    queue.submit("code", "scan-1")
    queue.submit("code", "scan-2")
    jobs = queue.read_many("code", "c1", 2, block_ms=100)  # one running, one waiting
    assert len(jobs) == 2
    time.sleep(0.05)
    liveness.keep_fresh(jobs, "c1")
    assert queue.reclaim("code", "c2", min_idle_ms=40) == []
    assert [queue._deliveries("code", job.entry_id) for job in jobs] == [1, 1]


def test_liveness(queue: JobQueue) -> None:
    liveness = Liveness(queue)
    assert liveness.alive("code") == []
    liveness.beat("code", "host-a-code")
    liveness.beat("code", "host-b-code")
    liveness.beat("document", "host-a-document")
    assert liveness.alive("code") == ["host-a-code", "host-b-code"]


# -- Redis loses the stream or its group (FLUSHALL, a restore without AOF) ---------------


def lose(queue: JobQueue, what: str) -> None:
    """`stream`: every key of this test's prefix goes, as in a FLUSHDB (never the shared
    Redis's other keys); `group`: only the consumer group (XGROUP DESTROY)."""
    if what == "stream":
        delete_keys(queue.redis, queue.prefix)
    else:
        queue.redis.xgroup_destroy(queue.stream("code"), GROUP)


def lost_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "dgp.plumbing.queue" and r.levelno == logging.WARNING
    ]


@pytest.mark.parametrize("what", ["stream", "group"])
def test_a_stream_or_group_lost_between_reads_is_made_again(
    queue: JobQueue, what: str, caplog: pytest.LogCaptureFixture
) -> None:
    queue.submit("code", "before")
    assert queue.read("code", "c1", block_ms=100) is not None  # pending when lost
    lose(queue, what)
    queue.submit("code", "after")  # the group is known here: a bare XADD, as the web app does
    read = [job.scan_id for job in queue.read_many("code", "c1", 10, block_ms=100)]
    # a lost group with its stream kept: its entries run again (id 0); a lost stream: gone
    assert read == (["after"] if what == "stream" else ["before", "after"])
    assert lost_warnings(caplog) == [
        f"the job stream {queue.stream('code')} or its consumer group was lost (Redis "
        "flushed, or restored without its append-only file?): made again; the jobs it "
        "held are gone"
    ]


@pytest.mark.parametrize("what", ["stream", "group"])
def test_depth_reclaim_and_keep_fresh_make_a_lost_group_again(
    queue: JobQueue, what: str, caplog: pytest.LogCaptureFixture
) -> None:
    queue.submit("code", "scan-1")
    job = queue.read("code", "c1", block_ms=100)
    assert job is not None
    lose(queue, what)
    assert queue.depth("code").pending == 0
    lose(queue, what)
    assert queue.reclaim("code", "c2", min_idle_ms=0) == []  # nothing pending in a new group
    lose(queue, what)
    Liveness(queue).keep_fresh([job], "c1")
    assert len(lost_warnings(caplog)) == 3  # one per loss


def test_a_reader_waiting_on_a_stream_that_is_deleted_makes_it_again_and_goes_on(
    queue: JobQueue, caplog: pytest.LogCaptureFixture
) -> None:
    name = f"{queue.prefix}-reader"
    reader = JobQueue(redis.Redis.from_url(REDIS_URL, client_name=name), queue.prefix)
    got: list = []
    thread = threading.Thread(
        target=lambda: got.append(reader.read("code", "c1", block_ms=60_000, own_first=False))
    )
    thread.start()
    try:
        wait_for(lambda: waiting_in_xreadgroup(queue.redis, name))
        queue.redis.delete(queue.stream("code"))  # XREADGROUP answers UNBLOCKED
        wait_for(lambda: waiting_in_xreadgroup(queue.redis, name))  # waiting again
        queue.submit("code", "after")
        thread.join(timeout=30)
    finally:
        queue.submit("code", "stop")  # ends the read if the test failed before
        thread.join(timeout=30)
        reader.redis.close()
    assert [job.scan_id for job in got] == ["after"]
    assert len(lost_warnings(caplog)) == 1
