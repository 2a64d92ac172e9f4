"""Unit tier: `terminal_report`, for tables that belong in pytest's output.

A test calls `terminal_report(title, lines)`; the lines are printed in their own
section of the terminal summary at the end of the run, also without -s and whether
the test passed or failed (test_units.py prints the units' security table so).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

_REPORTS = pytest.StashKey[list[tuple[str, list[str]]]]()


@pytest.fixture
def terminal_report(request: pytest.FixtureRequest) -> Callable[[str, Sequence[str]], None]:
    reports = request.config.stash.setdefault(_REPORTS, [])

    def add(title: str, lines: Sequence[str]) -> None:
        reports.append((title, list(lines)))

    return add


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    for title, lines in config.stash.get(_REPORTS, []):
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)
