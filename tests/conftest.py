"""Fixtures and hooks of every tier: the terminal reports, and what running in parallel needs.

`make test` runs the tiers in two pytest-xdist workers (`-n 2`), scheduled here
(`pytest_xdist_make_scheduler`): each system tier module is one unit of work (it boots
and deploys its hosts once), and so is the integration tier (its tests share one Redis and
one PostgreSQL, which some of them restart); those go first, and the unit tests fill in
one by one.

- The run keeps compiled hyperscan databases in a folder of its own (DGP_CACHE_DIR, shared
  by its workers), not in the user's ~/.cache.
- Each worker has a temporary folder of its own (TMPDIR): the browser profiles and other
  temporary files of one worker's scans are not counted as another's leftovers.
- `terminal_report(title, lines)` adds a section to the terminal summary (tests/reports.py;
  test_units.py prints the units' security table so). A worker's sections reach the
  summary through xdist's `workeroutput`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from tests import reports

SYSTEM_TIER = "tests/system/"
INTEGRATION_TIER = "tests/integration/"
_WORKER_TMP = pytest.StashKey[str]()
_RUN_CACHE = pytest.StashKey[str]()


@pytest.fixture
def terminal_report(request: pytest.FixtureRequest) -> Callable[[str, Sequence[str]], None]:
    def add(title: str, lines: Sequence[str]) -> None:
        reports.add_terminal_report(request.config, title, lines)

    return add


def _in_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")  # set in an xdist worker only


def pytest_configure(config: pytest.Config) -> None:
    if "DGP_CACHE_DIR" not in os.environ:  # set here before xdist starts the workers
        folder = tempfile.mkdtemp(prefix="dgp-tests-cache-")
        config.stash[_RUN_CACHE] = folder
        os.environ["DGP_CACHE_DIR"] = folder
    if not _in_worker(config):
        return
    worker = config.workerinput["workerid"]  # type: ignore[attr-defined]
    folder = tempfile.mkdtemp(prefix=f"dgp-tests-{worker}-")
    config.stash[_WORKER_TMP] = folder
    os.environ["TMPDIR"] = folder  # child processes (scanner workers, browsers) too
    tempfile.tempdir = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    for key in (_WORKER_TMP, _RUN_CACHE):
        folder = config.stash.get(key, None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if _in_worker(session.config):
        reports.hand_to_controller(session.config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class WholeWhereShared(LoadScopeScheduling):
        """Scopes are single tests, but a system tier module is one scope (its hosts are
        booted and deployed once, for all its tests) and so is the integration tier (some
        of its tests restart the Redis and PostgreSQL that all of them use). Those scopes
        are the largest, so they are handed out first (xdist orders scopes by their number
        of tests)."""

        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith(SYSTEM_TIER):
                return nodeid.split("::", 1)[0]
            if nodeid.startswith(INTEGRATION_TIER):
                return INTEGRATION_TIER
            return nodeid

    return WholeWhereShared(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """An xdist worker ended: its terminal report sections join the controller's."""
    reports.take_from_worker(node.config, getattr(node, "workeroutput", None) or {})


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    reports.print_reports(terminalreporter, config)
