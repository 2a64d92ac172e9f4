"""Hostile files: work without text that must still stop at the time limit, temporary
copies that must stay private and go away, and formats that used to be misread.

Nothing here waits for the machine to be fast or slow: where a child process must be
caught in the act, the test waits for the event (the process appearing), and time
limits are checked by what the scan reports, not by a clock.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from dgp.documents import ocr, registry
from dgp.domain.job import ScanInputs, ScanJob, ScanResult
from dgp.domain.options import CodeOptions, Limits, ScanOptions
from dgp.scanners import archives
from dgp.scanners.code import scanner as code
from dgp.scanners.document import scanner as document
from dgp.scanners.workspace import Workspace
from tests import docfixtures as fx

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from dgp.cli import main; raise SystemExit(main())"]
KEY = b"k" * 32
BSN = "111222333"
EMAIL = "jan.jansen@example.nl"
WAIT = 60.0  # seconds an awaited event may take before the test gives up on it

needs_ocr = pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract nld+eng not installed")


def scan_documents(target: Path, **limits: float) -> ScanResult:
    job = ScanJob("document", str(target), ScanOptions(limits=Limits(**limits)))
    return document.scan(job, ScanInputs(hash_key=KEY))


def scan_code(target: Path, **limits: float) -> ScanResult:
    job = ScanJob("code", str(target), CodeOptions(limits=Limits(**limits)))
    return code.scan(job, ScanInputs(hash_key=KEY))


def rules_at(result: ScanResult) -> list[tuple[str, str | None]]:
    return [(f.rule_id, f.location.path) for f in result.findings]


def stopped_for_time(result: ScanResult) -> bool:
    return result.scan.stats.truncated and "time limit" in result.scan.progress_message


def noise_jpegs(count: int, side: int = 2500) -> list[bytes]:
    """Images Tesseract takes seconds over (noise has no text, but every pixel is looked at)."""
    from PIL import Image

    jpegs = []
    for _ in range(count):
        out = io.BytesIO()
        Image.effect_noise((side, side), 120).convert("L").save(out, "JPEG", quality=70)
        jpegs.append(out.getvalue())
    return jpegs


def children(name: str, parent: int | None = None) -> list[int]:
    """Live processes called `name` whose parent is `parent` (default: this process)."""
    parent = os.getpid() if parent is None else parent
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == parent and comm == name:
            found.append(int(entry.name))
    return found


def wait_for(event: Callable[[], object], what: str) -> object:
    deadline = time.monotonic() + WAIT
    while not (value := event()):
        if time.monotonic() > deadline:
            pytest.fail(f"waited {WAIT:g} s for {what}")
        time.sleep(0.02)
    return value


# -- 3. the time limit holds inside extractors and child processes ------------------------


def test_time_limit_holds_through_pdf_pages_without_text(tmp_path: Path) -> None:
    """2,000 pages sharing one 1 MB content stream and showing nothing."""
    fx.make_empty_pages_pdf(tmp_path, 2000, 1_000_000)
    result = scan_documents(tmp_path, timeout_seconds=0.5)
    assert stopped_for_time(result)
    assert rules_at(result) == []  # stopping is not "the file is unreadable"


def test_an_extractor_stops_at_a_deadline_that_passed(tmp_path: Path) -> None:
    pdf = fx.make_empty_pages_pdf(tmp_path, 50, 10_000)
    pages = iter(registry.extract(pdf, "empty.pdf", deadline=time.monotonic() - 1))
    with pytest.raises(registry.TimeLimit):
        next(pages)


@needs_ocr
def test_time_limit_holds_during_ocr_and_tesseract_is_killed(tmp_path: Path) -> None:
    fx.make_images_pdf(tmp_path, noise_jpegs(4))
    result = scan_documents(tmp_path, timeout_seconds=1.0)
    assert stopped_for_time(result)
    assert children("tesseract") == []


# -- 4. temporary files: one private folder, removed on SIGTERM too -----------------------


def test_a_workspace_is_private_and_is_the_temporary_folder_while_it_is_used() -> None:
    before = (tempfile.gettempdir(), os.environ.get("TMPDIR"))
    with Workspace() as outer:
        assert stat.S_IMODE(outer.path.stat().st_mode) == 0o700
        assert tempfile.gettempdir() == str(outer.path) == os.environ["TMPDIR"]
        inner_seen: list[str] = []

        def other_scan() -> None:
            with Workspace() as inner:
                inner_seen.append(tempfile.gettempdir())
                inner_seen.append(str(inner.path))

        thread = threading.Thread(target=other_scan)
        thread.start()
        thread.join()
        assert inner_seen[0] == inner_seen[1]
        assert not Path(inner_seen[1]).exists()
        assert tempfile.gettempdir() == str(outer.path)  # the other scan's end changed nothing
    assert not outer.path.exists()
    assert (tempfile.gettempdir(), os.environ.get("TMPDIR")) == before


@needs_ocr
def test_sigterm_during_ocr_of_an_archive_leaves_nothing_behind(tmp_path: Path) -> None:
    """`timeout 3 dgp scan document upload.tar`: while Tesseract reads a page of the
    unpacked archive, every copy sits in one 0700 folder; SIGTERM removes it all."""
    staging = tmp_path / "staging"
    staging.mkdir()
    pdf = fx.make_images_pdf(staging, noise_jpegs(4))
    archive = tmp_path / "upload.tar"
    with tarfile.open(archive, "w") as tf:
        tf.add(pdf, arcname="scans/images.pdf")
    shared_tmp = tmp_path / "tmp"
    shared_tmp.mkdir(mode=0o1777)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(shared_tmp)}
    scan = subprocess.Popen(
        [*CLI, "scan", "document", str(archive), "--format", "json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(lambda: children("tesseract", scan.pid), "Tesseract to start")
        left_open = sorted(shared_tmp.iterdir())
        assert [p.name[: len("dgp-scan-")] for p in left_open] == ["dgp-scan-"]
        assert stat.S_IMODE(left_open[0].stat().st_mode) == 0o700
        scan.send_signal(signal.SIGTERM)
        assert scan.wait(WAIT) == 128 + signal.SIGTERM
    finally:
        if scan.poll() is None:
            scan.kill()
            scan.wait()
    assert list(shared_tmp.iterdir()) == []
    assert children("tesseract", scan.pid) == []


# -- 7. smaller ones -------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("scan", [scan_code, scan_documents])
def test_utf16_without_a_byte_order_mark_is_text(
    tmp_path: Path, encoding: str, scan: Callable[[Path], ScanResult]
) -> None:
    (tmp_path / "export.txt").write_bytes(
        f"Naam: Jan Jansen\r\nBSN: {BSN}\r\nE-mail: {EMAIL}\r\n".encode(encoding)
    )
    found = {rule for rule, _ in rules_at(scan(tmp_path))}
    assert {"pii.bsn", "pii.email"} <= found


def test_binary_with_nul_bytes_stays_binary(tmp_path: Path) -> None:
    (tmp_path / "blob.dat").write_bytes(bytes(range(256)) * 64 + EMAIL.encode())
    result = scan_code(tmp_path)
    assert rules_at(result) == [] and result.scan.stats.items_skipped == 1


def test_a_csv_field_over_128_kib_is_read(tmp_path: Path) -> None:
    with (tmp_path / "export.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "body", "bsn"])
        writer.writerow(["1", "x" * 200_000, BSN])
        writer.writerow(["2", f"mail {EMAIL}", ""])
    result = scan_documents(tmp_path)
    assert sorted(f.location.cell for f in result.findings) == ["B3", "C2"]


def test_a_pdf_page_whose_stream_length_loops_is_reported(tmp_path: Path) -> None:
    stream = f"BT /F1 12 Tf 72 720 Td (BSN {BSN}) Tj ET".encode()
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 7 0 R >> >> /Contents 4 0 R >>",
        4: b"<< /Length 5 0 R >>\nstream\n" + stream + b"\nendstream",
        5: b"6 0 R",  # the length refers on, and back
        6: b"5 0 R",
        7: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    fx.write_bytes(tmp_path, "loop.pdf", fx.pdf_bytes(objects))
    result = scan_documents(tmp_path)
    assert [(f.rule_id, f.location.page) for f in result.findings] == [("document.unreadable", 1)]
    assert result.findings[0].evidence.startswith("page content cannot be read")


def test_archives_inside_a_code_tree_are_scanned(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("users.csv", f"1,{EMAIL}\n")
    outer = tmp_path / "fixtures" / "dump.tar.gz"
    outer.parent.mkdir()
    with tarfile.open(outer, "w:gz") as tf:
        info = tarfile.TarInfo("nested.zip")
        info.size = len(inner.getvalue())
        tf.addfile(info, io.BytesIO(inner.getvalue()))
        broken = tarfile.TarInfo("broken.zip")
        junk = b"PK\x03\x04 not a zip"
        broken.size = len(junk)
        tf.addfile(broken, io.BytesIO(junk))
    (tmp_path / "app.py").write_text("print('hello')\n")
    result = scan_code(tmp_path)
    assert rules_at(result) == [
        ("scan.item_not_scanned", "fixtures/dump.tar.gz!/broken.zip"),
        ("pii.email", "fixtures/dump.tar.gz!/nested.zip!/users.csv"),
    ]


def test_a_tar_bomb_is_refused_as_it_streams(tmp_path: Path) -> None:
    """256 MiB of zeros packs into about 256 KiB. The ratio is checked against what was
    read so far, so the bomb is refused after about a MiB, long before the byte limit
    (16 MiB here) that a whole-file ratio (256 KiB * 200 = 51 MiB) would have reached."""
    size = 256 * 1024 * 1024
    bomb = tmp_path / "bomb.tar.gz"
    with gzip.open(bomb, "wb", compresslevel=6) as gz, tarfile.open(fileobj=gz, mode="w") as tf:
        info = tarfile.TarInfo("zeros.bin")
        info.size = size
        tf.addfile(info, io.BufferedReader(_Zeros(size), 1 << 20))
    limits = Limits(max_archive_bytes=16 * 1024 * 1024)
    with pytest.raises(archives.ArchiveError) as refused:
        archives.unpack(bomb, tmp_path / "out", limits)
    assert "compression ratio" in refused.value.reason
    assert not (tmp_path / "out").exists()


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def test_report_is_json_for_documents_too(tmp_path: Path) -> None:
    """The CSV and UTF-16 cases through the command, as a user runs them."""
    (tmp_path / "a.txt").write_bytes(f"BSN: {BSN}\n".encode("utf-16-le"))
    done = subprocess.run(
        [*CLI, "scan", "document", str(tmp_path), "--format", "json"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0
    assert [f["rule_id"] for f in json.loads(done.stdout)["findings"]] == ["pii.bsn"]
