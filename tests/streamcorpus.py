"""The corpus the streamed report writers are compared on, and its reports as the writers
that held every finding in memory wrote them (tests/data/stream_reports/, made once by
`python -m tests.streamcorpus WRITE` at commit 4a1e9c6 (branch hostile), before the
writers streamed).

The corpus: the code scanner's fixture tree (tests/codefixtures) with a zip of its
files inside, samples/code and samples/documents.
Scans run with a fixed key, scan id and clock, so their reports are the same every run.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from dgp import kinds
from dgp.domain.finding import Finding
from dgp.domain.job import ScanInputs, ScanJob
from dgp.domain.scan import Scan
from tests import codefixtures as fx

REPORTS = Path(__file__).parent / "data" / "stream_reports"
SAMPLES = Path(__file__).parent.parent / "samples"
KEY = bytes(32)
FORMATS = ("json", "sarif", "csv")
SUFFIX = {"json": "json", "sarif": "sarif", "csv": "csv"}
CASES = ("fixture", "samples-code", "samples-documents")


def build(base: Path) -> dict[str, tuple[str, Path]]:
    """Each case's (kind, target), written under `base` where it must be made."""
    tree = fx.make_tree(base)
    regular = {
        p.relative_to(tree).as_posix(): p.read_bytes()
        for p in sorted(tree.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }
    # Regular files only: a refused member met while the archive is the admitted item
    # un-counted the archive before reports streamed (the order changed that count).
    fx.zip_with_entries(base / "inner.zip", regular)
    shutil.move(base / "inner.zip", tree / "inner.zip")
    return {
        "fixture": ("code", tree),
        "samples-code": ("code", SAMPLES / "code"),
        "samples-documents": ("document", SAMPLES / "documents"),
    }


def steady(scan: Scan) -> Scan:
    """The scan with what changes from run to run fixed (id, clock, where the target is)."""
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    scan.id = "00000000-0000-4000-8000-000000000013"
    scan.target = "corpus"
    scan.created_at = scan.started_at = scan.finished_at = moment
    return scan


def run(kind: str, target: Path, pages: object = None) -> tuple[Scan, list[Finding]]:
    """Scan with the corpus' fixed key and scan id (findings' ids and fingerprints hold it)."""
    options = kinds.get(kind).options.from_dict({"jobs": 1} if kind == "code" else {})
    job = ScanJob(kind, str(target), options, scan_id="00000000-0000-4000-8000-000000000013")
    inputs = ScanInputs(hash_key=KEY)
    if pages is not None:
        inputs.pages = pages  # type: ignore[attr-defined]
    result = kinds.get(kind).scan_function()(job, inputs)
    return steady(result.scan), result.findings


def report_path(case: str, fmt: str) -> Path:
    return REPORTS / f"{case}.{SUFFIX[fmt]}"


def write(base: Path) -> None:
    """Write the reference reports with today's `dgp.output.render`."""
    from dgp.output import render

    REPORTS.mkdir(parents=True, exist_ok=True)
    for case, (kind, target) in build(base).items():
        scan, findings = run(kind, target)
        for fmt in FORMATS:
            text = render(fmt, scan, findings, tool_version="0.0.0-corpus")
            report_path(case, fmt).write_bytes(text.encode("utf-8"))


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:] != ["WRITE"]:
        sys.exit("usage: python -m tests.streamcorpus WRITE")
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp))
