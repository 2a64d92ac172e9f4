"""An upload holds raw personal data: with delete_uploads_after_scan on, its data is gone
once its scan has ended, whichever way it ended (done, failed, dead-lettered by the
worker or the janitor, cancelled directly or with its credential). Each test greps the
upload tables (real Postgres) for the raw value after the final state.
"""

from __future__ import annotations

import io
import secrets

import falcon.testing
import pytest

from dgp.apps.web import create_app
from dgp.domain.scan import ScanStatus
from dgp.plumbing.breakers import Breakers
from dgp.plumbing.credential_cipher import CredentialCipher
from dgp.plumbing.janitor import Janitor
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ScanStore, UserStore
from dgp.plumbing.store.credentials import CredentialStore
from dgp.plumbing.worker import Worker
from tests.integration.conftest import auth, wait_for
from tests.integration.test_web import code_zip

KEY = bytes(range(32))
pytestmark = [
    pytest.mark.integration,
    pytest.mark.settings(max_deliveries=1, reclaim_idle_seconds=0.2, credentials_key=KEY),
]


def raw_value() -> bytes:
    """A made-up BSN-like value, unique to the test, as a file in the upload carries it."""
    return f"bsn {secrets.randbelow(10**9):09d} {secrets.token_hex(6)}".encode()


def uploaded(store: ScanStore, org: str, raw: bytes, credential_id: str | None = None) -> str:
    """A queued scan of an upload holding `raw`; its id."""
    upload = store.save_upload(org, "tree.zip", io.BytesIO(b"not a zip " + raw), 1 << 20)
    return store.start_scan(org, None, "code", "", {}, upload, credential_id=credential_id).id


def raw_rows(store: ScanStore, raw: bytes) -> int:
    """Upload chunks that still hold `raw`, in any organisation."""
    with store.db.transaction() as cur:
        cur.execute(
            "SELECT count(*) FROM upload_chunks WHERE position(%s::bytea in data) > 0", (raw,)
        )
        return int(cur.fetchone()[0])


def ended(store: ScanStore, org: str, scan_id: str, status: ScanStatus) -> None:
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.status is status, scan


def test_a_job_the_janitor_dead_letters_leaves_no_upload(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str
) -> None:
    raw = raw_value()
    scan_id = uploaded(store, org, raw)
    queue.submit("code", scan_id)
    assert queue.read("code", "dead-host-code", block_ms=100) is not None  # then it died
    live = Worker.for_kind("code", queue, store, settings, "live-host-code")
    assert not live.run_once(block_ms=50)  # not its job; marks it alive
    assert raw_rows(store, raw) == 1
    janitor = Janitor(queue, store, settings)
    reports: list[dict] = []
    wait_for(
        lambda: reports.append(janitor.run_once(["code"])) or reports[-1]["code"]["dead_lettered"]
    )
    ended(store, org, scan_id, ScanStatus.FAILED)
    assert raw_rows(store, raw) == 0


def test_a_job_the_worker_dead_letters_leaves_no_upload(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str
) -> None:
    raw = raw_value()
    scan_id = uploaded(store, org, raw)
    queue.submit("code", scan_id)
    assert queue.read("code", "crashed", block_ms=100) is not None  # delivery 1, then it died
    redelivered = queue.reclaim("code", "w1", 0)  # delivery 2: past max_deliveries (1)
    assert [job.deliveries for job in redelivered] == [2]
    worker = Worker.for_kind("code", queue, store, settings, "w1")
    worker.claim(redelivered)
    assert worker.stats.dead_lettered == 1
    ended(store, org, scan_id, ScanStatus.FAILED)
    assert queue.redis.xlen(queue.dead_letters("code")) == 1
    assert raw_rows(store, raw) == 0


def test_a_cancelled_scan_leaves_no_upload(store: ScanStore, settings: Settings, org: str) -> None:
    raw, running_raw = raw_value(), raw_value()
    queued, running = uploaded(store, org, raw), uploaded(store, org, running_raw)
    store.claim_scans([running])
    for scan_id in (queued, running):
        assert store.cancel_scan(org, scan_id, forget_upload=settings.delete_uploads_after_scan)
        ended(store, org, scan_id, ScanStatus.CANCELLED)
    assert raw_rows(store, raw) == raw_rows(store, running_raw) == 0


def test_scans_cancelled_with_their_credential_over_the_api_leave_no_upload(
    store: ScanStore, users: UserStore, queue: JobQueue, settings: Settings, org: str
) -> None:
    credentials = CredentialStore(store.db, CredentialCipher(KEY))
    made = credentials.create(org, "db", "database_password", f"pw-{secrets.token_hex(12)}")
    raw = raw_value()
    scan_id = uploaded(store, org, raw, credential_id=made.id)
    client = falcon.testing.TestClient(create_app(store, users, queue, settings, Breakers()))
    deleted = client.simulate_delete(
        f"/api/v1/credentials/{made.id}", headers=auth(users, org, "admin")
    )
    assert deleted.status_code == 204, deleted.text
    ended(store, org, scan_id, ScanStatus.CANCELLED)
    assert raw_rows(store, raw) == 0


@pytest.mark.parametrize("data", [b"", b"zip"])
def test_a_scan_that_ends_done_or_failed_leaves_no_upload(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str, data: bytes
) -> None:
    raw = raw_value()
    body = code_zip() if data else b"not a zip " + raw
    upload = store.save_upload(org, "tree.zip", io.BytesIO(body), 1 << 20)
    scan_id = store.start_scan(org, None, "code", "", {}, upload).id
    queue.submit("code", scan_id)
    assert Worker.for_kind("code", queue, store, settings, "w1").run_once(block_ms=100)
    ended(store, org, scan_id, ScanStatus.DONE if data else ScanStatus.FAILED)
    with store.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM upload_chunks WHERE upload_id = %s", (upload,))
        assert cur.fetchone()[0] == 0


@pytest.mark.settings(max_deliveries=1, reclaim_idle_seconds=0.2, delete_uploads_after_scan=False)
def test_an_operator_who_keeps_uploads_keeps_them_after_a_dead_letter(
    store: ScanStore, queue: JobQueue, settings: Settings, org: str
) -> None:
    raw = raw_value()
    scan_id = uploaded(store, org, raw)
    queue.submit("code", scan_id)
    assert queue.read("code", "crashed", block_ms=100) is not None
    worker = Worker.for_kind("code", queue, store, settings, "w1")
    worker.claim(queue.reclaim("code", "w1", 0))
    ended(store, org, scan_id, ScanStatus.FAILED)
    assert raw_rows(store, raw) == 1
