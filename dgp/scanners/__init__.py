"""Scanner kinds. Each is a module with `KIND` and `scan(job, inputs) -> ScanResult`.

Adding a kind means adding its module to SCANNERS; the CLI, the queue and the
services find it here.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from dgp.scanners import code, document
from dgp.scanners.session import ScanInputs, ScanJob, ScanResult

Scan = Callable[[ScanJob, ScanInputs], ScanResult]

SCANNERS: dict[str, ModuleType] = {m.KIND: m for m in (code, document)}


def scanner(kind: str) -> Scan:
    try:
        return SCANNERS[kind].scan  # type: ignore[no-any-return]
    except KeyError:
        known = ", ".join(sorted(SCANNERS))
        raise ValueError(f"unknown scanner kind {kind!r} (available: {known})") from None
