"""Credentials at rest on real Postgres: the store, the API and the worker.

The secret goes in once and must come out only in the worker's ScanInputs: never
in an API answer, a log record, the audit table, a finding or a scan's error.
Each test makes its own organisations, users and Redis key prefix.
"""

from __future__ import annotations

import io
import logging
import secrets
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import falcon
import falcon.testing
import psycopg2.errors
import pytest

from dgp import cli, kinds
from dgp.apps.web import create_app
from dgp.domain.credential import Credential, CredentialKind
from dgp.domain.finding import Location
from dgp.domain.job import ScanInputError, ScanInputs, ScanJob, ScanResult
from dgp.domain.scan import ScanStatus
from dgp.engine.secrets.structure import base62_crc32
from dgp.plumbing.breakers import Breakers
from dgp.plumbing.credential_cipher import (
    CredentialCipher,
    CredentialUnreadable,
    KeyNotConfigured,
    key_id,
)
from dgp.plumbing.queue import GROUP, JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import Database, ScanStore, UserStore
from dgp.plumbing.store.credentials import CANCELLED_REASON, CredentialExists, CredentialStore
from dgp.plumbing.store.errors import CredentialMissing
from dgp.plumbing.worker import Worker
from dgp.scanners.session import ScanSession
from tests.integration.conftest import HASH_KEY, TestDatabases, auth, bearer, new_user

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))
KEY_C = bytes(range(200, 232))
# looks like a GitHub token, so the code scanner reports it when it meets it in a file
_TOKEN_BODY = "Zq8x3Lr0Wt5Yb2Nc7Vk4Hm1Pj6Gd9F"  # a real-format GitHub token: its CRC32 follows
SECRET = "ghp_" + _TOKEN_BODY + base62_crc32(_TOKEN_BODY)
# the settings fixture (conftest) of every test here: the web app and the worker hold KEY_A
pytestmark = [pytest.mark.integration, pytest.mark.settings(credentials_key=KEY_A)]


def unique_secret() -> str:
    return f"pw-{secrets.token_urlsafe(24)}"


@pytest.fixture
def credentials(database: Database) -> CredentialStore:
    return CredentialStore(database, CredentialCipher(KEY_A))


def raw_row(db: Database, table: str, row_id: str) -> str:
    """A row as Postgres has it, every column as text (bytea as hex)."""
    with db.transaction() as cur:
        cur.execute(f"SELECT row_to_json(t)::text FROM {table} t WHERE id = %s", (row_id,))
        return str(cur.fetchone()[0])


