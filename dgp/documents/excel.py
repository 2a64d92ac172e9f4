"""XLSX/XLSM with openpyxl in read-only mode: every cell of every sheet, values not formulas,
and the cells' comments (notes), which read-only openpyxl does not load: those are read
from the workbook's comments parts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zipfile import ZipFile

import openpyxl

from dgp.documents.base import Segment
from dgp.documents.common import cell_ref, cell_text, label_of, metadata_segments
from dgp.documents.containers import (
    check_zip,
    local_name,
    ooxml_metadata,
    open_zip,
    read_xml,
    related_parts,
)
from dgp.documents.context import ExtractContext

EXTENSIONS = frozenset({".xlsx", ".xlsm"})
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def extract(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    label = label_of(path)
    check_zip(path, label)
    yield from metadata_segments(ctx, ooxml_metadata(path, label))
    # data_only: the cached result of a formula, which is what a reader sees.
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        for sheet in workbook.worksheets:
            # Trust the cells, not the declared size: a sheet claiming A1:XFD1048576
            # would otherwise be padded with billions of empty cells.
            sheet.reset_dimensions()
            for row, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                for column, value in enumerate(values, start=1):
                    ref = cell_ref(row, column)
                    ctx.count_cell(sheet=sheet.title, cell=ref)
                    text = cell_text(value)
                    if text:
                        yield ctx.segment(text, sheet=sheet.title, cell=ref)
    finally:
        workbook.close()
    yield from _comments(path, label, ctx)


def _comments(path: Path, label: str, ctx: ExtractContext) -> Iterator[Segment]:
    """Each cell comment as a segment at its sheet and cell (section "comment"); the
    authors, once each, as metadata."""
    authors: dict[str, None] = {}
    with open_zip(path, label) as archive:
        for title, sheet_part in _sheets(archive):
            for _, kind, part in related_parts(archive, sheet_part):
                if not kind.endswith("/comments"):
                    continue
                root = read_xml(archive, part)
                if root is None:
                    continue
                names = [a.text or "" for a in root.iter() if local_name(a.tag) == "author"]
                for comment in (c for c in root.iter() if local_name(c.tag) == "comment"):
                    text = "".join(t.text or "" for t in comment.iter() if local_name(t.tag) == "t")
                    ref = comment.get("ref") or None
                    if text.strip():  # not ctx.segment: a comment is no column header
                        where = ctx.location(sheet=title, cell=ref, section="comment")
                        yield Segment(text=text, location=where)
                    author_id = comment.get("authorId") or ""
                    if author_id.isdigit() and int(author_id) < len(names):
                        authors.setdefault(names[int(author_id)].strip())
    yield from metadata_segments(ctx, [("comment_author", a) for a in authors if a])


def _sheets(archive: ZipFile) -> list[tuple[str, str]]:
    """(sheet title, part name) in workbook order."""
    workbook = read_xml(archive, "xl/workbook.xml")
    if workbook is None:
        return []
    parts = {rid: part for rid, _, part in related_parts(archive, "xl/workbook.xml")}
    return [
        (sheet.get("name") or "", parts[rid])
        for sheet in workbook.iter()
        if local_name(sheet.tag) == "sheet" and (rid := sheet.get(_REL_ID)) in parts
    ]
