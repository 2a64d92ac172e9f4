"""AI model scanner figures (issue 18), every model built here at run time:

1. Side by side: the test fixtures (payloads, bypass tricks, benign models) through
   this scanner, picklescan and modelscan (the bench extra); which each catches.
2. The opcode walk on a 1 GiB PyTorch-style checkpoint (data.pkl plus 1 GiB of tensor
   storage in the zip): MB/s of file (target >= 200 MB/s: storage is skipped) and
   peak memory of the scanning process (target < 200 MB whatever the file size), and
   the same on a 1 GiB legacy pickle whose storage is one BINBYTES8 blob, against a
   same-run baseline: reading the file once with nothing else (the disk's own MB/s).

Each measurement runs in a fresh child process, so its peak RSS is its own.
Run: PYTHONPATH=. python bench/ai_model.py [--gib N]
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (must come first: see bench/_bench_path.py)

import argparse
import contextlib
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from tests import modelfixtures as mf

MiB = 1024 * 1024


def fixtures(folder: Path) -> dict[str, tuple[Path, bool]]:
    """name -> (file, malicious)."""
    files: dict[str, tuple[bytes, bool]] = {
        "os.system (protocol 2)": (mf.system_call("id"), True),
        "posix.system": (mf.system_call("id", "posix"), True),
        "memo + STACK_GLOBAL": (mf.memo_stack_global("id"), True),
        "dynamic STACK_GLOBAL": (mf.dynamic_stack_global(), True),
        "protocol 0, escaped text": (mf.text_pickle_escaped("id"), True),
        "nested pickle": (mf.nested(mf.system_call("id")), True),
        "npy object array payload": (mf.npy_object_array(mf.system_call("id")), True),
        "benign scikit-learn": (mf.benign_sklearn(), False),
        "benign torch state dict": (mf.torch_state_dict(), False),
    }
    suffix = {"npy object array payload": ".npy"}
    out: dict[str, tuple[Path, bool]] = {}
    for i, (name, (data, bad)) in enumerate(files.items()):
        path = folder / f"f{i}{suffix.get(name, '.pkl')}"
        path.write_bytes(data)
        out[name] = (path, bad)
    zips = {
        "torch zip payload": (mf.system_call("id"), {}),
        "pickle hidden in data/7": (
            mf.torch_state_dict(),
            {"archive/data/7": mf.system_call("id")},
        ),
        "zip without central dir": (mf.system_call("id"), None),
        "benign torch zip": (mf.torch_state_dict(), {}),
    }
    for i, (name, (pkl, extra)) in enumerate(zips.items()):
        path = mf.torch_zip(folder / f"z{i}.pt", pkl, extra=extra or {})
        if extra is None:
            mf.without_central_directory(path)
        out[name] = (path, name != "benign torch zip")
    disguised = folder / "model.safetensors"
    disguised.write_bytes(mf.system_call("id"))
    out["pickle named .safetensors"] = (disguised, True)
    return out


def ours(path: Path) -> bool:
    import dgp.scanners.ai_model.rules  # noqa: F401  (defines the rules)
    from dgp.scanners.ai_model.formats import analyse
    from dgp.scanners.ai_model.model import Context
    from dgp.scanners.ai_model.options import AI_MODEL_LIMITS, AiModelOptions

    info = analyse(
        path, Context(AiModelOptions(limits=AI_MODEL_LIMITS), AI_MODEL_LIMITS, lambda: None)
    )
    flagged = {"critical", "high"}
    from dgp.engine.rules import RULES

    return info is not None and any(
        RULES[o.rule_id].severity.value in flagged for o in info.observations
    )


def peer(check):  # type: ignore[no-untyped-def]
    """A peer scanner that crashes on a fixture gives no verdict: 'error'."""

    def run(path: Path) -> bool | str | None:
        try:
            return check(path)  # type: ignore[no-any-return]
        except Exception as e:  # a crash is that scanner's verdict, reported as such
            return f"error ({type(e).__name__})"

    return run


@peer
def picklescan(path: Path) -> bool | None:
    try:
        from picklescan.scanner import scan_file_path
    except ImportError:
        return None
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result = scan_file_path(str(path))
    return bool(result.issues_count or result.infected_files or result.scan_err)


@peer
def modelscan(path: Path) -> bool | None:
    try:
        from modelscan.modelscan import ModelScan
    except ImportError:
        return None
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        report = ModelScan().scan(path)
    return bool(report.get("issues"))


def side_by_side() -> None:
    print("== which scanner flags which fixture (flag = reported as a risk) ==")

    def mark(verdict: bool | str | None) -> str:
        return {True: "flag", False: "-", None: "n/a"}.get(verdict, "error")  # type: ignore[arg-type]

    with tempfile.TemporaryDirectory() as tmp:
        rows = fixtures(Path(tmp))
        width = max(map(len, rows)) + 2
        print(
            f"{'fixture':<{width}} {'malicious':>9}  {'dgp':>5} {'picklescan':>10} {'modelscan':>9}"
        )
        right = {"dgp": 0, "picklescan": 0, "modelscan": 0}
        for name, (path, bad) in rows.items():
            verdicts = {
                "dgp": ours(path),
                "picklescan": picklescan(path),
                "modelscan": modelscan(path),
            }
            for tool, v in verdicts.items():
                right[tool] += v is bad
            print(
                f"{name:<{width}} {'yes' if bad else 'no':>9}  {mark(verdicts['dgp']):>5} "
                f"{mark(verdicts['picklescan']):>10} {mark(verdicts['modelscan']):>9}"
            )
        print(
            f"correct verdicts of {len(rows)}: " + ", ".join(f"{t} {n}" for t, n in right.items())
        )


def build_checkpoint(path: Path, size: int) -> None:
    """A PyTorch zip: data.pkl and one stored storage entry of `size` bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(
            "archive/data.pkl", mf.torch_state_dict(tuple(f"layer{i}.weight" for i in range(200)))
        )
        with zf.open("archive/data/0", "w", force_zip64=True) as f:
            chunk = os.urandom(MiB)
            for _ in range(size // MiB):
                f.write(chunk)


def build_legacy(path: Path, size: int) -> None:
    with path.open("wb") as f:
        f.write(mf.PROTO + b"\x04" + b"\x8e" + struct.pack("<Q", size))
        chunk = os.urandom(MiB)
        for _ in range(size // MiB):
            f.write(chunk)
        f.write(b".")


CHILD = """
import json, resource, sys, time
from pathlib import Path
mode, path = sys.argv[1], Path(sys.argv[2])
start = time.perf_counter()
if mode == "read":
    with path.open("rb") as f:
        while f.read(1 << 20):
            pass
else:
    from dgp.scanners.ai_model.formats import analyse
    from dgp.scanners.ai_model.model import Context
    from dgp.scanners.ai_model.options import AI_MODEL_LIMITS, AiModelOptions
    options = AiModelOptions(limits=AI_MODEL_LIMITS)
    info = analyse(path, Context(options, AI_MODEL_LIMITS, lambda: None))
    assert info is not None and not info.observations, info.observations
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mib": peak}))
"""


def measure(mode: str, path: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(path)], capture_output=True,
                         text=True, check=True, env=env).stdout  # fmt: skip
    return json.loads(out)


def throughput(gib: float) -> None:
    size = int(gib * 1024) * MiB
    print(f"\n== opcode walk on {size // MiB} MiB files (targets: >= 200 MB/s, peak < 200 MB) ==")
    with tempfile.TemporaryDirectory(dir=os.environ.get("DGP_BENCH_DIR")) as tmp:
        for label, build, name in (
            ("PyTorch zip (data.pkl + storage)", build_checkpoint, "model.pt"),
            ("legacy pickle, one BINBYTES8 blob", build_legacy, "model.pkl"),
        ):
            path = Path(tmp) / name
            build(path, size)
            total = path.stat().st_size / 1e6
            base = measure("read", path)  # also warms the page cache for the scan
            scanned = measure("scan", path)
            rate, peak = total / scanned["seconds"], scanned["peak_mib"]
            print(
                f"{label:<36} {rate:>6.0f} MB/s  peak {peak:.0f} MiB   (baseline read once: "
                f"{total / base['seconds']:.0f} MB/s, peak {base['peak_mib']:.0f} MiB; "
                f"scan/read time {scanned['seconds'] / base['seconds']:.2f})"
            )
            path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gib", type=float, default=1.0, help="size of the large files")
    args = parser.parse_args()
    side_by_side()
    throughput(args.gib)


if __name__ == "__main__":
    main()
