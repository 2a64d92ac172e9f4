"""Machine-readable zones of passports and ID cards (ICAO Doc 9303): finding the lines
in OCR text, parsing TD1, TD2 and TD3, and checking every check digit.

Our own parser rather than a library: the format is small and fixed, the check digit
is one formula, and OCR text needs its own clean-up first (Tesseract reads "<<" as
"«" and may put spaces in a line). Tested against ICAO 9303's specimen documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dgp.engine.validators import is_bsn

_WEIGHTS = (7, 3, 1)
_LINE = re.compile(r"^[A-Z0-9<]{28,46}$")
# (format, lines, characters a line)
FORMATS = (("TD3", 2, 44), ("TD2", 2, 36), ("TD1", 3, 30))


def char_value(c: str) -> int:
    if c.isdigit():
        return int(c)
    if "A" <= c <= "Z":
        return ord(c) - ord("A") + 10
    if c == "<":
        return 0
    raise ValueError(f"not an MRZ character: {c!r}")


def check_digit(field_text: str) -> str:
    """ICAO 9303 part 3, 4.9: weights 7, 3, 1 repeating, sum modulo 10."""
    total = sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field_text))
    return str(total % 10)


def _holds(field_text: str, digit: str) -> bool:
    """A check digit holds; '<' stands for 0 where the field is empty (optional data)."""
    if digit == "<":
        return set(field_text) <= {"<"}
    return digit.isdigit() and check_digit(field_text) == digit


@dataclass
class Mrz:
    format: str  # TD1, TD2 or TD3
    lines: tuple[str, ...]
    first_line: int  # index of its first line among the candidate lines
    document_type: str
    issuer: str
    document_number: str
    nationality: str
    failed: list[str] = field(default_factory=list)  # the fields whose check digit fails
    optional_data: str = ""

    @property
    def valid(self) -> bool:
        return not self.failed

    @property
    def dutch(self) -> bool:
        return "NLD" in (self.issuer, self.nationality)

    def bsn(self) -> str | None:
        """The BSN in the optional data of a Dutch document (older passports and ID cards
        carry it there), when it passes the 11-proef."""
        if not self.dutch:
            return None
        for run in re.findall(r"\d{9}", self.optional_data):
            if is_bsn(run):
                return str(run)
        return None


def clean_line(line: str) -> str:
    """An OCR line as MRZ characters: no spaces, '«' as '<<', upper case."""
    text = line.upper().replace("«", "<<").replace("‹", "<").replace(" ", "")
    return text.strip()


def candidate_lines(text: str) -> list[str]:
    return [c for c in (clean_line(line) for line in text.split("\n")) if _LINE.match(c)]


def is_candidate(line: str) -> bool:
    """A cleaned line that may be an MRZ line (its characters and length)."""
    return _LINE.match(line) is not None


def find(text: str) -> list[Mrz]:
    """Every MRZ in `text` (OCR lines), valid or not, without overlaps."""
    return parse_lines(candidate_lines(text))


def parse_lines(lines: list[str]) -> list[Mrz]:
    """Every MRZ among candidate lines (cleaned, in order); `first_line` indexes them."""
    found: list[Mrz] = []
    i = 0
    while i < len(lines):
        parsed = _parse_at(lines, i)
        if parsed is not None:
            found.append(parsed)
            i += len(parsed.lines)
        else:
            i += 1
    return found


def _fit(line: str, length: int, names: bool = False) -> str | None:
    """The line at its format's length: filler lost at the end is put back (OCR drops
    runs of '<'; a line that ends in filler, or the names line, has no check digit
    there)."""
    if len(line) == length:
        return line
    if len(line) < length and (names or line.endswith("<")):
        return line.ljust(length, "<")
    return None


def _parse_at(lines: list[str], i: int) -> Mrz | None:
    for name, count, length in FORMATS:
        names_line = 2 if name == "TD1" else 0
        group = [
            _fit(line, length, names=n == names_line) for n, line in enumerate(lines[i : i + count])
        ]
        if len(group) < count or any(g is None for g in group):
            continue
        fitted = tuple(g for g in group if g is not None)
        parse = _td1 if name == "TD1" else _td23
        try:
            mrz = parse(name, fitted, i)
        except ValueError:  # a character that cannot be in an MRZ
            continue
        if mrz is not None:
            return mrz
    return None


def _plausible_head(line: str) -> bool:
    """The document code (P, I, A, C, V + one more) and a three-letter issuer."""
    return line[0] in "PIACV" and re.fullmatch(r"[A-Z<]{3}", line[2:5]) is not None


def _td23(name: str, lines: tuple[str, ...], first: int) -> Mrz | None:
    top, bottom = lines
    if not _plausible_head(top) or not re.fullmatch(r"[0-9<]{6}", bottom[13:19]):
        return None
    composite_end = 43 if name == "TD3" else 35
    optional_end = 42 if name == "TD3" else 35
    checks = {
        "document number": (bottom[0:9], bottom[9]),
        "date of birth": (bottom[13:19], bottom[19]),
        "date of expiry": (bottom[21:27], bottom[27]),
        "composite": (
            bottom[0:10] + bottom[13:20] + bottom[21:composite_end],
            bottom[composite_end],
        ),
    }
    if name == "TD3":
        checks["personal number"] = (bottom[28:42], bottom[42])
    return Mrz(
        format=name,
        lines=lines,
        first_line=first,
        document_type=top[0:2].rstrip("<"),
        issuer=top[2:5],
        document_number=bottom[0:9].rstrip("<"),
        nationality=bottom[10:13],
        failed=[what for what, (text, digit) in checks.items() if not _holds(text, digit)],
        optional_data=bottom[28:optional_end],
    )


def _td1(name: str, lines: tuple[str, ...], first: int) -> Mrz | None:
    top, middle, _names = lines
    if not _plausible_head(top) or not re.fullmatch(r"[0-9<]{6}", middle[0:6]):
        return None
    checks = {
        "document number": (top[5:14], top[14]),
        "date of birth": (middle[0:6], middle[6]),
        "date of expiry": (middle[8:14], middle[14]),
        "composite": (top[5:30] + middle[0:7] + middle[8:15] + middle[18:29], middle[29]),
    }
    return Mrz(
        format=name,
        lines=lines,
        first_line=first,
        document_type=top[0:2].rstrip("<"),
        issuer=top[2:5],
        document_number=top[5:14].rstrip("<"),
        nationality=middle[15:18],
        failed=[what for what, (text, digit) in checks.items() if not _holds(text, digit)],
        optional_data=top[15:30] + middle[18:29],
    )
