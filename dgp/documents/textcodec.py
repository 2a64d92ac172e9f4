"""Guessing how a text file is encoded, and refusing files that are not text.

Dutch office exports are utf-8 or Windows-1252; latin-1 decodes anything, so
it is the last resort and decoding never fails.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import TextIO

from dgp.documents.base import ExtractionError
from dgp.documents.containers import read_head

SNIFF_BYTES = 64 * 1024
_UNICODE_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: FF FE 00 00 starts with FF FE
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v\x1b")
# Every byte but the control characters that text does not hold.
_NOT_CONTROLS = bytes(b for b in range(256) if b >= 0x20 or b in _TEXT_CONTROLS)


def bom_encoding(sample: bytes) -> str | None:
    for bom, encoding in _UNICODE_BOMS:
        if sample.startswith(bom):
            return encoding
    return None


def utf16_without_bom(sample: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" for UTF-16 text written without a byte order mark.

    Text in Latin script has a NUL as the high byte of nearly every character, so
    one of the two byte positions is almost all NULs and the other almost none;
    the sample must then decode as UTF-16 into text without many controls.
    """
    if len(sample) < 8:
        return None
    low, high = sample[0::2], sample[1::2]
    nul_low, nul_high = low.count(0) / len(low), high.count(0) / len(high)
    if nul_high >= 0.7 and nul_low <= 0.05:
        encoding = "utf-16-le"
    elif nul_low >= 0.7 and nul_high <= 0.05:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return None
    controls = sum(1 for c in text if c < " " and c not in "\t\n\r\f\v")
    return encoding if controls <= len(text) // 20 else None


def looks_binary(sample: bytes) -> bool:
    """NUL bytes or many control characters: an executable, image or archive."""
    if bom_encoding(sample) in ("utf-16", "utf-32") or utf16_without_bom(sample):
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample.translate(None, _NOT_CONTROLS))  # the control bytes that are left
    return controls > len(sample) // 10


def sniff_encoding(sample: bytes) -> str:
    found = bom_encoding(sample) or utf16_without_bom(sample)
    if found:
        return found
    try:
        # final=False: the sample may end inside a multi-byte character.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def decode(data: bytes) -> str:
    """Bytes of a text file as text, with the encoding its start suggests."""
    return data.decode(sniff_encoding(data[:SNIFF_BYTES]), errors="replace")


def open_text(path: Path, label: str, newline: str | None = None) -> TextIO:
    """Open a text file for streaming with a guessed encoding; refuse binary files."""
    sample = read_head(path, SNIFF_BYTES)
    if looks_binary(sample):
        raise ExtractionError(f"{label} looks binary, not text")
    return path.open(encoding=sniff_encoding(sample), errors="replace", newline=newline)
