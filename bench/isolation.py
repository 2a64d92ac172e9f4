"""What running a job isolated costs: the same scan in-process and in a child process.

Prints the median milliseconds per job (`--jobs`, default 5) of: a child that fails at
once (a fresh interpreter and the runner alone: its kind's module does not exist), and
a scan of samples/code by the code kind in-process and isolated (the difference: the
interpreter, the kind's imports and the detection engine's compile, which a consumer
pays once and an isolated job every time).

    python bench/isolation.py [--jobs 5]
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (first: keeps bench/ off the import path)

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable

from bench.services import ROOT
from dgp import kinds
from dgp.domain.job import ScanInputs, ScanJob
from dgp.plumbing.isolation import IsolatedScan, ScannerRaised

INPUTS = ScanInputs(b"bench-key-" * 4)


def seconds_per_job(run: Callable[[], object], jobs: int) -> float:
    times = []
    for _ in range(jobs):
        started = time.perf_counter()
        with contextlib.suppress(ScannerRaised):  # the failing child's answer
            run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=5)
    args = ap.parse_args()
    code = kinds.get("code")
    job = ScanJob("code", str(ROOT / "samples" / "code"), code.options())
    in_process = code.scan_function()
    in_process(job, INPUTS)  # the consumer's warm-up: imports and the detector compiled
    isolated = IsolatedScan.of(code)
    nothing = IsolatedScan("dgp.scanners.no_such_kind")
    rows = [
        ("child that fails at once", lambda: nothing(job, INPUTS)),
        ("samples/code in-process (warm)", lambda: in_process(job, INPUTS)),
        ("samples/code isolated", lambda: isolated(job, INPUTS)),
    ]
    for name, run in rows:
        print(f"{name:38} {seconds_per_job(run, args.jobs) * 1000:8.1f} ms per job")


if __name__ == "__main__":
    main()
