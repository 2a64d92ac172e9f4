"""Per-file state shared by all extractors: where we are and how much is left.

Limits live here, not in the format modules, so every format stops the same
way: an extractor counts pages and cells through the context, and the
registry turns `LimitReached` into one "truncated" notice.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from dgp.documents.base import ExtractLimits, Segment, TimeLimit
from dgp.domain.finding import Location

MAX_HEADER_CHARS = 60
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
MAX_NESTING = 3  # mail in mail in mail: deeper attachments are skipped


class LimitReached(Exception):
    """Raised by a counter when the file used up its budget."""

    def __init__(self, location: Location) -> None:
        super().__init__("limit reached")
        self.location = location


@dataclass
class _Counters:
    pages: int = 0
    cells: int = 0


@dataclass
class ExtractContext:
    """What an extractor needs besides the file: display path, limits, counters.

    Attachments get a child context with their own display path but the same
    counters, so a mail with many attachments cannot exceed the file's budget.
    """

    display_path: str
    limits: ExtractLimits = field(default_factory=ExtractLimits)
    depth: int = 0
    counters: _Counters = field(default_factory=_Counters)
    deadline: float | None = None  # time.monotonic() at which the scan's time is up

    def location(self, **fields: Any) -> Location:
        return Location(path=self.display_path, **fields)

    headers: dict[tuple[Any, ...], str] = field(default_factory=dict)

    def segment(self, text: str, **fields: Any) -> Segment:
        return Segment(
            text=text, location=self.location(**fields), context=self._header(text, fields)
        )

    def _header(self, text: str, fields: dict[str, Any]) -> str:
        """A table cell's column header (its row-1 cell), the context of the cells below it."""
        ref = fields.get("cell")
        if not ref:
            return ""
        match = _CELL_REF.fullmatch(ref)
        if match is None:
            return ""
        letters, row = match.group(1), int(match.group(2))
        key = (fields.get("page"), fields.get("sheet"), fields.get("table"), letters)
        if row == 1:
            self.headers[key] = " ".join(text.split())[:MAX_HEADER_CHARS]
            return ""
        return self.headers.get(key, "")

    def notice(self, name: str, text: str = "", **fields: Any) -> Segment:
        return Segment(text=text, location=self.location(**fields), kind="notice", field=name)

    def remaining(self) -> float:
        """Seconds left before the deadline (inf without one); TimeLimit once it passed."""
        if self.deadline is None:
            return float("inf")
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeLimit(self.display_path)
        return left

    def check_time(self) -> None:
        """Called between pages, cells and images: work that yields no text (5,000 empty
        pages) still stops at the scan's time limit."""
        self.remaining()

    def count_page(self, **fields: Any) -> None:
        self.check_time()
        self.counters.pages += 1
        if self.counters.pages > self.limits.max_pages:
            raise LimitReached(self.location(**fields))

    def count_cell(self, **fields: Any) -> None:
        if self.counters.cells % 1024 == 0:
            self.check_time()
        self.counters.cells += 1
        if self.counters.cells > self.limits.max_cells:
            raise LimitReached(self.location(**fields))

    def child(self, display_path: str) -> ExtractContext:
        return ExtractContext(
            display_path, self.limits, self.depth + 1, self.counters, deadline=self.deadline
        )
