"""Import time and memory of each process kind: what a process loads before its first job.

Each entry runs in a fresh interpreter (best of N runs for time; peak RSS from
getrusage) and lists the heavy libraries it loaded. The web app and the janitor
must load none of the document, image, browser or model libraries; only a scanner
process loads its kind's implementation.

    python bench/imports.py [--runs 5]
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (first: keeps bench/ off the import path)

import argparse
import json
import subprocess
import sys

from bench.services import ROOT
from tests.heavy import HEAVY_LIBRARIES

HEAVY = HEAVY_LIBRARIES
# What each process imports before it serves or works (the same modules its command loads).
ENTRIES = {
    "web app": "import dgp.cli; import dgp.apps.web.app",
    "janitor": "import dgp.cli; import dgp.plumbing.janitor",
    "cli (dgp --help)": "import dgp.cli; dgp.cli.build_parser()",
    "code scanner": "import dgp.cli; from dgp import kinds; kinds.get('code').implementation()",
}
PROBE = """
import resource, sys, time
t = time.perf_counter()
{code}
elapsed = time.perf_counter() - t
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print({{"seconds": elapsed, "rss_mib": rss, "heavy": heavy}}.__repr__())
"""


def measure(code: str, runs: int) -> dict[str, object]:
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
        results.append(eval(out))  # our own probe's repr of a dict of plain values
    best = min(results, key=lambda r: r["seconds"])
    return {**best, "rss_mib": max(r["rss_mib"] for r in results)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    figures = {name: measure(code, args.runs) for name, code in ENTRIES.items()}
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{'process':<18} {'import ms':>10} {'peak RSS MiB':>13}  heavy libraries loaded")
    for name, f in figures.items():
        heavy = ", ".join(f["heavy"]) or "-"  # type: ignore[arg-type]
        print(f"{name:<18} {1000 * f['seconds']:>10.0f} {f['rss_mib']:>13}  {heavy}")


if __name__ == "__main__":
    main()
