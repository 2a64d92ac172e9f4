"""A second, narrower look at the few places where the page's OCR looks like an identifier
that it did not read whole.

Tesseract reading a full page with Dutch and English models drops underscores and turns
"@" into "a" at small sizes ("pieter meijer@kpn.nl", "lotte66agemeente-utrecht.nl"),
and an IBAN may come out a character long or short. The same words cut out, enlarged
and read again as one line with only the characters the field can hold (English model,
a whitelist) usually come out right. A re-read replaces the first reading only when it
is the same value made whole: an address with the same domain whose local part extends
the words read before it, an "@" where a look-alike stood, an IBAN whose checksum holds.
A page gets at most MAX_REREADS of them, within its OCR time limit.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from PIL import Image

from dgp.documents.ocr import OcrWord, ocr_words
from dgp.engine import validators
from dgp.scanners.image import ocrfix
from dgp.scanners.image.ocrtext import union

MAX_REREADS = 8
REREAD_LINE_HEIGHT = 48  # pixels: the cut-out is enlarged to about this text height
MAX_REREAD_SCALE = 4.0
EMAIL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-@"
IBAN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
EMAIL_LABEL = re.compile(r"e-?mail", re.IGNORECASE)
_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"
)
_LOCAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*")
_AT_LOOKALIKES = "a@©&®Q"


@dataclass(frozen=True)
class _Candidate:
    first: int  # words[first:end] are read again
    end: int
    whitelist: str


def improve(image: Image.Image, words: list[OcrWord], timeout: float) -> list[OcrWord]:
    """The words with each candidate place read again where that makes its value whole."""
    deadline = time.monotonic() + timeout
    out: list[OcrWord] = []
    i, rereads = 0, 0
    while i < len(words):
        candidate = _candidate(words, i)
        left = deadline - time.monotonic()
        if candidate is None or rereads >= MAX_REREADS or left <= 0:
            out.append(words[i])
            i += 1
            continue
        rereads += 1
        parts = words[candidate.first : candidate.end]
        better = None
        for scale in _scales(parts, candidate.whitelist):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            text = _read_again(image, parts, candidate.whitelist, left, scale)
            better = _accepted(parts, text, candidate.whitelist)
            if better is not None:
                break
        if better is None:
            out.append(words[i])
            i += 1
            continue
        out.append(ocrfix.merged(parts, better))
        i = candidate.end
    return out


def _candidate(words: list[OcrWord], i: int) -> _Candidate | None:
    word = words[i]
    nxt = words[i + 1] if i + 1 < len(words) and words[i + 1].line == word.line else None
    # a local-part-shaped word right before an address: a joiner may have been lost
    if nxt is not None and "@" in nxt.text and "@" not in word.text and _LOCAL.fullmatch(word.text):
        return _Candidate(i, i + 2, EMAIL_CHARS)
    # a domain-shaped word after an e-mail label, without its "@"
    before = words[i - 1] if i > 0 and words[i - 1].line == word.line else None
    if (
        before is not None
        and EMAIL_LABEL.search(before.text)
        and _at_misread(word.text.rstrip(ocrfix.TRAILING))
    ):
        return _Candidate(i, i + 1, EMAIL_CHARS)
    end = _iban_like(words, i)
    return _Candidate(i, end, IBAN_CHARS) if end else None


def _at_misread(text: str) -> bool:
    """Whether an "@" in place of one look-alike would make `text` an e-mail address."""
    return "@" not in text and any(
        _EMAIL.fullmatch(text[:k] + "@" + text[k + 1 :])
        for k, c in enumerate(text)
        if c in _AT_LOOKALIKES
    )


def _iban_like(words: list[OcrWord], i: int) -> int:
    """The end of a run of words from i that starts like an IBAN and is within two
    characters of its country's length but does not validate; 0 when there is none."""
    first = words[i].text
    length = validators.IBAN_LENGTHS.get(first[:2].upper())
    if length is None or not first[2:4].isdigit():
        return 0
    compact, end = "", i
    while end < len(words) and words[end].line == words[i].line and end - i < ocrfix.MAX_IBAN_WORDS:
        core = words[end].text.rstrip(ocrfix.TRAILING)
        if not core.isalnum() or len(compact + core) > length + 2:
            break
        compact += core
        end += 1
    if abs(len(compact) - length) > 2 or validators.is_iban(compact):
        return 0
    return end


