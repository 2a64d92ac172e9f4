"""A scan: one run of one scanner kind over one target."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from dgp.domain.severity import Severity


class ScanStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    DEGRADED = "degraded"
    CANCELLED = "cancelled"


@dataclass
class ScanStats:
    items_scanned: int = 0
    items_skipped: int = 0
    suppressed: int = 0  # findings hidden by a baseline
    bytes_scanned: int = 0
    findings_by_severity: dict[str, int] = field(
        default_factory=lambda: {s.value: 0 for s in reversed(Severity)}
    )
    truncated: bool = False  # a max_items / max_bytes / timeout limit was hit

    def to_dict(self) -> dict[str, Any]:
        return {
            "items_scanned": self.items_scanned,
            "items_skipped": self.items_skipped,
            "suppressed": self.suppressed,
            "bytes_scanned": self.bytes_scanned,
            "findings_by_severity": dict(self.findings_by_severity),
            "truncated": self.truncated,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanStats:
        """From stored or received JSON: known counters only, each checked to be a number."""
        stats = cls()
        for name in ("items_scanned", "items_skipped", "suppressed", "bytes_scanned"):
            if name in data:
                setattr(stats, name, int(data[name]))
        stats.truncated = bool(data.get("truncated", False))
        counts = data.get("findings_by_severity")
        if isinstance(counts, dict):
            stats.findings_by_severity.update(
                {Severity(name).value: int(n) for name, n in counts.items()}
            )
        return stats


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Scan:
    id: str
    kind: str
    target: str  # a description of what was scanned; never a secret
    organisation: str = "local"
    created_by: str = "cli"
    options: dict[str, Any] = field(default_factory=dict)
    status: ScanStatus = ScanStatus.QUEUED
    progress: int = 0
    progress_message: str = ""
    created_at: datetime = field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    stats: ScanStats = field(default_factory=ScanStats)
    score: float | None = None
    error: str | None = None
    scan_ids: tuple[str, ...] = ()  # the earlier scans this one was given (a report's)

    def to_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t else None

        return {
            "id": self.id,
            "organisation": self.organisation,
            "created_by": self.created_by,
            "kind": self.kind,
            "target": self.target,
            "options": self.options,
            "status": self.status.value,
            "progress": {"percent": self.progress, "message": self.progress_message},
            "created_at": iso(self.created_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "stats": self.stats.to_dict(),
            "score": self.score,
            "error": self.error,
            "scan_ids": list(self.scan_ids),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scan:
        """The inverse of to_dict; a field of the wrong type is a ValueError or TypeError."""
        progress = data.get("progress") or {}
        score = data.get("score")
        error = data.get("error")
        return cls(
            id=str(data["id"]),
            kind=str(data["kind"]),
            target=str(data["target"]),
            organisation=str(data.get("organisation", "local")),
            created_by=str(data.get("created_by", "")),
            options=dict(data.get("options") or {}),
            status=ScanStatus(data["status"]),
            progress=int(progress.get("percent", 0)),
            progress_message=str(progress.get("message", "")),
            created_at=_time(data.get("created_at")) or utcnow(),
            started_at=_time(data.get("started_at")),
            finished_at=_time(data.get("finished_at")),
            stats=ScanStats.from_dict(data.get("stats") or {}),
            score=None if score is None else float(score),
            error=None if error is None else str(error),
        )


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
