"""Undoing Tesseract's usual misreadings of identifiers, before the engine reads the words.

OCR confuses O with 0 and l, I or | with 1, splits a long token where glyphs stand
apart ("NL91ABNA041 7164300", "465807 768"), and breaks e-mail addresses at "@", at a
"." or "_" it reads as a gap, and at line ends. The engine's checks then fail on a real
value. Each fix here is narrow so that precision stays: look-alikes are changed only
inside tokens that are already number-shaped, an IBAN is rewritten only when the
rewritten form passes its mod-97 checksum, split digits are joined only closer than a
word space and into a BSN that passes the 11-proef, and tokens are joined only where an
e-mail address's own characters ("@", ".", "_", "-") stand at the split. Words keep
their boxes: a joined word's box is the union of its parts (in a redacted copy, at
worst a little more is blacked out).
"""

from __future__ import annotations

import re
from dataclasses import replace

from dgp.documents.ocr import OcrWord
from dgp.engine import validators
from dgp.scanners.image.ocrtext import union

# look-alikes of digits in a token that is otherwise a number ("O6 12345678", "l2-03-2024")
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1"})
_NUMBER_SHAPE = re.compile(r"[0-9Ool|I+()./-]+")
# in an IBAN each position's class is known, so the checksum decides among more look-alikes
_TO_DIGIT = str.maketrans(
    {
        **{c: "0" for c in "OoDQU"},
        **{c: "1" for c in "lI|iL!"},
        **{c: "2" for c in "Zz"},
        **{c: "5" for c in "Ss"},
        **{c: "6" for c in "Gb"},
        "T": "7",
        "B": "8",
        **{c: "9" for c in "gq"},
    }
)
_TO_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B"})
TRAILING = ".,;:)"
_IBAN_CHARS = re.compile(r"[A-Za-z0-9|!]+")
_LOCAL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]*")
DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}")
_JOINERS = "._-+"
_COMMAS = ",\u201a"  # a comma, a low quotation mark: how OCR reads a dot at small sizes
MAX_IBAN_WORDS = 8  # an IBAN in groups of four: at most 9 groups, seldom more than 8 words


def correct(words: list[OcrWord]) -> list[OcrWord]:
    """The words with split IBANs and e-mail addresses joined and look-alike characters in
    numbers replaced; everything else as Tesseract read it."""
    return join_bsns([_digits(w) for w in join_emails(join_ibans(words))])


def _digits(word: OcrWord) -> OcrWord:
    """O/o as 0 and l/I/| as 1 in a token of digits that has at least as many digits as
    look-alikes ("O6" -> "06", not "IO" or "Ol")."""
    core = word.text.rstrip(TRAILING)
    if not _NUMBER_SHAPE.fullmatch(core):
        return word
    digits = sum(c.isdigit() for c in core)
    lookalikes = sum(c in "OolI|" for c in core)
    if not lookalikes or digits < lookalikes:
        return word
    return replace(word, text=core.translate(_DIGIT_LOOKALIKES) + word.text[len(core) :])


def join_bsns(words: list[OcrWord]) -> list[OcrWord]:
    """Two runs of digits that OCR split inside a BSN ("465807 768"), joined when they
    stand closer than a word space (less than half the text height apart) and together
    pass the 11-proef; the engine's context words still decide whether it is reported."""
    out: list[OcrWord] = []
    for word in words:
        if out and _split_bsn(out[-1], word):
            out[-1] = merged([out[-1], word], out[-1].text + word.text)
        else:
            out.append(word)
    return out


def _split_bsn(before: OcrWord, word: OcrWord) -> bool:
    if before.line != word.line or not (before.text.isdigit() and word.text.isdigit()):
        return False
    height = max(before.box[3] - before.box[1], word.box[3] - word.box[1])
    close = word.box[0] - before.box[2] < height / 2
    joined = before.text + word.text
    return close and len(joined) == 9 and validators.is_bsn(joined)


def iban_reading(text: str) -> str | None:
    """The IBAN that `text` (one or more OCR tokens, spaces ignored) reads as once each
    position's look-alikes are replaced by its class (digit or letter); None unless that
    reading has the country's length and passes the checksum."""
    compact = re.sub(r"\s", "", text)
    country = compact[:2].upper().translate(_TO_LETTER)
    shape = validators.IBAN_SHAPES.get(country)
    if shape is None or len(compact) != len(shape):
        return None
    fixed = []
    for c, kind in zip(compact, shape, strict=True):
        if kind == "n":
            fixed.append(c.translate(_TO_DIGIT))
        elif kind == "a":
            fixed.append(c.upper().translate(_TO_LETTER))
        else:
            fixed.append(c.upper())
    reading = "".join(fixed)
    return reading if validators.is_iban(reading) else None


