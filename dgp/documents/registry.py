"""One entry point for all formats: pick the extractor by extension, enforce limits.

Everything that must hold for every format lives here: library exceptions
become `ExtractionError` with a reason, and the text, page and cell limits
end extraction with a single "truncated" notice instead of an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from dgp.documents import (
    delimited,
    excel,
    mail,
    opendocument,
    pdf,
    plaintext,
    rtf,
    slides,
    word,
)
from dgp.documents.base import ExtractionError, ExtractLimits, Segment, TimeLimit
from dgp.documents.common import label_of, short_cause
from dgp.documents.context import ExtractContext, LimitReached
from dgp.domain.finding import Location

Extractor = Callable[[Path, ExtractContext], Iterator[Segment]]

_EXTRACTORS: dict[str, Extractor] = {
    extension: module.extract
    for module in (pdf, word, excel, slides, opendocument, delimited, rtf, plaintext, mail)
    for extension in module.EXTENSIONS
}

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(_EXTRACTORS)
DEFAULT_LIMITS = ExtractLimits()


def is_supported(path: Path) -> bool:
    """Whether `extract` knows the file's extension (case-insensitive)."""
    return path.suffix.lower() in _EXTRACTORS


def extract(
    path: Path,
    display_path: str,
    limits: ExtractLimits = DEFAULT_LIMITS,
    deadline: float | None = None,
) -> Iterator[Segment]:
    """The text of a document as segments; `display_path` goes into every location.

    Raises ExtractionError (on iteration) for unsupported, corrupt or encrypted
    files, and TimeLimit once `deadline` (time.monotonic()) passes. Segments
    already yielded before an error remain valid.
    """
    ctx = ExtractContext(display_path, limits, deadline=deadline)
    segments = _guarded(path, ctx)
    used = 0
    try:
        for segment in segments:
            if segment.kind != "notice":
                room = limits.max_text_chars - used
                if len(segment.text) > room:
                    if room > 0:
                        yield replace(segment, text=segment.text[:room])
                    yield _truncated(segment.location)
                    return
                used += len(segment.text)
            yield segment
    except LimitReached as reached:
        yield _truncated(reached.location)
    finally:
        segments.close()


def extract_attachment(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    """Extract a file found inside another (a mail attachment), sharing its budget.

    An unreadable attachment becomes a notice with the reason as text, so one
    bad attachment does not cost the rest of the mail.
    """
    try:
        yield from _guarded(path, ctx)
    except ExtractionError as exc:
        name = "attachment_encrypted" if exc.encrypted else "attachment_unreadable"
        yield ctx.notice(name, exc.reason)


def _guarded(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    extractor = _EXTRACTORS.get(path.suffix.lower())
    label = label_of(path)
    if extractor is None:
        raise ExtractionError(f"unsupported file type {path.suffix or '(no extension)'}")
    try:
        yield from extractor(path, ctx)
    except (ExtractionError, LimitReached, TimeLimit):
        raise
    except FileNotFoundError as exc:
        raise ExtractionError(f"{label} file not found") from exc
    except PermissionError as exc:
        raise ExtractionError(f"{label} file is not readable (permission denied)") from exc
    except RecursionError as exc:
        raise ExtractionError(f"{label} is nested too deeply to read") from exc
    except MemoryError as exc:
        raise ExtractionError(f"{label} is too large to read") from exc
    except OSError as exc:
        if exc.errno is None:  # libraries (olefile, Pillow) report bad data as OSError too
            raise ExtractionError(f"{label} is corrupt: {short_cause(exc)}") from exc
        raise ExtractionError(f"{label} could not be read: {exc.strerror}") from exc
    except Exception as exc:
        raise ExtractionError(f"{label} is corrupt: {short_cause(exc)}") from exc


def _truncated(location: Location) -> Segment:
    return Segment(text="", location=replace(location), kind="notice", field="truncated")
