"""Sections of the terminal summary that tests and fixtures add (`add_terminal_report`).

Kept in a module of its own, not in a conftest: a conftest is imported under another name
than `tests.conftest`, and both copies would keep reports under different keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

REPORTS = pytest.StashKey[list[tuple[str, list[str]]]]()
WORKER_OUTPUT_KEY = "dgp_terminal_reports"


def add_terminal_report(config: pytest.Config, title: str, lines: Sequence[str]) -> None:
    """A section of the terminal summary at the end of the run, printed also without -s
    and whether the test passed or failed."""
    config.stash.setdefault(REPORTS, []).append((title, list(lines)))


def hand_to_controller(config: pytest.Config) -> None:
    """In an xdist worker: its sections go to the controller with the worker's output."""
    config.workeroutput[WORKER_OUTPUT_KEY] = config.stash.get(REPORTS, [])  # type: ignore[attr-defined]


def take_from_worker(config: pytest.Config, workeroutput: dict[str, Any]) -> None:
    for title, lines in workeroutput.get(WORKER_OUTPUT_KEY, []):
        add_terminal_report(config, title, lines)


def print_reports(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    for title, lines in config.stash.get(REPORTS, []):
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)
