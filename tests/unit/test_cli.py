"""The `dgp` command: exit codes, report formats, --output, rules and the progress bar.

Most runs are in-process through `dgp.cli.main`; a few go through a real process
(exit status, and the progress bar on a pseudo-terminal).
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # `import tests.codefixtures` and `import dgp` from the repo root
    sys.path.insert(0, str(_ROOT))

import dgp.kinds  # noqa: E402

dgp.kinds.names()  # each kind's spec defines its rules
from dgp.cli import main  # noqa: E402
from dgp.engine.rules import RULES  # noqa: E402
from dgp.output.csv_format import COLUMNS  # noqa: E402
from tests import codefixtures as fx  # noqa: E402

SCHEMA_PATH = _ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"
# child processes inherit the test key and config folder (tests/unit/conftest.py)
CLI = [sys.executable, "-c", "from dgp.cli import main; raise SystemExit(main())"]
LIMIT = ["--max-file-bytes", str(fx.MAX_FILE_BYTES)]


@pytest.fixture(scope="module")
def only_high(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tree whose one finding is a BSN (high), nothing critical."""
    root = tmp_path_factory.mktemp("high")
    fx.write_files(root, {"users.py": f"# bsn: {fx.BSN}\n"})
    return root


def dgp(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run `dgp ARGS` in-process: (exit code, stdout, stderr)."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as e:  # argparse's usage errors
        code = e.code if isinstance(e.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def scan_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> dict:
    code, out, err = dgp(capsys, "scan", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


# -- exit codes ------------------------------------------------------------------------


def test_fail_on_high_with_a_bsn_exits_1(capsys, only_high: Path) -> None:
    code, out, err = dgp(capsys, "scan", "code", only_high, "--fail-on", "high")
    assert code == 1 and err == ""
    assert "pii.bsn" in out


def test_fail_on_critical_with_only_high_exits_0(capsys, only_high: Path) -> None:
    assert dgp(capsys, "scan", "code", only_high, "--fail-on", "critical")[0] == 0
    assert dgp(capsys, "scan", "code", only_high)[0] == 0  # no --fail-on: never 1
    assert dgp(capsys, "scan", "code", only_high, "--fail-on", "info")[0] == 1


def test_fail_on_counts_only_reported_findings(capsys, tree: Path, tmp_path: Path) -> None:
    # the tree has one critical finding (the private key); once a baseline hides it,
    # only high and lower findings remain
    assert dgp(capsys, "scan", "code", tree, *LIMIT, "--fail-on", "critical")[0] == 1
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"rules": ["secret.private_key"]}), encoding="utf-8")
    args = ["scan", "code", tree, *LIMIT, "--baseline", baseline]
    assert dgp(capsys, *args, "--fail-on", "critical")[0] == 0
    assert dgp(capsys, *args, "--fail-on", "high")[0] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["scan", "code", "{tmp}/missing"],
            "dgp scan: error: {tmp}/missing: no such file or folder",
        ),
        (["scan", "code", "{tree}", "--fail-on", "severe"], "argument --fail-on: invalid choice"),
        (
            ["scan", "document", "{tree}", "--since", "HEAD"],
            "--since does not apply to document scans",
        ),
        (["scan", "code", "{tree}", "--since", "HEAD"], "--since needs a git repository"),
        (["scan", "code", "{tree}", "--max-items", "0"], "--max-items must be positive"),
        (["scan", "code", "{tree}", "--min-confidence", "2"], "--min-confidence must be between"),
        (["scan", "code", "{tree}", "--timeout", "abc"], "argument --timeout: invalid float"),
        (["scan", "teleport", "{tree}"], "argument kind: unknown scanner kind 'teleport'"),
        (["scan", "website", "{tree}"], "dgp scan: error: "),  # a path is no web address
        (["scan", "code", "{tree}", "--option", "mode=http"], "code scans have no option 'mode'"),
        (["scan", "website", "x.nl", "--option", "mode=warp"], "mode must be one of"),
        (["scan", "code", "{tree}", "--option", "novalue"], "is not NAME=VALUE"),
        (["scan", "code"], "the following arguments are required: target"),
        (["scan", "code", "file:///nonexistent/x.git"], "cannot clone the repository"),
    ],
)
def test_usage_and_input_errors_exit_2(
    capsys, tree: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    values = {"tmp": tmp_path, "tree": tree}
    code, out, err = dgp(capsys, *(a.format(**values) for a in args))
    assert code == 2
    assert out == ""
    assert message.format(**values) in err
    assert "Traceback" not in err


def test_malformed_baselines_exit_2(capsys, tree: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"fingerprints": [', encoding="utf-8")
    code, out, err = dgp(capsys, "scan", "code", tree, "--baseline", broken)
    assert code == 2 and out == ""
    assert f"dgp scan: error: baseline {broken} is not valid JSON" in err

    code, _, err = dgp(capsys, "scan", "code", tree, "--baseline", tmp_path / "none.json")
    assert code == 2 and "cannot read baseline" in err

    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"paths": "*.py"}', encoding="utf-8")
    code, _, err = dgp(capsys, "scan", "code", tree, "--baseline", wrong)
    assert code == 2 and "baseline paths must be a list of strings" in err


def test_zip_bomb_upload_exits_2(capsys, tmp_path: Path) -> None:
    bomb = fx.zip_bomb(tmp_path / "bomb.zip", 20)  # 20 MiB of zeros: 1000:1 > 200:1
    code, out, err = dgp(capsys, "scan", "code", bomb, "--fail-on", "info")
    assert code == 2 and out == ""
    assert "dgp scan: error: archive refused: compression ratio above 200:1 (zip bomb)" in err


def test_exit_status_of_a_real_process(tree: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [*CLI, "scan", "code", str(tree), *LIMIT, "--format", "json", "--fail-on", "high"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""  # stderr is a pipe: no progress bar
    assert {f["rule_id"] for f in json.loads(done.stdout)["findings"]} >= {"pii.bsn"}
    missing = subprocess.run(
        [*CLI, "scan", "code", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr


# -- report formats --------------------------------------------------------------------


def test_json_report_structure_and_locations(capsys, tree: Path) -> None:
    doc = scan_json(capsys, "code", tree, *LIMIT)
    assert set(doc) == {"scan", "findings"}
    scan = doc["scan"]
    assert scan["kind"] == "code" and scan["target"] == str(tree) and scan["status"] == "done"
    assert scan["stats"]["items_scanned"] == 9  # the binary file counts as skipped
    found = {
        (
            f["rule_id"],
            f["location"]["path"],
            f["location"].get("line"),
            f["location"].get("column"),
        )
        for f in doc["findings"]
    }
    assert found == fx.expected_rows()
    assert len(doc["findings"]) == len(found)
    for f in doc["findings"]:
        loc = f["location"]
        assert set(loc) == {"path", "line", "column", "end_column"}
        assert loc["line"] >= 1 and loc["column"] >= 1 and loc["end_column"] >= loc["column"]
        if f["rule_id"] == "scan.item_not_scanned":  # about the whole file: its start
            assert (loc["line"], loc["column"]) == fx.WHOLE_ITEM
        else:
            assert loc["end_column"] > loc["column"]
        assert f["scan_id"] == scan["id"] and len(f["fingerprint"]) == 32
    bsn = next(
        f
        for f in doc["findings"]
        if f["location"]["path"] == "src/app.py" and f["rule_id"] == "pii.bsn"
    )
    line, column = fx.position(fx.FILES["src/app.py"], fx.BSN)
    assert bsn["location"] == {
        "path": "src/app.py",
        "line": line,
        "column": column,
        "end_column": column + len(fx.BSN),
    }
    assert bsn["evidence"] == "11******3" and bsn["severity"] == "high"


def _validate_sarif(document: dict) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    for cls in (jsonschema.Draft7Validator, jsonschema.validators.validator_for(schema)):
        errors = sorted(cls(schema).iter_errors(document), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_sarif_report_validates_against_the_schema(capsys, tree: Path) -> None:
    code, out, _ = dgp(capsys, "scan", "code", tree, *LIMIT, "--format", "sarif")
    assert code == 0
    doc = json.loads(out)
    _validate_sarif(doc)
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    results = run["results"]
    assert len(results) == len(fx.expected_rows())
    located = set()
    for r in results:
        physical = r["locations"][0]["physicalLocation"]
        region = physical.get("region", {})
        located.add(
            (
                r["ruleId"],
                physical["artifactLocation"]["uri"],
                region.get("startLine"),
                region.get("startColumn"),
            )
        )
    assert located == fx.expected_rows()
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} == {
        r[0] for r in fx.expected_rows()
    }


def test_output_file_and_empty_stdout(capsys, tree: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    code, out, err = dgp(
        capsys, "scan", "code", tree, *LIMIT, "--format", "sarif", "--output", target
    )
    assert (code, out, err) == (0, "", "")
    _validate_sarif(json.loads(target.read_text(encoding="utf-8")))

    code, out, err = dgp(capsys, "scan", "code", tree, "-o", tmp_path / "no" / "such" / "dir.json")
    assert code == 2 and out == "" and "cannot write" in err


def test_csv_report_parses(capsys, tree: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    assert dgp(capsys, "scan", "code", tree, *LIMIT, "--format", "csv", "-o", target)[0] == 0
    with target.open(newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    assert tuple(table[0]) == COLUMNS
    records = [dict(zip(COLUMNS, row, strict=True)) for row in table[1:]]
    assert {
        (
            r["rule_id"],
            r["path"],
            int(r["line"]) if r["line"] else None,
            int(r["column"]) if r["column"] else None,
        )
        for r in records
    } == fx.expected_rows()
    assert target.read_bytes().count(b"\r\n") == len(table)


def test_text_report(capsys, tree: Path) -> None:
    code, out, _ = dgp(capsys, "scan", "code", tree, *LIMIT)
    assert code == 0
    assert out.startswith("DataGuardian Pro ")
    assert f"Target:   {tree}" in out
    assert f"Total: {len(fx.expected_rows())} findings" in out
    assert "src/app.py:6:" in out  # path:line:column


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "csv"])
def test_no_format_holds_a_full_value(capsys, tree: Path, fmt: str) -> None:
    code, out, _ = dgp(capsys, "scan", "code", tree, "--include-vendored", "--format", fmt)
    assert code == 0 and out
    for value in fx.SENSITIVE_VALUES:
        assert value not in out, value


# -- options through the command line ---------------------------------------------------


def test_baseline_and_threshold_options(capsys, tree: Path, tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    assert dgp(capsys, "scan", "code", tree, *LIMIT, "--format", "json", "-o", first)[0] == 0
    total = len(json.loads(first.read_text())["findings"])
    code, out, _ = dgp(
        capsys,
        "scan",
        "code",
        tree,
        *LIMIT,
        "--baseline",
        first,
        "--format",
        "json",
        "--fail-on",
        "info",
    )
    doc = json.loads(out)
    assert code == 0 and doc["findings"] == [] and doc["scan"]["stats"]["suppressed"] == total

    doc = scan_json(capsys, "code", tree, *LIMIT, "--severity-threshold", "high")
    assert {f["severity"] for f in doc["findings"]} == {"high", "critical"}


def test_limits_and_git_options(capsys, tmp_path: Path) -> None:
    repo = fx.make_git_repo(tmp_path)
    doc = scan_json(capsys, "code", f"file://{repo.path}", "--since", repo.first)
    assert {f["location"]["path"] for f in doc["findings"]} == {"app/billing.py", "app/keys.py"}
    assert doc["scan"]["options"]["since"] == repo.first
    assert fx.AUTHOR_NAME not in json.dumps(doc)

    doc = scan_json(capsys, "code", repo.path, "--git-metadata")
    assert {f["extra"]["author"] for f in doc["findings"]} == {fx.AUTHOR_NAME}

    doc = scan_json(capsys, "code", f"file://{repo.path}", "--branch", "feature")
    assert "app/feature.py" in {f["location"]["path"] for f in doc["findings"]}

    doc = scan_json(capsys, "code", repo.path, "--max-items", "1")
    assert doc["scan"]["stats"]["truncated"] is True
    assert doc["scan"]["progress"]["message"] == "stopped early: item limit of 1 reached"


# -- dgp rules ---------------------------------------------------------------------------


def test_rules_lists_every_rule_with_its_severity(capsys) -> None:
    code, out, _ = dgp(capsys, "rules")
    assert code == 0
    listed = {}
    for line in out.splitlines():
        if line and not line.startswith(" "):
            rule_id, severity = line.split()[:2]
            listed[rule_id] = severity
    assert listed == {r.rule_id: r.severity.value for r in RULES.values()}
    assert {"pii.bsn", "code.pii_in_log", "code.tracking_sdk", "scan.item_not_scanned"} <= set(
        listed
    )
    assert any(r.startswith("document.") for r in listed)


def test_rules_as_json(capsys) -> None:
    code, out, _ = dgp(capsys, "rules", "--format", "json")
    assert code == 0
    rules = json.loads(out)
    assert [r["rule_id"] for r in rules] == sorted(RULES)
    for r in rules:
        rule = RULES[r["rule_id"]]
        assert r["severity"] == rule.severity.value and r["category"] == rule.category
        assert r["legal_refs"] == [{"law": x.law, "article": x.article} for x in rule.legal_refs]


# -- the progress bar --------------------------------------------------------------------


def test_no_progress_bar_when_stderr_is_not_a_terminal(capsys, tree: Path) -> None:
    code, _, err = dgp(capsys, "scan", "code", tree, *LIMIT)
    assert code == 0 and err == ""


class _FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_goes_to_the_current_stderr(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    terminal = _FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["scan", "code", str(tree), *LIMIT, "--format", "json"]) == 0
    drawn = terminal.getvalue()
    assert "\r[" in drawn and "%" in drawn and " files" in drawn
    assert drawn.endswith("\r")  # the bar is cleared at the end
    out = capsys.readouterr().out
    assert "\r" not in out
    json.loads(out)


def test_progress_bar_on_a_real_terminal(tree: Path, tmp_path: Path) -> None:
    master, slave = pty.openpty()
    report = tmp_path / "report.json"
    try:
        proc = subprocess.Popen(
            [*CLI, "scan", "code", str(tree), *LIMIT, "--format", "json", "-o", str(report)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
        )
        os.close(slave)
        slave = -1
        drawn = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the process closed the terminal
                    break
                if not chunk:
                    break
                drawn += chunk
            elif proc.poll() is not None:
                break
        stdout, _ = proc.communicate(timeout=30)
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    assert proc.returncode == 0
    assert stdout == b""
    text = drawn.decode()
    assert "\r[" in text and "%" in text and " files" in text
    assert json.loads(report.read_text())["scan"]["status"] == "done"


def test_an_empty_target_is_an_error(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # an empty path must not mean "here"
    code, out, err = dgp(capsys, "scan", "code", "")
    assert code == 2 and out == "" and "no target given" in err


def test_a_malformed_hash_key_is_named(capsys, tree: Path, monkeypatch) -> None:
    monkeypatch.setenv("DGP_HASH_KEY", "not-hex")
    code, _, err = dgp(capsys, "scan", "code", tree)
    assert code == 2 and "DGP_HASH_KEY must be hexadecimal" in err
    monkeypatch.setenv("DGP_HASH_KEY", "00ff")
    code, _, err = dgp(capsys, "scan", "code", tree)
    assert code == 2 and "at least 16 bytes" in err


def test_a_new_key_file_is_made_once_and_kept(tmp_path: Path, monkeypatch) -> None:
    from dgp.config import load_hash_key

    monkeypatch.delenv("DGP_HASH_KEY", raising=False)
    monkeypatch.setenv("DGP_HASH_KEY_FILE", str(tmp_path / "keys" / "hash.key"))
    first = load_hash_key()
    assert load_hash_key() == first and len(first) == 32
    assert (tmp_path / "keys" / "hash.key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (tmp_path / "keys").iterdir()] == ["hash.key"]


# -- kinds beyond files: artefacts, questionnaires ------------------------------------------


@pytest.fixture
def toy_kinds():
    from dgp import kinds
    from tests import toykind, toyquestionnaire, toyreport

    specs = (toykind.SPEC, toyquestionnaire.SPEC, toyreport.SPEC)
    for spec in specs:
        kinds.register(spec)
    yield toykind
    for spec in specs:
        kinds.unregister(spec.name)


def test_artefacts_are_written_into_the_folder_given_and_nowhere_else(
    capsys, toy_kinds, tmp_path: Path
) -> None:
    from dgp.domain.job import ScanInputs, ScanJob
    from dgp.domain.options import ScanOptions

    target = "mail jan.jansen@example.nl"
    expected = toy_kinds.scan(ScanJob("toy", target, ScanOptions()), ScanInputs(bytes(32)))
    code, _, err = dgp(capsys, "scan", "toy", target)
    assert code == 0 and "not written (use --artefacts DIR): summary.txt" in err
    folder = tmp_path / "out" / "artefacts"
    code, _, err = dgp(capsys, "scan", "toy", target, "--artefacts", folder)
    assert code == 0, err
    assert [p.name for p in folder.iterdir()] == ["summary.txt"]  # no temporary file left
    assert (folder / "summary.txt").read_bytes() == expected.artefacts[0].data
    # a symbolic link of that name is replaced, never written through
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    (folder / "summary.txt").unlink()
    (folder / "summary.txt").symlink_to(outside)
    assert dgp(capsys, "scan", "toy", target, "--artefacts", folder)[0] == 0
    assert outside.read_text() == "keep me" and not (folder / "summary.txt").is_symlink()
    # a folder in the way is an error, not a crash
    (folder / "summary.txt").unlink()
    (folder / "summary.txt").mkdir()
    code, _, err = dgp(capsys, "scan", "toy", target, "--artefacts", folder)
    assert code == 2 and "cannot write the artefacts" in err
    assert [p.name for p in folder.iterdir()] == ["summary.txt"]


def test_a_questionnaire_kind_scans_a_json_file(capsys, toy_kinds, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"contact": "mail jan.jansen@example.nl", "staff": 3}))
    report = scan_json(capsys, "toyquestionnaire", answers)
    assert report["scan"]["target"] == "questionnaire"
    assert [(f["rule_id"], f["location"]["path"]) for f in report["findings"]] == [
        ("pii.email", "questionnaire/contact")
    ]
    for text, message in (("[1, 2]", "must be a JSON object"), ("{nope", "is not valid JSON")):
        answers.write_text(text)
        code, out, err = dgp(capsys, "scan", "toyquestionnaire", answers)
        assert code == 2 and out == "" and message in err
    code, _, err = dgp(capsys, "scan", "toyquestionnaire", tmp_path / "missing.json")
    assert code == 2 and "cannot read" in err
    code, _, err = dgp(capsys, "scan", "toyreport", "x")
    assert code == 2 and "start them on a server" in err
