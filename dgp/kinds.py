"""The scanner kinds: one light spec per kind, and the registry that lists them.

A kind is a package `dgp/scanners/<name>/` with a `spec.py` that defines `SPEC`, a
KindSpec, and imports nothing heavy. The web app, the CLI, the OpenAPI document,
/health, /metrics, the janitor and the packaging read specs only; only the process
that scans imports a kind's implementation (`spec.implementation()`), so the
document, image, browser and model libraries stay out of every other process.

The registry is the only list of kinds: it finds the spec of every package under
dgp/scanners on first use. Tests may `register()` a toy kind of their own.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from types import ModuleType
from typing import TYPE_CHECKING

from dgp.domain.options import Limits, ScanOptions

if TYPE_CHECKING:
    from dgp.domain.job import ScanInputs, ScanJob, ScanResult

    ScanFunction = Callable[[ScanJob, ScanInputs], ScanResult]


class Input(StrEnum):
    """What a scan of the kind is given."""

    TARGET = "target"  # a path or URL, as text
    UPLOAD = "upload"  # an uploaded file or archive
    QUESTIONNAIRE = "questionnaire"  # answers as JSON (DPIA, the AI Act)
    SCANS = "scans"  # ids of earlier scans (reports)


def _no_check(target: str) -> None:
    """Accept any target text (the scanner checks it when it runs)."""


def _as_is(target: str) -> str:
    return target


def _no_endpoint(target: str) -> str | None:
    return None


@dataclass(frozen=True)
class KindSpec:
    """Everything the rest of the product needs to know of a kind without running it."""

    name: str
    summary: str
    port: int  # the scanner app's default TCP port (ARCHITECTURE.md: 5001..5010)
    implementation_module: str  # defines scan(job, inputs) and, optionally, warm_up()
    inputs: frozenset[Input] = frozenset({Input.TARGET, Input.UPLOAD})
    options: type[ScanOptions] = ScanOptions
    limits: Limits = field(default_factory=Limits)  # defaults, and the most a scan may ask
    rules: tuple[str, ...] = ()  # rule ids of the kind's own rules (beyond the engine's)
    # the target: refused with a ScanInputError before the scan is queued, shown without
    # secrets, and the "host:port" it reaches (per-host circuit breakers), or None
    check_target: Callable[[str], None] = _no_check
    show_target: Callable[[str], str] = _as_is
    endpoint: Callable[[str], str | None] = _no_endpoint
    # run each job in a child process with a hard time and memory limit (heavy parsers,
    # browsers), so one hung or exploding input fails that job, not the unit: the limits'
    # timeout_seconds and max_memory_bytes (dgp.plumbing.isolation)
    isolated: bool = False
    # Debian packages a scanner host of this kind wants (the package's Recommends)
    system_packages: tuple[str, ...] = ()

    def implementation(self) -> ModuleType:
        return importlib.import_module(self.implementation_module)

    def scan_function(self) -> ScanFunction:
        return self.implementation().scan  # type: ignore[no-any-return]

    def warm_up(self) -> None:
        """Prepare what the first scan would wait for (a compiled detector)."""
        warm = getattr(self.implementation(), "warm_up", None)
        if warm is not None:
            warm()

    def takes(self, what: Input) -> bool:
        return what in self.inputs

    def describe(self) -> dict[str, object]:
        """The spec as plain data (`dgp kinds --json`, for packaging and deploy)."""
        return {
            "name": self.name,
            "summary": self.summary,
            "port": self.port,
            "inputs": sorted(self.inputs),
            "options": list(self.options.option_names()),
            "limits": {n: getattr(self.limits, n) for n in Limits.names()},
            "rules": list(self.rules),
            "isolated": self.isolated,
            "system_packages": list(self.system_packages),
        }


class UnknownKind(ValueError):
    pass


_kinds: dict[str, KindSpec] = {}
_discovered = False
_lock = threading.Lock()


def _discover() -> None:
    """Import the spec of every kind package under dgp/scanners, once."""
    global _discovered
    if _discovered:
        return
    with _lock:
        if _discovered:
            return
        import dgp.scanners

        for module in pkgutil.iter_modules(dgp.scanners.__path__):
            if module.ispkg:
                spec = importlib.import_module(f"dgp.scanners.{module.name}.spec").SPEC
                _add(spec)
        _discovered = True


def _add(spec: KindSpec) -> None:
    if spec.name in _kinds:
        raise ValueError(f"scanner kind {spec.name!r} is registered twice")
    taken = {k.port: k.name for k in _kinds.values()}
    if spec.port in taken:
        raise ValueError(f"kinds {taken[spec.port]!r} and {spec.name!r} share port {spec.port}")
    _kinds[spec.name] = spec


def register(spec: KindSpec) -> KindSpec:
    """Add a kind that is not a package under dgp/scanners (tests' toy kinds)."""
    _discover()
    with _lock:
        _add(spec)
    return spec


def unregister(name: str) -> None:
    with _lock:
        _kinds.pop(name, None)


def get(name: str) -> KindSpec:
    _discover()
    try:
        return _kinds[name]
    except KeyError:
        raise UnknownKind(
            f"unknown scanner kind {name!r} (available: {', '.join(names())})"
        ) from None


def names() -> list[str]:
    _discover()
    return sorted(_kinds)


def specs() -> Iterator[KindSpec]:
    _discover()
    return iter(sorted(_kinds.values(), key=lambda k: k.name))


def for_instance(instance: str) -> KindSpec:
    """The kind a unit instance runs: `website` and `website-2` both run kind website."""
    _discover()
    if instance in _kinds:
        return _kinds[instance]
    base, _, number = instance.rpartition("-")
    if base in _kinds and number.isdigit():
        return _kinds[base]
    return get(instance)
