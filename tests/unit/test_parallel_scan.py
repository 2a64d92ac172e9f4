"""`dgp scan code --jobs N`: worker processes read and search files, the scan's process
reports them. The result must be the sequential scan's: the same findings, in the same
order, with the same fingerprints, limits and counters."""

from __future__ import annotations

import functools
import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from dgp.domain.job import ScanInputs, ScanJob, ScanResult
from dgp.domain.options import CodeOptions, Limits
from dgp.scanners import parallel
from dgp.scanners.code import scanner as code
from tests import codefixtures as fx
from tests.corpus import CorpusGenerator

KEY = b"k" * 32


@pytest.fixture(scope="module")
def varied_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The code fixture project, plus 300 generated files with personal data and secrets,
    a file with more findings than are listed, a nested archive, a binary file."""
    root = fx.make_tree(tmp_path_factory.mktemp("varied"))
    gen = CorpusGenerator(7)
    for i in range(300):
        lines = [
            gen.positive_line().text if j % 7 == 0 else gen.sentence(dutch=j % 2 == 0)
            for j in range(60)
        ]
        (root / "gen" / f"{i // 50:02d}").mkdir(parents=True, exist_ok=True)
        (root / "gen" / f"{i // 50:02d}" / f"file{i:03d}.txt").write_text("\n".join(lines))
    (root / "gen" / "many.csv").write_text("".join(f"{i},{fx.EMAIL}\n" for i in range(1500)))
    (root / "gen" / "blob.bin").write_bytes(bytes(range(256)) * 8)
    for i in range(40):  # real-format keys in test files: kept, with the reason
        (root / "gen" / "tests").mkdir(exist_ok=True)
        (root / "gen" / "tests" / f"test_{i:02d}.py").write_text(
            f'GITHUB_TOKEN = "{fx.GITHUB_TOKEN}"\n' + gen.sentence(dutch=False) + "\n"
        )
    data = f"password = '{fx.PASSWORD}'\n".encode()
    with tarfile.open(root / "gen" / "fixtures.tar.gz", "w:gz") as tf:
        info = tarfile.TarInfo("inner/settings.py")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return root


def scan(target: Path, jobs: int, **limits: Any) -> ScanResult:
    options = CodeOptions(limits=Limits(max_file_bytes=1 << 20, **limits), jobs=jobs)
    return code.scan(ScanJob("code", str(target), options), ScanInputs(hash_key=KEY))


def comparable(result: ScanResult) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    findings = []
    for f in result.findings:
        d = f.to_dict()
        del d["id"], d["scan_id"]  # a new scan id each run; ids derive from it
        findings.append(d)
    stats = result.scan.to_dict()["stats"]
    return findings, stats


@pytest.fixture
def workers_used(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """For each scan with a pool, the number of files whose work a worker process did."""
    used: list[int] = []
    close = parallel.FilePool.close

    def counted_close(self: parallel.FilePool) -> None:
        used.append(self.from_workers)
        close(self)

    monkeypatch.setattr(parallel.FilePool, "close", counted_close)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)  # whatever the start method
    return used


@pytest.mark.parametrize("jobs", [2, 3])
def test_a_parallel_scan_equals_the_sequential_one(
    varied_tree: Path, workers_used: list[int], jobs: int
) -> None:
    sequential = comparable(scan(varied_tree, jobs=1))
    assert workers_used == [0]
    assert len(sequential[0]) > 400
    rules = {f["rule_id"] for f in sequential[0]}
    assert {"scan.findings_capped", "pii.email", "code.tracking_sdk"} <= rules
    assert any("fixtures.tar.gz!/" in f["location"]["path"] for f in sequential[0])
    assert comparable(scan(varied_tree, jobs=jobs)) == sequential


def test_results_of_worker_processes_equal_the_sequential_ones(
    varied_tree: Path, workers_used: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan's process leaves every batch it sent to the workers (no stealing): the
    findings of 300 generated files are the workers' and still the sequential ones."""
    monkeypatch.setattr(parallel.FilePool, "_take", lambda self, batch: False)
    sequential = comparable(scan(varied_tree, jobs=1))
    parallel_findings = comparable(scan(varied_tree, jobs=2))
    assert parallel_findings == sequential
    assert workers_used[-1] > 250
    in_tests = [f for f in parallel_findings[0] if f["location"]["path"].startswith("gen/tests/")]
    assert len(in_tests) == 40
    assert all(
        f["rule_id"] == "secret.github.token"
        and "in a test file or fixture" in f["description"]
        and f["confidence"] < 0.95
        for f in in_tests
    )


