"""Unit tier fixtures: no real key file, the code fixture tree, and `terminal_report`.

Every unit test runs with DGP_HASH_KEY set to a test key and XDG_CONFIG_HOME in its
own folder, so none reads or makes the user's ~/.config/dataguardian/hash.key (child
processes inherit both).

A test calls `terminal_report(title, lines)`; the lines are printed in their own
section of the terminal summary at the end of the run, also without -s and whether
the test passed or failed (test_units.py prints the units' security table so).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests import codefixtures as fx

TEST_KEY_HEX = "00" * 32


@pytest.fixture(autouse=True)
def _no_real_key_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DGP_HASH_KEY", TEST_KEY_HEX)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The code fixture project (tests/codefixtures.py), made once per module."""
    return fx.make_tree(tmp_path_factory.mktemp("tree"))


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
