"""Circuit breakers around every call that crosses a process.

An open breaker answers at once with BreakerOpen (the web app turns it into a 503
with Retry-After; the worker marks the scan degraded) instead of waiting on a
service that is down. After `reset_timeout` one call goes through (half-open); if
it works the breaker closes again. The registry feeds /health and /metrics.

Not pybreaker: its `call` holds one lock for the whole call, so in a threaded web
process every Postgres call would wait for the one before it. Here the lock guards
only the state; the call itself runs outside it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
Exclusion = type[BaseException] | Callable[[BaseException], bool]

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


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
        exclude: Iterable[Exclusion] = (),
    ) -> None:
        self.name = name
        self.fail_max = fail_max
        self.reset_timeout = reset_timeout
        self._exclude = tuple(exclude)
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False  # a half-open trial call is in flight

    @property
    def state(self) -> str:
        with self._lock:
            if self._state == OPEN and self._cooled_down():
                return HALF_OPEN
            return self._state

    @property
    def failures(self) -> int:
        return self._failures

    def call(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        probe = self._admit()
        try:
            result = action(*args, **kwargs)
        except BaseException as error:
            self._record_failure(error, probe)
            raise
        self._record_success()
        return result

    def retry_after(self) -> int:
        left = self.reset_timeout - (time.monotonic() - self._opened_at)
        return max(1, int(left + 0.999))

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "failures": self.failures}

    def _cooled_down(self) -> bool:
        return time.monotonic() - self._opened_at >= self.reset_timeout

    def _admit(self) -> bool:
        """Let a call through, or raise BreakerOpen; True when the call is the probe."""
        with self._lock:
            if self._state == CLOSED:
                return False
            if self._state == OPEN and self._cooled_down() and not self._probing:
                self._state, self._probing = HALF_OPEN, True
                return True
            raise BreakerOpen(self.name, self.retry_after())

    def _record_failure(self, error: BaseException, probe: bool) -> None:
        counts = not any(
            isinstance(error, e) if isinstance(e, type) else e(error) for e in self._exclude
        )
        with self._lock:
            if probe:
                self._probing = False
            if not counts:
                if probe:
                    self._state = CLOSED  # the service answered, only the input was bad
                return
            self._failures += 1
            if probe or self._failures >= self.fail_max:
                self._state, self._opened_at = OPEN, time.monotonic()

    def _record_success(self) -> None:
        with self._lock:
            self._state, self._failures, self._probing = CLOSED, 0, False


class Breakers:
    """The breakers of one process, by name ("postgres", "redis", "scanner:code", ...)."""

    def __init__(self, **defaults: Any) -> None:
        self._defaults = defaults
        self._breakers: dict[str, Breaker] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> Breaker:
        with self._lock:
            if name not in self._breakers:
                self._breakers[name] = Breaker(name, **self._defaults)
            return self._breakers[name]

    def states(self) -> dict[str, dict[str, Any]]:
        return {name: b.to_dict() for name, b in sorted(self._breakers.items())}
