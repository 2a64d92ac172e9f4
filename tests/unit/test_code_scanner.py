"""The code scanner (SPEC 3.1) on fixture trees, archives and git repositories.

Every tree, archive and repository is built at test time by tests/codefixtures.py;
expected positions are computed from the fixture text, never typed in.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # `import tests.codefixtures` and `import dgp` from the repo root
    sys.path.insert(0, str(_ROOT))

from dgp import __version__  # noqa: E402
from dgp.domain.baseline import Baseline, BaselineError  # noqa: E402
from dgp.domain.job import ScanInputError, ScanInputs, ScanJob, ScanResult  # noqa: E402
from dgp.domain.options import CodeOptions, Limits, ScanOptions  # noqa: E402
from dgp.domain.score import score_findings  # noqa: E402
from dgp.domain.severity import Severity  # noqa: E402
from dgp.engine.rules import RULES  # noqa: E402
from dgp.net import redact_text  # noqa: E402
from dgp.output import FORMATS, render  # noqa: E402
from dgp.scanners import git  # noqa: E402
from dgp.scanners.code import scanner as code  # noqa: E402
from tests import codefixtures as fx  # noqa: E402

KEY = bytes(range(32))
WHOLE = fx.WHOLE_ITEM  # (line, column) of a finding about a whole file
Row = fx.Row


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> fx.GitRepo:
    made = fx.make_git_repo(tmp_path_factory.mktemp("git"))
    fx.write_files(made.path, fx.GIT_UNTRACKED)
    return made


def run(
    target: Path | str,
    *,
    upload: Path | None = None,
    baseline: Baseline | None = None,
    progress=None,
    key: bytes = KEY,
    limits: dict | None = None,
    **options,
) -> ScanResult:
    limit_values = {"max_file_bytes": fx.MAX_FILE_BYTES, **(limits or {})}
    job = ScanJob(
        kind="code",
        target=str(target),
        options=CodeOptions(limits=Limits(**limit_values), **options),
        baseline=baseline,
    )
    return code.scan(job, ScanInputs(hash_key=key, progress=progress, upload=upload))


def rows(result: ScanResult) -> list[Row]:
    """(rule_id, path, line, column) of every finding, sorted; duplicates kept."""
    return sorted(
        ((f.rule_id, f.location.path, f.location.line, f.location.column) for f in result.findings),
        key=repr,
    )


def expected(rows_: set[Row]) -> list[Row]:
    return sorted(rows_, key=repr)


def by_rule_and_path(result: ScanResult) -> dict[tuple[str, str], list]:
    found: dict[tuple[str, str], list] = {}
    for f in result.findings:
        found.setdefault((f.rule_id, f.location.path), []).append(f)
    return found


def all_reports(result: ScanResult) -> dict[str, str]:
    return {
        fmt: render(fmt, result.scan, result.findings, tool_version=__version__) for fmt in FORMATS
    }


# -- the fixture tree, scanned from a local path ---------------------------------------


def test_fixture_tree_gives_exactly_the_expected_findings(tree: Path) -> None:
    result = run(tree)
    assert rows(result) == expected(fx.expected_rows())


def test_finding_spans_severities_and_hashes(tree: Path) -> None:
    result = run(tree)
    found = by_rule_and_path(result)
    for e in fx.EXPECTED:
        (finding,) = found[(e.rule_id, e.path)]
        rule = RULES[e.rule_id]
        assert finding.severity is rule.severity and finding.category == rule.category
        assert finding.scanner == "code" and finding.scan_id == result.scan.id
        family = e.rule_id.split(".", 1)[0]
        if family in ("pii", "secret"):
            # the span is the value itself: end_column is exclusive, all 1-based
            assert finding.location.end_column == fx.expected_end_column(e)
            assert finding.evidence != e.needle and "*" in finding.evidence
            assert finding.value_hash is not None and len(finding.value_hash) == 64
        else:
            assert finding.value_hash is None
        if e.rule_id == "code.tracking_sdk":
            assert finding.evidence == e.needle
            assert finding.location.end_column == fx.expected_end_column(e)
    reasons = {
        f.location.path: f.evidence for f in result.findings if f.rule_id.startswith("scan.")
    }
    assert reasons == {
        fx.SYMLINK: "symbolic link out of the tree",
        "data/big.txt": f"larger than {fx.MAX_FILE_BYTES} bytes",
    }


def test_pii_inside_a_code_pattern_is_masked_in_its_evidence(tmp_path: Path) -> None:
    fx.write_files(tmp_path, {"app.py": f'print(f"copy to {fx.EMAIL} for {{user.email}}")\n'})
    result = run(tmp_path)
    (log,) = [f for f in result.findings if f.rule_id == "code.pii_in_log"]
    assert fx.EMAIL not in log.evidence and "j***@***.nl" in log.evidence
    assert {f.rule_id for f in result.findings} == {"code.pii_in_log", "pii.email"}


MANIFESTS = {
    "go.mod": (
        "module example.com/shop\n\ngo 1.22\n\nrequire (\n"
        "\tgithub.com/google/uuid v1.6.0\n"
        "\tgithub.com/segmentio/analytics-go/v3 v3.3.0\n"
        "\tgopkg.in/segmentio/analytics-go.v3 v3.1.0\n)\n"
    ),
    "Gemfile": "source 'https://rubygems.org'\ngem 'rails'\ngem 'mixpanel-ruby'\n",
    "pyproject.toml": '[project]\ndependencies = ["requests", "posthog>=3"]\n',
    "requirements-dev.txt": "pytest\nanalytics-python==1.4.0\n",
    "web/package.json": '{"dependencies": {"@segment/analytics-next": "^1.6"}}\n',
    "notes.txt": "we dropped mixpanel last year\n",  # not a manifest
}


def test_tracking_sdks_in_every_ecosystems_manifest(tmp_path: Path) -> None:
    fx.write_files(tmp_path, MANIFESTS)
    result = run(tmp_path)
    sdks = [
        ("go.mod", "segmentio/analytics-go", 0),
        ("go.mod", "segmentio/analytics-go", 1),
        ("Gemfile", "mixpanel-ruby", 0),
        ("pyproject.toml", "posthog", 0),
        ("requirements-dev.txt", "analytics-python", 0),
        ("web/package.json", "@segment/analytics-next", 0),
    ]
    assert rows(result) == sorted(
        (
            ("code.tracking_sdk", path, *fx.position(MANIFESTS[path], name, n))
            for path, name, n in sdks
        ),
        key=repr,
    )
    assert sorted(f.evidence for f in result.findings) == sorted(name for _, name, _ in sdks)


def test_stats_count_scanned_and_skipped_items(tree: Path) -> None:
    result = run(tree)
    stats = result.scan.stats
    scanned = [  # the binary file is read, found binary and counted as skipped instead
        p
        for p in fx.FILES
        if p.split("/", 1)[0] not in ("node_modules", "dist", "vendor")
        and p not in ("package-lock.json", "static/app.min.js", "data/big.txt")
    ]
    assert stats.items_scanned == len(scanned) == 9
    assert stats.bytes_scanned == sum((tree / p).stat().st_size for p in scanned)
    assert stats.items_skipped == 3  # the binary, the large file, the link
    assert not stats.truncated and result.scan.status.value == "done"
    assert result.scan.progress == 100 and result.scan.progress_message == "done"
    counts = {s.value: 0 for s in Severity}
    for f in result.findings:
        counts[f.severity.value] += 1
    assert stats.findings_by_severity == counts


def test_vendored_and_generated_files_are_scanned_only_when_asked(tree: Path) -> None:
    assert fx.HIDDEN_EMAIL not in json.dumps([f.to_dict() for f in run(tree).findings])
    result = run(tree, include_vendored=True)
    emails = {f.location.path for f in result.findings if f.rule_id == "pii.email"}
    assert emails == {
        "src/app.py",
        "node_modules/tracker/index.js",
        "dist/bundle.js",
        "package-lock.json",
        "vendor/lib.py",
        "static/app.min.js",
    }


def test_no_report_format_holds_a_full_value(tree: Path) -> None:
    result = run(tree, include_vendored=True, limits={"max_file_bytes": 1 << 20})
    assert len(result.findings) > 100  # the large file's e-mails are in this time
    for fmt, report in all_reports(result).items():
        for value in fx.SENSITIVE_VALUES:
            assert value not in report, (fmt, value)
        assert fx.PEM_HEADER not in report, fmt


def test_single_file_target(tree: Path) -> None:
    result = run(tree / "db" / "seed.sql")
    line, column = fx.position(fx.FILES["db/seed.sql"], fx.BSN_SPACED)
    assert rows(result) == [("pii.bsn", "seed.sql", line, column)]


def test_symlink_loop_is_reported_not_fatal(tmp_path: Path) -> None:
    fx.write_files(tmp_path, {"a.py": f"MAIL = '{fx.EMAIL}'\n"})
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    (tmp_path / "linked_dir").symlink_to(tmp_path.parent, target_is_directory=True)
    result = run(tmp_path)
    assert rows(result) == [
        ("pii.email", "a.py", 1, 9),
        ("scan.item_not_scanned", "linked_dir", *WHOLE),
        ("scan.item_not_scanned", "loop1", *WHOLE),
        ("scan.item_not_scanned", "loop2", *WHOLE),
    ]


def test_unreadable_file_is_reported_and_the_scan_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fx.write_files(tmp_path, {"a.py": f"MAIL = '{fx.EMAIL}'\n", "locked.py": "x = 1\n"})
    read_bytes = pathlib.Path.read_bytes

    def refuse_locked(self: Path) -> bytes:
        if self.name == "locked.py":
            raise PermissionError(13, "Permission denied", str(self))
        return read_bytes(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", refuse_locked)
    result = run(tmp_path)
    assert rows(result) == [
        ("pii.email", "a.py", 1, 9),
        ("scan.item_not_scanned", "locked.py", *WHOLE),
    ]
    assert result.findings[1].evidence == "cannot read: Permission denied"


# -- uploads: .zip and .tar.gz ---------------------------------------------------------


@pytest.mark.parametrize("make", [fx.make_zip, fx.make_tar], ids=["zip", "tar.gz"])
def test_uploaded_archive_gives_the_same_findings(tree: Path, tmp_path: Path, make) -> None:
    archive = make(tree, tmp_path / ("upload.zip" if make is fx.make_zip else "upload.tar.gz"))
    result = run(archive.name, upload=archive)
    assert rows(result) == expected(fx.expected_rows())
    (link,) = [f for f in result.findings if f.location.path == fx.SYMLINK]
    assert "link" in link.evidence  # refused as a link member, not followed

    # same relative paths, same fingerprints (the refusal reasons differ, so not for those)
    def prints(r: ScanResult) -> dict[tuple[str, str], str]:
        return {
            (f.rule_id, f.location.path): f.fingerprint
            for f in r.findings
            if f.location.path != fx.SYMLINK
        }

    assert prints(result) == prints(run(tree))


def test_zip_traversal_and_absolute_entries_are_refused(tmp_path: Path) -> None:
    good = f"MAIL = '{fx.EMAIL}'\n".encode()
    archive = fx.zip_with_entries(
        tmp_path / "evil.zip",
        {
            "../evil.txt": f"bsn {fx.BSN}".encode(),
            "/etc/cron.d/evil": b"* * * * * root true",
            "ok/../../escape.txt": b"x",
            "..\\windows.txt": b"x",
            "C:/drive.txt": b"x",
            "ok/a.py": good,
        },
    )
    result = run("evil.zip", upload=archive)
    refused = sorted(
        (f.location.path, f.evidence) for f in result.findings if f.rule_id.startswith("scan.")
    )
    reason = "path leaves the archive (traversal)"
    assert refused == sorted(
        (name, reason)
        for name in (
            "../evil.txt",
            "/etc/cron.d/evil",
            "ok/../../escape.txt",
            "..\\windows.txt",
            "C:/drive.txt",
        )
    )
    assert [r for r in rows(result) if not r[0].startswith("scan.")] == [
        ("pii.email", "ok/a.py", 1, 9)
    ]
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "escape.txt").exists()


def test_tar_links_are_refused(tmp_path: Path) -> None:
    archive = fx.tar_with_members(
        tmp_path / "links.tar.gz",
        {"a.py": f"MAIL = '{fx.EMAIL}'\n".encode(), "../up.txt": b"x"},
        {"passwd": "/etc/passwd", "inner": "a.py"},
    )
    result = run("links.tar.gz", upload=archive)
    assert rows(result) == [
        ("pii.email", "a.py", 1, 9),
        ("scan.item_not_scanned", "../up.txt", *WHOLE),
        ("scan.item_not_scanned", "inner", *WHOLE),
        ("scan.item_not_scanned", "passwd", *WHOLE),
    ]
    assert {f.location.path: f.evidence for f in result.findings}["passwd"] == "link"


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 100 MiB of zeros deflate to about 100 KiB: a 1000:1 ratio
    return fx.zip_bomb(
        tmp_path_factory.mktemp("bomb") / "bomb.zip", 100, {"a.py": f"b = '{fx.EMAIL}'".encode()}
    )


def _refused(upload: Path, **limits) -> str:
    with pytest.raises(ScanInputError) as caught:
        run(upload.name, upload=upload, limits=limits)
    return str(caught.value)


def test_zip_bomb_is_refused_with_the_default_limits(
    bomb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    started = time.monotonic()
    message = _refused(bomb, max_file_bytes=Limits().max_file_bytes)
    assert message.startswith("archive refused: compression ratio above 200:1")
    assert "zip bomb" in message
    assert time.monotonic() - started < 5  # stopped early, not unpacked in full
    assert list(tmp_path.iterdir()) == []  # nothing unpacked is left behind


def test_archive_limits(bomb: Path, tree: Path, tmp_path: Path) -> None:
    assert _refused(bomb, max_archive_bytes=1 << 20) == (
        "archive refused: unpacks to more than 1048576 bytes"
    )
    small = fx.zip_bomb(tmp_path / "small.zip", 20)
    message = _refused(small, max_compression_ratio=10)
    assert message == "archive refused: compression ratio above 10:1 (zip bomb)"
    archive = fx.make_zip(tree, tmp_path / "tree.zip")
    assert _refused(archive, max_archive_entries=5) == "archive refused: more than 5 entries"
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"this is not an archive at all")
    assert _refused(garbage) == "archive refused: not a zip or tar archive"


# -- git -------------------------------------------------------------------------------


def _git_rows(files: dict[str, str], spec: dict[str, list[tuple[str, str]]]) -> list[Row]:
    """Expected rows for {path: [(rule_id, needle), ...]} over `files`."""
    return sorted(
        (
            (rule, path, *fx.position(files[path], needle))
            for path, hits in spec.items()
            for rule, needle in hits
        ),
        key=repr,
    )


GIT_FILES = {**fx.GIT_FIRST, **fx.GIT_SECOND, **fx.GIT_FEATURE, **fx.GIT_UNTRACKED}
USERS = [("pii.bsn", fx.BSN), ("pii.email", fx.EMAIL)]
BILLING = [("pii.iban", fx.IBAN), ("pii.phone", fx.PHONE)]
KEYS = [("secret.aws.access_key_id", fx.AWS_KEY_ID)]
FEATURE = [("pii.email", fx.EMAIL)]
NOTES = [("pii.bsn", fx.BSN)]


def test_git_repository_by_local_path_and_by_file_url(repo: fx.GitRepo) -> None:
    main = {"app/users.py": USERS, "app/billing.py": BILLING, "app/keys.py": KEYS}
    local = run(repo.path)
    assert rows(local) == _git_rows(GIT_FILES, {**main, "notes.txt": NOTES})  # untracked too
    cloned = run(f"file://{repo.path}")
    assert rows(cloned) == _git_rows(GIT_FILES, main)
    # git's own files are never scanned, not even with include_vendored (its logs name
    # every committer)
    everything = run(repo.path, include_vendored=True)
    assert rows(everything) == rows(local)


def test_since_scans_only_changed_and_untracked_files(repo: fx.GitRepo) -> None:
    changed = {"app/billing.py": BILLING, "app/keys.py": KEYS}
    local = run(repo.path, since=repo.first)
    assert rows(local) == _git_rows(GIT_FILES, {**changed, "notes.txt": NOTES})
    assert local.scan.options["since"] == repo.first
    cloned = run(f"file://{repo.path}", since=repo.first)
    assert rows(cloned) == _git_rows(GIT_FILES, changed)
    assert rows(run(repo.path, since=repo.second)) == _git_rows(GIT_FILES, {"notes.txt": NOTES})


def test_branch_and_commit(repo: fx.GitRepo) -> None:
    url = f"file://{repo.path}"
    feature = run(url, branch="feature")
    assert rows(feature) == _git_rows(
        GIT_FILES,
        {
            "app/users.py": USERS,
            "app/billing.py": BILLING,
            "app/keys.py": KEYS,
            "app/feature.py": FEATURE,
        },
    )
    first = run(url, commit=repo.first)
    assert rows(first) == _git_rows(
        fx.GIT_FIRST, {"app/users.py": USERS, "app/billing.py": [("pii.iban", fx.IBAN)]}
    )
    incremental = run(url, branch="feature", since=repo.second)
    assert rows(incremental) == _git_rows(GIT_FILES, {"app/feature.py": FEATURE})


@pytest.mark.parametrize(
    ("target", "options", "message"),
    [
        (
            "file:///nonexistent/repo.git",
            {},
            "cannot clone the repository: git clone failed: fatal:",
        ),
        (
            None,
            {"branch": "no-such-branch"},
            "cannot clone the repository: git clone failed: fatal:",
        ),
        (None, {"since": "0123abc"}, "cannot list changes since 0123abc: 0123abc is not a commit"),
    ],
)
def test_git_errors_are_clean_input_errors(repo: fx.GitRepo, target, options, message) -> None:
    with pytest.raises(ScanInputError) as caught:
        run(target or f"file://{repo.path}", **options)
    assert str(caught.value).startswith(message)
    assert "Traceback" not in str(caught.value)


@pytest.mark.parametrize("option", ["branch", "commit"])
def test_refs_that_look_like_git_options_are_refused(repo: fx.GitRepo, option: str) -> None:
    with pytest.raises(ScanInputError, match=f"not a valid {option}: --orphan=x"):
        run(f"file://{repo.path}", **{option: "--orphan=x"})


def test_non_git_url_and_since_without_a_repository(tree: Path) -> None:
    with pytest.raises(ScanInputError, match="does not appear to be a git repository"):
        run(f"file://{tree}")
    with pytest.raises(ScanInputError, match="--since needs a git repository"):
        run(tree, since="HEAD")
    with pytest.raises(ScanInputError, match="no such file or folder"):
        run(tree / "missing")


def test_clone_timeout(tmp_path: Path) -> None:
    """A git daemon on loopback that accepts and never answers: the clone is stopped."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    accepted: list[socket.socket] = []

    def accept() -> None:
        try:
            while True:
                accepted.append(server.accept()[0])
        except OSError:
            return

    threading.Thread(target=accept, daemon=True).start()
    try:
        started = time.monotonic()
        with pytest.raises(ScanInputError, match=r"git clone took longer than 1 s"):
            run(f"git://127.0.0.1:{port}/repo.git", clone_timeout_seconds=1)
        assert time.monotonic() - started < 10
    finally:
        server.close()
        for conn in accepted:
            conn.close()


