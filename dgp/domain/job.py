"""The job contract between the plumbing and the scanner kinds.

A kind's implementation is a function `scan(job, inputs) -> ScanResult`. The
plumbing (worker, CLI) builds the job and its inputs and stores the result; it
never imports scanner code, and scanner code never imports the plumbing.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dgp.domain.baseline import Baseline
from dgp.domain.credential import Credential
from dgp.domain.evidence import ValueHasher
from dgp.domain.finding import Finding
from dgp.domain.options import ScanOptions
from dgp.domain.scan import Scan

Progress = Callable[[int, str], None]
# Takes a scan's findings a page at a time, in report order, as the scan goes; the
# scanner keeps none of them (dgp.scanners.session).
PageSink = Callable[[Sequence[Finding]], None]
MAX_ARTEFACT_BYTES = 64 * 1024 * 1024  # one artefact (a report, a redacted image), stored
MAX_ARTEFACT_NAME_BYTES = 200  # below every file system's 255, as upload names
# folders: a name becomes a file name (and, printable only, a header value)
_NOT_IN_NAMES = re.compile(r"[/\\]")
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
# type/subtype, with parameters such as "; charset=utf-8" (RFC 6838): no room for a
# line break or a quote in the Content-Type header it becomes
_MEDIA_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}(?:; ?[A-Za-z0-9_.-]+=[A-Za-z0-9_.-]+)*")


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "options": self.options.to_dict(),
            "scan_id": self.scan_id,
            "organisation": self.organisation,
            "created_by": self.created_by,
            "baseline": self.baseline.to_dict() if self.baseline is not None else None,
            "questionnaire": self.questionnaire,
            "scan_ids": list(self.scan_ids),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], options: type[ScanOptions] = ScanOptions) -> ScanJob:
        """The inverse of to_dict, with the options parsed as the kind's `options` type."""
        baseline = data.get("baseline")
        return cls(
            kind=str(data["kind"]),
            target=str(data["target"]),
            options=options.from_dict(data.get("options") or {}),
            scan_id=str(data["scan_id"]),
            organisation=str(data.get("organisation", "local")),
            created_by=str(data.get("created_by", "cli")),
            baseline=Baseline.from_dict(baseline) if baseline is not None else None,
            questionnaire=data.get("questionnaire"),
            scan_ids=tuple(map(str, data.get("scan_ids") or ())),
        )


@dataclass
class ScanInputs:
    """What the plumbing hands a scanner besides the job."""

    hash_key: bytes
    progress: Progress | None = None
    upload: Path | None = None  # an uploaded file or archive, scanned in place of the target
    credential: Credential | None = None  # decrypted for this scan; never log or store it
    # the earlier scans named by job.scan_ids that still exist, in that order (a report's)
    scans: tuple[Scan, ...] = ()
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
        if (
            self.name in ("", ".", "..")
            or _NOT_IN_NAMES.search(self.name)
            or len(self.name.encode("utf-8", "replace")) > MAX_ARTEFACT_NAME_BYTES
            or not self.name.isprintable()  # also lone surrogates, which UTF-8 cannot hold
        ):
            raise ValueError(f"an artefact name is a plain file name, not {self.name!r}")
        if not _MEDIA_TYPE.fullmatch(self.media_type):
            raise ValueError(f"artefact {self.name}: not a media type: {self.media_type!r}")
        if len(self.data) > MAX_ARTEFACT_BYTES:
            raise ValueError(
                f"artefact {self.name} is {len(self.data)} bytes; at most {MAX_ARTEFACT_BYTES}"
            )

    def to_dict(self) -> dict[str, str]:
        data = base64.b64encode(self.data).decode("ascii")
        return {"name": self.name, "media_type": self.media_type, "data": data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Artefact:
        payload = base64.b64decode(str(data["data"]), validate=True)
        return cls(str(data["name"]), str(data["media_type"]), payload)


class ArtefactsTooLarge(ValueError):
    """A scan made more artefact bytes than this installation stores: the scan fails
    with this as its reason (retrying would make the same)."""


def check_artefacts(artefacts: list[Artefact], max_each: int, max_total: int) -> None:
    """The limits of what one scan may store (settings artefact_max_bytes and
    scan_artefacts_max_bytes); names must differ, as files in one folder."""
    names: set[str] = set()
    for artefact in artefacts:
        if artefact.name in names:
            raise ValueError(f"the scan made two artefacts named {artefact.name}")
        names.add(artefact.name)
        if len(artefact.data) > max_each:
            raise ArtefactsTooLarge(
                f"artefact {artefact.name} is {len(artefact.data)} bytes; this server "
                f"stores at most {max_each} bytes per artefact"
            )
    total = sum(len(a.data) for a in artefacts)
    if total > max_total:
        raise ArtefactsTooLarge(
            f"the scan's {len(artefacts)} artefacts are {total} bytes together; this server "
            f"stores at most {max_total} bytes per scan"
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
