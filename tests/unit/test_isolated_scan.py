"""Jobs in a child process: the result is the in-process one, failures have reasons.

The misbehaving cases through a running consumer are in
tests/integration/test_isolation.py; here the isolated scan function runs alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dgp.domain.baseline import Baseline
from dgp.domain.credential import Credential, CredentialKind, Secret
from dgp.domain.job import Artefact, ScanInputs, ScanJob
from dgp.domain.options import CodeOptions, Limits, MiB, ScanOptions
from dgp.domain.scan import Scan
from dgp.domain.severity import Severity
from dgp.plumbing.isolation import MARK, IsolatedScan, ScanStopped, hard_deadline
from dgp.plumbing.processes import end_group, running
from tests import isolatedkind, toykind

KEY = bytes(range(32))
TEXT = "klant bsn 111222333, mail jan.jansen@example.nl"


def job(target: str, **limits: float) -> ScanJob:
    return ScanJob("misbehaving", target, ScanOptions(limits=Limits(**limits)), scan_id="")


def isolated(target: str, progress: list[tuple[int, str]] | None = None, **limits: float):
    reports = progress if progress is not None else []
    inputs = ScanInputs(KEY, lambda percent, message: reports.append((percent, message)))
    return IsolatedScan.of(isolatedkind.SPEC)(job(target, **limits), inputs)


def test_the_result_and_progress_are_those_of_the_scan_in_process() -> None:
    reports: list[tuple[int, str]] = []
    the_job = job(TEXT)
    got = IsolatedScan(toykind.__name__)(the_job, ScanInputs(KEY, lambda *r: reports.append(r)))
    expected = toykind.scan(the_job, ScanInputs(KEY))
    assert [f.to_dict() for f in got.findings] == [f.to_dict() for f in expected.findings]
    assert len(got.findings) == 2
    same = {"finished_at", "started_at", "created_at"}
    drop = lambda scan: {k: v for k, v in scan.to_dict().items() if k not in same}  # noqa: E731
    assert drop(got.scan) == drop(expected.scan)
    assert reports[-1] == (100, "done")


def test_a_child_that_sends_what_is_not_the_protocol_is_stopped_at_once() -> None:
    with pytest.raises(ScanStopped) as stopped:
        isolated("garble", timeout_seconds=3600)  # not waited for: the first line ends it
    assert str(stopped.value) == "the scanner's process sent a malformed result and was stopped"
    assert stopped.value.crashed


def test_the_child_gets_the_hash_key_and_no_setting_through_argv_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DGP_DATABASE_PASSWORD", "s3cret-of-the-consumer")
    record = tmp_path / "seen.json"
    isolated(f"expose {record}")
    seen = json.loads(record.read_text())
    text = record.read_text()
    assert KEY.hex() not in text and "s3cret-of-the-consumer" not in text
    assert [name for name in seen["environ"] if name.startswith("DGP_")] == [MARK]


def test_the_child_gets_the_credential_and_earlier_scans_through_its_pipe_only(
    tmp_path: Path,
) -> None:
    record = tmp_path / "seen.json"
    secret = "ghp_" + "x7" * 18
    credential = Credential("c1", "deploy", CredentialKind.GIT_TOKEN, Secret(secret))
    earlier = Scan(id="s1", kind="toy", target="t", organisation="o")
    inputs = ScanInputs(KEY, credential=credential, scans=(earlier,))
    IsolatedScan.of(isolatedkind.SPEC)(job(f"expose {record}"), inputs)
    seen = json.loads(record.read_text())
    assert seen["credential"] == ["deploy", "git_token"] and seen["secret_length"] == len(secret)
    assert seen["scans"] == ["s1"]
    assert secret not in json.dumps([seen["argv"], seen["environ"]])


def test_the_hard_deadline_leaves_the_scan_time_to_stop_itself() -> None:
    assert hard_deadline(0.5) == 2.5  # at least 2 s of grace
    assert hard_deadline(300) == 330  # 10 %
    assert hard_deadline(3600) == 3660  # at most a minute


def test_end_group_ends_the_group_and_the_marked_processes_that_left_it() -> None:
    mark = f"{MARK}=unit-test-{os.getpid()}"
    script = "sleep 600 & setsid sh -c 'echo $$; exec sleep 600' & wait"
    env = {**os.environ, MARK: mark.partition("=")[2]}
    shell = subprocess.Popen(
        ["sh", "-c", script], process_group=0, env=env, stdout=subprocess.PIPE, text=True
    )
    assert shell.stdout is not None
    escaped = int(shell.stdout.readline())  # said once in a session of its own
    assert os.getpgid(escaped) != shell.pid
    ended = end_group(shell.pid, mark)
    shell.wait()
    assert shell.returncode == -signal.SIGKILL
    assert len(ended) == 3 and escaped in ended  # the shell, its sleep, the escaped sleep
    assert not running(escaped)


def test_end_group_refuses_the_callers_own_group() -> None:
    with pytest.raises(ValueError):
        end_group(os.getpgrp())


# -- the job contract as JSON --------------------------------------------------------------


def test_a_job_round_trips_through_json_with_its_kinds_options() -> None:
    original = ScanJob(
        "code",
        "https://example.org/repo.git",
        CodeOptions(
            limits=Limits(max_items=5, max_memory_bytes=64 * MiB),
            severity_threshold=Severity.HIGH,
            branch="main",
        ),
        organisation="org-1",
        baseline=Baseline(frozenset({"f1"}), frozenset({"pii.email"}), ("vendor/*",)),
        scan_ids=("a", "b"),
    )
    again = ScanJob.from_dict(json.loads(json.dumps(original.to_dict())), CodeOptions)
    assert again == original


def test_a_scan_and_an_artefact_round_trip_through_json() -> None:
    scan = toykind.scan(ScanJob("toy", TEXT, ScanOptions()), ScanInputs(KEY)).scan
    assert Scan.from_dict(json.loads(json.dumps(scan.to_dict()))) == scan
    artefact = Artefact("report.pdf", "application/pdf", b"%PDF-\x00\xff")
    assert Artefact.from_dict(json.loads(json.dumps(artefact.to_dict()))) == artefact


def test_a_consumer_of_an_isolated_kind_does_not_import_its_implementation() -> None:
    """Only each job's child process loads the kind's libraries: the consumer stays small."""
    probe = (
        "import dataclasses, sys, types; from dgp import kinds; "
        "from dgp.plumbing.worker import Worker; "
        "from dgp.plumbing.settings import Settings; "
        "spec = dataclasses.replace(kinds.get('document'), isolated=True); "
        "store = types.SimpleNamespace(db=None); "
        "Worker.for_kind(spec, None, store, Settings(hash_key=bytes(32)), 'd1'); "
        "print([m for m in ('dgp.scanners.document.scanner', 'pypdf') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