def everything_stored(db: Database, org: str) -> str:
    """The organisation's audit entries, scans and findings as Postgres has them."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT coalesce(json_agg(a)::text, '') FROM audit_log a WHERE organisation_id = %s",
            (org,),
        )
        audit = cur.fetchone()[0]
        cur.execute(
            "SELECT coalesce(json_agg(s)::text, '') FROM scans s WHERE organisation_id = %s",
            (org,),
        )
        scans = cur.fetchone()[0]
        cur.execute(
            "SELECT coalesce(json_agg(f)::text, '') FROM findings f WHERE organisation_id = %s",
            (org,),
        )
        return f"{audit}\n{scans}\n{cur.fetchone()[0]}"


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        f"{r.getMessage()} {r.args!r} {vars(r)!r} {r.exc_text or ''}" for r in caplog.records
    )


# -- the store -----------------------------------------------------------------------


def test_stored_sealed_and_scoped_by_organisation(
    credentials: CredentialStore, store: ScanStore, users: UserStore, org: str, database: Database
) -> None:
    other = store.create_organisation(f"other-{secrets.token_hex(4)}")
    admin = new_user(users, org, "admin")
    secret = unique_secret()
    made = credentials.create(org, " crm db ", "database_password", secret, admin.id)
    assert (made.name, made.kind, made.created_by) == ("crm db", "database_password", admin.id)
    assert made.key_id == key_id(KEY_A) and made.last_used_at is None
    row = raw_row(database, "credentials", made.id)
    assert secret not in row and secret.encode().hex() not in row  # only ciphertext
    assert credentials.get(org, made.id) == made
    assert [c.id for c in credentials.list(org)] == [made.id]
    # another organisation sees nothing of it, by any method
    assert credentials.get(other, made.id) is None
    assert credentials.list(other) == []
    assert credentials.delete(other, made.id) is None
    with pytest.raises(CredentialMissing):
        credentials.reveal(other, made.id)
    with pytest.raises(ValueError, match="unknown organisation or user"):
        credentials.create(other, "x", "api_token", "v", admin.id)  # a user of another org
    with pytest.raises(CredentialExists):
        credentials.create(org, "crm db", "api_token", "v")
    assert credentials.create(other, "crm db", "api_token", "v").name == "crm db"  # per org
    # revealed for a scan of its own organisation, and the use noted
    revealed = credentials.reveal(org, made.id)
    assert revealed.secret.reveal() == secret and revealed.kind is CredentialKind.DATABASE_PASSWORD
    assert credentials.get(org, made.id).last_used_at is not None  # type: ignore[union-attr]
    assert credentials.delete(org, made.id) == 0
    assert credentials.get(org, made.id) is None
    for bad in ("", "not-a-uuid", str(uuid.uuid4())):
        assert credentials.get(org, bad) is None and credentials.delete(org, bad) is None


def test_a_value_moved_to_another_row_or_organisation_does_not_decrypt(
    credentials: CredentialStore, store: ScanStore, org: str, database: Database
) -> None:
    first = credentials.create(org, "first", "api_token", unique_secret())
    second = credentials.create(org, "second", "api_token", unique_secret())
    with database.transaction() as cur:  # someone with write access, but not the key
        cur.execute(
            "UPDATE credentials SET nonce = f.nonce, ciphertext = f.ciphertext "
            "FROM credentials f WHERE f.id = %s AND credentials.id = %s",
            (first.id, second.id),
        )
    with pytest.raises(CredentialUnreadable, match=f"credential {second.id} does not decrypt"):
        credentials.reveal(org, second.id)
    other = store.create_organisation(f"other-{secrets.token_hex(4)}")
    with database.transaction() as cur:
        cur.execute("UPDATE credentials SET organisation_id = %s WHERE id = %s", (other, first.id))
    with pytest.raises(CredentialUnreadable, match="altered or moved"):
        credentials.reveal(other, first.id)


def test_a_wrong_or_missing_key_is_a_clear_error(
    credentials: CredentialStore, org: str, database: Database
) -> None:
    secret = unique_secret()
    made = credentials.create(org, "token", "git_token", secret)
    wrong = CredentialStore(database, CredentialCipher(KEY_B))
    with pytest.raises(KeyNotConfigured) as raised:
        wrong.reveal(org, made.id)
    message = str(raised.value)
    assert key_id(KEY_A) in message and made.id in message and secret not in message
    with pytest.raises(KeyNotConfigured, match="no credentials_key is set"):
        CredentialStore(database, CredentialCipher(None)).create(org, "x", "api_token", "v")


@pytest.fixture
def own_database(test_databases: TestDatabases) -> Iterator[Database]:
    """A database of this test's own: rotation re-encrypts every row in it."""
    db = Database(test_databases.create(), minconn=1, maxconn=2)
    yield db
    db.close()


def test_rotation_reseals_every_row_in_batches_and_is_safe_to_rerun(
    own_database: Database,
) -> None:
    database = own_database
    store = ScanStore(database)
    credentials = CredentialStore(database, CredentialCipher(KEY_A))
    orgs = [store.create_organisation(f"rot-{secrets.token_hex(4)}") for _ in range(2)]
    made = {
        credentials.create(org, f"c{i}", "api_token", f"value-{org}-{i}").id: (org, i)
        for org in orgs
        for i in range(3)
    }
    # a row under a key nobody has any more is reported, not lost, and blocks nothing
    lost = CredentialStore(database, CredentialCipher(KEY_C)).create(
        orgs[0], "lost", "api_token", "v"
    )
    rotated = CredentialStore(database, CredentialCipher(KEY_B, old=[KEY_A]))
    report = rotated.rotate(batch=2)
    assert report.key_id == key_id(KEY_B)
    assert dict(report.resealed) == {orgs[0]: 3, orgs[1]: 3}
    assert len(report.unreadable) == 1 and lost.id in report.unreadable[0]
    assert key_id(KEY_C) in report.unreadable[0]
    only_new = CredentialStore(database, CredentialCipher(KEY_B))  # the old key can go
    for cid, (org, i) in made.items():
        assert only_new.reveal(org, cid).secret.reveal() == f"value-{org}-{i}"
        with pytest.raises(KeyNotConfigured):
            credentials.reveal(org, cid)  # KEY_A alone no longer opens it
    again = rotated.rotate(batch=2)
    assert sum(again.resealed.values()) == 0 and again.current == 6
    with pytest.raises(KeyNotConfigured):
        CredentialStore(database, CredentialCipher(None, old=[KEY_A])).rotate()


