"""OCR with Tesseract, for scanned PDF pages and images (the document and image kinds).

Optional at run time: without the `tesseract` binary or the Dutch and English
language packs, `ocr_available()` is False and callers report that instead of
failing.

Tesseract runs as a child process in a session of its own, on a PNG written to
a folder of the scan's private temporary folder (dgp.scanners.workspace), and
writes its text to stdout: no copy of a page image lands anywhere else. The
process group is killed when its time is up (the smaller of a per-image bound
and what is left of the scan) and whenever the caller stops early, an exception
or a signal included, so no Tesseract outlives the scan that started it.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image

OCR_LANGUAGES = "nld+eng"
OCR_TIMEOUT_SECONDS = 120.0  # one image at most; Tesseract is killed after this
MIN_IMAGE_SIDE = 32  # smaller images are icons and rules, not text
MAX_OCR_PIXELS = 40_000_000  # bigger scans are shrunk first: same text, bounded time
MAX_OUTPUT_BYTES = 16 * 1024 * 1024
MIN_WORD_CONFIDENCE = 0.0  # Tesseract's -1 marks layout rows, not words
TSV_COLUMNS = 12  # level page block par line word left top width height conf text


class OcrError(Exception):
    """Tesseract failed on an image or ran out of time; the reason holds no content."""


class OcrTimeout(OcrError):
    """Tesseract ran past its time limit and was killed."""


@dataclass(frozen=True)
class OcrWord:
    """A word Tesseract read, with its box in the image's own pixels (left, top, right,
    bottom) and the line it stands on (block, paragraph, line numbers)."""

    text: str
    box: tuple[int, int, int, int]
    line: tuple[int, int, int]
    confidence: float  # 0..100


@cache
def _tesseract() -> str | None:
    return shutil.which("tesseract")


@cache
def ocr_available() -> bool:
    """True when Tesseract and both language packs can be used (checked once)."""
    program = _tesseract()
    if program is None:
        return False
    try:
        listed = subprocess.run(
            [program, "--list-langs"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    languages = set(listed.stdout.decode("utf-8", "replace").split())
    return set(OCR_LANGUAGES.split("+")) <= languages


def ocr_image(image: Image, timeout: float = OCR_TIMEOUT_SECONDS) -> str:
    """The text Tesseract reads in `image`; "" for images too small to hold text.

    Raises OcrTimeout when Tesseract takes longer than `timeout` seconds (its process
    group is killed then), OcrError when it fails.
    """
    prepared = _prepared(image)
    if prepared is None:
        return ""
    return _tesseract_on(prepared[0], [], timeout).strip()


def ocr_words(
    image: Image,
    timeout: float = OCR_TIMEOUT_SECONDS,
    languages: str = OCR_LANGUAGES,
    config: str = "",
) -> list[OcrWord]:
    """The words Tesseract reads in `image` with their boxes, in reading order.

    Boxes are in `image`'s pixels even when a large image was shrunk for Tesseract.
    `config` passes Tesseract options (a page segmentation mode, a character whitelist
    for re-reading one field). Raises as ocr_image does.
    """
    prepared = _prepared(image)
    if prepared is None:
        return []
    small, scale = prepared
    words: list[OcrWord] = []
    tsv = _tesseract_on(small, [*shlex.split(config), "tsv"], timeout, languages)
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < TSV_COLUMNS or not cells[11].strip():
            continue
        try:
            block, par, line = int(cells[2]), int(cells[3]), int(cells[4])
            left, top, width, height = (int(c) / scale for c in cells[6:10])
            confidence = float(cells[10])
        except ValueError:
            continue
        if confidence < MIN_WORD_CONFIDENCE:
            continue
        box = (int(left), int(top), round(left + width), round(top + height))
        words.append(OcrWord(cells[11].strip(), box, (block, par, line), confidence))
    return words


def _prepared(image: Image) -> tuple[Image, float] | None:
    """The image as Tesseract gets it and the scale applied; None when too small."""
    if image.width < MIN_IMAGE_SIDE or image.height < MIN_IMAGE_SIDE:
        return None
    scale = 1.0
    if image.width * image.height > MAX_OCR_PIXELS:
        scale = (MAX_OCR_PIXELS / (image.width * image.height)) ** 0.5
        image = image.resize((int(image.width * scale), int(image.height * scale)))
    if image.mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    return image, scale


def _tesseract_on(
    image: Image, arguments: list[str], timeout: float, languages: str = OCR_LANGUAGES
) -> str:
    """Tesseract's output for `image` (text, or what the options and named configs in
    `arguments` ask for), from a PNG in a private folder that is removed at once."""
    program = _tesseract()
    if program is None:
        raise OcrError("tesseract is not installed")
    with tempfile.TemporaryDirectory(prefix="dgp-ocr-") as folder:
        page = Path(folder) / "page.png"
        image.save(page, format="PNG")
        return _run(
            [program, str(page), "stdout", "-l", languages, *arguments],
            timeout=min(timeout, OCR_TIMEOUT_SECONDS),
            env={**os.environ, "TMPDIR": folder, "OMP_THREAD_LIMIT": "1"},
        )


def _run(command: list[str], timeout: float, env: dict[str, str]) -> str:
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # its own process group: killed whole
    )
    try:
        out, _ = process.communicate(timeout=max(timeout, 0.0))
    except subprocess.TimeoutExpired:
        raise OcrTimeout(f"tesseract took longer than {timeout:.0f} s") from None
    finally:
        if process.poll() is None:
            _kill_group(process)
    if process.returncode != 0:
        raise OcrError(f"tesseract exited with status {process.returncode}")
    return out[:MAX_OUTPUT_BYTES].decode("utf-8", "replace")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
