"""DOCX with python-docx: body paragraphs and tables in order, headers, footers, comments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import docx
from docx.document import Document as DocxDocument
from docx.table import Table
from docx.text.paragraph import Paragraph

from dgp.documents.base import Segment
from dgp.documents.common import cell_ref, comment_segments, metadata_segments
from dgp.documents.containers import check_zip, ooxml_metadata
from dgp.documents.context import ExtractContext

EXTENSIONS = frozenset({".docx"})


class _Blocks(Protocol):
    """Anything holding paragraphs and tables: body, header, footer, cell, comment."""

    def iter_inner_content(self) -> Iterator[Paragraph | Table]: ...


def extract(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    check_zip(path, "DOCX")
    document = docx.Document(str(path))
    yield from metadata_segments(ctx, ooxml_metadata(path, "DOCX"))
    yield from _blocks(document, ctx, section=None)
    yield from _headers_and_footers(document, ctx)
    yield from comment_segments(ctx, ((c.author, c.text) for c in document.comments))


def _blocks(container: _Blocks, ctx: ExtractContext, section: str | None) -> Iterator[Segment]:
    """Paragraphs numbered from 1 (empty ones count, as in Word); tables numbered from 1.

    Body tables get section "table"; tables in a header or footer keep that section.
    """
    paragraphs = tables = 0
    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            paragraphs += 1
            if block.text.strip():
                yield ctx.segment(block.text, paragraph=paragraphs, section=section)
        else:
            tables += 1
            yield from _table(block, ctx, section or "table", str(tables))


def _table(table: Table, ctx: ExtractContext, section: str, name: str) -> Iterator[Segment]:
    """One segment per cell, named A1-style inside its table; nested tables are "2.1"."""
    seen: set[object] = set()  # the XML elements themselves: ids of freed proxies get reused
    for row_number, row in enumerate(table.rows, start=1):
        for column, cell in enumerate(row.cells, start=1):
            if cell._tc in seen:  # a merged cell is returned once per grid column
                continue
            seen.add(cell._tc)
            ref = cell_ref(row_number, column)
            ctx.count_cell(section=section, table=name, cell=ref)
            if cell.text.strip():
                yield ctx.segment(cell.text, section=section, table=name, cell=ref)
            for index, inner in enumerate(cell.tables, start=1):
                yield from _table(inner, ctx, section, f"{name}.{index}")


def _headers_and_footers(document: DocxDocument, ctx: ExtractContext) -> Iterator[Segment]:
    seen: set[str] = set()
    for section in document.sections:
        for kind, parts in (
            ("header", (section.header, section.first_page_header, section.even_page_header)),
            ("footer", (section.footer, section.first_page_footer, section.even_page_footer)),
        ):
            for part in parts:
                if part.is_linked_to_previous:  # no content of its own
                    continue
                partname = str(part.part.partname)
                if partname not in seen:
                    seen.add(partname)
                    yield from _blocks(part, ctx, section=kind)