def test_limits_stop_a_parallel_scan_where_they_stop_a_sequential_one(
    varied_tree: Path, workers_used: list[int]
) -> None:
    for limits in ({"max_items": 120}, {"max_bytes": 200_000}):
        assert comparable(scan(varied_tree, jobs=2, **limits)) == comparable(
            scan(varied_tree, jobs=1, **limits)
        )
    assert any(workers_used)


def test_available_cpus_is_at_least_one_and_at_most_the_affinity() -> None:
    import os

    assert 1 <= parallel.available_cpus() <= len(os.sched_getaffinity(0))


def _out_of_time_at(last: str, path: Path, *args: Any) -> code.FileOutcome:
    """read_file, but the search of the file named `last` runs past the deadline (module
    level: a worker process gets it by name)."""
    if path.name == last:
        return code.FileOutcome(out_of_time=True)
    return code.read_file(path, *args)


def _batch_out_of_time_at(last: str, calls: list[tuple[Any, ...]]) -> list[parallel.Outcome]:
    """read_files, likewise."""
    if all(call[0].name != last for call in calls):
        return code.read_files(calls)
    return [(_out_of_time_at(last, *call), None) for call in calls]


def test_a_time_limit_reached_in_a_worker_stops_the_scan_where_it_stops_a_sequential_one(
    varied_tree: Path, workers_used: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deadline passes while a worker searches gen/03/file170.txt: the scan stops at
    that file's turn, with what the files before it gave, as a sequential scan does."""
    monkeypatch.setattr(parallel.FilePool, "_take", lambda self, batch: False)  # workers only
    whole = comparable(scan(varied_tree, jobs=1))
    monkeypatch.setattr(
        code,
        "READ_FILE",
        parallel.BatchWork(
            functools.partial(_out_of_time_at, "file170.txt"),
            functools.partial(_batch_out_of_time_at, "file170.txt"),
        ),
    )
    sequential = comparable(scan(varied_tree, jobs=1))
    parallel_findings = comparable(scan(varied_tree, jobs=2))
    assert parallel_findings == sequential
    assert workers_used[-1] > 100
    findings, stats = sequential
    assert stats["truncated"] is True
    assert 0 < len(findings) < len(whole[0])
    assert not any(f["location"]["path"].startswith("gen/04/") for f in findings)


def test_a_scan_detects_files_in_batches_and_finds_what_it_finds_file_by_file(
    varied_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One job or more, the files of a pool's batch are read and detected together
    (`read_files`): the findings are those of a scan that reads each file by itself."""
    batches: list[int] = []
    read_files = code._read_files

    def counted(calls: list[tuple[Any, ...]]) -> list[code.FileOutcome]:
        batches.append(len(calls))
        return read_files(calls)

    monkeypatch.setattr(code, "_read_files", counted)
    batched = comparable(scan(varied_tree, jobs=1))
    assert max(batches) == parallel.BATCH_FILES and len(batches) < 40
    monkeypatch.setattr(parallel, "BATCH_FILES", 1)
    batches.clear()
    assert comparable(scan(varied_tree, jobs=1)) == batched
    assert set(batches) == {1} and len(batches) > 300


def test_a_file_that_fails_in_a_batch_fails_alone(
    varied_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted((varied_tree / "gen" / "00").iterdir())[:5]
    calls = [(path, path.name, 0.5, lambda value, rule: "h", 1e18) for path in files]
    alone = [code.read_files([call])[0] for call in calls]
    assert all(error is None and outcome.hits for outcome, error in alone)
    read_text_file = code.read_text_file

    def broken(path: Path) -> tuple[str | None, str | None]:
        if path == files[2]:
            raise RuntimeError("a bug in a reader")
        return read_text_file(path)

    monkeypatch.setattr(code, "read_text_file", broken)
    outcomes = code.read_files(calls)
    assert [o for i, o in enumerate(outcomes) if i != 2] == [
        o for i, o in enumerate(alone) if i != 2
    ]
    assert outcomes[2][0] is None and str(outcomes[2][1]) == "a bug in a reader"


def test_a_hit_crosses_between_processes_whole() -> None:
    """Hits and their locations pickle as their field values (quicker to load): every
    field, set or not, comes back the same."""
    import dataclasses
    import pickle

    from dgp.domain.finding import Location
    from dgp.domain.severity import Severity
    from dgp.scanners.session import Hit

    names = [f.name for f in dataclasses.fields(Location)]
    for i in range(len(names)):
        values: dict[str, Any] = {n: (1, 2, 3, 4) if n == "bbox" else 7 for n in names[i:]}
        values.update({n: f"v{n}" for n in ("path", "sheet", "cell", "url") if n in values})
        hit = Hit(
            "pii.email", Location(**values), "ab" * 32, "j***@e***.nl", 0.9, "d", Severity.HIGH
        )
        assert pickle.loads(pickle.dumps(hit)) == hit
        assert pickle.loads(pickle.dumps(hit.location)) == hit.location
