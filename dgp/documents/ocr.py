"""OCR with Tesseract, for scanned PDF pages and images (the document and image kinds).

Optional at run time: without the `tesseract` binary, the Dutch and English
language packs, or the pytesseract package, `ocr_available()` is False and
callers report that instead of failing.

One Tesseract process per call, killed when its time is up (pytesseract kills it on
its timeout), running one OpenMP thread unless the environment (the unit's drop-in)
sets OMP_THREAD_LIMIT: a scanner's CPU is its unit's, shared by its jobs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL.Image import Image

OCR_LANGUAGES = "nld+eng"
OCR_TIMEOUT_SECONDS = 120  # one image; Tesseract is killed after this
MIN_IMAGE_SIDE = 32  # smaller images are icons and rules, not text
MAX_OCR_PIXELS = 40_000_000  # bigger scans are shrunk first: same text, bounded time
MIN_WORD_CONFIDENCE = 0.0  # Tesseract's -1 marks layout rows, not words


class OcrTimeout(RuntimeError):
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
def ocr_available() -> bool:
    """True when Tesseract and both language packs can be used (checked once)."""
    if shutil.which("tesseract") is None:
        return False
    try:
        import pytesseract

        languages = set(pytesseract.get_languages(config=""))
    except Exception:
        return False
    return set(OCR_LANGUAGES.split("+")) <= languages


def _prepared(image: Image) -> tuple[Image, float] | None:
    """The image as Tesseract gets it and the scale applied; None when too small."""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    if image.width < MIN_IMAGE_SIDE or image.height < MIN_IMAGE_SIDE:
        return None
    scale = 1.0
    if image.width * image.height > MAX_OCR_PIXELS:
        scale = (MAX_OCR_PIXELS / (image.width * image.height)) ** 0.5
        image = image.resize((int(image.width * scale), int(image.height * scale)))
    if image.mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    return image, scale


def _timed(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a pytesseract call; its timeout (the process killed) as OcrTimeout."""
    try:
        return call(*args, **kwargs)
    except RuntimeError as e:
        if "timeout" in str(e).lower():
            raise OcrTimeout(str(e)) from None
        raise


def ocr_image(image: Image, timeout: float = OCR_TIMEOUT_SECONDS) -> str:
    """The text Tesseract reads in `image`; "" for images too small to hold text.

    Raises OcrTimeout after `timeout` seconds, or whatever pytesseract raises
    (TesseractError).
    """
    import pytesseract

    prepared = _prepared(image)
    if prepared is None:
        return ""
    text = _timed(
        pytesseract.image_to_string, prepared[0], lang=OCR_LANGUAGES, timeout=max(timeout, 0.1)
    )
    return str(text).strip()


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
    import pytesseract

    prepared = _prepared(image)
    if prepared is None:
        return []
    small, scale = prepared
    data = _timed(
        pytesseract.image_to_data,
        small,
        lang=languages,
        config=config,
        timeout=max(timeout, 0.1),
        output_type=pytesseract.Output.DICT,
    )
    words: list[OcrWord] = []
    for i, text in enumerate(data["text"]):
        confidence = float(data["conf"][i])
        if not str(text).strip() or confidence < MIN_WORD_CONFIDENCE:
            continue
        left, top = data["left"][i] / scale, data["top"][i] / scale
        right = left + data["width"][i] / scale
        bottom = top + data["height"][i] / scale
        words.append(
            OcrWord(
                text=str(text).strip(),
                box=(int(left), int(top), round(right), round(bottom)),
                line=(int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i])),
                confidence=confidence,
            )
        )
    return words