def test_a_scan_names_a_credential_of_its_own_organisation_only(
    credentials: CredentialStore, store: ScanStore, org: str, database: Database
) -> None:
    other = store.create_organisation(f"other-{secrets.token_hex(4)}")
    mine = credentials.create(org, "mine", "git_token", unique_secret())
    theirs = credentials.create(other, "theirs", "git_token", unique_secret())
    scan = store.start_scan(
        org, None, "code", "https://git.example.org/a.git", {}, None, credential_id=mine.id
    )
    claimed = store.claim_scans([scan.id])[scan.id]
    assert claimed.credential_id == mine.id
    for bad in (theirs.id, str(uuid.uuid4()), "nope"):
        with pytest.raises(ValueError, match="unknown credential"):
            store.start_scan(org, None, "code", "t", {}, None, credential_id=bad)
    # the database itself refuses a cross-organisation reference
    with (
        pytest.raises(psycopg2.errors.ForeignKeyViolation),
        database.transaction() as cur,
    ):
        cur.execute("UPDATE scans SET credential_id = %s WHERE id = %s", (theirs.id, scan.id))
    audit = store.list_audit(org)[-1]
    assert audit.action == "scan.started" and audit.details["credential"] == mine.id


def test_deleting_a_credential_cancels_the_scans_waiting_for_it(
    credentials: CredentialStore, store: ScanStore, org: str
) -> None:
    made = credentials.create(org, "db", "database_password", unique_secret())
    queued = store.start_scan(org, None, "code", "t1", {}, None, credential_id=made.id)
    running = store.start_scan(org, None, "code", "t2", {}, None, credential_id=made.id)
    finished = store.start_scan(org, None, "code", "t3", {}, None, credential_id=made.id)
    unrelated = store.start_scan(org, None, "code", "t4", {})
    store.claim_scans([running.id, finished.id])
    store.fail_scan(finished.id, "done with it")
    assert credentials.delete(org, made.id) == 2
    for scan_id, status in (
        (queued.id, ScanStatus.CANCELLED),
        (running.id, ScanStatus.CANCELLED),
        (finished.id, ScanStatus.FAILED),
        (unrelated.id, ScanStatus.QUEUED),
    ):
        got = store.get_scan(org, scan_id)
        assert got is not None and got.status is status
    assert store.get_scan(org, queued.id).error == CANCELLED_REASON  # type: ignore[union-attr]
    assert store.claim_scans([queued.id, running.id]) == {}  # their jobs only get acked


# -- the API -------------------------------------------------------------------------


class Recorded:
    """A test client that keeps every answer, to look for the secret in all of them."""

    def __init__(self, client: falcon.testing.TestClient) -> None:
        self.client = client
        self.answers: list[falcon.testing.Result] = []

    def __call__(self, method: str, path: str, **kwargs: Any) -> falcon.testing.Result:
        result = self.client.simulate_request(method, f"/api/v1{path}", **kwargs)
        self.answers.append(result)
        return result

    def leaked(self, secret: str) -> list[str]:
        return [
            f"{r.status} {r.text[:200]}"
            for r in self.answers
            if secret in r.text or secret in repr(r.headers)
        ]


