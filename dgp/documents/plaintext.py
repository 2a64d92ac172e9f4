"""Plain text, and structured text kept as text (JSON, XML, YAML, ...).

One segment per file starting at line 1, so the scanner's line and column
numbers are the file's own; parsing JSON or XML would lose them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from dgp.documents.base import Segment
from dgp.documents.common import label_of
from dgp.documents.context import ExtractContext
from dgp.documents.textcodec import open_text

EXTENSIONS = frozenset(
    {
        ".txt",
        ".text",
        ".md",
        ".markdown",
        ".rst",
        ".log",
        ".json",
        ".jsonl",
        ".ndjson",
        ".xml",
        ".yaml",
        ".yml",
        ".ini",
        ".cfg",
        ".conf",
        ".properties",
        ".toml",
        ".sql",
        ".html",
        ".htm",
    }
)


def extract(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    with open_text(path, label_of(path)) as handle:
        # One character more than allowed, so the registry sees the overflow
        # and says "truncated"; never the whole of a huge file.
        text = handle.read(ctx.limits.max_text_chars + 1)
    if text:
        yield ctx.segment(text, line=1)
