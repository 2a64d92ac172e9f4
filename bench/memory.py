"""Peak memory of a scan against the size of its tree: `dgp scan code` and a worker.

    python bench/memory.py [--sizes 10,100,400] [--tree-dir /var/tmp] [--no-worker]

For each size, a tree of that many MB is generated under --tree-dir (bench/engine.py's
corpus written to disk, ~1% sensitive lines) and scanned twice, each scan in a process
of its own: (a) `dgp scan code TREE --format json --output FILE` as a user runs it;
(b) the same target as a job through Redis to a `dgp worker code` process that writes
the findings to Postgres. Prints wall time and peak RSS (the process and the worker
processes it forks, from wait4) of each. Target: peak RSS under 250 MB at every size,
whatever the number of findings, and wall time linear in the size. Trees, report and
database are removed afterwards. 400 MB takes minutes on a shared 2-core machine.
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (first: keeps bench/ off the import path)

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import redis

from bench.engine import MB, build_tree
from bench.services import ROOT, bench_services, wait_alive, worker_env
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.store import Database, ScanStore

TARGET_RSS_MB = 250.0


def run_measured(
    command: list[str], env: dict[str, str], until: object = None
) -> tuple[float, float]:
    """(wall s, peak RSS MB) of `command`; with `until` (a function), the process is
    stopped (SIGTERM) once it returns True, and timed until then."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    wall = 0.0
    if until is not None:
        while not until():  # type: ignore[operator]
            if process.poll() is not None:
                raise SystemExit(f"{command[3:5]} ended early with {process.returncode}")
            time.sleep(0.05)
        wall = time.perf_counter() - started
        process.terminate()
    _, status, usage = os.wait4(process.pid, 0)
    if until is None:
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"dgp scan failed ({os.waitstatus_to_exitcode(status)})")
    return wall, usage.ru_maxrss / 1024  # KiB on Linux


def findings_in(report: Path) -> int:
    """Findings in a JSON report, counted line by line (one finding a line)."""
    with report.open(encoding="utf-8") as lines:
        return sum(1 for line in lines if line.startswith("    {"))


def cli_scan(tree: Path, report: Path) -> tuple[float, float, int]:
    command = [sys.executable, "-m", "dgp.cli", "scan", "code", str(tree)]
    command += ["--max-items", "10000000", "--format", "json", "--output", str(report)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    wall, rss = run_measured(command, env)
    return wall, rss, findings_in(report)


def worker_scan(tree: Path, dsn: str, prefix: str) -> tuple[float, float, int]:
    """The tree as a job to a fresh `dgp worker code`: from the job's submission (once
    the worker is ready) to its commit; RSS over the worker's whole life."""
    env = {**worker_env(dsn, prefix), "PYTHONPATH": str(ROOT)}
    database = Database(dsn)
    store = ScanStore(database)
    queue = JobQueue(redis.Redis.from_url(env["DGP_REDIS_URL"]), prefix)
    org = store.create_organisation(f"bench-{tree.stat().st_ino}")
    consumer = f"mem-{time.monotonic_ns()}"
    command = [sys.executable, "-m", "dgp.cli", "worker", "code", "--consumer", consumer]
    options = {"limits": {"max_items": 10_000_000}}
    submitted: dict[str, object] = {}

    def done() -> bool:
        if "id" not in submitted:
            wait_alive(queue, {"code": 1})
            submitted["id"] = store.start_scan(org, None, "code", str(tree), options).id
            queue.submit("code", str(submitted["id"]))
            submitted["at"] = time.perf_counter()
            return False
        scan = store.get_scan(org, str(submitted["id"]))
        return scan is not None and scan.status.value not in ("queued", "running")

    _, rss = run_measured(command, env, until=done)
    wall = time.perf_counter() - float(submitted["at"])  # type: ignore[arg-type]
    scan = store.get_scan(org, str(submitted["id"]))
    assert scan is not None and scan.status.value == "done", f"worker scan: {scan and scan.error}"
    count = sum(scan.stats.findings_by_severity.values())
    database.close()
    return wall, rss, count


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10,100,400", help="tree sizes in MB, comma-separated")
    ap.add_argument("--tree-dir", type=Path, default=Path("/var/tmp"))
    ap.add_argument("--no-worker", action="store_true", help="only dgp scan code")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    sizes = [float(s) for s in args.sizes.split(",") if s.strip()]
    met = True
    print(f"{'tree':>8} {'files':>7} {'findings':>9} {'run':<16} {'wall s':>8} {'peak RSS MB':>12}")
    with bench_services() as (dsn, prefix):
        for size in sizes:
            root = Path(tempfile.mkdtemp(prefix="dgp-bench-memory-", dir=args.tree_dir))
            try:
                files, written = build_tree(root / "tree", size, args.seed)
                runs = [("dgp scan code", partial(cli_scan, root / "tree", root / "r.json"))]
                if not args.no_worker:
                    runs.append(("worker", partial(worker_scan, root / "tree", dsn, prefix)))
                for name, run in runs:
                    wall, rss, findings = run()
                    ok = rss < TARGET_RSS_MB
                    met &= ok
                    print(
                        f"{written / MB:6.0f}MB {files:7d} {findings:9d} {name:<16} "
                        f"{wall:8.1f} {rss:12.0f}  {'OK' if ok else 'MISSED'}",
                        flush=True,
                    )
            finally:
                shutil.rmtree(root, ignore_errors=True)
    print(f"target: peak RSS < {TARGET_RSS_MB:.0f} MB at every size: {'OK' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
