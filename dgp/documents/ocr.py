"""OCR with Tesseract, for scanned PDF pages (and any other image of text).

Optional at run time: without the `tesseract` binary, the Dutch and English
language packs, or the pytesseract package, `ocr_available()` is False and
callers report that instead of failing.
"""

from __future__ import annotations

import shutil
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image

OCR_LANGUAGES = "nld+eng"
OCR_TIMEOUT_SECONDS = 120  # one image; Tesseract is killed after this
MIN_IMAGE_SIDE = 32  # smaller images are icons and rules, not text
MAX_OCR_PIXELS = 40_000_000  # bigger scans are shrunk first: same text, bounded time


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


def ocr_image(image: Image) -> str:
    """The text Tesseract reads in `image`; "" for images too small to hold text.

    Raises whatever pytesseract raises (TesseractError, RuntimeError on timeout).
    """
    import pytesseract

    if image.width < MIN_IMAGE_SIDE or image.height < MIN_IMAGE_SIDE:
        return ""
    if image.width * image.height > MAX_OCR_PIXELS:
        scale = (MAX_OCR_PIXELS / (image.width * image.height)) ** 0.5
        image = image.resize((int(image.width * scale), int(image.height * scale)))
    if image.mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    text = pytesseract.image_to_string(image, lang=OCR_LANGUAGES, timeout=OCR_TIMEOUT_SECONDS)
    return str(text).strip()
