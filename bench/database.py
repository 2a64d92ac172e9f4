"""The database scanner's speed and memory on a real PostgreSQL and MariaDB.

    python bench/database.py [--rows 1000000] [--tables 50] [--engine postgres|mariadb|both]

A database of 50 tables is made on each server (tests/services/up.sh): the four seeded
tables of tests/dbfixtures.py, generated tables of 5,000 rows with personal and plain
columns, and one table of 1,000,000 rows. Printed per engine:
- the time to scan the whole database (target < 60 s) and the time from the start to
  the end of the 1M-row table's step (target < 10 s), from the scan's progress events;
- rows sampled per second, and the share of the scan's time spent in the engine;
- the same-run baseline: reading the 1M-row table whole through the same driver (what
  copying it would cost), and the ratio of the sampled step to it;
- peak Python memory during a second scan (tracemalloc, which slows Python down, so it
  is never on during the timed one) against the big table's size on disk: the memory is
  bounded by the sample, not the table.
The machine may be shared: the load average (os.getloadavg) is printed before and after
each timed scan, and the scan's CPU seconds next to its wall-clock seconds.
`--profile FILE` writes a cProfile of the timed scan (pstats format).
The databases and the login role are dropped at the end.
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (first: keeps bench/ off the import path)

import argparse
import cProfile
import itertools
import json
import os
import secrets
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import psycopg2
import pymysql

from dgp.domain.credential import Credential, CredentialKind, Secret
from dgp.domain.job import ScanInputs, ScanJob, ScanResult
from dgp.engine import detector
from dgp.scanners.database import scanner
from dgp.scanners.database.options import DatabaseOptions
from tests import dbfixtures as db

PG_ADMIN = "postgresql:///postgres"
MARIADB_SOCKET = "/run/dgp-test-mariadb/mysqld.sock"
BIG = "groot"
GENERATED = (
    "id {id}, naam {text}, email {text}, telefoon {text}, bedrag {money}, "
    "omschrijving {text}, aangemaakt {time}"
)
GENERATED_ROWS = 5000  # per generated table; values differ between tables (no cache helps)


class Made:
    def __init__(self, target: str, user: str, password: str, drop: Callable[[], None]) -> None:
        self.target, self.user, self.password, self.drop = target, user, password, drop


def make_postgres(tables: int, rows: int) -> tuple[Made, Callable[[], float], int]:
    name, user, password = (
        f"dgp_bench_{secrets.token_hex(4)}",
        "dgp_bench_ro",
        secrets.token_hex(12),
    )
    admin = psycopg2.connect(PG_ADMIN)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
        cur.execute(f"DROP ROLE IF EXISTS {user}")
        cur.execute(f"CREATE ROLE {user} LOGIN PASSWORD %s", (password,))
    conn = psycopg2.connect(f"dbname={name}")
    db.seed(conn, "postgresql", 1000)
    db.big_table(conn, "postgresql", rows, BIG)
    types = {k: v[0] for k, v in db.TYPES.items()}
    with conn.cursor() as cur:
        for i in range(tables - len(db.TABLES) - 1):
            cur.execute(f"CREATE TABLE gen{i} ({GENERATED.format(**types)})")
            cur.execute(
                f"INSERT INTO gen{i} SELECT g, 'Klant ' || g, 'klant' || g || '@voorbeeld.nl', "
                "'06' || (10000000 + g), g %% 300, 'artikel ' || (g %% 17), now() "
                "FROM generate_series(%s, %s) g",
                (i * GENERATED_ROWS + 1, (i + 1) * GENERATED_ROWS),
            )
        cur.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {user}")
        cur.execute("ANALYZE")
        cur.execute(f"SELECT pg_total_relation_size('{BIG}')")
        size = cur.fetchone()[0]
    conn.commit()

    def full_read() -> float:
        started = time.perf_counter()
        with conn.cursor(name="all") as cur:
            cur.itersize = 10_000
            cur.execute(f"SELECT * FROM {BIG}")
            for _ in cur:
                pass
        conn.rollback()
        return time.perf_counter() - started

    def drop() -> None:
        conn.close()
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            cur.execute(f"DROP ROLE {user}")
        admin.close()

    return Made(f"postgresql://127.0.0.1:5432/{name}", user, password, drop), full_read, size


def make_mariadb(tables: int, rows: int) -> tuple[Made, Callable[[], float], int]:
    name, user, password = (
        f"dgp_bench_{secrets.token_hex(4)}",
        "dgp_bench_ro",
        secrets.token_hex(12),
    )
    root = pymysql.connect(unix_socket=MARIADB_SOCKET, user="root")
    with root.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    root.select_db(name)
    db.seed(root, "mysql", 1000)
    db.big_table(root, "mysql", rows, BIG)
    types = {k: v[1] for k, v in db.TYPES.items()}
    with root.cursor() as cur:
        for i in range(tables - len(db.TABLES) - 1):
            cur.execute(f"CREATE TABLE gen{i} ({GENERATED.format(**types)})")
            low, high = i * GENERATED_ROWS + 1, (i + 1) * GENERATED_ROWS
            cur.execute(
                f"INSERT INTO gen{i} SELECT seq, CONCAT('Klant ', seq), "
                "CONCAT('klant', seq, '@voorbeeld.nl'), CONCAT('06', 10000000 + seq), "
                f"seq % 300, CONCAT('artikel ', seq % 17), now() FROM seq_{low}_to_{high}"
            )
        cur.execute(f"DROP USER IF EXISTS '{user}'@'127.0.0.1'")
        cur.execute(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY %s", (password,))
        cur.execute(f"GRANT SELECT ON {name}.* TO '{user}'@'127.0.0.1'")
        cur.execute(
            "SELECT DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s",
            (name, BIG),
        )
        size = int(cur.fetchone()[0])
    root.commit()

    def full_read() -> float:
        started = time.perf_counter()
        with root.cursor(pymysql.cursors.SSCursor) as cur:
            cur.execute(f"SELECT * FROM {BIG}")
            while cur.fetchmany(10_000):
                pass
        return time.perf_counter() - started

    def drop() -> None:
        with root.cursor() as cur:
            cur.execute(f"DROP DATABASE {name}")
            cur.execute(f"DROP USER '{user}'@'127.0.0.1'")
        root.close()

    return Made(f"mysql://127.0.0.1:3316/{name}", user, password, drop), full_read, size


def measure(
    engine: str, made: Made, full_read: Callable[[], float], size: int, profile: str | None
) -> dict[str, Any]:
    events: list[tuple[float, str]] = []
    engine_seconds = [0.0]
    original = detector.Detector.detect

    def timed(self: detector.Detector, text: str) -> list[detector.Detection]:
        started = time.perf_counter()
        try:
            return original(self, text)
        finally:
            engine_seconds[0] += time.perf_counter() - started

    scanner.warm_up()
    options = DatabaseOptions(user=made.user, allow_private_hosts=True)
    secret = Credential("b", "bench", CredentialKind.DATABASE_PASSWORD, Secret(made.password))
    inputs = ScanInputs(
        b"b" * 32, lambda _p, m: events.append((time.perf_counter(), m)), credential=secret
    )
    job = ScanJob("database", made.target, options)
    load_before = os.getloadavg()
    profiler = cProfile.Profile() if profile else None
    detector.Detector.detect = timed  # type: ignore[method-assign]
    started, cpu = time.perf_counter(), time.process_time()
    try:
        if profiler is not None:
            profiler.enable()
        result = scanner.scan(job, inputs)
    finally:
        if profiler is not None:
            profiler.disable()
        detector.Detector.detect = original  # type: ignore[method-assign]
    total, cpu = time.perf_counter() - started, time.process_time() - cpu
    load_after = os.getloadavg()
    if profiler is not None and profile:
        profiler.dump_stats(f"{profile}.{engine}")
    big_step = None
    for (at, message), (after, _) in itertools.pairwise(events):
        if message.endswith(f".{BIG}"):
            big_step = after - at
    tracemalloc.start()
    try:
        again = scanner.scan(job, replace(inputs, progress=None))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    data_map = json.loads(result.artefacts[0].data)
    rows = data_map["totals"]["rows_sampled"]
    baseline = full_read()
    return {
        "engine": engine,
        "tables": data_map["totals"]["tables"],
        "findings": len(result.findings),
        "same_findings_again": _found(result) == _found(again),
        "scan_seconds": total,
        "scan_cpu_seconds": cpu,
        "load_before": load_before,
        "load_after": load_after,
        "big_table_seconds": big_step,
        "rows_sampled": rows,
        "rows_per_second": rows / total,
        "engine_share": engine_seconds[0] / total,
        "full_read_seconds": baseline,
        "sampled_vs_full_read": (big_step or 0) / baseline,
        "peak_python_mib": peak / 2**20,
        "big_table_mib": size / 2**20,
        "bytes_read": data_map["totals"]["bytes_read"],
    }


def _found(result: ScanResult) -> set[tuple[str, str | None]]:
    return {(f.rule_id, f.location.path) for f in result.findings}


def _load(figures: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tables", type=int, default=50)
    parser.add_argument("--engine", choices=("postgres", "mariadb", "both"), default="both")
    parser.add_argument("--profile", metavar="FILE", help="cProfile of the timed scan")
    args = parser.parse_args()
    engines = ("postgres", "mariadb") if args.engine == "both" else (args.engine,)
    for engine in engines:
        make = make_postgres if engine == "postgres" else make_mariadb
        built = time.perf_counter()
        made, full_read, size = make(args.tables, args.rows)
        print(f"{engine}: {args.tables} tables made in {time.perf_counter() - built:.1f} s")
        try:
            r = measure(engine, made, full_read, size, args.profile)
        finally:
            made.drop()
        print(
            f"  whole database: {r['scan_seconds']:.2f} s for {r['tables']} tables "
            f"(target < 60 s; {r['scan_cpu_seconds']:.2f} s of CPU in this process), "
            f"{r['findings']} findings (the same in the memory pass: "
            f"{r['same_findings_again']})\n"
            f"  load average before {_load(r['load_before'])}, after {_load(r['load_after'])} "
            f"({os.cpu_count()} CPUs)\n"
            f"  {args.rows:,}-row table: {r['big_table_seconds']:.2f} s sampled and classified "
            f"(target < 10 s); reading it whole: {r['full_read_seconds']:.2f} s "
            f"(ratio {r['sampled_vs_full_read']:.3f})\n"
            f"  rows sampled: {r['rows_sampled']:,} ({r['rows_per_second']:,.0f} rows/s); "
            f"engine share of the scan time: {r['engine_share']:.0%}\n"
            f"  memory (a second scan, traced): peak {r['peak_python_mib']:.1f} MiB of Python "
            "objects for "
            f"{r['bytes_read'] / 2**20:.1f} MiB of sampled values; the big table is "
            f"{r['big_table_mib']:.0f} MiB on disk"
        )


if __name__ == "__main__":
    main()
