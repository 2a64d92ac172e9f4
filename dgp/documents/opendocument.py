"""ODT and ODS with odfpy: paragraphs, tables, cells, headers, footers, comments.

Text is taken element by element (not with odfpy's teletype) so that comments
(office:annotation) do not run into the paragraph they are attached to.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

from odf.element import Element, Node
from odf.namespaces import DCNS, METANS, OFFICENS, STYLENS, TABLENS, TEXTNS
from odf.office import Annotation
from odf.opendocument import OpenDocument, load

from dgp.documents.base import ExtractionError, Segment
from dgp.documents.common import cell_ref, cell_text, comment_segments, label_of, metadata_segments
from dgp.documents.containers import open_zip, xml_properties
from dgp.documents.context import ExtractContext

EXTENSIONS = frozenset({".odt", ".ods"})
_META = {f"{{{METANS}}}initial-creator": "author", f"{{{DCNS}}}creator": "last_modified_by"}
_PARAGRAPHS = {(TEXTNS, "p"), (TEXTNS, "h")}
_CONTAINERS = {(TEXTNS, n) for n in ("list", "list-item", "list-header", "section", "index-body")}
_ROW_GROUPS = {(TABLENS, n) for n in ("table-header-rows", "table-rows", "table-row-group")}
_CELLS = {(TABLENS, "table-cell"), (TABLENS, "covered-table-cell")}
_NUMBER_TYPES = {"float", "percentage", "currency"}
_SKIPPED = {(OFFICENS, "annotation"), (OFFICENS, "annotation-end")}
_PAGE_PARTS = {
    **{(STYLENS, f"header{s}"): "header" for s in ("", "-left", "-first")},
    **{(STYLENS, f"footer{s}"): "footer" for s in ("", "-left", "-first")},
}


def extract(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    label = label_of(path)
    with open_zip(path, label) as archive:
        names = set(archive.namelist())
        manifest = "META-INF/manifest.xml"
        if manifest in names and b"encryption-data" in archive.read(manifest):
            raise ExtractionError(f"{label} is encrypted (password protected)", encrypted=True)
        metadata = xml_properties(archive, "meta.xml", _META)
    document = load(str(path))
    yield from metadata_segments(ctx, metadata)
    if path.suffix.lower() == ".ods":
        yield from _spreadsheet(document, ctx)
    else:
        yield from _blocks(document.text, ctx, section=None)
        for page in _children(document.masterstyles):
            for part in _children(page):
                if part.qname in _PAGE_PARTS:
                    yield from _blocks(part, ctx, section=_PAGE_PARTS[part.qname])
    yield from comment_segments(ctx, map(_annotation, document.getElementsByType(Annotation)))


def _children(node: Element | None) -> Iterator[Element]:
    if node is not None:
        for child in node.childNodes:
            if child.nodeType == Node.ELEMENT_NODE:
                yield child


MAX_SPACES = 1000  # <text:s text:c="1500000000"/> would be gigabytes of spaces


def _spaces(count: str | None) -> int:
    try:
        return max(1, min(int(count or 1), MAX_SPACES))
    except ValueError:
        return 1


def _text(node: Element) -> str:
    """Inline text of a paragraph: spaces, tabs and line breaks kept; comments left out."""
    parts: list[str] = []
    for child in node.childNodes:
        if child.nodeType == Node.TEXT_NODE:
            parts.append(child.data)
        elif child.qname == (TEXTNS, "s"):
            parts.append(" " * _spaces(child.getAttrNS(TEXTNS, "c")))
        elif child.qname == (TEXTNS, "tab"):
            parts.append("\t")
        elif child.qname == (TEXTNS, "line-break"):
            parts.append("\n")
        elif child.qname not in _SKIPPED:
            parts.append(_text(child))
    return "".join(parts)


def _block_text(node: Element) -> str:
    """Text of a cell or comment: its paragraphs, one per line."""
    return "\n".join(_text(child) for child in _children(node) if child.qname not in _SKIPPED)


def _blocks(
    container: Element | None, ctx: ExtractContext, section: str | None
) -> Iterator[Segment]:
    """Paragraphs numbered from 1 as in the DOCX extractor; tables as cells."""
    paragraphs = tables = 0

    def walk(node: Element | None) -> Iterator[Segment]:
        nonlocal paragraphs, tables
        for child in _children(node):
            if child.qname in _PARAGRAPHS:
                paragraphs += 1
                text = _text(child)
                if text.strip():
                    yield ctx.segment(text, paragraph=paragraphs, section=section)
            elif child.qname == (TABLENS, "table"):
                tables += 1
                for row, column, text in _cells(child):
                    ref = cell_ref(row, column)
                    ctx.count_cell(section=section or "table", table=str(tables), cell=ref)
                    yield ctx.segment(text, section=section or "table", table=str(tables), cell=ref)
            elif child.qname in _CONTAINERS:
                yield from walk(child)

    yield from walk(container)


def _spreadsheet(document: OpenDocument, ctx: ExtractContext) -> Iterator[Segment]:
    for sheet in _children(document.spreadsheet):
        if sheet.qname != (TABLENS, "table"):
            continue
        name = sheet.getAttrNS(TABLENS, "name")
        for row, column, text in _cells(sheet):
            ref = cell_ref(row, column)
            ctx.count_cell(sheet=name, cell=ref)
            yield ctx.segment(text, sheet=name, cell=ref)


def _cells(table: Element) -> Iterator[tuple[int, int, str]]:
    """(row, column, text) of every non-empty cell, with repeated rows and cells unrolled.

    Empty repeats (a sheet often ends in a million repeated empty rows) are
    skipped by arithmetic, so their cost is one element, not a million.
    """
    row = 0
    for row_element in _rows(table):
        repeat = _repeat(row_element, "number-rows-repeated")
        cells = [
            (_cell_value(cell), _repeat(cell, "number-columns-repeated"))
            for cell in _children(row_element)
            if cell.qname in _CELLS
        ]
        if not any(text for text, _ in cells):
            row += repeat
            continue
        for _ in range(repeat):
            row += 1
            column = 0
            for text, times in cells:
                if not text:
                    column += times
                    continue
                for _ in range(times):
                    column += 1
                    yield row, column, text


def _rows(table: Element) -> Iterator[Element]:
    for child in _children(table):
        if child.qname == (TABLENS, "table-row"):
            yield child
        elif child.qname in _ROW_GROUPS:
            yield from _rows(child)


def _repeat(element: Element, attribute: str) -> int:
    try:
        return max(1, int(element.getAttrNS(TABLENS, attribute) or 1))
    except ValueError:
        return 1


def _cell_value(cell: Element) -> str:
    """Numbers from office:value (the display text may be "6,12E+08"), else the shown text."""
    if cell.getAttrNS(OFFICENS, "value-type") in _NUMBER_TYPES:
        try:
            return cell_text(Decimal(cell.getAttrNS(OFFICENS, "value") or ""))
        except InvalidOperation:
            pass
    return _block_text(cell).strip()


def _annotation(annotation: Element) -> tuple[str | None, str]:
    author = None
    lines = []
    for child in _children(annotation):
        if child.qname == (DCNS, "creator"):
            author = _text(child)
        elif child.qname not in {(DCNS, "date"), (METANS, "date-string")}:
            lines.append(_text(child))
    return author, "\n".join(lines)
