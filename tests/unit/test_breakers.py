"""Circuit breakers: open after failures, answer at once, close after a half-open probe."""

import time

import pytest

from dgp.plumbing.breakers import Breaker, BreakerOpen, Breakers


def boom() -> None:
    raise ConnectionError("down")


def test_opens_answers_at_once_and_recovers() -> None:
    breaker = Breaker("postgres", fail_max=2, reset_timeout=0.2)
    for _ in range(2):
        with pytest.raises((ConnectionError, BreakerOpen)):
            breaker.call(boom)
    assert breaker.state == "open"
    started = time.monotonic()
    with pytest.raises(BreakerOpen) as caught:
        breaker.call(lambda: "never called")
    assert time.monotonic() - started < 0.05
    assert caught.value.retry_after >= 1 and "postgres" in str(caught.value)
    time.sleep(0.25)
    assert breaker.call(lambda: "ok") == "ok"  # the half-open probe works
    assert breaker.state == "closed"


def test_excluded_errors_do_not_count() -> None:
    breaker = Breaker("web", fail_max=1, exclude=[ValueError])
    with pytest.raises(ValueError):
        breaker.call(lambda: int("x"))
    assert breaker.state == "closed"


def test_registry() -> None:
    breakers = Breakers(fail_max=3)
    assert breakers["redis"] is breakers["redis"]
    assert breakers.states() == {"redis": {"state": "closed", "failures": 0}}
