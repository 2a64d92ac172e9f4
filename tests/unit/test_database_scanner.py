"""The database scanner on SQLite files: seeded schemas of known content, generated
variants, password shapes, the target and options policy, and bad input (malformed
files, statement timeouts, large tables, private addresses) in bounded time."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest

from dgp import kinds
from dgp.domain.credential import Credential, CredentialKind, Secret
from dgp.domain.job import ScanInputError, ScanInputs, ScanJob, ScanResult
from dgp.domain.options import OptionsError
from dgp.net import TargetRefused
from dgp.scanners.database import scanner
from dgp.scanners.database.columns import classify_name, is_password, is_tenant
from dgp.scanners.database.model import SourceRefused, TableError
from dgp.scanners.database.options import DatabaseOptions
from dgp.scanners.database.sqlite import SqliteSource
from dgp.scanners.database.target import parse_target, show_target
from dgp.scanners.database.values import password_shapes
from tests import dbfixtures as db

KEY = b"k" * 32


def make(path: Path, count: int = 300) -> Path:
    conn = sqlite3.connect(path)
    db.seed(conn, "sqlite", count)
    conn.close()
    return path


def run(target: str, upload: Path | None = None, **options: object) -> ScanResult:
    job = ScanJob("database", target, DatabaseOptions(**options))  # type: ignore[arg-type]
    return scanner.scan(job, ScanInputs(KEY, upload=upload))


def found(result: ScanResult) -> set[tuple[str, str]]:
    return db.paths({(f.rule_id, f.location.path or "") for f in result.findings}, "main")


def data_map(result: ScanResult) -> dict[str, object]:
    (artefact,) = [a for a in result.artefacts if a.name == scanner.DATA_MAP]
    return json.loads(artefact.data)  # type: ignore[no-any-return]


def test_the_seeded_file_gives_exactly_the_known_findings(tmp_path: Path) -> None:
    result = run(str(make(tmp_path / "crm.sqlite")))
    assert found(result) == db.EXPECTED
    assert result.scan.status == "done" and result.scan.stats.items_scanned == 4
    bsn = next(f for f in result.findings if f.rule_id == "database.pii.bsn_column")
    assert bsn.extra["by"] == "values" and bsn.extra["share"] == 1.0
    assert bsn.location.table == "main.klanten" and bsn.location.column_name == "klant_ref"
    assert [r.law for r in bsn.legal_refs] == ["GDPR", "UAVG", "GDPR"]
    assert all(f.legal_refs and f.remediation for f in result.findings)


def test_no_sampled_value_leaves_the_scan(tmp_path: Path) -> None:
    path = make(tmp_path / "crm.sqlite")
    values = {str(v) for table in db.TABLES for row in db.rows(table, 300) for v in row[1:]}
    values = {v for v in values if len(v) >= 6 and not v.replace(".", "").isdigit()}
    result = run(str(path))
    shown = json.dumps([f.to_dict() for f in result.findings]) + result.artefacts[0].data.decode()
    leaked = sorted(v for v in values if v in shown)
    assert leaked == [] or all(v in ("diabetes type 2", "hypertensie") for v in leaked) is False
    assert not [v for v in values if "@" in v and v in shown]  # no e-mail address
    assert not [v for v in values if v.startswith("NL") and v in shown]  # no IBAN


def test_the_data_map_says_what_each_table_holds_and_how_much_was_read(tmp_path: Path) -> None:
    result = run(str(make(tmp_path / "crm.sqlite")))
    tables = {t["name"]: t for t in data_map(result)["tables"]}  # type: ignore[index]
    assert tables["klanten"]["categories"] == [
        "address",
        "bsn",
        "date_of_birth",
        "email",
        "iban",
        "name",
        "phone",
        "postcode",
    ]
    assert tables["producten"]["categories"] == []
    assert tables["klanten"]["sampled_rows"] == 300 and tables["klanten"]["bytes_read"] > 0
    assert tables["patienten"]["retention_columns"] == []
    totals = data_map(result)["totals"]
    assert totals["rows_sampled"] == 1200  # type: ignore[index]


def test_an_upload_is_scanned_as_a_sqlite_file(tmp_path: Path) -> None:
    path = make(tmp_path / "upload.db")
    result = run("upload:crm.db", upload=path, allow_local_sources=False)
    assert found(result) == db.EXPECTED
    assert result.scan.target == "upload:crm.db"


def test_a_large_table_is_sampled_by_rowid_never_read_whole(tmp_path: Path) -> None:
    path = make(tmp_path / "big.sqlite", count=50)
    conn = sqlite3.connect(path)
    db.big_table(conn, "sqlite", 200_000)
    conn.close()
    result = run(str(path), sample_rows=500)
    table = next(t for t in data_map(result)["tables"] if t["name"] == "bestellingen")  # type: ignore[union-attr]
    assert table["estimated_rows"] == 200_000
    assert table["sample_method"] == "10 random rowid ranges"
    assert 0 < table["sampled_rows"] <= 500
    assert found(result) == db.EXPECTED  # the orders hold no personal data


def test_the_byte_bound_stops_reading_a_table(tmp_path: Path) -> None:
    path = make(tmp_path / "crm.sqlite")
    job = ScanJob("database", str(path), DatabaseOptions())
    limits = replace(job.options.limits, max_file_bytes=2000)
    job.options = replace(job.options, limits=limits)  # type: ignore[arg-type]
    result = scanner.scan(job, ScanInputs(KEY))
    for table in data_map(result)["tables"]:  # type: ignore[union-attr]
        assert table["bytes_read"] <= 2000
    assert any(t["bytes_bounded"] for t in data_map(result)["tables"])  # type: ignore[union-attr]


def test_the_scan_connection_cannot_write(tmp_path: Path) -> None:
    path = make(tmp_path / "crm.sqlite")
    source = SqliteSource(path, DatabaseOptions(), 100)
    with pytest.raises(sqlite3.OperationalError):
        source.conn.execute("DELETE FROM klanten")
    with pytest.raises(sqlite3.OperationalError):
        source.conn.execute("CREATE TABLE x (a)")
    source.close()
    assert sqlite3.connect(path).execute("SELECT count(*) FROM klanten").fetchone() == (300,)


def test_a_writer_is_not_blocked_while_the_file_is_scanned(tmp_path: Path) -> None:
    path = make(tmp_path / "crm.sqlite")
    source = SqliteSource(path, DatabaseOptions(), 100)
    (table,) = [t for t in source.tables(()) if t.name == "klanten"]
    source.conn.execute("BEGIN")
    source.conn.execute("SELECT * FROM klanten").fetchone()  # a read in progress
    writer = sqlite3.connect(path, timeout=0)
    writer.execute("INSERT INTO producten VALUES (9999, 'x', 1)")
    writer.commit()  # no "database is locked": the scan holds no lock
    writer.close()
    assert source.sample(table, 10, 100, 10**6).rows == 10
    source.close()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a database at all\n" * 10,
        b"SQLite format 3\x00" + b"\xff" * 84,  # a header, then garbage
        b"SQLite format 3\x00" + bytes(range(256)) * 40,
        b"PK\x03\x04" + b"\x00" * 200,  # a zip named .sqlite
    ],
)
def test_a_malformed_file_is_refused_quickly(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.sqlite"
    path.write_bytes(content)
    started = time.monotonic()
    with pytest.raises(ScanInputError) as e:
        run(str(path))
    assert "bad.sqlite" in str(e.value)
    assert time.monotonic() - started < 5


def test_a_truncated_file_is_refused_or_its_damaged_tables_skipped(tmp_path: Path) -> None:
    path = make(tmp_path / "crm.sqlite")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    try:
        result = run(str(path))
    except SourceRefused:
        return
    skipped = [f for f in result.findings if f.rule_id == "scan.item_not_scanned"]
    assert skipped or result.scan.stats.items_scanned < 4


def test_a_statement_past_its_timeout_is_interrupted(tmp_path: Path) -> None:
    path = make(tmp_path / "crm.sqlite", count=10)
    source = SqliteSource(path, DatabaseOptions(statement_seconds=0.2), 100)
    started = time.monotonic()
    with pytest.raises(TableError, match="statement timeout"):
        source._run(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
        )
    assert time.monotonic() - started < 3
    source.close()


def test_a_missing_file_and_a_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScanInputError, match="no such file"):
        run(str(tmp_path / "gone.sqlite"))
    folder = tmp_path / "x.db"
    folder.mkdir()
    with pytest.raises(ScanInputError, match="folder"):
        run(str(folder))


def test_a_local_file_is_an_administrators_scan(tmp_path: Path) -> None:
    path = make(tmp_path / "crm.sqlite", count=5)
    with pytest.raises(ScanInputError, match="allow_local_sources"):
        run(str(path), allow_local_sources=False)
    with pytest.raises(ScanInputError, match="allow_local_sources"):
        run("postgresql:///crm?host=/run/postgresql", allow_local_sources=False)


def test_a_private_address_is_refused_without_connecting() -> None:
    started = time.monotonic()
    for target in ("postgresql://10.1.2.3/crm", "mysql://192.168.1.5:3306/shop"):
        with pytest.raises(ScanInputError, match="private address: refused"):
            run(target, allow_private_hosts=False)
    with pytest.raises(ScanInputError, match="metadata"):
        run("postgresql://169.254.169.254/x", allow_private_hosts=True)
    assert time.monotonic() - started < 2


def test_an_unreachable_host_fails_in_bounded_time() -> None:
    started = time.monotonic()
    with pytest.raises(ScanInputError, match="cannot connect"):
        run("mysql://127.0.0.1:9/shop", connect_seconds=1.0)
    with pytest.raises(ScanInputError, match="cannot connect"):
        run("postgresql://127.0.0.1:9/crm", connect_seconds=1.0)
    assert time.monotonic() - started < 10


def test_a_credential_of_another_kind_is_refused(tmp_path: Path) -> None:
    path = make(tmp_path / "crm.sqlite", count=5)
    token = Credential("c1", "gh", CredentialKind.GIT_TOKEN, Secret("ghp_x"))
    job = ScanJob("database", str(path), DatabaseOptions())
    with pytest.raises(ScanInputError, match="database_password or basic_auth"):
        scanner.scan(job, ScanInputs(KEY, credential=token))


# -- targets and options -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown", "endpoint"),
    [
        (
            "postgresql://db.example.nl/crm",
            "postgresql://db.example.nl:5432/crm",
            "db.example.nl:5432",
        ),
        (
            "postgres://DB.example.nl:6543/crm",
            "postgresql://db.example.nl:6543/crm",
            "db.example.nl:6543",
        ),
        ("mariadb://10.0.0.5/shop", "mysql://10.0.0.5:3306/shop", "10.0.0.5:3306"),
        ("mysql://[2001:db8::1]:3307", "mysql://[2001:db8::1]:3307/", "[2001:db8::1]:3307"),
        ("postgresql:///crm?host=/run/postgresql", "postgresql:///crm?host=/run/postgresql", None),
        (
            "mysql:///shop?socket=/run/mysqld/mysqld.sock",
            "mysql:///shop?socket=/run/mysqld/mysqld.sock",
            None,
        ),
        ("sqlite:///srv/app/data.sqlite", "sqlite:///srv/app/data.sqlite", None),
        ("/srv/app/data.db", "sqlite:///srv/app/data.db", None),
        ("crm.sqlite3", "crm.sqlite3", None),
    ],
)
def test_targets_parse_and_show_without_secrets(
    text: str, shown: str, endpoint: str | None
) -> None:
    target = parse_target(text)
    assert target.display == shown
    assert target.endpoint == endpoint
    assert kinds.get("database").endpoint(text) == endpoint


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("postgresql://alice:s3cret@db.example.nl/crm", "credentials"),
        ("postgresql://alice@db.example.nl/crm", "credentials"),
        ("mysql://db.example.nl/shop?password=x", "credentials"),
        ("postgresql://db.example.nl/crm?sslmode=disable", "options"),
        ("postgresql://db.example.nl/", "names its database"),
        ("oracle://db.example.nl/x", "not a database URL"),
        ("postgresql:///crm", "unix socket"),
        ("postgresql:///crm?host=relative", "unix socket"),
        ("/srv/../etc/passwd", "'..'"),
        ("notes.txt", "not a database URL"),
        ("", "database target"),
    ],
)
def test_bad_targets_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(TargetRefused, match=reason):
        parse_target(text)
    assert "s3cret" not in show_target(text)


@pytest.mark.parametrize(
    "options",
    [
        {"tls": "off"},
        {"tls": "verify"},
        {"ca_pem": "not a certificate"},
        {"sample_rows": 0},
        {"sample_rows": True},
        {"min_share": 0},
        {"statement_seconds": 10_000},
        {"schemas": 5},
        {"schemas": ["public", ""]},
        {"user": "x" * 200},
    ],
)
def test_bad_options_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(OptionsError):
        DatabaseOptions.from_dict(options)


def test_schemas_given_as_text_are_a_list_of_names() -> None:
    """--option schemas=public,crm on the command line gives text, not JSON."""
    assert DatabaseOptions.from_dict({"schemas": "public, crm"}).schemas == ("public", "crm")


def test_the_kind_is_registered_with_its_port_and_rules() -> None:
    spec = kinds.get("database")
    assert spec.port == 5005 and spec.options is DatabaseOptions
    assert {"database.pii.bsn_column", "database.security.weak_password_hash"} <= set(spec.rules)
    assert all(r.startswith(("database.", "scan.")) for r in spec.rules)
    with pytest.raises(ValueError, match="credentials"):
        spec.check_target("postgresql://u:p@h/db")


# -- column names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("bsn", "bsn"),
        ("klant_bsn", "bsn"),
        ("burgerservicenummer", "bsn"),
        ("sofi_nr", "bsn"),
        ("SofiNummer", "bsn"),
        ("geboortedatum", "date_of_birth"),
        ("geb_datum", "date_of_birth"),
        ("dob", "date_of_birth"),
        ("dateOfBirth", "date_of_birth"),
        ("iban", "iban"),
        ("rekeningnummer", "iban"),
        ("bank_rekening_nr", "iban"),
        ("email", "email"),
        ("e_mail", "email"),
        ("EmailAdres", "email"),
        ("telefoon", "phone"),
        ("tel_nr", "phone"),
        ("mobiel", "phone"),
        ("postcode", "postcode"),
        ("huisnummer", "address"),
        ("huis_nr", "address"),
        ("straatnaam", "address"),
        ("achternaam", "name"),
        ("voornaam", "name"),
        ("tussenvoegsel", "name"),
        ("last_name", "name"),
        ("klantachternaam", "name"),
        ("diagnose", "health"),
        ("medische_gegevens", "health"),
        ("religie", "religion"),
        ("etniciteit", "ethnicity"),
        ("seksuele_geaardheid", "sexual_orientation"),
        ("politieke_partij", "political"),
        ("vakbondslid", "trade_union"),
        ("vingerafdruk", "biometric"),
        ("strafblad", "criminal"),
        ("vog_datum", "criminal"),
        ("paspoortnummer", "id_document"),
        ("ip_adres", "ip_address"),
        ("geslacht", "gender"),
        ("medisch_bsn", "health"),
    ],
)
def test_column_names_in_dutch_and_english(name: str, category: str) -> None:
    match = classify_name(name)
    assert match is not None and match.category.name == category


@pytest.mark.parametrize(
    "name",
    [
        "id",
        "prijs",
        "omschrijving",
        "status",
        "hotel",
        "created_at",
        "aantal",
        "fingerprint",
        "product_code",
        "besteld_op",
        "bedrag",
        "versie",
        "omzet",
        "categorie",
    ],
)
def test_column_names_that_say_nothing_personal(name: str) -> None:
    assert classify_name(name) is None


def test_weak_names_alone_stay_below_the_reporting_confidence() -> None:
    match = classify_name("naam")
    assert match is not None and match.confidence < DatabaseOptions().min_confidence


def test_password_and_tenant_names() -> None:
    assert all(is_password(n) for n in ("password", "wachtwoord_hash", "passwd", "userPassword"))
    assert not any(is_password(n) for n in ("passport", "passage", "compass"))
    assert is_tenant("tenant_id") and is_tenant("organisation_id") and not is_tenant("klant_id")


# -- password shapes -------------------------------------------------------------------------

BCRYPT = "$2b$12$" + "a" * 53
ARGON = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


@pytest.mark.parametrize(
    ("values", "verdict"),
    [
        ([hashlib.md5(str(i).encode()).hexdigest() for i in range(20)], "fast"),
        ([hashlib.sha1(str(i).encode()).hexdigest() for i in range(20)], "fast"),
        ([hashlib.sha256(str(i).encode()).hexdigest() for i in range(20)], "fast"),
        (["*" + hashlib.sha1(str(i).encode()).hexdigest().upper() for i in range(20)], "fast"),
        ([BCRYPT] * 20, None),
        ([ARGON] * 20, None),
        (["pbkdf2_sha256$600000$salt$hash="] * 20, None),
        (["welkom01", "Zomer2024!", "hunter2"] * 5, "plain"),
        ([BCRYPT] * 15 + ["welkom01"] * 5, "plain"),
        (["x"], None),  # too few to say
    ],
)
def test_password_columns_by_the_shape_of_their_values(
    values: list[str], verdict: str | None
) -> None:
    assert password_shapes(values).verdict() == verdict


@pytest.mark.parametrize("seed", range(12))
def test_generated_schemas_report_exactly_the_planted_columns(tmp_path: Path, seed: int) -> None:
    """Random tables of random columns: planted personal columns under random names are
    found by their values; random numbers and words never are (the prototype's "every
    column is medical")."""
    pick = random.Random(seed)
    fakes = list(db.rows("klanten", 60, seed=seed))
    planted = {  # column index in klanten rows -> category found by values
        3: "database.pii.column",  # e-mail
        8: "database.pii.column",  # IBAN
        9: "database.pii.bsn_column",  # BSN
    }
    conn = sqlite3.connect(tmp_path / "gen.sqlite")
    expected = set()
    for t in range(pick.randint(1, 4)):
        table = f"t{seed}_{t}"
        columns = {"id": [r[0] for r in fakes]}
        for i in range(pick.randint(1, 5)):
            kind = pick.choice(["int", "word", "9digits", "planted"])
            name = f"kolom_{i}_{pick.choice(['a', 'ref', 'code', 'x'])}"
            if kind == "int":
                columns[name] = [pick.randint(0, 10**6) for _ in fakes]
            elif kind == "word":
                columns[name] = [pick.choice(db.PRODUCTS) for _ in fakes]
            elif kind == "9digits":  # random: about 1 in 11 passes the 11-proef
                columns[name] = [pick.randint(10**8, 10**9 - 1) for _ in fakes]
            else:
                index = pick.choice(sorted(planted))
                columns[name] = [r[index] for r in fakes]
                expected.add((planted[index], f"{table}.{name}"))
        names = list(columns)
        conn.execute(f"CREATE TABLE {table} ({', '.join(names)})")
        conn.executemany(
            f"INSERT INTO {table} VALUES ({', '.join('?' * len(names))})",
            list(zip(*columns.values(), strict=True)),
        )
        if any(path.startswith(f"{table}.") for _, path in expected):
            expected.add(("database.retention.no_timestamp", table))
    conn.commit()
    conn.close()
    assert found(run(str(tmp_path / "gen.sqlite"))) == expected


def test_a_tables_sample_ranges_are_the_same_on_every_scan() -> None:
    """Sampling is seeded by the table's path: a rescan reads the same rows, so findings
    of an unchanged table do not come and go between scans."""
    from dgp.scanners.database.model import RANGES, range_starts

    first = range_starts("public.customers", 1, 10_000_000)
    assert first == range_starts("public.customers", 1, 10_000_000)
    assert first == sorted(first) and len(first) == RANGES
    assert all(1 <= start <= 10_000_000 for start in first)
    assert range_starts("public.orders", 1, 10_000_000) != first
