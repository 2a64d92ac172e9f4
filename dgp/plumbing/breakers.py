"""Circuit breakers around every call that crosses a process (pybreaker).

An open breaker answers at once with BreakerOpen (the web app turns it into a 503
with Retry-After; a scanner marks the scan degraded) instead of waiting on a
service that is down. After `reset_timeout` one call goes through (half-open);
if it works the breaker closes again. The registry feeds /health and /metrics.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import pybreaker

T = TypeVar("T")


class BreakerOpen(Exception):
    """A service is known to be down; `retry_after` says when to try again (seconds)."""

    def __init__(self, name: str, retry_after: int) -> None:
        super().__init__(f"{name} is unavailable (circuit open); retry in {retry_after} s")
        self.name = name
        self.retry_after = retry_after


class Breaker:
    def __init__(
        self,
        name: str,
        fail_max: int = 5,
        reset_timeout: float = 15.0,
        exclude: Iterable[type[BaseException]] = (),
    ) -> None:
        self.name = name
        self.reset_timeout = reset_timeout
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max, reset_timeout=reset_timeout, exclude=list(exclude), name=name
        )
        self._opened_at = 0.0
        self._breaker.add_listener(_OpenedAt(self))

    @property
    def state(self) -> str:
        """ "closed", "open" or "half-open"."""
        return str(self._breaker.current_state)

    @property
    def failures(self) -> int:
        return int(self._breaker.fail_counter)

    def call(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return self._breaker.call(action, *args, **kwargs)
        except pybreaker.CircuitBreakerError:
            raise BreakerOpen(self.name, self.retry_after()) from None

    def retry_after(self) -> int:
        left = self.reset_timeout - (time.monotonic() - self._opened_at)
        return max(1, int(left + 0.999))

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "failures": self.failures}


class _OpenedAt(pybreaker.CircuitBreakerListener):
    def __init__(self, owner: Breaker) -> None:
        self.owner = owner

    def state_change(self, cb: pybreaker.CircuitBreaker, old: Any, new: Any) -> None:
        if str(new.name) == "open":
            self.owner._opened_at = time.monotonic()


class Breakers:
    """The breakers of one process, by name ("postgres", "redis", "scanner:code", ...)."""

    def __init__(self, **defaults: Any) -> None:
        self._defaults = defaults
        self._breakers: dict[str, Breaker] = {}

    def __getitem__(self, name: str) -> Breaker:
        if name not in self._breakers:
            self._breakers[name] = Breaker(name, **self._defaults)
        return self._breakers[name]

    def states(self) -> dict[str, dict[str, Any]]:
        return {name: b.to_dict() for name, b in sorted(self._breakers.items())}
