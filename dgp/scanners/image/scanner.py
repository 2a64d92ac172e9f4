"""Image scanner (SPEC 3.6): photos and scans in files, folders, archives and uploads.

Per page of each image: OCR text through the shared PII engine (every finding with
its page and the bounding box of the words), identity documents (MRZ with its check
digits, Dutch document layouts), faces, and barcodes through the engine; per file:
EXIF, XMP and IPTC metadata and data appended after the image. With `redact`, a copy
with every such place blacked out and no metadata is an artefact of the scan.

Hostile files meet explicit bounds: Pillow's decompression-bomb limit (`max_pixels`),
`max_frames` pages per file, OCR killed after `ocr_seconds`, the scan's own time
limit, and (the spec says isolated) a child process with a memory limit per job.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace

from PIL import Image

import dgp.scanners.image.rules  # noqa: F401  (defines the rules used here)
from dgp.documents.ocr import OCR_TIMEOUT_SECONDS, OcrTimeout, ocr_available, ocr_words
from dgp.domain.evidence import mask
from dgp.domain.finding import Finding, Location
from dgp.domain.job import MAX_ARTEFACT_BYTES, Artefact, ScanInputs, ScanJob, ScanResult
from dgp.engine.patterns import PatternSpec
from dgp.engine.rules import RULES
from dgp.scanners import archives
from dgp.scanners.common_rules import ITEM_NOT_SCANNED
from dgp.scanners.files import TreeEntry
from dgp.scanners.image import (
    barcodes,
    faces,
    iddocs,
    loading,
    metadata,
    mrz,
    ocrfix,
    preprocess,
    redact,
    reread,
)
from dgp.scanners.image.ocrtext import Box, OcrText, layout, union
from dgp.scanners.image.options import ImageOptions
from dgp.scanners.session import ScanSession, StopScan
from dgp.scanners.session import warm_up as session_warm_up
from dgp.scanners.tree import (
    Target,
    not_scanned,
    open_target,
    scan_archive,
    scan_files,
    target_depth,
)

EXTRA_PATTERNS: tuple[PatternSpec, ...] = ()  # the engine's patterns suffice
REDACTED_CATEGORIES = frozenset({"pii", "special_category", "secret"})
MIN_TRAILING_BYTES = 16  # cameras pad some files with a few bytes
DOCUMENT_KINDS = {"P": "passport", "I": "identity card"}


def warm_up() -> None:
    session_warm_up(EXTRA_PATTERNS)
    faces.warm_up()
    ocr_available()


@dataclass
class _Run:
    """What the scan keeps across files: options and the artefacts made so far."""

    options: ImageOptions
    artefacts: list[Artefact] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    ocr_missing_said: bool = False


def scan(job: ScanJob, inputs: ScanInputs) -> ScanResult:
    session = ScanSession(job, inputs.hasher(), inputs.progress, EXTRA_PATTERNS)
    options = job.options if isinstance(job.options, ImageOptions) else ImageOptions()
    run = _Run(options)
    # suppress(StopScan): a limit was reached; keep what was found
    with (
        open_target(job, inputs, allow_git=False, time_left=session.remaining_seconds()) as target,
        suppress(StopScan),
    ):
        _scan_target(session, run, target, prefix="", depth=target_depth(job, inputs))
    result = session.finish()
    result.artefacts = run.artefacts
    return result


def _scan_target(session: ScanSession, run: _Run, target: Target, prefix: str, depth: int) -> None:
    def handle(session: ScanSession, entry: TreeEntry) -> None:
        shown = prefix + entry.relative
        if archives.is_archive(entry.path):

            def inner(target: Target, prefix: str, depth: int) -> None:
                _scan_target(session, run, target, prefix, depth)

            scan_archive(session, entry.path, shown, depth, inner)
        elif loading.is_scannable(entry.path):
            _scan_file(session, run, entry, shown)
        else:
            session.skip("not an image")

    scan_files(session, target, handle, prefix=prefix)


def _scan_file(session: ScanSession, run: _Run, entry: TreeEntry, shown: str) -> None:
    options = run.options
    pages: list[loading.Page] = []
    boxes: list[list[Box]] = []
    with session.recording() as found_here, loading.bomb_limit(options.max_pixels):
        try:
            for page, found in _pages(session, run, entry, shown):
                if options.redact:
                    pages.append(page)
                boxes.append(found)
        except loading.ImageUnreadable as e:
            refused = isinstance(e, loading.ImageRefused)
            rule = "image.file.refused" if refused else "image.file.unreadable"
            session.add(
                rule,
                Location(path=shown),
                evidence=e.reason,
                description=f"Could not read the image: {e.reason}.",
            )
    if options.redact and pages and found_here:
        _redacted_copy(session, run, shown, pages, boxes)


def _pages(
    session: ScanSession, run: _Run, entry: TreeEntry, shown: str
) -> Iterator[tuple[loading.Page, list[Box]]]:
    """Each page with the boxes of what was found on it."""
    options = run.options
    if entry.path.suffix.lower() == loading.PDF_SUFFIX:
        for page in loading.pdf_pages(entry.path, options.max_frames, options.max_pixels):
            yield page, _scan_page(session, run, shown, page)
        if loading.pdf_page_count(entry.path) > options.max_frames:
            _more_frames(session, shown, options.max_frames)
        return
    image = loading.open_image(entry.path, options.max_pixels)
    with image:
        if options.metadata:
            _metadata(session, image, shown)
        _trailing_data(session, entry, shown, image.format)
        seen = 0
        for page in loading.frames(image, options.max_frames, options.max_pixels):
            seen = page.number
            first_page = page.number == 1 and options.metadata
            if first_page and metadata.thumbnail_differs(image, page.image):
                session.add(
                    "image.metadata.thumbnail_differs",
                    Location(path=shown, section="metadata"),
                    evidence="EXIF thumbnail",
                    confidence=0.8,
                )
            yield page, _scan_page(session, run, shown, page)
        if seen >= options.max_frames and loading.has_more_frames(image, seen):
            _more_frames(session, shown, options.max_frames)


def _more_frames(session: ScanSession, shown: str, scanned: int) -> None:
    reason = f"only the first {scanned} pages or frames were scanned"
    why = f"Not scanned: {reason}."
    session.add(ITEM_NOT_SCANNED, Location(path=shown), evidence=reason, description=why)


def _scan_page(session: ScanSession, run: _Run, shown: str, page: loading.Page) -> list[Box]:
    """Everything on one page; the boxes to black out in a redacted copy."""
    session.check_time()
    options = run.options
    where = Location(path=shown, page=page.number)
    with session.recording() as reported:
        if options.ocr:
            text = _ocr(session, run, where, page)
            if text is not None and text.text:
                session.scan_text(
                    text.text,
                    replace(where, section="ocr"),
                    locate=lambda loc, start, end: replace(loc, bbox=text.box(start, end)),
                )
                _identity_documents(session, replace(where, section="ocr"), text)
        if options.faces:
            found = faces.detect_faces(page.image)
            for n, box in enumerate(found, start=1):
                session.add(
                    "image.face.person",
                    replace(where, section="face", bbox=box),
                    evidence=f"face {n} of {len(found)}",
                    confidence=0.8,
                    description=f"{len(found)} face(s) on this page. "
                    + RULES["image.face.person"].description,
                )
        if options.barcodes and barcodes.available():
            for code in barcodes.decode(page.image):
                session.scan_text(
                    code.text, replace(where, section=f"barcode {code.format}", bbox=code.box)
                )
    return [f.location.bbox for f in reported if _redacted(f)]


def _redacted(finding: Finding) -> bool:
    return finding.location.bbox is not None and finding.category in REDACTED_CATEGORIES


def _ocr(session: ScanSession, run: _Run, where: Location, page: loading.Page) -> OcrText | None:
    if not ocr_available():
        if not run.ocr_missing_said:
            session.add("image.ocr.unavailable", replace(where, page=None), evidence="")
            run.ocr_missing_said = True
        return None
    timeout = min(run.options.ocr_seconds, max(session.remaining_seconds(), 1.0))
    try:
        return read_page(page.image, run.options.preprocess, timeout)
    except OcrTimeout:
        reason = f"OCR ran past its time limit of {timeout:g} s and was stopped"
        session.add("image.ocr.failed", where, evidence=reason, description=f"{reason}.")
        return None
    except Exception as e:  # Tesseract's own error (a broken or unusual image)
        reason = f"Tesseract failed ({type(e).__name__})"
        session.add("image.ocr.failed", where, evidence=reason, description=f"{reason}.")
        return None


def read_page(
    image: Image.Image, prepare: bool = True, timeout: float = OCR_TIMEOUT_SECONDS
) -> OcrText:
    """The page's text as the engine reads it, each word with its box in the original's
    pixels. Raises as ocr_words does."""
    started = time.monotonic()
    prepared = preprocess.prepare(image, prepare)
    words = ocrfix.correct(ocr_words(prepared.image, timeout=timeout))
    left = timeout - (time.monotonic() - started)
    words = reread.improve(prepared.image, words, left)
    return layout([replace(w, box=prepared.to_original(w.box)) for w in words])


def _identity_documents(session: ScanSession, where: Location, text: OcrText) -> None:
    lines = [(mrz.clean_line(line), box) for line, box in text.line_boxes()]
    candidates = [(line, box) for line, box in lines if mrz.is_candidate(line)]
    for zone in mrz.parse_lines([line for line, _ in candidates]):
        zone_lines = candidates[zone.first_line : zone.first_line + len(zone.lines)]
        box = union([box for _, box in zone_lines])
        place = replace(where, bbox=box, line=None, column=None, end_column=None)
        kind = DOCUMENT_KINDS.get(zone.document_type[:1], "travel document")
        summary = f"{zone.format} {kind} issued by {zone.issuer}"
        if zone.valid:
            session.add(
                "image.id_document.mrz",
                place,
                value=f"{zone.issuer}:{zone.document_number}",
                evidence=f"{summary}, number {mask(zone.document_number)}",
                confidence=0.95,
                description=f"A {summary}: its machine-readable zone with every check digit "
                "valid (ICAO 9303).",
            )
        else:
            session.add(
                "image.id_document.mrz_unverified",
                place,
                value=f"{zone.issuer}:{zone.document_number}",
                evidence=f"{summary}, number {mask(zone.document_number)}",
                confidence=0.6,
                description=f"A {summary}; check digits that fail: {', '.join(zone.failed)}.",
            )
        bsn = zone.bsn()
        if bsn is not None:
            session.add(
                "pii.bsn",
                place,
                value=bsn,
                confidence=0.95 if zone.valid else 0.7,
                description="A BSN in the optional data of a Dutch document's machine-readable "
                "zone.",
            )
    document = iddocs.find(text.text)
    if document is not None:
        boxes = [text.box(*document.title_span), text.box(*document.number_span)]
        session.add(
            "image.id_document.dutch",
            replace(where, bbox=union([b for b in boxes if b is not None]) if any(boxes) else None),
            value=document.number,
            confidence=0.9,
            description=f"The words and document number of a Dutch {document.kind}.",
        )


def _metadata(session: ScanSession, image: Image.Image, shown: str) -> None:
    for item in metadata.read(image):
        session.add(
            item.rule_id,
            Location(path=shown, section="metadata"),
            value=item.value,
            evidence=item.evidence,
            confidence=0.8,
            description=f"{RULES[item.rule_id].description} Field: {item.field}.",
        )


def _trailing_data(session: ScanSession, entry: TreeEntry, shown: str, fmt: str | None) -> None:
    extra = loading.trailing_bytes(entry.path, fmt)
    if extra >= MIN_TRAILING_BYTES:
        session.add(
            "image.file.trailing_data",
            Location(path=shown),
            evidence=f"{extra} bytes after the end of the {fmt} image",
            confidence=0.9,
        )


def _redacted_copy(
    session: ScanSession,
    run: _Run,
    shown: str,
    pages: list[loading.Page],
    boxes: list[list[Box]],
) -> None:
    copies = [redact.redacted_page(p.image, b) for p, b in zip(pages, boxes, strict=True)]
    artefact = redact.artefact(copies, redact.artefact_name(shown, run.names))
    if len(artefact.data) > MAX_ARTEFACT_BYTES:
        not_scanned(session, shown, "its redacted copy is larger than an artefact may be")
        return
    run.artefacts.append(artefact)
