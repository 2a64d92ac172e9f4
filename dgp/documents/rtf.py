"""RTF: striprtf for the text, a regex for the author fields in the {\\info} group."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from striprtf.striprtf import rtf_to_text

from dgp.documents.base import ExtractionError, Segment
from dgp.documents.common import metadata_segments
from dgp.documents.context import ExtractContext, LimitReached

EXTENSIONS = frozenset({".rtf"})
MAX_RTF_BYTES = 256 * 1024**2  # RTF with embedded pictures is large; text rarely is
_INFO_FIELDS = {
    "author": "author",
    "operator": "last_modified_by",
    "company": "company",
    "manager": "manager",
}
_INFO = re.compile(rb"\{\\(author|operator|company|manager)\s+([^{}]*)\}")


def extract(path: Path, ctx: ExtractContext) -> Iterator[Segment]:
    with path.open("rb") as handle:
        raw = handle.read(MAX_RTF_BYTES + 1)
    if raw.lstrip()[:5] != b"{\\rtf":
        raise ExtractionError("RTF is corrupt: it does not start with {\\rtf")
    yield from metadata_segments(
        ctx, [(_INFO_FIELDS[m[1].decode()], _plain(m[2])) for m in _INFO.finditer(raw)]
    )
    text = _plain(raw[:MAX_RTF_BYTES])
    if text.strip():
        yield ctx.segment(text, line=1)
    if len(raw) > MAX_RTF_BYTES:
        raise LimitReached(ctx.location())


def _plain(rtf: bytes) -> str:
    # RTF is 7-bit with \'xx escapes: latin-1 maps every byte, striprtf decodes the escapes.
    return rtf_to_text(rtf.decode("latin-1"), encoding="cp1252", errors="replace")
