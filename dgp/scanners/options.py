"""What a scan job says: target, limits, threshold, baseline. Parsed once, validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dgp.domain.severity import Severity
from dgp.engine.detector import DEFAULT_MIN_CONFIDENCE

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_items: int = 100_000  # files (or entries) scanned
    max_bytes: int = 4096 * MiB  # bytes read in all
    max_file_bytes: int = 20 * MiB  # a larger file is skipped (counted, and said why)
    timeout_seconds: float = 3600.0
    # archives (uploads and archives found inside a document set)
    max_archive_bytes: int = 2048 * MiB  # unpacked size of one archive
    max_archive_entries: int = 50_000
    max_compression_ratio: float = 200.0
    max_archive_depth: int = 3


@dataclass(frozen=True)
class ScanOptions:
    limits: Limits = field(default_factory=Limits)
    severity_threshold: Severity = Severity.INFO  # findings below it are not reported
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    since: str | None = None  # code: only files changed since this commit
    branch: str | None = None  # code: git branch or tag to clone
    commit: str | None = None  # code: git commit to check out
    git_metadata: bool = False  # code: add commit and author of each finding's line
    include_vendored: bool = False  # code: scan node_modules, vendor, build output too
    clone_timeout_seconds: float = 300.0
    # Local paths and file:// git URLs read this host's disk: the CLI allows them,
    # the services allow them for administrators only.
    allow_local_sources: bool = True
    # Cloning from loopback or private addresses (SSRF): the CLI allows it, the services
    # only when an administrator does.
    allow_private_hosts: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanOptions:
        """From a job's JSON options; unknown keys are an error, not silently ignored."""
        data = dict(data)
        limit_values = dict(data.pop("limits", {}))
        unknown_limits = set(limit_values) - set(Limits.__dataclass_fields__)
        if unknown_limits:  # not a TypeError from the constructor: callers expect ValueError
            raise ValueError(f"unknown scan limits: {', '.join(sorted(unknown_limits))}")
        limits = Limits(**limit_values)
        if "severity_threshold" in data:
            data["severity_threshold"] = Severity.parse(data["severity_threshold"])
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown scan options: {', '.join(sorted(unknown))}")
        return cls(limits=limits, **data)
