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


def test_a_slow_call_does_not_hold_up_the_others() -> None:
    import threading

    breaker = Breaker("postgres")
    started = threading.Event()
    release = threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "slow"

    thread = threading.Thread(target=lambda: breaker.call(slow))
    thread.start()
    started.wait(5)
    t0 = time.monotonic()
    assert breaker.call(lambda: "fast") == "fast"
    assert time.monotonic() - t0 < 0.5
    release.set()
    thread.join(5)


def test_only_one_probe_when_half_open() -> None:
    import threading

    breaker = Breaker("redis", fail_max=1, reset_timeout=0.05)
    with pytest.raises(ConnectionError):
        breaker.call(boom)
    time.sleep(0.06)
    inside = threading.Event()
    release = threading.Event()

    def probe() -> str:
        inside.set()
        release.wait(5)
        return "ok"

    thread = threading.Thread(target=lambda: breaker.call(probe))
    thread.start()
    inside.wait(5)
    with pytest.raises(BreakerOpen):  # while the probe is out, others are refused
        breaker.call(lambda: "x")
    release.set()
    thread.join(5)
    assert breaker.state == "closed"


def test_a_failed_probe_opens_again() -> None:
    breaker = Breaker("redis", fail_max=1, reset_timeout=0.05)
    with pytest.raises(ConnectionError):
        breaker.call(boom)
    time.sleep(0.06)
    with pytest.raises(ConnectionError):
        breaker.call(boom)
    assert breaker.state == "open"