def join_ibans(words: list[OcrWord]) -> list[OcrWord]:
    """Words of one line that together read as a valid IBAN only after joining or
    look-alike replacement, as one word holding that IBAN. An IBAN that is valid as read
    (compact, or in groups the engine reads) is left alone."""
    out: list[OcrWord] = []
    i = 0
    while i < len(words):
        found = _iban_at(words, i)
        if found is None:
            out.append(words[i])
            i += 1
            continue
        end, reading, tail = found
        out.append(merged(words[i:end], reading + tail))
        i = end
    return out


def _iban_at(words: list[OcrWord], i: int) -> tuple[int, str, str] | None:
    """(end, IBAN, trailing punctuation) when words[i:end] form a misread IBAN."""
    if not words[i].text[:1].isalpha():
        return None
    compact, length = "", 0
    for end in range(i, min(len(words), i + MAX_IBAN_WORDS)):
        if words[end].line != words[i].line:
            return None
        token = words[end].text
        core = token.rstrip(TRAILING)
        if not _IBAN_CHARS.fullmatch(core):
            return None
        compact += core
        if not length and len(compact) >= 2:
            length = validators.IBAN_LENGTHS.get(compact[:2].upper().translate(_TO_LETTER), 0)
            if not length:
                return None
        if length and len(compact) > length:
            return None
        if len(compact) == length:
            joined = " ".join(w.text for w in words[i:end]) + " " + core
            if validators.is_iban(joined):
                return None  # the engine reads it as it is
            reading = iban_reading(compact)
            return (end + 1, reading, token[len(core) :]) if reading else None
        if core != token:
            return None  # punctuation ends the run before the IBAN is complete
    return None


def join_emails(words: list[OcrWord]) -> list[OcrWord]:
    """E-mail addresses that OCR split into two or three words, joined: at "@" ("jan @
    voorbeeld.nl", "jan@" + "voorbeeld.nl"), at a joiner read with a space beside it
    ("jan." + "jansen@voorbeeld.nl", "jan" + "_jansen@..."), and inside a domain that
    is not complete without the next word, on the same line or the next ("jan@voo" +
    "rbeeld.nl", "jan@voorbeeld." + "nl", "jan@voorbeeld" + ",nl")."""
    out: list[OcrWord] = []
    for word in words:
        joined = _email_join(out[-1].text, word.text) if out else None
        if joined is not None:
            out[-1] = merged([out[-1], word], joined)
        elif (
            len(out) >= 2
            and out[-1].text == "@"
            and _LOCAL.fullmatch(out[-2].text)
            and _domain_start(word.text)
        ):
            out[-2:] = [merged([out[-2], out[-1], word], out[-2].text + "@" + word.text)]
        else:
            out.append(word)
    return out


def _email_join(left: str, right: str) -> str | None:
    """`left` and `right` as one e-mail address when `right` is the rest of the address
    that `left` starts; else None."""
    if "@" not in left + right or (left + right).count("@") != 1:
        return None
    if left.endswith("@"):  # "jan@" | "voorbeeld.nl"
        whole = _LOCAL.fullmatch(left[:-1]) and _domain_start(right)
        return left + right if whole else None
    if right.startswith("@"):  # "jan" | "@voorbeeld.nl"
        whole = _LOCAL.fullmatch(left) and _domain_start(right[1:])
        return left + right if whole else None
    if "@" in right:  # "jan." | "jansen@voorbeeld.nl", "jan" | "_jansen@..."
        local = right.split("@", 1)[0]
        glued = left.endswith(tuple(_JOINERS)) or local.startswith(tuple(_JOINERS))
        whole = glued and _LOCAL.fullmatch(left) and _LOCAL.fullmatch(left + local)
        return left + right if whole else None
    # "jan@voo" | "rbeeld.nl", "jan@voorbeeld." | "nl", "jan@voorbeeld" | ",nl" (a dot
    # read as a comma): the address is not complete without the next word
    local, _, domain = left.partition("@")
    if right[:1] in _COMMAS:
        right = "." + right[1:]
    tail = right.rstrip(TRAILING)
    whole = (
        _LOCAL.fullmatch(local)
        and not DOMAIN.fullmatch(domain.rstrip(".-"))
        and DOMAIN.fullmatch(domain + tail)
    )
    return left + right if whole else None


def _domain_start(text: str) -> bool:
    """A domain name (with its top-level domain), then perhaps punctuation."""
    return bool(DOMAIN.fullmatch(text.rstrip(TRAILING)))


def merged(parts: list[OcrWord], text: str) -> OcrWord:
    """One word with `text` where `parts` were read, over all of their boxes."""
    box = union([w.box for w in parts])
    return OcrWord(text, box, parts[0].line, min(w.confidence for w in parts))
