"""CSV and TSV: every non-empty field is a segment with its row and A1 cell name."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from dgp.documents.base import ExtractionError, Segment
from dgp.documents.common import cell_ref, label_of
from dgp.documents.context import ExtractContext
from dgp.documents.textcodec import open_text

EXTENSIONS = frozenset({".csv", ".tsv"})
SNIFF_CHARS = 16 * 1024
_DELIMITERS = ",;\t|"  # Dutch Excel writes ";" because "," is the decimal sign
# A field may hold a whole document (an exported mail body, a JSON blob): the csv module's
# default of 128 KiB called such files corrupt. Larger fields are refused with that reason.
MAX_FIELD_CHARS = 16 * 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))


def extract(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    with open_text(path, label_of(path), newline="") as handle:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff(handle.read(SNIFF_CHARS))
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            for row, fields in enumerate(reader, start=1):
                for column, value in enumerate(fields, start=1):
                    ref = cell_ref(row, column)
                    ctx.count_cell(line=row, cell=ref)
                    if value.strip():
                        yield ctx.segment(value, line=row, cell=ref)
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise ExtractionError(
                    f"{label_of(path)} has a field longer than {MAX_FIELD_CHARS} characters "
                    f"(line {reader.line_num}); the rest of the file was not read"
                ) from exc
            raise ExtractionError(
                f"{label_of(path)} is not valid CSV at line {reader.line_num}"
            ) from exc


def _sniff(sample: str) -> str:
    """The delimiter of a CSV; "," when the sample does not tell."""
    if "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # a cut-off last row confuses the sniffer
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","
