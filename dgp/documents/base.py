"""The contract between extractors and scanners."""

from __future__ import annotations

from dataclasses import dataclass

from dgp.domain.finding import Location


class ExtractionError(Exception):
    """A file could not be read. `reason` says why in words a user understands."""

    def __init__(self, reason: str, *, encrypted: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.encrypted = encrypted


class TimeLimit(Exception):
    """The scan's time limit passed while a file was being read: the scan stops, keeping
    what the file gave so far. Never turned into an "unreadable file" finding."""


@dataclass(frozen=True)
class ExtractLimits:
    max_text_chars: int = 50_000_000  # text taken out of one file
    max_pages: int = 5_000
    max_cells: int = 5_000_000


@dataclass
class Segment:
    """A run of text and where it came from.

    `kind` is "text" for content and "metadata" for document properties; for
    metadata `field` names the property (author, last_modified_by, ...).
    Line and column of a match are counted inside `text`, starting at
    `location.line` (1 when None). `context` is never scanned for findings
    itself, but its words count as context (a column headed "BSN").
    """

    text: str
    location: Location
    kind: str = "text"
    field: str | None = None
    context: str = ""  # text that frames this one, e.g. a table cell's column header
