"""Options of an API scan: where the OpenAPI document is, how politely to ask, and
whether the scan may change anything (active mode).

Light on purpose (the kind's spec imports it in every process). The request, byte
and time limits are the common `Limits` (max_items requests, max_bytes read,
max_file_bytes per response, timeout_seconds for the scan); the fields here are the
API's own. Defaults are the server's; those in LOWER_ONLY are also the most a request
may ask for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dgp.domain.options import Limits, MiB, OptionsError, ScanOptions

# what one API scan may use at most (the kind's limits: a request can only lower them)
API_LIMITS = Limits(
    max_items=2000,  # requests sent
    max_bytes=256 * MiB,  # bytes read in all (the document and every response)
    max_file_bytes=8 * MiB,  # one response or the OpenAPI document; a larger one is refused
    timeout_seconds=900.0,
)
MAX_OPENAPI_TEXT = 2048  # characters of the `openapi` option (a URL or a path)


@dataclass(frozen=True)
class ApiOptions(ScanOptions):
    LOWER_ONLY: ClassVar[tuple[str, ...]] = (
        "max_operations",
        "requests_per_second",
        "request_seconds",
        "burst",
        "probes",
    )
    # options an organisation's admin must allow for the organisation first (the
    # organisation setting named): refused with a clear error otherwise
    ORGANISATION_GATED: ClassVar[dict[str, str]] = {"active": "allow_active_scans"}

    openapi: str | None = None  # the OpenAPI document: a URL, or (CLI, admins) a local file
    active: bool = False  # mutating methods and probes on documented operations
    max_operations: int = 500  # documented or discovered operations checked
    requests_per_second: float = 10.0  # to the API's host, at most
    request_seconds: float = 15.0  # one request, its redirects included
    burst: int = 12  # requests of the rate-limit check (a 429 among them is a signal)
    probes: int = 200  # active mode: requests of the probes, at most

    def __post_init__(self) -> None:
        if self.openapi is not None and (
            not isinstance(self.openapi, str)
            or not self.openapi.strip()
            or len(self.openapi) > MAX_OPENAPI_TEXT
        ):
            raise OptionsError(f"openapi must be a URL or a path of 1 to {MAX_OPENAPI_TEXT} chars")
        if not isinstance(self.active, bool):
            raise OptionsError("active must be true or false")
        for name in ("max_operations", "burst", "probes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise OptionsError(f"{name} must be a whole number of at least 1")
        for name, low, high in (
            ("requests_per_second", 0.1, 1000.0),
            ("request_seconds", 1.0, 300.0),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise OptionsError(f"{name} must be a number")
            if not low <= value <= high:
                raise OptionsError(f"{name} must be between {low:g} and {high:g}")
