"""The database kind against a real PostgreSQL and a real MariaDB (tests/services/up.sh),
through the API, the queue and a Worker: seeded schemas of known content, the exact
findings, the password only in the encrypted credential store; read-only connections
that take no lock a writer waits for; wrong passwords, stalled servers, held locks,
exotic types and loopback refused by policy, each with a clear reason in bounded time.

Each test module makes its own databases and login roles (generated passwords) and
drops them at the end.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import falcon.testing
import psycopg2
import psycopg2.errors
import pymysql
import pytest

from dgp.domain.job import ScanInputError, ScanInputs, ScanJob
from dgp.net import NetPolicy, check_target
from dgp.plumbing.credential_cipher import CredentialCipher
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ScanStore, UserStore
from dgp.plumbing.store.credentials import CredentialStore
from dgp.plumbing.worker import Worker
from dgp.scanners.database import scanner
from dgp.scanners.database.mysql import MysqlSource
from dgp.scanners.database.options import DatabaseOptions
from dgp.scanners.database.postgres import PostgresSource
from dgp.scanners.database.target import parse_target
from tests import dbfixtures as db
from tests.integration.conftest import HASH_KEY, TestDatabases, auth

KEY = bytes(range(32))
pytestmark = [
    pytest.mark.integration,
    pytest.mark.settings(credentials_key=KEY, allow_private_hosts=True),
]
MARIADB_SOCKET = "/run/dgp-test-mariadb/mysqld.sock"
MARIADB_PORT = 3316
LOOPBACK = {"allow_private_hosts": True}


@dataclass
class Seeded:
    target: str
    user: str
    password: str
    schema: str
    admin: Any  # a superuser connection (psycopg2) or root (PyMySQL) to the same database


@pytest.fixture(scope="module")
def postgres(test_databases: TestDatabases) -> Iterator[Seeded]:
    dsn = test_databases.create(migrated=False)
    name = psycopg2.extensions.parse_dsn(dsn)["dbname"]
    user, password = f"dgp_scan_{secrets.token_hex(4)}", secrets.token_urlsafe(18)
    admin = psycopg2.connect(dsn)
    db.seed(admin, "postgresql")
    with admin.cursor() as cur:
        cur.execute("CREATE TYPE stemming AS ENUM ('ja', 'nee')")
        cur.execute(
            "CREATE TABLE exotisch (id serial primary key, vorm text, labels text[], "
            "foto bytea, keuze stemming, groot text, created_at timestamptz)"
        )
        cur.execute(
            "INSERT INTO exotisch (vorm, labels, foto, keuze, groot) SELECT "
            "'POLYGON((0 0, 1 0, 1 1, 0 0))', ARRAY['a', 'b'], '\\x00ff'::bytea, 'ja', "
            "repeat('x', 5000000) FROM generate_series(1, 5)"
        )
        cur.execute(f"CREATE ROLE {user} LOGIN PASSWORD %s", (password,))
        cur.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {user}")
        cur.execute("GRANT SELECT ON klanten TO PUBLIC")
        cur.execute("ANALYZE")
    admin.commit()
    yield Seeded(f"postgresql://127.0.0.1:5432/{name}", user, password, "public", admin)
    admin.close()
    cleanup = psycopg2.connect(test_databases.admin_dsn)
    cleanup.autocommit = True
    with cleanup.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f"DROP ROLE IF EXISTS {user}")
    cleanup.close()
    test_databases.names.remove(name)


def mariadb_root(database: str | None = None) -> Any:
    try:
        return pymysql.connect(unix_socket=MARIADB_SOCKET, user="root", database=database)
    except pymysql.err.OperationalError as e:
        pytest.fail(f"cannot reach MariaDB at {MARIADB_SOCKET} ({e}); run tests/services/up.sh")


@pytest.fixture(scope="module")
def mariadb() -> Iterator[Seeded]:
    name = f"dgp_test_{secrets.token_hex(6)}"
    user, password = f"dgp_{secrets.token_hex(4)}", secrets.token_urlsafe(18)
    root = mariadb_root()
    with root.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    root.select_db(name)
    db.seed(root, "mysql")
    with root.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY %s", (password,))
        cur.execute(f"GRANT SELECT ON {name}.* TO '{user}'@'127.0.0.1'")
        cur.execute(f"GRANT SELECT ON {name}.klanten TO PUBLIC")
        cur.execute(f"ANALYZE TABLE {', '.join(db.TABLES)}")
        cur.fetchall()
    root.commit()
    yield Seeded(f"mysql://127.0.0.1:{MARIADB_PORT}/{name}", user, password, name, root)
    with root.cursor() as cur:
        cur.execute(f"REVOKE SELECT ON {name}.klanten FROM PUBLIC")
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
        cur.execute(f"DROP USER IF EXISTS '{user}'@'127.0.0.1'")
    root.close()


def through_the_queue(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
    body: dict[str, Any],
    role: str = "admin",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    headers = auth(users, org, role)
    answer = client.simulate_post("/api/v1/scans", json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    assert Worker.for_kind("database", queue, store, settings, "db1").run_once(block_ms=100)
    scan_id = answer.json["id"]
    scan = client.simulate_get(f"/api/v1/scans/{scan_id}", headers=headers).json
    found = client.simulate_get(f"/api/v1/scans/{scan_id}/findings?limit=500", headers=headers).json
    return scan, found.get("items", [])


def credential(store: ScanStore, settings: Settings, org: str, secret: str) -> str:
    creds = CredentialStore(store.db, CredentialCipher.from_settings(settings))
    return creds.create(org, f"db-{secrets.token_hex(3)}", "database_password", secret).id


def paths(items: list[dict[str, Any]], schema: str) -> set[tuple[str, str]]:
    return db.paths({(f["rule_id"], f["location"]["path"]) for f in items}, schema)


@pytest.mark.parametrize("engine", ["postgres", "mariadb"])
def test_a_seeded_database_through_the_api_queue_and_worker(
    engine: str,
    request: pytest.FixtureRequest,
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
) -> None:
    seeded: Seeded = request.getfixturevalue(engine)
    cred = credential(store, settings, org, seeded.password)
    body = {
        "kind": "database",
        "target": seeded.target,
        "credential": cred,
        "options": {**LOOPBACK, "user": seeded.user},
    }
    scan, items = through_the_queue(client, users, queue, store, settings, org, body)
    assert scan["status"] == "done", scan
    expected = db.EXPECTED | {db.PUBLIC_FINDING}
    if engine == "postgres":
        expected |= {db.RLS_FINDING}
    assert paths(items, seeded.schema) == expected
    stored = str(scan) + str(items)
    assert seeded.password not in stored
    assert all(f["scanner"] == "database" and f["legal_refs"] for f in items)
    artefacts = client.simulate_get(
        f"/api/v1/scans/{scan['id']}/artefacts", headers=auth(users, org, "admin")
    ).json
    assert scanner.DATA_MAP in str(artefacts)


def test_a_wrong_password_fails_the_scan_with_the_reason(
    postgres: Seeded,
    mariadb: Seeded,
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
) -> None:
    for seeded in (postgres, mariadb):
        wrong = "not-" + seeded.password
        body = {
            "kind": "database",
            "target": seeded.target,
            "credential": credential(store, settings, org, wrong),
            "options": {**LOOPBACK, "user": seeded.user},
        }
        started = time.monotonic()
        scan, _ = through_the_queue(client, users, queue, store, settings, org, body)
        assert scan["status"] == "failed"
        assert "the user or password is wrong" in scan["error"], scan["error"]
        assert wrong not in str(scan)
        assert time.monotonic() - started < 20


def test_loopback_is_refused_for_who_may_not_allow_it(
    postgres: Seeded,
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
) -> None:
    body = {
        "kind": "database",
        "target": postgres.target,
        "credential": credential(store, settings, org, postgres.password),
        "options": {**LOOPBACK, "user": postgres.user},
    }
    scan, _ = through_the_queue(client, users, queue, store, settings, org, body, "analyst")
    assert scan["status"] == "failed"
    assert "127.0.0.1 is a loopback address: refused" in scan["error"]


def test_a_target_with_a_password_is_refused_by_the_api(
    client: falcon.testing.TestClient, users: UserStore, org: str
) -> None:
    answer = client.simulate_post(
        "/api/v1/scans",
        json={"kind": "database", "target": "postgresql://u:hunter2@db.example.nl/crm"},
        headers=auth(users, org, "admin"),
    )
    assert answer.status_code == 400 and "credentials" in answer.text
    assert "hunter2" not in answer.text


def options(seeded: Seeded, **more: Any) -> DatabaseOptions:
    return DatabaseOptions(user=seeded.user, allow_private_hosts=True, **more)


def source(seeded: Seeded, **more: Any) -> PostgresSource | MysqlSource:
    target = parse_target(seeded.target)
    assert target.url is not None
    checked = check_target(target.url, NetPolicy(allow_private=True))
    kind = PostgresSource if target.engine == "postgresql" else MysqlSource
    return kind(target, checked, options(seeded, **more), seeded.user, seeded.password, 100)


def test_the_scan_connection_cannot_write(postgres: Seeded, mariadb: Seeded) -> None:
    pg = source(postgres)
    with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction), pg.conn.cursor() as cur:
        cur.execute("INSERT INTO producten VALUES (10001, 'x', 1)")
    pg.conn.rollback()
    pg.close()
    my = source(mariadb)
    with pytest.raises(pymysql.err.MySQLError) as e, my.conn.cursor() as cur:
        cur.execute("INSERT INTO producten VALUES (10001, 'x', 1)")
    assert e.value.args[0] in (1792, 1142)  # read-only transaction, or no INSERT privilege
    my.close()


def test_a_sample_in_progress_blocks_no_writer(postgres: Seeded, mariadb: Seeded) -> None:
    pg = source(postgres)
    (table,) = [t for t in pg.tables(()) if t.name == "klanten"]
    with pg._statement(named=True) as cur:  # a sample's transaction, still open
        cur.execute("SELECT * FROM klanten")
        cur.fetchmany(5)
        with postgres.admin.cursor() as writer:
            writer.execute("SET lock_timeout = '2s'")
            writer.execute("UPDATE klanten SET postcode = postcode WHERE id = 1")
            writer.execute("INSERT INTO producten VALUES (20001, 'lamp', 2)")
        postgres.admin.commit()  # neither waited for the scan
    assert pg.sample(table, 5, 100, 10**6).rows == 5
    pg.close()
    my = source(mariadb)
    with my._statement() as cur:
        cur.execute("SELECT * FROM klanten")
        cur.fetchmany(5)
        with mariadb.admin.cursor() as writer:
            writer.execute("SET SESSION innodb_lock_wait_timeout = 2")
            writer.execute("UPDATE klanten SET postcode = postcode WHERE id = 1")
            writer.execute("INSERT INTO producten VALUES (20001, 'lamp', 2)")
        mariadb.admin.commit()
    my.close()


def test_a_table_locked_by_another_session_is_skipped_in_bounded_time(
    postgres: Seeded,
) -> None:
    with postgres.admin.cursor() as cur:
        cur.execute("LOCK TABLE producten IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        job = ScanJob("database", postgres.target, options(postgres, lock_seconds=0.5))
        result = scanner.scan(job, ScanInputs(HASH_KEY, credential=_cred(postgres)))
    postgres.admin.rollback()
    assert time.monotonic() - started < 30
    skipped = [f for f in result.findings if f.rule_id == "scan.item_not_scanned"]
    assert [f.location.path for f in skipped] == ["public.producten"]
    assert "lock" in skipped[0].evidence
    assert result.scan.status == "done"


def test_exotic_types_and_huge_values_are_read_bounded(postgres: Seeded) -> None:
    job = ScanJob("database", postgres.target, options(postgres, max_value_chars=100))
    result = scanner.scan(job, ScanInputs(HASH_KEY, credential=_cred(postgres)))
    import json

    tables = json.loads(result.artefacts[0].data)["tables"]
    (exotic,) = [t for t in tables if t["name"] == "exotisch"]
    columns = {c["name"]: c for c in exotic["columns"]}
    assert columns["foto"]["not_sampled"] == "binary (bytea)"
    assert exotic["sampled_rows"] == 5
    assert exotic["bytes_read"] < 5 * 6 * 100 + 100  # 5 MB values read as 100 characters


def test_a_server_that_accepts_and_stalls_fails_in_bounded_time() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])  # and never answer
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        for target in (f"postgresql://127.0.0.1:{port}/x", f"mysql://127.0.0.1:{port}/x"):
            started = time.monotonic()
            job = ScanJob("database", target, DatabaseOptions(connect_seconds=1.0))
            with pytest.raises(ScanInputError, match="cannot connect"):
                scanner.scan(job, ScanInputs(HASH_KEY))
            assert time.monotonic() - started < 10
    finally:
        stop.set()
        thread.join()
        listener.close()
        for conn in held:
            conn.close()


# every result read to its end: PyMySQL warns when a query follows an unread one
@pytest.mark.filterwarnings("error:Previous unbuffered result:UserWarning")
def test_a_million_row_table_is_sampled_not_read(postgres: Seeded, mariadb: Seeded) -> None:
    db.big_table(postgres.admin, "postgresql", 1_000_000, "groot")
    with postgres.admin.cursor() as cur:
        cur.execute(f"GRANT SELECT ON groot TO {postgres.user}")
    postgres.admin.commit()
    mariadb.admin.select_db(mariadb.schema)
    db.big_table(mariadb.admin, "mysql", 1_000_000, "groot")
    for seeded, method in ((postgres, "TABLESAMPLE SYSTEM"), (mariadb, "10 random ranges")):
        job = ScanJob("database", seeded.target, options(seeded, sample_rows=1000))
        result = scanner.scan(job, ScanInputs(HASH_KEY, credential=_cred(seeded)))
        import json

        tables = json.loads(result.artefacts[0].data)["tables"]
        (big,) = [t for t in tables if t["name"] == "groot"]
        assert big["estimated_rows"] > 500_000
        assert big["sample_method"].startswith(method)
        assert 0 < big["sampled_rows"] <= 1000
        assert not [f for f in result.findings if "groot" in (f.location.path or "")]


def _cred(seeded: Seeded) -> Any:
    from dgp.domain.credential import Credential, CredentialKind, Secret

    return Credential("c", "db", CredentialKind.DATABASE_PASSWORD, Secret(seeded.password))


def test_the_cli_reads_the_password_from_a_variable_or_a_file(
    postgres: Seeded, tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    from dgp import cli

    monkeypatch.setenv("DGP_HASH_KEY", HASH_KEY.hex())
    monkeypatch.setenv("DB_PASSWORD", postgres.password)
    secret = tmp_path / "pw"
    secret.write_text(postgres.password + "\n")
    common = ["scan", "database", postgres.target, "--format", "json"]
    common += ["--option", f"user={postgres.user}"]
    for how in (["--password-env", "DB_PASSWORD"], ["--password-file", str(secret)]):
        assert cli.main([*common, *how]) == 0
        out = capsys.readouterr().out
        assert "database.pii.bsn_column" in out and postgres.password not in out
    monkeypatch.setenv("DB_PASSWORD", "wrong")
    assert cli.main([*common, "--password-env", "DB_PASSWORD"]) == 2
    assert "the user or password is wrong" in capsys.readouterr().err
