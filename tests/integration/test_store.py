"""The Postgres store against a real Postgres: migrations, tenancy, idempotent results,
uploads, and a pool that fails fast and heals after a restart.

The restart test restarts this machine's cluster (DGP_TEST_PG_CLUSTER, default
"15 main"); set DGP_TEST_NO_PG_RESTART=1 to skip it.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import shutil
import subprocess
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg2
import psycopg2.errors
import pytest

from dgp.domain.finding import FindingStatus
from dgp.domain.job import Artefact, ScanInputs, ScanJob, ScanResult
from dgp.domain.options import ScanOptions
from dgp.domain.scan import ScanStatus
from dgp.domain.score import score_findings
from dgp.plumbing.store import (
    ArtefactChanged,
    Database,
    ScanStore,
    StoreUnavailable,
    UploadMissing,
    UploadTooLarge,
    UserStore,
    migrate,
)
from dgp.plumbing.store import pool as pool_module
from dgp.plumbing.store.migrate import available
from dgp.plumbing.store.uploads import CHUNK_BYTES
from dgp.scanners.code import scanner as code

if TYPE_CHECKING:
    from tests.integration.conftest import TestDatabases

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
FILES = {
    "app/users.py": (
        'CUSTOMER_BSN = "111222333"  # bsn van de klant\n'
        'CONTACT = "jan.jansen@example.nl"\n'
        "import hashlib\n"
        "def digest(password):\n"
        "    return hashlib.md5(password.encode()).hexdigest()\n"
    ),
    "config/settings.py": (
        'AWS_ACCESS_KEY_ID = "AKIAQ3EGRV7XKZP4M2WD"\n'
        'PAYOUT_IBAN = "NL91ABNA0417164300"\n'
        'BACKUP_IBAN = "NL91ABNA0417164300"\n'
    ),
    "notes.txt": "Bel +31 6 12345678 of mail piet.pieters@example.com\n",
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def code_scan(store: ScanStore, org: str, tree: Path) -> tuple[str, ScanResult]:
    """A queued scan and the real result of scanning `tree` for it."""
    scan_id = store.start_scan(org, None, "code", str(tree), {"severity_threshold": "info"}).id
    job = ScanJob(kind="code", target=str(tree), options=ScanOptions(), scan_id=scan_id)
    return scan_id, code.scan(job, ScanInputs(hash_key=b"k" * 32))


def count(database: Database, sql: str, *params: object) -> int:
    with database.transaction() as cur:
        cur.execute(sql, params)
        return int(cur.fetchone()[0])


# -- migrations ---------------------------------------------------------------------


def test_migrations_are_applied_once(database: Database) -> None:
    with database.connection() as conn:
        assert migrate(conn) == []  # the session database is migrated already
        assert migrate(conn) == []
    names = [m.name for m in available()]
    assert names[0] == "0001_initial"
    with database.transaction() as cur:
        cur.execute("SELECT name FROM schema_migrations ORDER BY version")
        assert [r[0] for r in cur.fetchall()] == names


def test_migrations_run_concurrently_apply_each_once(test_databases: TestDatabases) -> None:
    dsn = test_databases.create(migrated=False)
    start = threading.Barrier(2)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        conn = psycopg2.connect(dsn)
        try:
            start.wait()
            results.append(migrate(conn))
        except BaseException as e:
            errors.append(e)
        finally:
            conn.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    # each migration applied by exactly one of them (which one takes which is a race)
    applied = [name for result in results for name in result]
    assert sorted(applied) == [m.name for m in available()]
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM schema_migrations")
            assert cur.fetchone()[0] == len(available())
        assert migrate(conn) == []
    finally:
        conn.close()


# -- scans --------------------------------------------------------------------------


def test_start_get_list_delete_scans(store: ScanStore, org: str) -> None:
    first = store.start_scan(org, None, "code", "https://git.example/shop.git", {"branch": "x"}).id
    second = store.start_scan(org, None, "document", "upload", {}).id
    scan = store.get_scan(org, first)
    assert scan is not None
    assert (scan.id, scan.kind, scan.target, scan.organisation) == (
        first,
        "code",
        "https://git.example/shop.git",
        org,
    )
    assert scan.status is ScanStatus.QUEUED and scan.progress == 0
    assert scan.options == {"branch": "x"} and scan.score is None
    assert scan.to_dict()["status"] == "queued"
    assert [s.id for s in store.list_scans(org, limit=10)] == [second, first]  # newest first
    assert [s.id for s in store.list_scans(org, limit=1, offset=1)] == [first]
    assert store.count_scans(org) == 2
    assert store.delete_scan(org, first) is True
    assert store.get_scan(org, first) is None
    assert store.delete_scan(org, first) is False
    assert [s.id for s in store.list_scans(org)] == [second]
    assert store.get_scan(org, "not-a-uuid") is None


def test_start_scan_refuses_unknown_references(store: ScanStore, org: str) -> None:
    with pytest.raises(ValueError, match="organisation"):
        store.start_scan(str(uuid.uuid4()), None, "code", "x", {})
    with pytest.raises(ValueError, match="upload"):
        store.start_scan(org, None, "code", "x", {}, upload_id=str(uuid.uuid4()))
    with pytest.raises(ValueError, match="user"):
        store.start_scan(org, str(uuid.uuid4()), "code", "x", {})


def test_a_scan_keeps_its_questionnaire_and_the_earlier_scans_it_was_given(
    store: ScanStore, org: str
) -> None:
    earlier = [store.start_scan(org, None, "code", "x", {}).id for _ in range(2)]
    answers = {"purpose": "payroll", "nested": {"list": [1, "two", None]}, "nul": "a\x00b"}
    scan = store.start_scan(
        org, None, "dpia", "questionnaire", {}, questionnaire=answers, scan_ids=earlier
    )
    assert scan.scan_ids == tuple(earlier) and scan.to_dict()["scan_ids"] == earlier
    claimed = store.claim_scan(scan.id)
    assert claimed is not None and claimed.scan_ids == tuple(earlier)
    assert claimed.questionnaire == {**answers, "nul": "a\ufffdb"}  # jsonb holds no NUL
    plain = store.claim_scan(store.start_scan(org, None, "code", "x", {}).id)
    assert plain is not None and (plain.questionnaire, plain.scan_ids) == (None, ())
    assert [s.id for s in store.get_scans(org, [earlier[1], "nonsense", earlier[0]])] == [
        earlier[1],
        earlier[0],
    ]
    other = store.create_organisation(f"other-{uuid.uuid4().hex[:8]}")
    assert store.get_scans(other, earlier) == []
    with pytest.raises(ValueError, match=f"unknown scan: {earlier[0]}"):
        store.start_scan(other, None, "report", "r", {}, scan_ids=earlier[:1])
    with pytest.raises(ValueError, match="unknown scan"):
        store.start_scan(org, None, "report", "r", {}, scan_ids=["nonsense"])
    assert store.count_scans(other) == 0


def test_organisation_isolation(store: ScanStore, org: str, tree: Path) -> None:
    other = store.create_organisation(f"other-{uuid.uuid4().hex[:8]}")
    scan_id, result = code_scan(store, org, tree)
    assert store.save_result(scan_id, result)
    findings, total = store.list_findings(org, scan_id)
    assert total > 0
    upload_id = store.save_upload(org, "a.txt", io.BytesIO(b"secret stuff"), 1000)

    # org B sees and changes nothing of org A's: exactly as if the ids did not exist
    assert store.get_scan(other, scan_id) is None
    assert store.list_scans(other) == [] and store.count_scans(other) == 0
    assert store.list_findings(other, scan_id) == ([], 0)
    assert store.get_finding(other, findings[0].id) is None
    assert store.set_finding_status(other, findings[0].id, "false_positive") is None
    assert store.delete_scan(other, scan_id) is False
    assert store.cancel_scan(other, scan_id) is False
    assert store.get_upload(other, upload_id) is None
    assert store.delete_upload(upload_id, organisation_id=other) is False
    with pytest.raises(ValueError, match="upload"):
        store.start_scan(other, None, "document", "upload", {}, upload_id=upload_id)
    assert store.list_audit(other) == []

    # and org A's data is untouched
    assert store.get_finding(org, findings[0].id) == findings[0]
    assert findings[0].status is FindingStatus.OPEN
    assert store.get_scan(org, scan_id) is not None
    assert store.get_upload(org, upload_id) is not None


def test_claim_scan(store: ScanStore, org: str, tree: Path) -> None:
    scan_id, result = code_scan(store, org, tree)
    claimed = store.claim_scan(scan_id)
    assert claimed is not None
    assert (claimed.id, claimed.organisation_id, claimed.kind, claimed.target) == (
        scan_id,
        org,
        "code",
        str(tree),
    )
    assert claimed.options == {"severity_threshold": "info"} and claimed.upload_id is None
    assert claimed.deliveries == 1
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.status is ScanStatus.RUNNING and scan.started_at
    again = store.claim_scan(scan_id)  # redelivered after a crash
    assert again is not None and again.deliveries == 2
    store.set_progress(scan_id, 40, "half way")
    scan = store.get_scan(org, scan_id)
    assert scan is not None and (scan.progress, scan.progress_message) == (40, "half way")

    assert store.save_result(scan_id, result)
    assert store.claim_scan(scan_id) is None  # done: not run again
    assert store.fail_scan(scan_id, "too late") is False
    store.set_progress(scan_id, 10, "stale")
    with store.db.transaction() as cur:
        cur.execute("SELECT deliveries, status, progress FROM scans WHERE id = %s", (scan_id,))
        assert cur.fetchone() == (2, "done", 100)

    failing = store.start_scan(org, None, "code", "x", {}).id
    assert store.claim_scan(failing) is not None
    assert store.fail_scan(failing, "scanner crashed 3 times") is True
    failed = store.get_scan(org, failing)
    assert failed is not None and failed.status is ScanStatus.FAILED
    assert failed.error == "scanner crashed 3 times" and failed.finished_at
    assert store.claim_scan(failing) is None

    cancelled = store.start_scan(org, None, "code", "x", {}).id
    assert store.cancel_scan(org, cancelled) is True
    assert store.claim_scan(cancelled) is None
    assert store.claim_scan(str(uuid.uuid4())) is None
    assert store.claim_scan("nonsense") is None


def test_claim_scans_claims_the_unfinished_ones_in_one_go(
    store: ScanStore, org: str, tree: Path
) -> None:
    queued = [store.start_scan(org, None, "code", str(tree), {}).id for _ in range(3)]
    done, result = code_scan(store, org, tree)
    assert store.save_result(done, result)
    cancelled = store.start_scan(org, None, "code", "x", {}).id
    assert store.cancel_scan(org, cancelled)
    asked = [*queued, done, cancelled, str(uuid.uuid4()), "nonsense", queued[0].upper()]
    claimed = store.claim_scans(asked)
    assert set(claimed) == {*queued, queued[0].upper()}  # keyed by the ids as given
    assert all(claimed[i].id == i and claimed[i].deliveries == 1 for i in queued)
    assert store.claim_scans([]) == {}


def test_save_results_of_a_batch_saves_each_scan_or_drops_it(
    store: ScanStore, database: Database, org: str, tree: Path
) -> None:
    kept = [code_scan(store, org, tree) for _ in range(3)]
    cancelled = code_scan(store, org, tree)
    deleted = code_scan(store, org, tree)
    assert store.cancel_scan(org, cancelled[0]) and store.delete_scan(org, deleted[0])
    batch = [kept[0], cancelled, kept[1], deleted, ("nonsense", kept[2][1]), kept[2]]
    assert store.save_results(batch) == [True, False, True, False, False, True]
    for scan_id, result in kept:
        findings, _ = store.list_findings(org, scan_id, limit=1000)
        assert [f.to_dict() for f in findings] == [f.to_dict() for f in result.findings]
        scan = store.get_scan(org, scan_id)
        assert scan is not None and scan.status is ScanStatus.DONE and scan.progress == 100
        assert scan.score == result.scan.score and scan.finished_at
    assert store.list_findings(org, cancelled[0]) == ([], 0)
    again = store.save_results(kept)  # redelivered: replaced, not added to
    assert again == [True] * 3
    totals = [
        count(database, "SELECT count(*) FROM findings WHERE scan_id = %s", s) for s, _ in kept
    ]
    assert totals == [len(r.findings) for _, r in kept]


def test_a_scan_twice_in_one_batch_is_saved_once_with_its_last_result(
    store: ScanStore, org: str, tree: Path, tmp_path: Path
) -> None:
    scan_id, first = code_scan(store, org, tree)
    other_tree = tmp_path / "other"
    other_tree.mkdir()
    (other_tree / "a.py").write_text('mail = "piet.pieters@example.nl"\n')
    job = ScanJob(kind="code", target=str(other_tree), options=ScanOptions(), scan_id=scan_id)
    last = code.scan(job, ScanInputs(hash_key=b"k" * 32))
    assert {f.fingerprint for f in first.findings} != {f.fingerprint for f in last.findings}
    assert store.save_results([(scan_id, first), (scan_id.upper(), last)]) == [True, True]
    findings, _ = store.list_findings(org, scan_id, limit=1000)
    assert [f.to_dict() for f in findings] == [f.to_dict() for f in last.findings]


def test_save_result_twice_gives_the_same_findings(
    store: ScanStore, database: Database, org: str, tree: Path
) -> None:
    scan_id, result = code_scan(store, org, tree)
    assert len(result.findings) >= 5
    assert store.claim_scan(scan_id) is not None
    assert store.save_result(scan_id, result)
    first, total = store.list_findings(org, scan_id, limit=1000)
    assert total == len(result.findings)
    # a redelivered job saves again, with a duplicate thrown in: nothing doubles
    duplicated = ScanResult(result.scan, [*result.findings, result.findings[0]])
    assert store.save_result(scan_id, duplicated)
    second, total = store.list_findings(org, scan_id, limit=1000)
    assert total == len(result.findings)
    assert [f.to_dict() for f in second] == [f.to_dict() for f in first]
    # the store gives back exactly what the scanner found, in the scanner's order
    assert [f.to_dict() for f in second] == [f.to_dict() for f in result.findings]
    assert count(database, "SELECT count(*) FROM findings WHERE scan_id = %s", scan_id) == total
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.status is ScanStatus.DONE and scan.progress == 100
    assert scan.score == result.scan.score and scan.finished_at
    assert scan.stats.to_dict() == result.scan.stats.to_dict()


def test_save_result_of_a_deleted_or_cancelled_scan_is_dropped(
    store: ScanStore, org: str, tree: Path
) -> None:
    scan_id, result = code_scan(store, org, tree)
    assert store.cancel_scan(org, scan_id)
    assert store.save_result(scan_id, result) is False
    assert store.list_findings(org, scan_id) == ([], 0)
    assert store.delete_scan(org, scan_id)
    assert store.save_result(scan_id, result) is False


def test_artefacts_are_saved_with_the_findings_and_replaced_not_added_to(
    store: ScanStore, database: Database, org: str, tree: Path
) -> None:
    scan_id, result = code_scan(store, org, tree)
    report = Artefact("report.html", "text/html; charset=utf-8", b"<p>report</p>")
    first = ScanResult(result.scan, result.findings, [report, Artefact("a.png", "image/png", b"")])
    assert store.save_result(scan_id, first)
    listed = store.list_artefacts(org, scan_id)
    assert listed is not None and [(a.name, a.size) for a in listed] == [
        ("a.png", 0),
        ("report.html", 13),
    ]
    assert listed[1].sha256 == hashlib.sha256(b"<p>report</p>").hexdigest()
    # redelivered, with another result: replaced as a whole; a name given twice is kept once
    again = Artefact("report.html", "text/html", b"<p>second</p>")
    assert store.save_results(
        [(scan_id, ScanResult(result.scan, result.findings, [report, again]))]
    )
    listed = store.list_artefacts(org, scan_id)
    assert listed is not None and [(a.name, a.media_type) for a in listed] == [
        ("report.html", "text/html")
    ]
    stored = listed[0]
    assert b"".join(store.artefact_bytes(org, stored)) == b"<p>second</p>"
    assert store.read_artefact(org, scan_id, "report.html", 3, 6) == b"second"
    rows = count(database, "SELECT count(*) FROM artefacts WHERE scan_id = %s", scan_id)
    assert rows == 1 and store.list_findings(org, scan_id)[1] == len(result.findings)

    other = store.create_organisation(f"other-{uuid.uuid4().hex[:8]}")
    assert store.list_artefacts(other, scan_id) is None
    assert store.get_artefact(other, scan_id, "report.html") is None
    assert store.read_artefact(other, scan_id, "report.html", 0, 100) is None
    assert store.list_artefacts(org, "nonsense") is None
    with pytest.raises(ArtefactChanged):  # replaced while it was read
        list(store.artefact_bytes(org, replace(stored, sha256="0" * 64)))
    assert store.delete_scan(org, scan_id)
    assert count(database, "SELECT count(*) FROM artefacts WHERE scan_id = %s", scan_id) == 0


def test_findings_filters_and_pagination(store: ScanStore, org: str, tree: Path) -> None:
    scan_id, result = code_scan(store, org, tree)
    store.save_result(scan_id, result)
    everything, total = store.list_findings(org, scan_id, limit=1000)
    assert total == len(everything) == len(result.findings)

    pages = []
    for offset in range(0, total + 2, 2):
        page, page_total = store.list_findings(org, scan_id, limit=2, offset=offset)
        assert page_total == total
        pages.extend(page)
    assert [f.id for f in pages] == [f.id for f in everything]
    assert store.list_findings(org, scan_id, limit=5, offset=total + 10) == ([], total)

    for severity in {f.severity for f in everything}:
        found, n = store.list_findings(org, scan_id, severity=severity.value)
        expected = [f.id for f in everything if f.severity is severity]
        assert [f.id for f in found] == expected and n == len(expected)
    rule = everything[0].rule_id
    found, n = store.list_findings(org, scan_id, rule_id=rule)
    assert n == sum(f.rule_id == rule for f in everything) and {f.rule_id for f in found} == {rule}
    found, n = store.list_findings(org, scan_id, severity=["high", "critical"], rule_id=[rule])
    assert n == sum(
        f.rule_id == rule and f.severity.value in ("high", "critical") for f in everything
    )

    store.set_finding_status(org, everything[1].id, "fixed")
    found, n = store.list_findings(org, scan_id, status="fixed")
    assert n == 1 and [f.id for f in found] == [everything[1].id]
    assert store.list_findings(org, scan_id, status="open")[1] == total - 1
    with pytest.raises(ValueError):
        store.list_findings(org, scan_id, severity="catastrophic")
    with pytest.raises(ValueError):
        store.list_findings(org, scan_id, status="ignored")


def test_set_finding_status_rescores_the_scan(store: ScanStore, org: str, tree: Path) -> None:
    scan_id, result = code_scan(store, org, tree)
    store.save_result(scan_id, result)
    findings, _ = store.list_findings(org, scan_id, limit=1000)
    worst = max(findings, key=lambda f: f.severity.rank)
    changed = store.set_finding_status(org, worst.id, FindingStatus.FALSE_POSITIVE)
    assert changed is not None and changed.status is FindingStatus.FALSE_POSITIVE
    assert changed.id == worst.id and changed.fingerprint == worst.fingerprint
    again = store.get_finding(org, worst.id)
    assert again is not None and again.status is FindingStatus.FALSE_POSITIVE
    now, _ = store.list_findings(org, scan_id, limit=1000)
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.score == score_findings(now)
    assert result.scan.score is not None and scan.score > result.scan.score
    with pytest.raises(ValueError):
        store.set_finding_status(org, worst.id, "wontfix")
    assert store.set_finding_status(org, str(uuid.uuid4()), "fixed") is None


def test_audit_log(store: ScanStore, org: str) -> None:
    store.audit(org, None, "scan.start", "scan", "s1", {"kind": "code"})
    store.audit(org, str(uuid.uuid4()), "finding.triage", "finding", "f1", {"status": "fixed"})
    entries = store.list_audit(org)
    assert [e.action for e in entries] == ["finding.triage", "scan.start"]
    assert entries[1].details == {"kind": "code"} and entries[1].object_id == "s1"


# -- uploads ------------------------------------------------------------------------


def test_upload_round_trip(store: ScanStore, database: Database, org: str, tmp_path: Path) -> None:
    payload = random.Random(7).randbytes(3 * MiB + 12345)
    upload_id = store.save_upload(org, "../../etc/archive.zip", io.BytesIO(payload), 10 * MiB)
    upload = store.get_upload(org, upload_id)
    assert upload is not None
    assert upload.filename == "archive.zip"  # only the last path component is kept
    assert (upload.size, upload.sha256) == (len(payload), hashlib.sha256(payload).hexdigest())
    chunks = count(database, "SELECT count(*) FROM upload_chunks WHERE upload_id = %s", upload_id)
    assert chunks == 4
    longest = count(
        database, "SELECT max(length(data)) FROM upload_chunks WHERE upload_id = %s", upload_id
    )
    assert longest == CHUNK_BYTES

    as_file = store.fetch_upload(upload_id, tmp_path / "copy")
    assert as_file == tmp_path / "copy" and as_file.read_bytes() == payload
    in_folder = store.fetch_upload(upload_id, tmp_path)
    assert in_folder == tmp_path / "archive.zip"
    assert hashlib.sha256(in_folder.read_bytes()).hexdigest() == upload.sha256

    scan_id = store.start_scan(org, None, "document", "archive.zip", {}, upload_id=upload_id).id
    claimed = store.claim_scan(scan_id)
    assert claimed is not None and claimed.upload_id == upload_id

    assert store.delete_upload(upload_id) is True
    assert store.delete_upload(upload_id) is False
    assert store.get_upload(org, upload_id) is None
    with pytest.raises(UploadMissing):
        store.fetch_upload(upload_id, tmp_path / "again")
    assert not (tmp_path / "again").exists()
    left = count(database, "SELECT count(*) FROM upload_chunks WHERE upload_id = %s", upload_id)
    assert left == 0


def test_deleting_a_scan_deletes_its_upload(store: ScanStore, org: str) -> None:
    upload_id = store.save_upload(org, "a.csv", io.BytesIO(b"naam,bsn\n"), 1000)
    scan_id = store.start_scan(org, None, "document", "a.csv", {}, upload_id=upload_id).id
    assert store.delete_scan(org, scan_id)
    assert store.get_upload(org, upload_id) is None


class EndlessStream:
    """A client that never stops sending: the store must stop reading it."""

    def __init__(self) -> None:
        self.sent = 0

    def read(self, size: int = -1) -> bytes:
        n = 64 * 1024 if size < 0 else min(size, 64 * 1024)
        self.sent += n
        return b"x" * n


def test_upload_too_large_stores_nothing(store: ScanStore, database: Database, org: str) -> None:
    before = count(database, "SELECT count(*) FROM uploads WHERE organisation_id = %s", org)
    chunks_before = count(database, "SELECT count(*) FROM upload_chunks")
    with pytest.raises(UploadTooLarge):
        store.save_upload(org, "big.bin", io.BytesIO(b"y" * (2 * MiB + 1)), 2 * MiB)
    stream = EndlessStream()
    with pytest.raises(UploadTooLarge):
        store.save_upload(org, "endless.bin", stream, 3 * MiB)  # type: ignore[arg-type]
    assert stream.sent <= 3 * MiB + CHUNK_BYTES
    assert count(database, "SELECT count(*) FROM uploads WHERE organisation_id = %s", org) == before
    assert count(database, "SELECT count(*) FROM upload_chunks") == chunks_before
    exact = store.save_upload(org, "exact.bin", io.BytesIO(b"z" * MiB), MiB)  # the limit is OK
    assert store.get_upload(org, exact) is not None


# -- the pool -----------------------------------------------------------------------


def test_prepared_statements_are_prepared_again_on_a_new_connection(database_dsn: str) -> None:
    database = Database(database_dsn, minconn=1, maxconn=1)
    store, users = ScanStore(database), UserStore(database)
    try:
        org = store.create_organisation(f"prepared-{uuid.uuid4().hex[:8]}")
        user = users.create_user(
            org, f"{uuid.uuid4().hex[:8]}@example.nl", "a long password 1", "analyst"
        )
        _, token = users.create_token(user, "t", ["scans:read"])
        for _ in range(3):  # prepared on the first call, executed after that
            assert users.verify_token(token) is not None
            store.start_scan(org, user.id, "code", "x", {})
        with database.connection() as conn:
            assert {"dgp_token_user", "dgp_start_scan"} <= conn.prepared
            pid = conn.get_backend_pid()
        admin = psycopg2.connect(database_dsn)
        admin.autocommit = True
        with admin.cursor() as cur:  # the server ends the session and its statements
            cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
        admin.close()
        time.sleep(0.2)
        assert users.verify_token(token) is not None  # a new connection prepares again
        assert store.start_scan(org, user.id, "code", "x", {}).status is ScanStatus.QUEUED
        with database.connection() as conn:
            assert conn.get_backend_pid() != pid and not conn.autocommit
        assert count(database, "SELECT count(*) FROM scans WHERE organisation_id = %s", org) == 4
    finally:
        database.close()


def test_a_prepared_statement_lost_or_outdated_is_prepared_again(
    test_databases: TestDatabases,
) -> None:
    database = Database(test_databases.create(migrated=True), minconn=1, maxconn=1)
    store, users = ScanStore(database), UserStore(database)
    try:
        org = store.create_organisation("prepared")
        user = users.create_user(org, "p@example.nl", "a long password 1", "analyst")
        _, token = users.create_token(user, "t", ["scans:read"])
        assert users.verify_token(token) is not None
        with database.connection() as conn, conn.cursor() as cur:
            cur.execute("DEALLOCATE dgp_token_user")  # as DISCARD ALL would
            conn.commit()
        assert users.verify_token(token) is not None
        with database.connection() as conn, conn.cursor() as cur:  # what a migration may do
            cur.execute("ALTER TABLE users ALTER COLUMN email TYPE varchar(320)")
            conn.commit()
        found = users.verify_token(token)  # "cached plan must not change result type"
        assert found is not None and found[0].email == "p@example.nl"
    finally:
        database.close()


def test_a_wrong_current_password_is_refused_before_the_new_one_is_hashed(
    database: Database, org: str
) -> None:
    users = UserStore(database)
    user = users.create_user(
        org, f"{uuid.uuid4().hex[:8]}@example.nl", "old password 12345", "analyst"
    )
    hashed: list[str] = []
    real = users.hasher

    class WatchedHasher:  # the real hasher, watched
        def hash(self, password: str) -> str:
            hashed.append(password)
            return real.hash(password)

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    users.hasher = WatchedHasher()  # type: ignore[assignment]
    assert not users.set_password(org, user.id, "new password 12345", "wrong password 1")
    assert hashed == []
    assert users.set_password(org, user.id, "new password 12345", "old password 12345")
    assert hashed == ["new password 12345"]
    assert users.authenticate(user.email, "new password 12345") is not None


def test_pool_statistics_move(database: Database) -> None:
    before = database.stats()
    with database.connection() as conn:
        assert database.stats()["active"] == before["active"] + 1
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
    # a wrong query is not an outage
    with pytest.raises(psycopg2.errors.DivisionByZero), database.transaction() as cur:
        cur.execute("SELECT 1 / 0")
    after = database.stats()
    assert after["active"] == before["active"]
    assert after["total_queries"] == before["total_queries"] + 2
    assert after["failed_queries"] == before["failed_queries"] + 1
    assert after["size"] >= 1 and after["maxconn"] == 8
    assert {"active", "total_queries", "failed_queries", "pool_exhausted", "size"} <= set(after)
    assert database.ping() < 5


def test_unreachable_postgres_fails_fast() -> None:
    db = Database("host=127.0.0.1 port=1 dbname=dgp user=dgp connect_timeout=3")
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="cannot connect"), db.transaction() as cur:
        cur.execute("SELECT 1")
    assert time.monotonic() - started < 5
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):  # within the retry interval: not even tried
        db.ping()
    assert time.monotonic() - started < 0.5
    stats = db.stats()
    assert stats["connect_failures"] == 1 and stats["available"] is False
    assert "password" not in str(stats)


def test_exhausted_pool_fails_at_once(database_dsn: str) -> None:
    db = Database(database_dsn, minconn=0, maxconn=1)
    try:
        with db.connection():
            started = time.monotonic()
            with pytest.raises(StoreUnavailable, match="in use"), db.connection():
                pass
            assert time.monotonic() - started < 0.5
        assert db.stats()["pool_exhausted"] == 1
        assert db.ping() < 5  # free again
    finally:
        db.close()


def test_statement_timeout_is_unavailable_not_a_hang(database_dsn: str) -> None:
    db = Database(database_dsn, statement_timeout=0.3)
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="did not answer"), db.transaction() as cur:
            cur.execute("SELECT pg_sleep(10)")
        assert time.monotonic() - started < 3
        assert db.ping() < 5  # the connection is still good
        assert db.stats()["discarded"] == 0
    finally:
        db.close()


def test_a_forked_child_gets_its_own_pool(database_dsn: str) -> None:
    db = Database(database_dsn, minconn=1, maxconn=2)
    try:
        with db.transaction() as cur:
            cur.execute("SELECT pg_backend_pid()")
            parent_backend = cur.fetchone()[0]
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never return into pytest
            status = 1
            try:
                with db.transaction() as cur:
                    cur.execute("SELECT pg_backend_pid()")
                    child_backend = cur.fetchone()[0]
                for inherited in pool_module._inherited:  # closing them must be harmless
                    inherited.closeall()
                os.write(write, str(child_backend).encode())
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        _, status = os.waitpid(pid, 0)
        child_backend = int(os.read(read, 64) or b"0")
        os.close(read)
        assert os.waitstatus_to_exitcode(status) == 0
        assert child_backend not in (0, parent_backend)
        with db.transaction() as cur:  # the parent's idle connection survived the child
            cur.execute("SELECT pg_backend_pid()")
            assert cur.fetchone()[0] == parent_backend
        assert db.stats()["discarded"] == 0
    finally:
        db.close()


def _wait_for_postgres(dsn: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg2.connect(dsn, connect_timeout=2).close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.skipif(
    bool(os.environ.get("DGP_TEST_NO_PG_RESTART")) or shutil.which("pg_ctlcluster") is None,
    reason="restarting the machine's Postgres cluster is not allowed or not possible here",
)
def test_pool_recovers_after_postgres_restarts(database_dsn: str, database: Database) -> None:
    db = Database(database_dsn, minconn=3, maxconn=4)
    try:
        with db.connection(), db.connection(), db.connection():  # three, kept idle after
            pass
        assert db.stats()["idle"] == 3
        cluster = os.environ.get("DGP_TEST_PG_CLUSTER", "15 main").split()
        with pytest.raises(StoreUnavailable, match="lost"), db.connection() as held:
            subprocess.run(["pg_ctlcluster", *cluster, "restart"], check=True, timeout=60)
            _wait_for_postgres(database_dsn)
            started = time.monotonic()
            with held.cursor() as cur:  # the connection held across the restart is dead
                cur.execute("SELECT 1")
        assert time.monotonic() - started < 5
        assert held.closed
        failures = 0
        for _ in range(2):  # two idle connections died too: at most one failure, then it works
            try:
                db.ping()
                break
            except StoreUnavailable:
                failures += 1
        assert failures <= 1
        for _ in range(5):
            db.ping()
        stats = db.stats()
        assert stats["discarded"] >= 3 and stats["active"] == 0
        database.ping()  # the session's pool heals as well
    finally:
        db.close()
