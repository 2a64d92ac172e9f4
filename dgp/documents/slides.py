"""PPTX with python-pptx: text frames, tables and speaker notes, by slide number."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import count
from pathlib import Path

from pptx import Presentation
from pptx.shapes.base import BaseShape
from pptx.shapes.group import GroupShape
from pptx.table import Table

from dgp.documents.base import Segment
from dgp.documents.common import cell_ref, metadata_segments
from dgp.documents.containers import check_zip, ooxml_metadata
from dgp.documents.context import ExtractContext

EXTENSIONS = frozenset({".pptx"})


def extract(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    check_zip(path, "PPTX")
    presentation = Presentation(str(path))
    yield from metadata_segments(ctx, ooxml_metadata(path, "PPTX"))
    for number, slide in enumerate(presentation.slides, start=1):
        ctx.count_page(page=number)
        yield from _shapes(slide.shapes, number, ctx, tables=count(1))
        if slide.has_notes_slide:
            frame = slide.notes_slide.notes_text_frame
            if frame is not None and frame.text.strip():
                yield ctx.segment(_text(frame.text), page=number, section="notes")


def _shapes(
    shapes: Iterable[BaseShape], page: int, ctx: ExtractContext, tables: Iterator[int]
) -> Iterator[Segment]:
    """Text of each shape, groups included; `tables` numbers the slide's tables from 1."""
    for shape in shapes:
        if isinstance(shape, GroupShape):
            yield from _shapes(shape.shapes, page, ctx, tables)
        elif shape.has_text_frame:
            if shape.text_frame.text.strip():
                yield ctx.segment(_text(shape.text_frame.text), page=page)
        elif getattr(shape, "has_table", False):
            yield from _table(shape.table, page, ctx, str(next(tables)))


def _table(table: Table, page: int, ctx: ExtractContext, name: str) -> Iterator[Segment]:
    for row_number, row in enumerate(table.rows, start=1):
        for column, cell in enumerate(row.cells, start=1):
            ref = cell_ref(row_number, column)
            ctx.count_cell(page=page, section="table", table=name, cell=ref)
            if not cell.is_spanned and cell.text.strip():
                yield ctx.segment(
                    _text(cell.text), page=page, section="table", table=name, cell=ref
                )


def _text(text: str) -> str:
    return text.replace("\v", "\n")  # python-pptx writes a soft line break as a vertical tab