def _scales(parts: list[OcrWord], whitelist: str) -> list[float]:
    """The enlargements to read at: to about REREAD_LINE_HEIGHT; for an IBAN, whose
    checksum tells a right reading, then also as it is (Tesseract misreads a few glyphs
    at one scale and not at the other)."""
    height = max(1, max(w.box[3] for w in parts) - min(w.box[1] for w in parts))
    scale = min(MAX_REREAD_SCALE, max(1.0, REREAD_LINE_HEIGHT / height))
    if scale <= 1.05:
        return [1.0]
    return [scale, 1.0] if whitelist == IBAN_CHARS else [scale]


def _read_again(
    image: Image.Image, parts: list[OcrWord], whitelist: str, timeout: float, scale: float
) -> str:
    """The text Tesseract reads in the parts' box (padded), enlarged by `scale`, as one
    line of only `whitelist`'s characters; "" when that fails."""
    box = union([w.box for w in parts])
    pad = max(1, box[3] - box[1]) // 2
    side = pad // 2  # less to the sides: the neighbouring words' marks stay out
    crop = image.crop(
        (max(0, box[0] - side), max(0, box[1] - pad), box[2] + side, box[3] + pad)
    ).convert("L")
    if scale > 1.0:
        size = (round(crop.width * scale), round(crop.height * scale))
        crop = crop.resize(size, Image.Resampling.LANCZOS)
    config = f"--psm 7 -c tessedit_char_whitelist={whitelist}"
    try:
        found = ocr_words(crop, timeout=timeout, languages="eng", config=config)
    except Exception:  # a failed second look keeps the first reading
        return ""
    return " ".join(w.text for w in found)


def _accepted(parts: list[OcrWord], text: str, whitelist: str) -> str | None:
    """The first reading made whole by the re-read `text`, else None. Letter case and
    every character the two readings share come from the first reading; the re-read
    gives only what was missing (a joiner, the "@") or, for an IBAN, the whole value,
    which its checksum then vouches for."""
    if whitelist == IBAN_CHARS:
        return ocrfix.iban_reading(text)
    # a mark of a neighbouring word at the cut-out's edge reads as a leading "-" or "."
    tokens = [t.lstrip("._%+-") for t in text.split() if "@" in t]
    if len(tokens) != 1 or not _EMAIL.fullmatch(tokens[0]):
        return None
    found = tokens[0].lower()
    if len(parts) == 2:  # "pieter" + "meijer@kpn.nl" -> "pieter_meijer@kpn.nl"
        before, after = parts[0].text, parts[1].text
        address = after.rstrip(ocrfix.TRAILING)
        local = found.partition("@")[0]
        whole = len(local) >= len(before) + len(address.partition("@")[0])
        if not (whole and local.startswith(before.lower()) and found.endswith(address.lower())):
            return None
        middle = found[len(before) : len(found) - len(address)]
        return before + middle + after if middle in ("", ".", "_", "-") else None
    old = parts[0].text.rstrip(ocrfix.TRAILING)  # "lotte66agemeente-utrecht.nl"
    tail = found[len(found) - len(old) :]  # a stray mark before the cut-out word dropped
    differ = [i for i, (a, b) in enumerate(zip(old.lower(), tail, strict=False)) if a != b]
    if len(tail) != len(old) or len(differ) != 1 or tail[differ[0]] != "@":
        return None
    at = differ[0]
    return old[:at] + "@" + parts[0].text[at + 1 :]
