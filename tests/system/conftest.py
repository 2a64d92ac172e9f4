"""System tier fixtures: one booted systemd test host per session (tests/system/testhost.py).

`testhost` is the host (run commands in it, copy files in, find its cgroups); `host` is the
same host as testinfra sees it, through testinfra's podman backend and a `podman` shim that
nsenters the host; `new_testhost` makes more hosts for one test (private networks).

The tier never skips silently: without root, or where nspawn cannot boot a host, its tests
fail with the reason. DGP_SKIP_SYSTEM=1 deselects them (developers without root). Every test
in this folder is marked `system`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import testinfra
import testinfra.host

from tests.reports import add_terminal_report
from tests.system import testhost as th

_HERE = Path(__file__).resolve().parent


def _mine(item: pytest.Item) -> bool:
    return _HERE in item.path.resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _mine(item):
            item.add_marker(pytest.mark.system)
    if os.environ.get("DGP_SKIP_SYSTEM") == "1":
        skipped = [item for item in items if _mine(item)]
        if skipped:
            config.hook.pytest_deselected(items=skipped)
            items[:] = [item for item in items if not _mine(item)]


@pytest.fixture(scope="session")
def testhost(request: pytest.FixtureRequest) -> Iterator[th.TestHost]:
    """A booted Debian 12 host with systemd 252 as PID 1, its own network and cgroups."""
    if os.geteuid() != 0:
        pytest.fail(
            "the system tier needs root (namespaces, mounts, cgroups); "
            "run it as root, or set DGP_SKIP_SYSTEM=1 to deselect it",
            pytrace=False,
        )
    th.reap_stale()  # hosts of killed sessions; other live sessions' hosts stay
    name = f"sys{os.getpid()}"
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    try:
        th.build()
        timings["root ready"] = time.monotonic() - t0
        t1 = time.monotonic()
        host = th.up(name, owner=os.getpid())
        timings["up"] = time.monotonic() - t1
    except th.TestHostError as e:
        pytest.fail(f"cannot bring up the system test host: {e}", pytrace=False)
    try:
        yield host
    finally:
        t2 = time.monotonic()
        th.down(name)
        timings["down"] = time.monotonic() - t2
        figures = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        add_terminal_report(request.config, "system tier test host", [figures])


@pytest.fixture
def new_testhost() -> Iterator[Callable[..., th.TestHost]]:
    """Make more hosts for one test; new_testhost(network="n") puts them on one private
    network (named n<pid>, so sessions never share one). All are removed after the test."""
    made: list[str] = []

    def make(network: str | None = None) -> th.TestHost:
        name = f"t{os.getpid()}-{len(made)}"
        made.append(name)
        return th.up(
            name, network=f"{network}{os.getpid()}" if network else None, owner=os.getpid()
        )

    yield make
    for name in made:
        th.down(name)


@pytest.fixture(scope="session")
def podman_shim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The `podman` shim, first on PATH for the session (testinfra runs it through a shell)."""
    directory = tmp_path_factory.mktemp("podman-shim")
    th.write_podman_shim(directory)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", f"{directory}{os.pathsep}{os.environ.get('PATH', '')}")
        yield directory


@pytest.fixture(scope="session")
def host(testhost: th.TestHost, podman_shim: Path) -> testinfra.host.Host:
    """The test host for testinfra (overrides testinfra's own `host` fixture)."""
    return testinfra.get_host(testhost.testinfra_spec)
