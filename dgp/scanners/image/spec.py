"""The image kind, as every process sees it: options, limits, rules, Debian packages."""

from __future__ import annotations

from dgp.kinds import Input, KindSpec
from dgp.scanners.image.options import IMAGE_LIMITS, ImageOptions
from dgp.scanners.image.rules import RULE_IDS

SPEC = KindSpec(
    name="image",
    summary="Photos and scans (JPEG, PNG, TIFF, WebP, GIF, BMP, HEIC, scanned PDF): OCR text, "
    "faces, identity documents, barcodes and metadata; an optional redacted copy",
    port=5006,
    implementation_module="dgp.scanners.image.scanner",
    inputs=frozenset({Input.TARGET, Input.UPLOAD}),
    options=ImageOptions,
    limits=IMAGE_LIMITS,
    rules=RULE_IDS,
    isolated=True,  # a decoder or Tesseract that hangs or explodes ends that job only
    system_packages=("tesseract-ocr", "tesseract-ocr-nld", "tesseract-ocr-eng"),
)
