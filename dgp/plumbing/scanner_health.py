"""The web app asks each scanner kind's /health over HTTP, through its own breaker.

A scanner that does not answer within `timeout` counts as a failure; after a few
the breaker opens and the web app answers at once that the kind is unavailable,
instead of waiting on it for every /health request.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from dgp.plumbing.breakers import BreakerOpen, Breakers


class ScannerHealth:
    def __init__(
        self, breakers: Breakers, addresses: Mapping[str, str], timeout: float = 0.5
    ) -> None:
        self.breakers = breakers
        self.addresses = dict(addresses)  # kind -> base URL, e.g. http://127.0.0.1:5001
        self.timeout = timeout

    def __call__(self, kind: str) -> dict[str, Any] | None:
        """The kind's /health, or None when its app does not run on this host."""
        base = self.addresses.get(kind)
        if base is None:
            return None
        breaker = self.breakers[f"scanner:{kind}"]
        try:
            return breaker.call(self._fetch, f"{base.rstrip('/')}/health")
        except BreakerOpen as e:
            return {"status": "unavailable", "breaker": "open", "retry_after": e.retry_after}
        except (OSError, ValueError) as e:  # refused, timed out, 5xx, not JSON
            return {"status": "unreachable", "error": type(e).__name__}

    def _fetch(self, url: str) -> dict[str, Any]:
        with urllib.request.urlopen(url, timeout=self.timeout) as response:
            return dict(json.loads(response.read()))
