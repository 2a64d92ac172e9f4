"""What the resources use, injected once, and the breaker-guarded way to call it.

Only outages count against a breaker: a caller's mistake (an unknown upload, a
bad status) is an answer from a working service and must never open the circuit,
whatever exclusions the breakers were built with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis

from dgp.plumbing.breakers import Breaker, Breakers
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ScanStore, StoreUnavailable, UserStore
from dgp.plumbing.store.credentials import CredentialStore

T = TypeVar("T")
ScannerHealth = Callable[[str], "dict[str, Any] | None"]  # None: not on this host
POSTGRES_OUTAGES: tuple[type[BaseException], ...] = (StoreUnavailable,)
REDIS_OUTAGES: tuple[type[BaseException], ...] = (redis.ConnectionError, redis.TimeoutError)


@dataclass
class Services:
    store: ScanStore
    users: UserStore
    queue: JobQueue
    settings: Settings
    breakers: Breakers
    credentials: CredentialStore
    scanner_health: ScannerHealth | None = None

    def db(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call the store through the Postgres breaker."""
        return guarded(self.breakers["postgres"], POSTGRES_OUTAGES, action, *args, **kwargs)

    def redis(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call the queue through the Redis breaker."""
        return guarded(self.breakers["redis"], REDIS_OUTAGES, action, *args, **kwargs)


@dataclass(frozen=True)
class _Outcome:
    value: Any = None
    error: BaseException | None = None


def guarded(
    breaker: Breaker,
    outages: tuple[type[BaseException], ...],
    action: Callable[..., T],
    *args: Any,
    **kwargs: Any,
) -> T:
    """`action(*args, **kwargs)` through `breaker`, counting only `outages` as failures."""

    def attempt() -> _Outcome:
        try:
            return _Outcome(value=action(*args, **kwargs))
        except outages:
            raise
        except Exception as error:  # an answer, not an outage: re-raised below
            return _Outcome(error=error)

    outcome = breaker.call(attempt)
    if outcome.error is not None:
        raise outcome.error
    return outcome.value  # type: ignore[no-any-return]