def test_the_api_stores_lists_and_deletes_credentials_and_never_shows_a_secret(
    client: falcon.testing.TestClient,
    store: ScanStore,
    users: UserStore,
    queue: JobQueue,
    org: str,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    call = Recorded(client)
    other = store.create_organisation(f"other-{secrets.token_hex(4)}")
    analyst_user = new_user(users, org, "analyst")
    analyst = bearer(users, analyst_user)
    viewer = auth(users, org, "viewer")
    outsider = auth(users, other, "admin")
    scans_only = bearer(users, analyst_user, ["scans:read", "scans:write"])
    secret = unique_secret()
    body = {"name": "crm read-only", "kind": "database_password", "secret": secret}
    with caplog.at_level(logging.DEBUG):
        made = call("POST", "/credentials", json=body, headers=analyst)
        assert made.status_code == 201, made.text
        cid = made.json["id"]
        assert made.json == {
            "id": cid,
            "organisation": org,
            "name": "crm read-only",
            "kind": "database_password",
            "created_by": analyst_user.id,
            "created_at": made.json["created_at"],
            "last_used_at": None,
        }
        assert made.headers["location"] == f"/api/v1/credentials/{cid}"
        listed = call("GET", "/credentials", headers=analyst)
        assert [c["id"] for c in listed.json["items"]] == [cid]
        one = call("GET", f"/credentials/{cid}", headers=analyst)
        assert one.json == made.json
        for answer in (made, listed, one):
            assert answer.headers["cache-control"] == "no-store"
        # roles and token scopes
        assert call("GET", "/credentials", headers=viewer).status_code == 403
        assert call("POST", "/credentials", json=body, headers=viewer).status_code == 403
        assert call("GET", "/credentials", headers=scans_only).status_code == 403
        # another organisation sees nothing and can touch nothing
        assert call("GET", "/credentials", headers=outsider).json["items"] == []
        assert call("GET", f"/credentials/{cid}", headers=outsider).status_code == 404
        assert call("DELETE", f"/credentials/{cid}", headers=outsider).status_code == 404
        # bad input: clear errors, without the value in them
        assert call("POST", "/credentials", json=body, headers=analyst).status_code == 409
        for bad in (
            {**body, "name": "other", "kind": "ssh_key"},
            {**body, "name": "other", "secret": ""},
            {**body, "name": "other", "secret": ["a", "list"]},
            {"name": "other", "kind": "api_token"},
            {**body, "name": "two\nlines"},
        ):
            answer = call("POST", "/credentials", json=bad, headers=analyst)
            assert answer.status_code == 400, (bad, answer.text)
        # a scan names it; another organisation's id is unknown to the caller
        request = {"kind": "code", "target": "https://git.example.org/a.git"}
        started = call("POST", "/scans", json={**request, "credential": cid}, headers=analyst)
        assert started.status_code == 202, started.text
        theirs = CredentialStore(database, CredentialCipher(KEY_A)).create(
            other, "theirs", "git_token", unique_secret()
        )
        # a well-formed id it does not have is not found; a malformed one is bad input
        for wrong, status in ((theirs.id, 404), (str(uuid.uuid4()), 404), ("nope", 400), (42, 400)):
            answer = call(
                "POST",
                "/scans",
                json={
                    "kind": "code",
                    "target": "https://git.example.org/a.git",
                    "credential": wrong,
                },
                headers=analyst,
            )
            assert answer.status_code == status, answer.text
        # deleting it cancels the scan that waits for it
        assert call("DELETE", f"/credentials/{cid}", headers=analyst).status_code == 204
        assert call("GET", f"/credentials/{cid}", headers=analyst).status_code == 404
        assert call("DELETE", f"/credentials/{cid}", headers=analyst).status_code == 404
        scan = call("GET", f"/scans/{started.json['id']}", headers=analyst).json
        assert scan["status"] == "cancelled" and scan["error"] == CANCELLED_REASON
    assert call.leaked(secret) == []
    assert secret not in log_text(caplog)
    assert secret not in everything_stored(database, org)
    audit = {e.action: e for e in store.list_audit(org)}
    assert audit["credential.created"].details == {
        "name": "crm read-only",
        "kind": "database_password",
    }
    assert audit["credential.deleted"].details == {"cancelled_scans": 1}
    assert audit["credential.created"].object_id == cid


def test_without_a_credentials_key_the_api_says_so(
    store: ScanStore, users: UserStore, queue: JobQueue, settings: Settings, org: str
) -> None:
    app = create_app(store, users, queue, replace(settings, credentials_key=None), Breakers())
    client = falcon.testing.TestClient(app)
    admin = auth(users, org, "admin")
    body = {"name": "x", "kind": "api_token", "secret": "value"}
    answer = client.simulate_post("/api/v1/credentials", json=body, headers=admin)
    assert answer.status_code == 503
    assert "credentials_key" in answer.json["error"]["message"]
    assert int(answer.headers["retry-after"]) > 0
    assert client.simulate_get("/api/v1/credentials", headers=admin).json == {"items": []}


# -- the worker ----------------------------------------------------------------------


ScanFunction = Callable[[ScanJob, ScanInputs], ScanResult]


def recording(seen: list[Credential | None], scan: ScanFunction | None = None) -> ScanFunction:
    """A scan function that records the credential each scan gets, then runs `scan`
    (default: the code kind's own)."""
    run = scan or kinds.get("code").scan_function()

    def scan_recording(job: ScanJob, inputs: ScanInputs) -> ScanResult:
        seen.append(inputs.credential)
        return run(job, inputs)

    return scan_recording


def worker_with(
    settings: Settings, queue: JobQueue, store: ScanStore, scan: ScanFunction
) -> Worker:
    return Worker("code", queue, store, settings, "w1", scan=scan)


def start(
    store: ScanStore, queue: JobQueue, org: str, credential: str, upload: str | None = None
) -> str:
    target = "upload:tree.zip" if upload else "https://git.example.org/team/app.git"
    scan = store.start_scan(org, None, "code", target, {}, upload, credential_id=credential)
    queue.submit("code", scan.id)
    return scan.id


def test_the_worker_hands_the_credential_to_the_scan_and_stores_no_trace_of_it(
    store: ScanStore,
    queue: JobQueue,
    settings: Settings,
    credentials: CredentialStore,
    org: str,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    made = credentials.create(org, "ci", "git_token", SECRET)
    # the scanned files hold the very same token: the finding shows it masked only
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app/settings.py", f'GITHUB_TOKEN = "{SECRET}"\n')
    buffer.seek(0)
    upload = store.save_upload(org, "tree.zip", buffer, 1 << 20)
    scan_id = start(store, queue, org, made.id, upload)
    seen: list[Credential | None] = []
    worker = worker_with(settings, queue, store, recording(seen))
    with caplog.at_level(logging.DEBUG):
        assert worker.run_once(block_ms=100)
    assert len(seen) == 1 and seen[0] is not None
    assert (seen[0].id, seen[0].name, seen[0].kind) == (made.id, "ci", CredentialKind.GIT_TOKEN)
    assert seen[0].secret.reveal() == SECRET
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.status is ScanStatus.DONE
    findings, _ = store.list_findings(org, scan_id)
    assert "secret.github.token" in {f.rule_id for f in findings}
    assert credentials.get(org, made.id).last_used_at is not None  # type: ignore[union-attr]
    assert SECRET not in everything_stored(database, org)
    assert SECRET not in log_text(caplog)


def test_a_scan_that_echoes_its_secret_stores_it_nowhere(
    store: ScanStore,
    queue: JobQueue,
    settings: Settings,
    credentials: CredentialStore,
    org: str,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = unique_secret()
    made = credentials.create(org, "site", "basic_auth", f"jan:{secret}")

    def careless(job: ScanJob, inputs: ScanInputs) -> ScanResult:
        """A scanner that puts the password wherever it can."""
        assert inputs.credential is not None
        _, password = inputs.credential.basic_auth()
        value = password.reveal()
        session = ScanSession(job, inputs.hasher(), inputs.progress)
        session.progress(50, f"logged in with {value}")
        session.add(
            "secret.github.token",
            Location(path=f"conf/{value}.txt", line=3),
            value=value,
            evidence=f"password={value}",
            description=f"the password {value} is in the page",
        )
        return session.finish()

    def failing(job: ScanJob, inputs: ScanInputs) -> ScanResult:
        assert inputs.credential is not None
        raise ScanInputError(f"fatal: could not read from https://jan:{secret}@host/")

    done = start(store, queue, org, made.id)
    with caplog.at_level(logging.DEBUG):
        assert worker_with(settings, queue, store, careless).run_once(block_ms=100)
        failed = start(store, queue, org, made.id)
        assert worker_with(settings, queue, store, failing).run_once(block_ms=100)
    findings, total = store.list_findings(org, done)
    assert total == 1 and "[credential]" in findings[0].description
    error = store.get_scan(org, failed).error  # type: ignore[union-attr]
    assert error == "fatal: could not read from https://[credential]@host/"
    assert secret not in everything_stored(database, org)
    assert secret not in log_text(caplog)


def test_a_credential_this_host_cannot_decrypt_fails_its_scan_with_the_key_id(
    store: ScanStore,
    queue: JobQueue,
    settings: Settings,
    org: str,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = unique_secret()
    elsewhere = CredentialStore(database, CredentialCipher(KEY_C))  # a key this host lacks
    made = elsewhere.create(org, "db", "database_password", secret)
    scan_id = start(store, queue, org, made.id)
    seen: list[Credential | None] = []
    worker = worker_with(settings, queue, store, recording(seen))
    with caplog.at_level(logging.DEBUG):
        assert worker.run_once(block_ms=100)
    assert seen == []  # the scanner never ran
    scan = store.get_scan(org, scan_id)
    assert scan is not None and scan.status is ScanStatus.FAILED
    assert key_id(KEY_C) in (scan.error or "") and made.id in (scan.error or "")
    assert "Traceback" not in log_text(caplog) and secret not in log_text(caplog)
    assert queue.redis.xpending(queue.stream("code"), GROUP)["pending"] == 0


# -- the command line ----------------------------------------------------------------


def test_the_cli_adds_lists_rotates_and_deletes_without_showing_a_secret(
    own_database: Database,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    store = ScanStore(own_database)
    org_name = f"cli-{secrets.token_hex(4)}"
    org = store.create_organisation(org_name)
    with own_database.connection() as conn:
        dsn = conn.dsn
    for name, value in (
        ("DGP_CONFIG", str(tmp_path / "none.conf")),
        ("DGP_SECRETS", str(tmp_path / "none.secrets")),
        ("DGP_DATABASE_URL", dsn),
        ("DGP_HASH_KEY", HASH_KEY.hex()),
        ("DGP_CREDENTIALS_KEY", KEY_A.hex()),
    ):
        monkeypatch.setenv(name, value)
    from_env, from_file, from_stdin = unique_secret(), unique_secret(), unique_secret()
    monkeypatch.setenv("DGP_TEST_TOKEN", from_env)
    secret_file = tmp_path / "token.txt"
    secret_file.write_text(from_file + "\n")
    seen: list[str] = []

    def run(*argv: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = cli.main(["credentials", *argv])
        out, err = capsys.readouterr()
        seen.extend((out, err))
        return code

    add = ("add", "--org", org_name, "--kind", "api_token")
    assert run(*add, "--name", "env", "--secret-env", "DGP_TEST_TOKEN") == 0
    assert run(*add, "--name", "file", "--secret-file", str(secret_file)) == 0
    assert run(*add, "--name", "stdin", stdin=from_stdin + "\n") == 0
    ids = {c.name: c.id for c in CredentialStore(own_database, CredentialCipher(KEY_A)).list(org)}
    assert sorted(ids) == ["env", "file", "stdin"]
    revealed = CredentialStore(own_database, CredentialCipher(KEY_A))
    assert [revealed.reveal(org, ids[n]).secret.reveal() for n in ("env", "file", "stdin")] == [
        from_env,
        from_file,
        from_stdin,
    ]
    assert run(*add, "--name", "env", "--secret-env", "DGP_TEST_TOKEN") == 2  # name taken
    assert run(*add, "--name", "x", "--secret-env", "DGP_UNSET_VARIABLE") == 2
    assert "is not set" in seen[-1]
    assert run("list", "--org", org_name) == 0
    assert all(ids[n] in seen[-2] for n in ids) and key_id(KEY_A) in seen[-2]
    # a new key: the old one only opens, rotate-key re-encrypts, a rerun has nothing to do
    monkeypatch.setenv("DGP_CREDENTIALS_KEY", KEY_B.hex())
    monkeypatch.setenv("DGP_CREDENTIALS_OLD_KEYS", KEY_A.hex())
    assert run("rotate-key", "--batch", "2") == 0
    assert "re-encrypted 3 credentials" in seen[-2] and f"{key_id(KEY_B)} 3" in seen[-2]
    assert run("rotate-key") == 0 and "re-encrypted 0" in seen[-2]
    rotated = store.list_audit(org)[0]
    assert (rotated.action, rotated.details["resealed"]) == ("credentials.rotated", 3)
    # a host with the wrong key: each row it cannot read is named, with the key it needs
    monkeypatch.setenv("DGP_CREDENTIALS_KEY", KEY_C.hex())
    monkeypatch.delenv("DGP_CREDENTIALS_OLD_KEYS")
    assert run("rotate-key") == 1
    assert seen[-1].count(key_id(KEY_B)) >= 3 and "Traceback" not in seen[-1]
    monkeypatch.delenv("DGP_CREDENTIALS_KEY")
    assert run(*add, "--name", "nokey", "--secret-env", "DGP_TEST_TOKEN") == 2
    assert "no credentials_key is set" in seen[-1]
    assert run("delete", "--org", org_name, ids["env"]) == 0
    assert run("delete", "--org", org_name, ids["env"]) == 2
    for secret in (from_env, from_file, from_stdin):
        assert all(secret not in text for text in seen)
