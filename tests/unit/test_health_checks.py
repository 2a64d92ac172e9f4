"""The web app's /health checks: one at a time of each name, reused while fresh."""

from __future__ import annotations

import threading

from dgp.apps.web.resources.health import Checks


def counted() -> tuple[list[int], object]:
    calls: list[int] = []

    def check() -> dict[str, object]:
        calls.append(1)
        return {"status": "up", "n": len(calls)}

    return calls, check


def test_a_check_that_ended_recently_answers_again_instead_of_running() -> None:
    calls, check = counted()
    checks = Checks(threads=2, fresh=3600)
    reports = [checks.start("redis", check).result() for _ in range(5)]  # type: ignore[arg-type]
    assert calls == [1] and all(r == {"status": "up", "n": 1} for r in reports)


def test_a_check_runs_again_once_its_report_is_no_longer_fresh() -> None:
    calls, check = counted()
    checks = Checks(threads=2, fresh=0)
    reports = [checks.start("redis", check).future.result(10) for _ in range(3)]  # type: ignore[arg-type]
    assert len(calls) == 3 and [r["n"] for r in reports] == [1, 2, 3]  # type: ignore[index]


def test_a_running_check_is_joined_whatever_its_freshness() -> None:
    release, calls = threading.Event(), []

    def hanging() -> dict[str, object]:
        calls.append(1)
        release.wait(30)
        return {"status": "up"}

    checks = Checks(threads=2, fresh=0)
    first = checks.start("app:code", hanging)
    assert [checks.start("app:code", hanging).result(0.01) for _ in range(3)] == [None] * 3
    release.set()
    assert first.result() == {"status": "up"} and calls == [1]
    assert checks.start("other", lambda: {"status": "up"}).result() == {"status": "up"}


def test_while_a_check_runs_again_the_report_before_it_answers_at_once() -> None:
    """No /health waits for a check that has answered before (the first run excepted)."""
    release, calls = threading.Event(), []

    def check() -> dict[str, object]:
        calls.append(1)
        if len(calls) == 2:
            release.wait(30)
        return {"status": "up", "n": len(calls)}

    checks = Checks(threads=2, fresh=0)
    assert checks.start("postgres", check).result() == {"status": "up", "n": 1}
    second = checks.start("postgres", check)  # not fresh any more: runs again, and hangs
    assert second.result() == {"status": "up", "n": 1}  # at once: the report before it
    release.set()
    assert second.future.result(10) == {"status": "up", "n": 2}
    assert second.result() == {"status": "up", "n": 2} and second.before is None
