"""Hostile input to `dgp scan`: names that are not text, folders that cannot be read,
targets that carry terminal escapes, and the smaller formats that used to be misread.

These run `dgp` as a real process where the point is what reaches a terminal or a file
as bytes (stdout is strict UTF-8 there, as in CI).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from dgp.cli import main; raise SystemExit(main())"]
FORMATS = ("text", "json", "csv", "sarif")
EMAIL = "jan.jansen@example.nl"


def dgp(
    *args: str | os.PathLike[str] | bytes, prefix: tuple[str, ...] = ()
) -> tuple[int, bytes, bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8:strict"}
    done = subprocess.run(
        [*prefix, *CLI, *(os.fsencode(a) if not isinstance(a, bytes) else a for a in args)],
        capture_output=True,
        env=env,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def paths_in(fmt: str, out: bytes) -> list[str]:
    """Every location path a report names, read back the way its consumers read it."""
    text = out.decode("utf-8")  # strict: the report is valid UTF-8
    if fmt == "json":
        return [f["location"].get("path", "") for f in json.loads(text)["findings"]]
    if fmt == "sarif":
        results = json.loads(text)["runs"][0]["results"]
        return [
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in results
            if r.get("locations")
        ]
    if fmt == "csv":
        return [row["path"] for row in csv.DictReader(io.StringIO(text))]
    return [line for line in text.splitlines() if line.startswith("  [")]


# -- 2. file names that are not UTF-8 ---------------------------------------------------


@pytest.fixture
def undecodable_tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    os.mkdir(os.fsencode(root) + b"/folder\xfe")
    Path(os.fsdecode(os.fsencode(root) + b"/bad\xffname.txt")).write_text(f"mail {EMAIL}\n")
    Path(os.fsdecode(os.fsencode(root) + b"/folder\xfe/inside.txt")).write_text(f"mail {EMAIL}\n")
    return root


@pytest.mark.parametrize("fmt", FORMATS)
def test_names_that_are_not_utf8_reach_every_format_escaped(
    undecodable_tree: Path, fmt: str
) -> None:
    code, out, err = dgp("scan", "code", undecodable_tree, "--format", fmt, "--fail-on", "high")
    assert code == 0, err.decode("utf-8", "replace")
    shown = " ".join(paths_in(fmt, out))
    if fmt == "sarif":  # a URI: the escape's backslash is percent-encoded
        assert "bad%5Cxffname.txt" in shown and "folder%5Cxfe/inside.txt" in shown
    else:
        assert "bad\\xffname.txt" in shown and "folder\\xfe/inside.txt" in shown


def test_archive_members_that_are_not_utf8(tmp_path: Path) -> None:
    archive = tmp_path / "names.tar.gz"
    data = f"mail {EMAIL}\n".encode()
    with tarfile.open(archive, "w:gz", encoding="utf-8", errors="surrogateescape") as tf:
        for name in ("member\udcff.txt", "dir\udcfe/member.txt"):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("link\udcfd")  # refused, and named in the report
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    for kind in ("code", "document"):
        code, out, err = dgp("scan", kind, archive, "--format", "json")
        assert code == 0, err.decode("utf-8", "replace")
        paths = paths_in("json", out)
        assert {"member\\xff.txt", "dir\\xfe/member.txt", "link\\xfd"} <= set(paths)


def test_a_zip_whose_names_claim_utf8_but_are_not_is_refused_with_the_reason(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "names.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("placeholder.txt", f"mail {EMAIL}\n")
    raw = archive.read_bytes().replace(b"placeholder", b"bad\xff\xfenamexx")
    # the UTF-8 flag (bit 11) in the local and central headers
    raw = raw.replace(b"PK\x03\x04\x14\x00\x00\x00", b"PK\x03\x04\x14\x00\x00\x08")
    raw = raw.replace(b"PK\x01\x02\x14\x03\x14\x00\x00\x00", b"PK\x01\x02\x14\x03\x14\x00\x00\x08")
    archive.write_bytes(raw)
    folder = tmp_path / "with-zip"
    folder.mkdir()
    shutil.copy(archive, folder / "names.zip")
    code, out, err = dgp("scan", "document", folder, "--format", "json")
    assert code == 0, err.decode("utf-8", "replace")
    findings = json.loads(out)["findings"]
    assert [f["rule_id"] for f in findings] == ["scan.item_not_scanned"]
    assert "UnicodeDecodeError" in findings[0]["evidence"]


def test_the_target_itself_may_be_undecodable(undecodable_tree: Path) -> None:
    target = os.fsencode(undecodable_tree) + b"/folder\xfe"
    code, out, err = dgp("scan", "code", target, "--format", "json")
    assert code == 0, err.decode("utf-8", "replace")
    assert json.loads(out)["scan"]["target"].endswith("folder\\xfe")


# -- 5. an unreadable sub-folder ---------------------------------------------------------


def _without_root_powers() -> tuple[str, ...]:
    """Root reads every folder whatever its mode: drop the two capabilities that allow it."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to scan as root without CAP_DAC_OVERRIDE")
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


@pytest.mark.parametrize("kind", ["code", "document"])
def test_an_unreadable_subfolder_is_reported_as_not_scanned(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "tree"
    (root / "open").mkdir(parents=True)
    (root / "open" / "a.txt").write_text(f"mail {EMAIL}\n")
    (root / "closed" / "deeper").mkdir(parents=True)
    (root / "closed" / "deeper" / "b.txt").write_text(f"mail {EMAIL}\n")
    (root / "closed").chmod(0)
    try:
        code, out, err = dgp("scan", kind, root, "--format", "json", prefix=_without_root_powers())
    finally:
        (root / "closed").chmod(0o755)
    assert code == 0, err.decode("utf-8", "replace")
    report = json.loads(out)
    skipped = [f for f in report["findings"] if f["rule_id"] == "scan.item_not_scanned"]
    assert [(f["location"]["path"], f["evidence"]) for f in skipped] == [
        ("closed", "cannot read folder: Permission denied")
    ]
    assert report["scan"]["stats"]["items_skipped"] == 1
    assert [f["location"]["path"] for f in report["findings"] if f["rule_id"] == "pii.email"] == [
        "open/a.txt"
    ]


# -- 6. terminal escapes and invisible controls in names ---------------------------------


def test_error_messages_show_escapes_instead_of_obeying_them(tmp_path: Path) -> None:
    target = tmp_path / "no\x1b]0;owned\x07such\x1b[2J\u202efdp.exe\x9b31m"
    code, _out, err = dgp("scan", "code", target)
    assert code == 2
    message = err.decode("utf-8")
    assert "no such file or folder" in message
    for raw in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert raw not in message
    assert "\\x1b]0;owned\\x07such\\x1b[2J\\u202efdp.exe\\x9b31m" in message


def test_json_and_sarif_escape_c1_controls_and_bidi_overrides(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    name = "invoice\u202etxt.exe\x85\u2028.txt"
    (root / name).write_text(f"mail {EMAIL}\n")
    for fmt in ("json", "sarif"):
        code, out, err = dgp("scan", "code", root, "--format", fmt)
        assert code == 0, err.decode("utf-8", "replace")
        text = out.decode("utf-8")
        for raw in ("\u202e", "\x85", "\u2028"):
            assert raw not in text
        if fmt == "json":  # escaped; a JSON reader still gets the name back
            assert "\\u202e" in text
            assert json.loads(text)["findings"][0]["location"]["path"] == name
