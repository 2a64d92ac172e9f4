"""The document kind, as every process sees it: options, limits, target policy, rules."""

from __future__ import annotations

from dgp.domain.options import FileOptions
from dgp.kinds import Input, KindSpec
from dgp.scanners.document.rules import RULE_IDS

SPEC = KindSpec(
    name="document",
    summary="Office files, PDFs (with OCR), mail, data files and archives",
    port=5004,
    implementation_module="dgp.scanners.document.scanner",
    inputs=frozenset({Input.TARGET, Input.UPLOAD}),
    options=FileOptions,
    rules=RULE_IDS,
    system_packages=("tesseract-ocr", "tesseract-ocr-nld", "tesseract-ocr-eng"),
)
