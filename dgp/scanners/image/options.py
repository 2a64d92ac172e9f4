"""Options of an image scan: what to look for, and the bounds that hostile images meet.

Light on purpose (the kind's spec imports it in every process). Defaults are the
server's; those in LOWER_ONLY are also the most a request may ask for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dgp.domain.options import FileOptions, Limits, MiB, OptionsError

# what one image scan may use at most (the kind's limits: a request can only lower them)
IMAGE_LIMITS = Limits(
    max_items=20_000,  # files
    max_file_bytes=64 * MiB,  # one image file (a 300-dpi A4 TIFF is about 25 MiB)
    timeout_seconds=3600.0,
    max_memory_bytes=2048 * MiB,  # decoded pages, OCR and the redacted copy
)


@dataclass(frozen=True)
class ImageOptions(FileOptions):
    LOWER_ONLY: ClassVar[tuple[str, ...]] = ("max_pixels", "max_frames", "ocr_seconds")

    ocr: bool = True  # read the text (Tesseract) and run the PII engine on it
    faces: bool = True  # detect faces (OpenCV)
    barcodes: bool = True  # decode barcodes and QR codes
    metadata: bool = True  # EXIF, XMP and IPTC
    preprocess: bool = True  # grayscale, upscale small text, deskew before OCR
    redact: bool = False  # a redacted copy of each image with findings, as an artefact
    # Pillow's decompression-bomb limit: larger images are refused unread
    max_pixels: int = 100_000_000
    max_frames: int = 50  # pages of a TIFF or PDF, frames of a GIF or WebP, per file
    ocr_seconds: float = 60.0  # one page's OCR; Tesseract is killed after it

    def __post_init__(self) -> None:
        for name in ("max_pixels", "max_frames"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionsError(f"{name} must be a whole number of at least 1")
        value = self.ocr_seconds
        if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 600:
            raise OptionsError("ocr_seconds must be a number between 1 and 600")
        for name in ("ocr", "faces", "barcodes", "metadata", "preprocess", "redact"):
            if not isinstance(getattr(self, name), bool):
                raise OptionsError(f"{name} must be true or false")
