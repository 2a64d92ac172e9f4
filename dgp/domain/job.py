"""The job contract between the plumbing and the scanner kinds.

A kind's implementation is a function `scan(job, inputs) -> ScanResult`. The
plumbing (worker, CLI) builds the job and its inputs and stores the result; it
never imports scanner code, and scanner code never imports the plumbing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dgp.domain.baseline import Baseline
from dgp.domain.evidence import ValueHasher
from dgp.domain.finding import Finding
from dgp.domain.options import ScanOptions
from dgp.domain.scan import Scan

Progress = Callable[[int, str], None]
# Takes a scan's findings a page at a time, in report order, as the scan goes; the
# scanner keeps none of them (dgp.scanners.session).
PageSink = Callable[[Sequence[Finding]], None]
MAX_ARTEFACT_BYTES = 64 * 1024 * 1024  # one artefact (a report, a redacted image), stored


@dataclass
class ScanJob:
    """What to scan. `target` is a path, URL or archive; never put a secret in it.

    Kinds that take no target read `questionnaire` (DPIA) or `scan_ids` (report).
    """

    kind: str
    target: str
    options: ScanOptions
    scan_id: str = ""
    organisation: str = "local"
    created_by: str = "cli"
    baseline: Baseline | None = None
    questionnaire: dict[str, Any] | None = None
    scan_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.scan_id:
            self.scan_id = str(uuid.uuid4())


@dataclass
class ScanInputs:
    """What the plumbing hands a scanner besides the job."""

    hash_key: bytes
    progress: Progress | None = None
    upload: Path | None = None  # an uploaded file or archive, scanned in place of the target
    pages: PageSink | None = None  # streamed findings go here; None: all in the ScanResult

    def hasher(self) -> ValueHasher:
        return ValueHasher(self.hash_key)


@dataclass(frozen=True)
class Artefact:
    """A file a scan produces besides findings: a report, a redacted image, a screenshot,
    a data map. Stored with the scan (size-limited) and downloadable like it."""

    name: str  # a file name, no folders: "redacted-page-1.png"
    media_type: str
    data: bytes

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name or "\\" in self.name or self.name in (".", ".."):
            raise ValueError(f"an artefact name is a plain file name, not {self.name!r}")
        if len(self.data) > MAX_ARTEFACT_BYTES:
            raise ValueError(
                f"artefact {self.name} is {len(self.data)} bytes; at most {MAX_ARTEFACT_BYTES}"
            )


@dataclass
class ScanResult:
    """A finished scan. `findings` are those not handed on in pages before: all of them
    when nothing took pages; `handed_on` counts the others (the scan's stats count all)."""

    scan: Scan
    findings: list[Finding]
    artefacts: list[Artefact] = field(default_factory=list)
    handed_on: int = 0


class ScanInputError(ValueError):
    """The target cannot be scanned (missing, wrong type, refused). Shown to the user as is."""


class TargetUnavailable(ScanInputError):
    """The target's host did not answer: maybe only for now. The services count these per
    host in a circuit breaker; `host` names it."""

    def __init__(self, message: str, host: str) -> None:
        super().__init__(message)
        self.host = host
