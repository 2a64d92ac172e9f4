"""Scanner kinds. Each is a module with `KIND`, `EXTRA_PATTERNS` (its detector's
patterns beyond the engine's) and `scan(job, inputs) -> ScanResult`.

Adding a kind means adding its module to SCANNERS; the CLI, the queue and the
services find it here.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from dgp.engine.detector import DEFAULT_MIN_CONFIDENCE
from dgp.scanners import code, document
from dgp.scanners.session import ScanInputs, ScanJob, ScanResult, detector_for

Scan = Callable[[ScanJob, ScanInputs], ScanResult]

SCANNERS: dict[str, ModuleType] = {m.KIND: m for m in (code, document)}


def scanner(kind: str) -> Scan:
    try:
        return SCANNERS[kind].scan  # type: ignore[no-any-return]
    except KeyError:
        known = ", ".join(sorted(SCANNERS))
        raise ValueError(f"unknown scanner kind {kind!r} (available: {known})") from None


def warm_up(kind: str) -> None:
    """Compile the kind's detector (default options) in this thread now, so that the
    first scan after a start does not wait most of a second for it."""
    detector_for(DEFAULT_MIN_CONFIDENCE, SCANNERS[kind].EXTRA_PATTERNS)
