"""The seed's monolith against the services, on the same mixed workload, in one run.

(a) sequential: one process scans every job and writes its result to Postgres, as
    the single-process monolith did;
(b) services: the same jobs go through the Redis streams to `dgp worker` processes
    (per kind, as many consumers as cores), which write the same results.
Both start warm: (a) compiles its detectors before its clock starts, (b) starts its
clock once every consumer has beaten (which it does after compiling its detector).
Prints both wall times and the ratio b/a in throughput. Target: >= 1.8x on 2 cores.

    python bench/pipeline.py [--code-jobs 24] [--document-jobs 12]
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (first: keeps bench/ off the import path)

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.services import HASH_KEY, ROOT, bench_services, wait_alive, worker_env
from dgp import kinds
from dgp.domain.job import ScanInputs, ScanJob
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.store import Database, ScanStore

TARGET = 1.8
LINE = 'klant = {"bsn": "111222333", "email": "jan.jansen@example.nl", "tel": "06-12345678"}\n'


def make_tree(base: Path, files: int = 120, lines: int = 200) -> Path:
    base.mkdir(parents=True)
    filler = "    total = compute_total(order.lines, discount=0.15)  # bereken totaal\n"
    for i in range(files):
        body = [LINE if n % 40 == 0 else filler for n in range(lines)]
        (base / f"module_{i}.py").write_text("".join(body))
    return base


def jobs(args: argparse.Namespace, tree: Path) -> list[tuple[str, str]]:
    documents = str(ROOT / "samples" / "documents")
    return [("code", str(tree))] * args.code_jobs + [("document", documents)] * args.document_jobs


def sequential(store: ScanStore, org: str, work: list[tuple[str, str]]) -> float:
    for kind in {kind for kind, _ in work}:  # as warm as the consumers of (b)
        kinds.get(kind).warm_up()
    started = time.perf_counter()
    for kind, target in work:
        scan_id = store.start_scan(org, None, kind, target, {}).id
        store.claim_scan(scan_id)
        spec = kinds.get(kind)
        result = spec.scan_function()(
            ScanJob(kind, target, spec.options(), scan_id=scan_id), ScanInputs(HASH_KEY)
        )
        store.save_result(scan_id, result)
    return time.perf_counter() - started


def finished(store: ScanStore, ids: list[str]) -> int:
    with store.db.transaction() as cur:
        cur.execute(
            "SELECT count(*) FROM scans WHERE id = ANY(%s::uuid[]) "
            "AND status IN ('done', 'failed')",
            (ids,),
        )
        return int(cur.fetchone()[0])


def through_services(
    store: ScanStore,
    queue: JobQueue,
    org: str,
    work: list[tuple[str, str]],
    env: dict[str, str],
    consumers: int,
) -> float:
    kinds = sorted({kind for kind, _ in work})
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "dgp.cli", "worker", kind, "--consumer", f"bench-{kind}-{n}"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for kind in kinds
        for n in range(consumers)
    ]
    try:
        wait_alive(queue, dict.fromkeys(kinds, consumers))
        started = time.perf_counter()
        ids = []
        for kind, target in work:
            scan_id = store.start_scan(org, None, kind, target, {}).id
            queue.submit(kind, scan_id)
            ids.append(scan_id)
        deadline = time.monotonic() + 600
        # one cheap query: polling often costs no core, and keeps the end exact to 20 ms
        while finished(store, ids) < len(ids):
            if time.monotonic() > deadline:
                raise SystemExit("the services did not finish within 600 s")
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        failed = [i for i in ids if store.get_scan(org, i).status.value != "done"]  # type: ignore[union-attr]
        assert not failed, f"{len(failed)} scans did not end done"
        return elapsed
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--code-jobs", type=int, default=24)
    ap.add_argument("--document-jobs", type=int, default=12)
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    import redis

    with tempfile.TemporaryDirectory() as tmp, bench_services() as (dsn, prefix):
        tree = make_tree(Path(tmp) / "tree")
        work = jobs(args, tree)
        database = Database(dsn)
        store = ScanStore(database)
        org = store.create_organisation("bench")
        queue = JobQueue(redis.Redis.from_url(worker_env(dsn, prefix)["DGP_REDIS_URL"]), prefix)
        a = sequential(store, org, work)
        b = through_services(store, queue, org, work, worker_env(dsn, prefix), consumers=cores)
        database.close()
    n = len(work)
    print(
        f"workload: {args.code_jobs} code scans of {tree.name} (120 files) + "
        f"{args.document_jobs} document scans of samples/documents; {cores} cores"
    )
    print(f"(a) sequential, one process:      {a:7.2f} s  {n / a:6.2f} scans/s")
    print(f"(b) services, {cores} consumer(s)/kind: {b:7.2f} s  {n / b:6.2f} scans/s")
    ratio = a / b
    print(
        f"ratio b/a: {ratio:.2f}x   target >= {TARGET}x   {'OK' if ratio >= TARGET else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
