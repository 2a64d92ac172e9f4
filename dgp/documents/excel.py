"""XLSX/XLSM with openpyxl in read-only mode: every cell of every sheet, values not formulas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl

from dgp.documents.base import Segment
from dgp.documents.common import cell_ref, cell_text, label_of, metadata_segments
from dgp.documents.containers import check_zip, ooxml_metadata
from dgp.documents.context import ExtractContext

EXTENSIONS = frozenset({".xlsx", ".xlsm"})


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
