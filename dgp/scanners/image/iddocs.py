"""Dutch identity documents recognised by their printed words and a document number.

A passport or identity card prints its document number (2 letters, 6 letters or
digits, 1 digit; never the letter O); a driving licence prints a 10-digit number
in field 5. The words are matched on OCR text, with the common misreadings of a
scan allowed for (0 for O, 1 or l for I).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dgp.engine.validators import is_nl_document_number

_TITLES = {
    "passport": re.compile(r"\bPAS\s?P[O0]{2}RT\b|\bPASSPORT\b", re.I),
    "identity card": re.compile(r"\b[I1l]DENT[I1l]TE[I1l]TSKAART\b|\bIDENTITY\s+CARD\b", re.I),
    "driving licence": re.compile(r"\bR[I1l]JBEW[I1l]JS\b", re.I),
}
_DOCUMENT_NUMBER = re.compile(r"\b[A-Z]{2}[A-Z0-9]{6}[0-9]\b")
_LICENCE_NUMBER = re.compile(r"\b\d{10}\b")


@dataclass(frozen=True)
class DutchDocument:
    kind: str  # passport, identity card, driving licence
    title_span: tuple[int, int]  # where its title word stands in the text
    number: str
    number_span: tuple[int, int]


def find(text: str) -> DutchDocument | None:
    """The Dutch identity document the text shows, if its title and a number are there."""
    for kind, title in _TITLES.items():
        match = title.search(text)
        if match is None:
            continue
        pattern = _LICENCE_NUMBER if kind == "driving licence" else _DOCUMENT_NUMBER
        for number in pattern.finditer(text):
            value = number.group()
            if kind != "driving licence" and not is_nl_document_number(value):
                continue
            return DutchDocument(kind, match.span(), value, number.span())
    return None
