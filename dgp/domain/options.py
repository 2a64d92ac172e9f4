"""What a scan job says: limits, threshold, and each kind's own options. Parsed once,
validated.

Every kind has an options type: ScanOptions, or a subclass with the kind's own
fields (CodeOptions). Its defaults are the server's, and for the fields named in
`LOWER_ONLY` (and every limit) also the most a request may ask for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, ClassVar, Self

from dgp.domain.severity import Severity

MiB = 1024 * 1024
DEFAULT_MIN_CONFIDENCE = 0.5  # detections below this are not reported


@dataclass(frozen=True)
class Limits:
    max_items: int = 100_000  # files (or entries, pages, tables) scanned
    max_bytes: int = 4096 * MiB  # bytes read in all
    max_file_bytes: int = 20 * MiB  # a larger file is skipped (counted, and said why)
    timeout_seconds: float = 3600.0
    # archives (uploads and archives found inside a document set)
    max_archive_bytes: int = 2048 * MiB  # unpacked size of one archive
    max_archive_entries: int = 50_000
    max_compression_ratio: float = 200.0
    max_archive_depth: int = 3
    # memory of the process that runs the scan: enforced (RLIMIT_DATA) when the job runs
    # isolated in a child process of its own (dgp.plumbing.isolation), else by the unit
    max_memory_bytes: int = 1024 * MiB

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


class OptionsError(ValueError):
    """Options that do not parse or go past what the server allows."""


@dataclass(frozen=True)
class ScanOptions:
    """The options every kind takes."""

    # fields a request may set only to a value at most the default (the server's maximum)
    LOWER_ONLY: ClassVar[tuple[str, ...]] = ()

    limits: Limits = field(default_factory=Limits)
    severity_threshold: Severity = Severity.INFO  # findings below it are not reported
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    # Local paths and file:// URLs read this host's disk: the CLI allows them,
    # the services allow them for administrators only.
    allow_local_sources: bool = True
    # Loopback or private addresses (SSRF): the CLI allows them, the services only when
    # an administrator does.
    allow_private_hosts: bool = True

    @classmethod
    def from_dict(cls, data: dict[str, Any], defaults: Limits | None = None) -> Self:
        """From a job's JSON options; unknown keys are an error, not silently ignored.
        Limits the options do not set are `defaults` (the kind's), else Limits()."""
        data = dict(data)
        limit_values = dict(data.pop("limits", None) or {})
        unknown_limits = set(limit_values) - set(Limits.names())
        if unknown_limits:  # not a TypeError from the constructor: callers expect ValueError
            raise OptionsError(f"unknown scan limits: {', '.join(sorted(unknown_limits))}")
        limits = replace(defaults or Limits(), **limit_values)
        if "severity_threshold" in data:
            data["severity_threshold"] = Severity.parse(data["severity_threshold"])
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise OptionsError(f"unknown scan options: {', '.join(sorted(unknown))}")
        for f in fields(cls):  # a list option given as text (--option states=none,reject)
            if isinstance(data.get(f.name), str) and isinstance(f.default, tuple):
                data[f.name] = tuple(
                    part.strip() for part in data[f.name].split(",") if part.strip()
                )
        try:
            return cls(limits=limits, **data)
        except TypeError as e:
            raise OptionsError(str(e)) from None

    def to_dict(self) -> dict[str, Any]:
        """As from_dict reads it (JSON: a job handed to a child process)."""
        data = asdict(self)
        data["severity_threshold"] = self.severity_threshold.value
        return data

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.name != "limits")

    @classmethod
    def of_job(cls, options: ScanOptions, ceiling: Limits | None = None) -> Self:
        """A job's options as this kind's: a job built by hand may carry the common options
        only (the kind's defaults apply then), and its limits are never above `ceiling`."""
        if not isinstance(options, cls):
            own = {f.name for f in fields(cls)}
            options = cls(
                **{f.name: getattr(options, f.name) for f in fields(options) if f.name in own}
            )
        if ceiling is None:
            return options
        capped = {
            name: min(getattr(options.limits, name), getattr(ceiling, name))
            for name in Limits.names()
        }
        return replace(options, limits=Limits(**capped))


@dataclass(frozen=True)
class FileOptions(ScanOptions):
    """Options of kinds that walk a tree of files."""

    include_vendored: bool = False  # scan node_modules, vendor, build output too


@dataclass(frozen=True)
class CodeOptions(FileOptions):
    """Options of the code kind: what to clone and how much git history to use."""

    LOWER_ONLY: ClassVar[tuple[str, ...]] = ("clone_timeout_seconds",)

    since: str | None = None  # only files changed since this commit
    branch: str | None = None  # git branch or tag to clone
    commit: str | None = None  # git commit to check out
    git_metadata: bool = False  # add commit and author of each finding's line
    clone_timeout_seconds: float = 300.0
    # worker processes reading files; 0: as many as the CPUs the scanner may use
    jobs: int = 0
