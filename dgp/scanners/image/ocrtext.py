"""OCR words as text the engine reads, and back from a match to the words' box.

Words of one line are joined by a space, lines by a newline, so the engine sees
the page as a reader does (a label and its value on one line are context), and a
match's character span maps to the union of the boxes of the words it touches.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from dgp.documents.ocr import OcrWord

Box = tuple[int, int, int, int]


@dataclass
class OcrText:
    text: str = ""
    starts: list[int] = field(default_factory=list)  # each word's first character
    ends: list[int] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)

    def box(self, start: int, end: int) -> Box | None:
        """The box around the words that the characters start..end touch."""
        first = max(0, bisect.bisect_right(self.ends, start))
        chosen = []
        for i in range(first, len(self.starts)):
            if self.starts[i] >= end:
                break
            chosen.append(self.boxes[i])
        return union(chosen) if chosen else None

    def line_boxes(self) -> list[tuple[str, Box]]:
        """Each line of the text with its box (MRZ lines, document titles)."""
        result, offset = [], 0
        for line in self.text.split("\n"):
            found = self.box(offset, offset + len(line))
            if found is not None:
                result.append((line, found))
            offset += len(line) + 1
        return result


def union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def layout(words: list[OcrWord]) -> OcrText:
    """The words in Tesseract's reading order as lines of text."""
    out = OcrText()
    parts: list[str] = []
    position, previous = 0, None
    for word in words:
        if previous is not None:
            separator = " " if word.line == previous else "\n"
            parts.append(separator)
            position += 1
        out.starts.append(position)
        parts.append(word.text)
        position += len(word.text)
        out.ends.append(position)
        out.boxes.append(word.box)
        previous = word.line
    out.text = "".join(parts)
    return out
