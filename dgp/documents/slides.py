"""PPTX with python-pptx: text frames, tables, speaker notes and comments, by slide number.

Comments are read from the slide's comments parts, which python-pptx does not model:
the legacy kind (p:cm with p:text, authors in commentAuthors.xml) and the modern one of
2018 (p188:cm with a text body and replies, authors in authors.xml).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import count
from pathlib import Path
from xml.etree import ElementTree

from pptx import Presentation
from pptx.opc.package import Part
from pptx.shapes.base import BaseShape
from pptx.shapes.group import GroupShape
from pptx.table import Table

from dgp.documents.base import Segment
from dgp.documents.common import cell_ref, metadata_segments
from dgp.documents.containers import check_zip, local_name, ooxml_metadata
from dgp.documents.context import ExtractContext

EXTENSIONS = frozenset({".pptx"})
_AUTHOR_PARTS = ("/ppt/commentAuthors.xml", "/ppt/authors.xml")


def extract(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    check_zip(path, "PPTX")
    presentation = Presentation(str(path))
    yield from metadata_segments(ctx, ooxml_metadata(path, "PPTX"))
    authors = _authors(presentation.part.package.iter_parts())
    commenters: dict[str, None] = {}
    for number, slide in enumerate(presentation.slides, start=1):
        ctx.count_page(page=number)
        yield from _shapes(slide.shapes, number, ctx, tables=count(1))
        if slide.has_notes_slide:
            frame = slide.notes_slide.notes_text_frame
            if frame is not None and frame.text.strip():
                yield ctx.segment(_text(frame.text), page=number, section="notes")
        for text, author_id in _comments(slide.part.rels.values()):
            if text.strip():
                yield ctx.segment(text, page=number, section="comment")
            if authors.get(author_id):
                commenters.setdefault(authors[author_id])
    yield from metadata_segments(ctx, [("comment_author", a) for a in commenters])


def _authors(parts: Iterable[Part]) -> dict[str, str]:
    """Comment author ids (a number, or a GUID in the modern kind) to their names."""
    found: dict[str, str] = {}
    for part in parts:
        if str(part.partname) in _AUTHOR_PARTS:
            for element in _parse(part).iter():
                if local_name(element.tag) in ("cmAuthor", "author") and element.get("name"):
                    found[element.get("id") or ""] = element.get("name", "").strip()
    return found


def _comments(rels: Iterable[object]) -> Iterator[tuple[str, str]]:
    """(text, author id) of each comment and reply on a slide."""
    for rel in rels:
        if getattr(rel, "is_external", False) or not str(rel.reltype).endswith("/comments"):
            continue
        for element in _parse(rel.target_part).iter():
            if local_name(element.tag) not in ("cm", "reply"):
                continue
            texts = []
            for child in element:
                if local_name(child.tag) == "text":  # legacy: the text itself
                    texts.append(child.text or "")
                elif local_name(child.tag) == "txBody":  # modern: paragraphs of runs
                    texts.extend(
                        "".join(t.text or "" for t in p.iter() if local_name(t.tag) == "t")
                        for p in child
                        if local_name(p.tag) == "p"
                    )
            yield "\n".join(texts), element.get("authorId") or ""


def _parse(part: Part) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(part.blob)
    except ElementTree.ParseError:  # a broken comments part must not cost the slides' text
        return ElementTree.Element("broken")


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
