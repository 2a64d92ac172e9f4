"""DOCX with python-docx: body paragraphs and tables in order, headers, footers, comments,
text boxes, footnotes, endnotes and tracked changes.

python-docx reads a paragraph's own runs only; text that Word keeps elsewhere is read
from the XML here: runs inside tracked insertions, content controls and fields count
as the paragraph's text; tracked deletions are text too (someone wrote them, and they
stay in the file until the change is accepted), reported apart in section "deleted"
("deleted header", "deleted footnote" ...);
text boxes (section "textbox") are read once, not again from their VML fallback;
footnotes and endnotes come from their own parts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import docx
from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.table import Table
from docx.text.paragraph import Paragraph

from dgp.documents.base import Segment
from dgp.documents.common import cell_ref, comment_segments, metadata_segments
from dgp.documents.containers import check_zip, ooxml_metadata
from dgp.documents.context import ExtractContext

EXTENSIONS = frozenset({".docx"})

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_TEXT_BOX = f"{_W}txbxContent"
# Runs kept in the paragraph but not part of its current text: deleted or moved away.
_NOT_CURRENT = frozenset({f"{_W}del", f"{_W}moveFrom", _TEXT_BOX, _MC_FALLBACK})
_CHARACTERS = {f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}noBreakHyphen": "-"}
_NOTE_PARTS = (("/word/footnotes.xml", "footnote"), ("/word/endnotes.xml", "endnote"))
_NOT_A_NOTE = frozenset({"separator", "continuationSeparator", "continuationNotice"})


class _Blocks(Protocol):
    """Anything holding paragraphs and tables: body, header, footer, cell, comment."""

    def iter_inner_content(self) -> Iterator[Paragraph | Table]: ...


def extract(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    check_zip(path, "DOCX")
    document = docx.Document(str(path))
    yield from metadata_segments(ctx, ooxml_metadata(path, "DOCX"))
    yield from _blocks(document, ctx, section=None)
    yield from _headers_and_footers(document, ctx)
    yield from _text_boxes(document.element.body, ctx)
    yield from _notes(document, ctx)
    yield from comment_segments(ctx, ((c.author, c.text) for c in document.comments))


def paragraph_text(element: Any) -> str:
    """A paragraph's current text: runs, tracked insertions, fields and content controls;
    not deleted runs and not the text boxes anchored in it (read on their own)."""
    parts: list[str] = []
    _collect(element, parts)
    return "".join(parts)


def deleted_text(element: Any) -> str:
    """The text of a paragraph's tracked deletions."""
    parts: list[str] = []
    for node in element.iter(f"{_W}delText"):
        if not _inside(node, element, (_TEXT_BOX, _MC_FALLBACK)):
            parts.append(node.text or "")
    return "".join(parts)


def _collect(element: Any, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if tag == f"{_W}t":
            parts.append(child.text or "")
        elif tag in _CHARACTERS:
            parts.append(_CHARACTERS[tag])
        elif tag not in _NOT_CURRENT and isinstance(tag, str):
            _collect(child, parts)


def _inside(node: Any, stop: Any, tags: tuple[str, ...]) -> bool:
    parent = node.getparent()
    while parent is not None and parent is not stop:
        if parent.tag in tags:
            return True
        parent = parent.getparent()
    return False


def _paragraph(element: Any, ctx: ExtractContext, number: int, **where: Any) -> Iterator[Segment]:
    text = paragraph_text(element)
    if text.strip():
        yield ctx.segment(text, paragraph=number, **where)
    removed = deleted_text(element)
    if removed.strip():
        yield ctx.segment(removed, paragraph=number, **{**where, "section": _deleted(where)})


def _deleted(where: dict[str, Any]) -> str:
    """Section of a tracked deletion: "deleted", or "deleted header", "deleted textbox"."""
    section = where.get("section")
    return f"deleted {section}" if section else "deleted"


def _blocks(container: _Blocks, ctx: ExtractContext, section: str | None) -> Iterator[Segment]:
    """Paragraphs numbered from 1 (empty ones count, as in Word); tables numbered from 1.

    Body tables get section "table"; tables in a header or footer keep that section.
    """
    paragraphs = tables = 0
    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            paragraphs += 1
            yield from _paragraph(block._p, ctx, paragraphs, section=section)
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
            text = "\n".join(paragraph_text(p._p) for p in cell.paragraphs)
            if text.strip():
                yield ctx.segment(text, section=section, table=name, cell=ref)
            removed = "\n".join(deleted_text(p._p) for p in cell.paragraphs).strip()
            if removed:
                yield ctx.segment(removed, section=f"deleted {section}", table=name, cell=ref)
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
                    yield from _text_boxes(part._element, ctx)


def _text_boxes(root: Any, ctx: ExtractContext) -> Iterator[Segment]:
    """Text boxes in document order, their paragraphs numbered from 1 across all of them;
    a box drawn twice (DrawingML and its VML fallback) is read once."""
    number = 0
    for box in root.iter(_TEXT_BOX):
        if _inside(box, root, (_MC_FALLBACK,)):
            continue
        for paragraph in box.iter(f"{_W}p"):
            if _inside(paragraph, box, (_TEXT_BOX,)):  # a box inside this box: its own turn
                continue
            number += 1
            yield from _paragraph(paragraph, ctx, number, section="textbox")


def _notes(document: DocxDocument, ctx: ExtractContext) -> Iterator[Segment]:
    """Footnotes and endnotes: one segment per note, numbered from 1 in file order."""
    parts = {str(part.partname): part for part in document.part.package.iter_parts()}
    for partname, kind in _NOTE_PARTS:
        part = parts.get(partname)
        if part is None:
            continue
        root = parse_xml(part.blob)
        number = 0
        for note in root.iter(f"{_W}{kind}"):
            if note.get(f"{_W}type") in _NOT_A_NOTE:
                continue
            number += 1
            paragraphs = list(note.iter(f"{_W}p"))
            text = "\n".join(paragraph_text(p) for p in paragraphs)
            if text.strip():
                yield ctx.segment(text.strip("\n"), section=kind, paragraph=number)
            removed = "".join(deleted_text(p) for p in paragraphs)
            if removed.strip():
                yield ctx.segment(removed, section=f"deleted {kind}", paragraph=number)