def test_credentials_in_a_git_url_never_reach_a_report(
    repo: fx.GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cr3tT0kenValue"
    url = f"https://deploy:{secret}@git.example.invalid/org/repo.git"
    seen: list[str] = []

    def fake_clone(source: str, dest: Path, **kwargs) -> None:
        seen.append(source)
        shutil.copytree(repo.path, dest, symlinks=True)

    monkeypatch.setattr(git, "clone", fake_clone)
    result = run(url)
    assert seen == [url]  # the clone itself gets the credentials
    assert result.scan.target == "https://***@git.example.invalid/org/repo.git"
    for fmt, report in all_reports(result).items():
        assert secret not in report, fmt


def test_credentials_in_a_failing_clone_are_not_shown() -> None:
    secret = "s3cr3tT0kenValue"
    with pytest.raises(ScanInputError) as caught:
        run(f"https://deploy:{secret}@127.0.0.1:1/repo.git", clone_timeout_seconds=20)
    assert secret not in str(caught.value)
    assert redact_text(f"see http://u:{secret}@h/x and ssh://u@h/y") == (
        "see http://***@h/x and ssh://***@h/y"
    )


@pytest.mark.parametrize("via", ["path", "url"])
def test_git_metadata_only_when_asked(repo: fx.GitRepo, via: str) -> None:
    target = repo.path if via == "path" else f"file://{repo.path}"
    plain = run(target)
    for fmt, report in all_reports(plain).items():
        assert fx.AUTHOR_NAME not in report and fx.AUTHOR_EMAIL not in report, fmt
        assert repo.first not in report and repo.second not in report, fmt
    assert all(f.extra == {} for f in plain.findings)

    result = run(target, git_metadata=True)
    assert result.scan.options["git_metadata"] is True
    commits = {}
    for f in result.findings:
        if f.location.path == "notes.txt":  # untracked: no commit to name
            assert f.extra == {}
            continue
        assert f.extra["author"] == fx.AUTHOR_NAME
        commits[(f.location.path, f.location.line)] = f.extra["commit"]
    # blame names the commit that wrote each line, also in a clone
    assert commits == {
        ("app/users.py", 1): repo.first,
        ("app/users.py", 2): repo.first,
        ("app/billing.py", 1): repo.first,
        ("app/billing.py", 2): repo.second,
        ("app/keys.py", 1): repo.second,
    }
    assert fx.AUTHOR_NAME in render("json", result.scan, result.findings, tool_version="x")


# -- limits and progress ---------------------------------------------------------------


def test_max_items_stops_early(tree: Path) -> None:
    result = run(tree, limits={"max_items": 2})
    assert result.scan.stats.truncated and result.scan.stats.items_scanned == 2
    assert result.scan.progress_message == "stopped early: item limit of 2 reached"
    # scanned in the order of the paths as shown (the report's order): README.md, then
    # certs/deploy.pem; leak.txt (refused) and package.json come later
    assert rows(result) == expected(
        {r for r in fx.expected_rows() if r[1] in ("README.md", "certs/deploy.pem")}
    )


def test_max_bytes_stops_early(tree: Path) -> None:
    first = (tree / "certs/deploy.pem").stat().st_size
    result = run(tree, limits={"max_bytes": first + 1})
    assert result.scan.stats.truncated and result.scan.stats.items_scanned == 1
    assert result.scan.progress_message == f"stopped early: byte limit of {first + 1} reached"


def test_timeout_stops_early(tree: Path) -> None:
    def slow(percent: int, message: str) -> None:
        time.sleep(0.06)

    result = run(tree, limits={"timeout_seconds": 0.1}, progress=slow)
    assert result.scan.stats.truncated
    assert result.scan.progress_message == "stopped early: time limit of 0.1 s reached"
    assert result.scan.stats.items_scanned < 10  # of 10


def test_progress_is_reported(tree: Path) -> None:
    calls: list[tuple[int, str]] = []
    result = run(tree, progress=lambda p, m: calls.append((p, m)))
    stats = result.scan.stats
    # one call per file read (the binary one too), then 100 % when the scan is done
    assert len(calls) == stats.items_scanned + len(fx.BINARY_FILES) + 1
    assert calls[-1] == (100, "done")
    percents = [p for p, _ in calls[:-1]]
    assert percents == sorted(percents) and percents[0] >= 0 and percents[-1] < 100
    assert calls[0][1].startswith("0/") and calls[0][1].endswith(" files")


# -- baselines, thresholds, fingerprints, score ---------------------------------------


def test_baseline_from_an_earlier_json_report(tree: Path, tmp_path: Path) -> None:
    first = run(tree)
    report = tmp_path / "report.json"
    report.write_text(render("json", first.scan, first.findings, tool_version="x"))
    again = run(tree, baseline=Baseline.load(report))
    assert again.findings == [] and again.scan.stats.suppressed == len(first.findings)
    assert again.scan.stats.findings_by_severity == {s.value: 0 for s in reversed(Severity)}
    assert again.scan.score == 100.0


def test_baseline_by_fingerprint_rule_and_path(tree: Path) -> None:
    full = run(tree)
    bsn = next(f for f in full.findings if f.rule_id == "pii.bsn")
    baseline = Baseline.from_dict(
        {"fingerprints": [bsn.fingerprint], "rules": ["code.tracking_sdk"], "paths": ["config/*"]}
    )
    result = run(tree, baseline=baseline)
    gone = {bsn.fingerprint} | {
        f.fingerprint
        for f in full.findings
        if f.rule_id == "code.tracking_sdk" or f.location.path.startswith("config/")
    }
    assert {f.fingerprint for f in result.findings} == {f.fingerprint for f in full.findings} - gone
    assert result.scan.stats.suppressed == len(gone) == 1 + 2 + 5


@pytest.mark.parametrize(
    "data",
    [
        {"paths": "*.py"},  # a string, not a list: must not become the glob "*"
        {"rules": "pii.bsn"},
        {"fingerprints": [["nested"]]},
        {"findings": {"fingerprint": "x"}},
        {"findings": [{"fingerprint": 5}]},
        ["not", "an", "object"],
    ],
)
def test_malformed_baselines_are_refused(data: object) -> None:
    with pytest.raises(BaselineError):
        Baseline.from_dict(data)


def test_scan_options_from_a_job(tree: Path) -> None:
    options = CodeOptions.from_dict(
        {"limits": {"max_items": 3}, "severity_threshold": "High", "since": "abc"}
    )
    assert options.limits.max_items == 3 and options.severity_threshold is Severity.HIGH
    assert options.since == "abc"
    for bad in ({"limits": {"max_itemz": 3}}, {"sinse": "abc"}, {"severity_threshold": "x"}):
        with pytest.raises(ValueError):
            CodeOptions.from_dict(bad)
    with pytest.raises(ValueError, match="unknown scan options: since"):
        ScanOptions.from_dict({"since": "abc"})  # the common options have no git fields


def test_fingerprints_are_stable_and_value_hashes_normalised(tree: Path) -> None:
    one, two = run(tree), run(tree)
    assert one.scan.id != two.scan.id
    assert [f.fingerprint for f in one.findings] == [f.fingerprint for f in two.findings]
    assert [f.value_hash for f in one.findings] == [f.value_hash for f in two.findings]
    assert {f.id for f in one.findings}.isdisjoint(f.id for f in two.findings)
    assert len({f.fingerprint for f in one.findings}) == len(one.findings)

    bsns = {f.location.path: f for f in one.findings if f.rule_id == "pii.bsn"}
    assert set(bsns) == {"src/app.py", "db/seed.sql"}  # "111222333" and "111 222 333"
    assert bsns["src/app.py"].value_hash == bsns["db/seed.sql"].value_hash
    assert bsns["src/app.py"].fingerprint != bsns["db/seed.sql"].fingerprint
    other_key = run(tree, key=bytes(32))
    assert {f.value_hash for f in other_key.findings if f.rule_id == "pii.bsn"} != {
        bsns["src/app.py"].value_hash
    }


def test_severity_threshold_drops_lower_findings(tree: Path) -> None:
    full = run(tree)
    high = run(tree, severity_threshold=Severity.HIGH)
    assert rows(high) == sorted(
        (r for r in rows(full) if RULES[r[0]].severity.at_least(Severity.HIGH)), key=repr
    )
    assert {f.severity for f in high.findings} == {Severity.HIGH, Severity.CRITICAL}
    assert high.scan.stats.suppressed == 0
    assert high.scan.stats.findings_by_severity["medium"] == 0


def test_score_is_deterministic_and_falls_with_more_findings(tree: Path, tmp_path: Path) -> None:
    one, two = run(tree), run(tree)
    assert one.scan.score == two.scan.score == score_findings(one.findings)
    fewer = run(tree, severity_threshold=Severity.HIGH)
    assert fewer.scan.score > one.scan.score
    fx.write_files(tmp_path, {"clean.py": "x = 1\n"})
    assert run(tmp_path).scan.score == 100.0
    fx.write_files(tmp_path, {"more.py": f"# bsn {fx.BSN}\n"})
    with_one = run(tmp_path).scan.score
    fx.write_files(tmp_path, {"evenmore.py": f"# bsn {fx.BSN}\nIBAN = '{fx.IBAN}'\n"})
    assert 100.0 > with_one > run(tmp_path).scan.score


# -- local sources: the services switch them off for users who are not administrators ---


def test_local_sources_can_be_refused(tree: Path, repo: fx.GitRepo, tmp_path: Path) -> None:
    for target in (str(tree), repo.path.as_uri()):
        with pytest.raises(ScanInputError, match="for administrators only"):
            run(target, allow_local_sources=False)
    # an upload is not a local source: it is what a user sends
    archive = fx.make_zip(tree, tmp_path / "upload.zip")
    assert run(tree, upload=archive, allow_local_sources=False).findings


# -- one huge file: bounded in time and in findings ---------------------------------------


def test_the_time_limit_holds_inside_one_large_file(tmp_path: Path) -> None:
    big = tmp_path / "numbers.txt"
    line = "bsn 111222333 en iban NL91ABNA0417164300 en mail a.b@example.nl\n"
    big.write_text(line * 120_000)  # ~8 MB, many chunks
    result = run(tmp_path, limits={"timeout_seconds": 0.5, "max_file_bytes": 50_000_000})
    assert result.scan.stats.truncated
    assert "time limit" in result.scan.progress_message


def test_findings_per_rule_and_file_are_capped(tmp_path: Path) -> None:
    from dgp.scanners.session import MAX_FINDINGS_PER_RULE_PER_ITEM

    n = MAX_FINDINGS_PER_RULE_PER_ITEM + 250
    (tmp_path / "mails.txt").write_text("".join(f"u{i}@example.nl\n" for i in range(n)))
    result = run(tmp_path, limits={"max_file_bytes": 10_000_000})
    emails = [f for f in result.findings if f.rule_id == "pii.email"]
    capped = [f for f in result.findings if f.rule_id == "scan.findings_capped"]
    assert len(emails) == MAX_FINDINGS_PER_RULE_PER_ITEM
    assert len(capped) == 1 and capped[0].evidence == "pii.email: 250 more"
    assert capped[0].location.path == "mails.txt"


def test_code_evidence_masks_values_below_the_threshold(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        'log.info("exporting 123456782 for jan.jansen@x.nl", user.email)\n'
        'URL = "http://crm.acme.nl/customer/123456782/profile?email=piet"\n'
    )
    findings = run(tmp_path).findings
    code = [f for f in findings if f.rule_id.startswith("code.")]
    assert {f.rule_id for f in code} == {"code.pii_in_log", "code.http_personal_data"}
    for f in code:
        assert "123456782" not in f.evidence and "jan.jansen" not in f.evidence


def test_a_link_inside_the_tree_is_not_scanned_twice(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "in.txt").write_text("mail jan@example.nl\n")
    (tmp_path / "inlink.txt").symlink_to(tmp_path / "sub" / "in.txt")
    emails = [f for f in run(tmp_path).findings if f.rule_id == "pii.email"]
    assert [f.location.path for f in emails] == ["sub/in.txt"]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/repo.git",
        "ssh://git@localhost/repo.git",
        "git@10.1.2.3:team/repo.git",
        "https://[::1]:8443/repo.git",
        "git://192.168.1.20/repo.git",
    ],
)
def test_private_hosts_can_be_refused(url: str) -> None:
    with pytest.raises(ScanInputError, match=r"(loopback|private) address: refused"):
        run(url, allow_private_hosts=False)


def test_an_unreachable_host_is_told_apart_from_a_missing_repository(tmp_path: Path) -> None:
    from dgp.domain.job import TargetUnavailable

    with pytest.raises(TargetUnavailable) as caught:  # nothing listens on port 1
        run("git://127.0.0.1:1/repo.git", clone_timeout_seconds=10)
    assert caught.value.host == "127.0.0.1"
    with pytest.raises(ScanInputError) as missing:
        run((tmp_path / "no-repo").as_uri())
    assert not isinstance(missing.value, TargetUnavailable)


def test_a_real_format_key_in_a_test_file_is_kept_with_less_confidence_and_the_reason(
    tmp_path: Path,
) -> None:
    from tests.corpus_secrets import SecretCorpus

    token = SecretCorpus(7).checksummed("ghp_")
    for folder in ("src", "tests/fixtures"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "settings.py").write_text(f"GITHUB = '{token}'\n")
    found = {f.location.path: f for f in run(tmp_path).findings if f.rule_id.startswith("secret.")}
    real, fixture = found["src/settings.py"], found["tests/fixtures/settings.py"]
    assert real.rule_id == fixture.rule_id and fixture.confidence < real.confidence
    assert "in a test file or fixture" in fixture.description
    assert "test file" not in real.description
