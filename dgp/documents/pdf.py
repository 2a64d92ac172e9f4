"""PDF: the text layer of each page with pypdf, OCR for pages that are only images.

pypdf alone covers text, metadata, encryption and embedded images, so one
parser decides whether a file is readable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from pypdf import PageObject, PdfReader
from pypdf.errors import PdfReadError

from dgp.documents import ocr
from dgp.documents.base import ExtractionError, Segment
from dgp.documents.common import metadata_segments, short_cause
from dgp.documents.containers import read_head
from dgp.documents.context import ExtractContext

# pypdf's warnings quote the file's own bytes (names, numbers): they must never reach a log.
logging.getLogger("pypdf").setLevel(logging.CRITICAL + 1)

EXTENSIONS = frozenset({".pdf"})
MAX_OCR_IMAGES_PER_PAGE = 16
_METADATA = {"/Author": "author", "/Creator": "creator"}


def extract(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    reader = _open(path)
    yield from metadata_segments(ctx, _metadata(reader))
    for number, page in enumerate(reader.pages, start=1):
        ctx.count_page(page=number)
        text = page.extract_text() or ""
        if text.strip():
            yield ctx.segment(text, page=number)
        elif (broken := _unreadable_contents(page)) is not None:
            # pypdf gives "" for a page whose content it cannot read: not an empty page
            yield ctx.notice(
                "page_unreadable", f"page content cannot be read ({broken})", page=number
            )
        elif _image_count(page):
            yield from _ocr_page(page, number, ctx)


def _open(path: Path) -> PdfReader:
    if b"%PDF-" not in read_head(path, 1024):
        raise ExtractionError("PDF is corrupt: no PDF header (not a PDF file)")
    try:
        reader = PdfReader(path, strict=False)
    except PdfReadError as exc:
        raise ExtractionError(f"PDF is corrupt: {short_cause(exc)}") from exc
    if reader.is_encrypted and not _opens_without_password(reader):
        raise ExtractionError("PDF is encrypted (password protected)", encrypted=True)
    return reader


def _opens_without_password(reader: PdfReader) -> bool:
    """PDFs with only an owner password (no printing, no copying) still open."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # unsupported algorithm, missing crypto library, broken dictionary
        return False


def _metadata(reader: PdfReader) -> dict[str, object]:
    try:
        info = reader.metadata or {}
        return {name: info.get(key) for key, name in _METADATA.items()}
    except Exception:  # a broken /Info dictionary must not cost us the text
        return {}


def _unreadable_contents(page: PageObject) -> str | None:
    """Why the page's content streams cannot be resolved (a /Length that refers to
    itself, a missing object), or None when they can."""
    try:
        contents = page.get("/Contents")
        if contents is None:
            return None
        resolved = contents.get_object()
        parts = resolved if isinstance(resolved, list) else [resolved]
        for part in parts:
            part.get_object().get_data()
    except Exception as exc:
        return short_cause(exc)
    return None


def _image_count(page: PageObject) -> int:
    """The page's images, if it has image objects: a scanned page is one or a few of
    them. Pages with none are not searched for inline images, which means reading the
    whole content stream (seconds per page when thousands of pages share a large one)."""
    try:
        resources = page.get("/Resources")
        xobjects = resources.get_object().get("/XObject") if resources is not None else None
        return len(page.images) if xobjects else 0
    except Exception:
        return 0


def _ocr_page(page: PageObject, number: int, ctx: ExtractContext) -> Iterator[Segment]:
    """OCR the images of a page without text, or say why not (never fail the file).

    Each image gets at most what is left of the scan's time: the time limit holds
    inside OCR too (TimeLimit from the context ends the file and the scan)."""
    if not ocr.ocr_available():
        yield ctx.notice("ocr_unavailable", page=number)
        return
    texts: list[str] = []
    failed = False
    for index in range(min(_image_count(page), MAX_OCR_IMAGES_PER_PAGE)):
        ctx.check_time()
        try:
            image = page.images[index].image
        except Exception:  # an image pypdf or Pillow cannot decode
            failed = True
            continue
        ctx.check_time()
        try:
            texts.append(ocr.ocr_image(image, timeout=ctx.remaining()))
        except ocr.OcrError:
            failed = True
    ctx.check_time()  # a timeout above may have been the scan's, not the image's
    text = "\n".join(t for t in texts if t)
    if text:
        yield ctx.segment(text, page=number, section="ocr")
    if failed:
        yield ctx.notice("ocr_failed", page=number)
