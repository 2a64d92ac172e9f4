"""Small helpers used by more than one format: cell names, cell values, metadata."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from dgp.documents.base import Segment
from dgp.documents.context import ExtractContext


def label_of(path: Path) -> str:
    """The format's name as users know it ("DOCX" for report.docx), for error reasons."""
    return path.suffix.lstrip(".").upper() or "File"


def short_cause(exc: BaseException) -> str:
    """A library exception as an error reason: its type only ("ValueError").

    Never the message: libraries quote the file's own content in it ("could not
    convert string to float: 'BSN 123456782'"), and reasons are shown and stored.
    """
    return type(exc).__name__


@lru_cache(maxsize=4096)  # called once per cell; sheets reuse few columns
def column_letters(column: int) -> str:
    """1 -> "A", 27 -> "AA": spreadsheet column names, also used for CSV and tables."""
    if column < 1:
        raise ValueError(f"column numbers start at 1, got {column}")
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def cell_ref(row: int, column: int) -> str:
    """Row 7, column 2 -> "B7"."""
    return f"{column_letters(column)}{row}"


def cell_text(value: object) -> str:
    """A cell value as a person would read it; "" for empty.

    Whole floats lose their ".0" so that a phone number or BSN stored as a number
    (612345678.0) still looks like one to the detectors.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def metadata_segments(
    ctx: ExtractContext, props: Mapping[str, object] | Iterable[tuple[str, object]]
) -> Iterator[Segment]:
    """Document properties (author, company, ...) as metadata segments.

    Names are personal data too, so they go to the scanner like any text.
    `props` maps field names (author, last_modified_by, company, manager, ...)
    to values; pairs are accepted where a field repeats. Empty values are skipped.
    """
    pairs = props.items() if isinstance(props, Mapping) else props
    for name, value in pairs:
        text = cell_text(value)
        if text:
            yield Segment(
                text=text,
                location=ctx.location(section="metadata"),
                kind="metadata",
                field=name,
            )


def comment_segments(
    ctx: ExtractContext, comments: Iterable[tuple[str | None, str]]
) -> Iterator[Segment]:
    """Review comments as (author, text) pairs -> text segments plus author metadata.

    Each comment is one segment with section "comment"; `paragraph` holds the
    comment's number (1-based, in document order) since comments have no
    paragraph of their own in the body. Each distinct author is reported once.
    """
    authors: dict[str, None] = {}
    for number, (author, text) in enumerate(comments, start=1):
        if text.strip():
            yield ctx.segment(text, section="comment", paragraph=number)
        if author and author.strip():
            authors.setdefault(author.strip())
    yield from metadata_segments(ctx, [("comment_author", author) for author in authors])
