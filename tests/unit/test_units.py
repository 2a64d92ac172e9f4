"""The systemd units in units/, checked as the package installs them.

packaging/debian/rules copies units/ as it is to /lib/systemd/system, so these tests
copy it as it is too, into a temporary root that looks like a target: the host's own
units (sysinit.target, sockets.target, ... which `verify` loads as dependencies),
units/ over them, and an executable /usr/bin/dgp placeholder (`verify` checks that
ExecStart= can run). With --root= systemd-analyze (252) loads the drop-ins as well,
so a scanner instance is checked as it runs: dgp-scanner@image.service together with
dgp-scanner@image.service.d/resources.conf, dgp-scanner@code.socket with its
listen.conf.

- `systemd-analyze security --offline=true --root=ROOT UNIT`: every service's exposure
  is at most 2.0; the table is printed at the end of the run (conftest.py).
- `systemd-analyze verify --root=ROOT UNIT...` prints nothing: it exits 0 even on
  unknown keys or bad values, so any output fails.

Without systemd-analyze they fail, never skip: Debian 12 (CI) has systemd 252.
The other tests read the files: the ports come from dgp/apps/ports.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from dgp import kinds
from dgp.apps import ports

UNITS = Path(__file__).resolve().parents[2] / "units"
HOST_UNITS = Path("/lib/systemd/system")
MAX_EXPOSURE = 2.0
KINDS = kinds.names()
HEAVY_KINDS = ("document",)  # more memory in their resources.conf
SUFFIXES = (".service", ".socket", ".timer", ".target", ".slice")
MEMORY_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}

FILES = sorted(p.name for p in UNITS.iterdir() if p.is_file() and p.name.endswith(SUFFIXES))
TEMPLATES = [name for name in FILES if "@." in name]
INSTANCES = [t.replace("@.", f"@{kind}.") for t in TEMPLATES for kind in KINDS]
UNIT_NAMES = [name for name in FILES if name not in TEMPLATES] + INSTANCES
SERVICES = [name for name in UNIT_NAMES if name.endswith(".service")]
SCANNER_SERVICES = [f"dgp-scanner@{kind}.service" for kind in KINDS]
LONG_RUNNING = ["dgp-web.service", *SCANNER_SERVICES]  # Type=notify, Restart=on-failure
TIMER_RUN = ["dgp-janitor.service"]  # oneshot passes: the timer is their restart


def systemd_analyze() -> str:
    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.fail(
            "systemd-analyze not found: install systemd (Debian 12 ships 252). The units' "
            "security and verify checks must run, not skip."
        )
    return exe


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": ""}
    return subprocess.run(
        [systemd_analyze(), "--no-pager", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def target_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root with the units installed as on a target, for systemd-analyze --root=."""
    root = tmp_path_factory.mktemp("target")
    unitdir = root / "lib/systemd/system"
    if HOST_UNITS.is_dir():  # the host's units, but never an installed dgp unit
        shutil.copytree(
            HOST_UNITS, unitdir, symlinks=True, ignore=shutil.ignore_patterns("dgp-*", "dgp.*")
        )
    shutil.copytree(UNITS, unitdir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("README.md"))
    dgp = root / "usr/bin/dgp"
    dgp.parent.mkdir(parents=True)
    dgp.write_text("#!/bin/sh\nexit 0\n")
    dgp.chmod(0o755)
    return root


# --- the unit files, read the way systemd merges them -------------------------------


def assignments(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) of every assignment in one unit file or drop-in."""
    section, found = "", []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        assert not line.endswith("\\"), f"{path}: continuation lines are not parsed here"
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path}: not a KEY=VALUE line: {raw!r}"
        found.append((section, key.strip(), value.strip()))
    return found


def sources(unit: str) -> list[Path]:
    """The unit's file, then its drop-ins in systemd's order (sorted by file name; for
    one name the instance's directory wins over the template's)."""
    template = re.sub(r"@[^.]+\.", "@.", unit)
    dropins: dict[str, Path] = {}
    for directory in dict.fromkeys((f"{template}.d", f"{unit}.d")):
        for conf in (UNITS / directory).glob("*.conf"):
            dropins[conf.name] = conf
    return [UNITS / template] + [dropins[name] for name in sorted(dropins)]


def values(unit: str, section: str, key: str) -> list[str]:
    """Every assignment of KEY in order; an empty one resets the list."""
    found: list[str] = []
    for path in sources(unit):
        for sec, k, value in assignments(path):
            if (sec, k) == (section, key):
                found = [] if value == "" else [*found, value]
    return found


def value(unit: str, section: str, key: str) -> str | None:
    found = values(unit, section, key)
    return found[-1] if found else None


def memory_bytes(text: str) -> int:
    m = re.fullmatch(r"(\d+)([KMGT]?)", text)
    assert m, f"not a memory size in bytes, K, M, G or T: {text!r}"
    return int(m[1]) * MEMORY_UNITS[m[2]]


# --- systemd-analyze ---------------------------------------------------------------


def test_every_service_scores_at_most_2_in_systemd_analyze_security(
    target_root: Path, terminal_report: Callable[[str, Sequence[str]], None]
) -> None:
    version = analyze("--version").stdout.split("\n", 1)[0]
    rows: list[tuple[str, float | None, str]] = []
    for unit in SERVICES:
        p = analyze("security", "--offline=true", f"--root={target_root}", unit)
        m = re.search(rf"Overall exposure level for {re.escape(unit)}: (\d+\.\d+) (\w+)", p.stdout)
        if m:
            rows.append((unit, float(m[1]), m[2]))
        else:
            rows.append((unit, None, f"no score (exit {p.returncode}): {p.stderr.strip()}"))

    width = max(len(unit) for unit in SERVICES)
    table = [f"{version}, offline, units/ as installed; limit {MAX_EXPOSURE}", ""]
    table.append(f"{'unit':<{width}}  exposure  rating")
    for unit, score, rating in rows:
        shown = "-" if score is None else f"{score:.1f}"
        table.append(f"{unit:<{width}}  {shown:>8}  {rating}")
    terminal_report("systemd-analyze security (dgp units)", table)

    too_exposed = [row for row in rows if row[1] is None or row[1] > MAX_EXPOSURE]
    assert not too_exposed, "exposure above 2.0 or no score:\n" + "\n".join(table)


def test_systemd_analyze_verify_prints_nothing(
    target_root: Path, terminal_report: Callable[[str, Sequence[str]], None]
) -> None:
    units = TEMPLATES + UNIT_NAMES
    p = analyze("verify", "--man=no", f"--root={target_root}", *units)
    output = (p.stdout + p.stderr).strip()
    summary = (
        f"{len(units)} units (units/ and the {len(KINDS)} kinds' instances), exit {p.returncode}"
    )
    terminal_report(
        "systemd-analyze verify (dgp units)",
        [summary + (": no output" if not output else ":"), *output.splitlines()],
    )
    assert p.returncode == 0 and not output, f"systemd-analyze verify:\n{output}"


# --- ports, resources, restart policy ----------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_listens_on_its_port_from_ports_py(kind: str) -> None:
    listen = UNITS / f"dgp-scanner@{kind}.socket.d" / "listen.conf"
    assert listen.is_file(), f"{listen.relative_to(UNITS.parent)} is missing"
    address = f"{ports.HOST}:{ports.scanner_port(kind)}"
    # the drop-in resets the template's unix socket, then sets exactly the kind's port
    assert [v for s, k, v in assignments(listen) if (s, k) == ("Socket", "ListenStream")] == [
        "",
        address,
    ]
    assert values(f"dgp-scanner@{kind}.socket", "Socket", "ListenStream") == [address]


def test_no_drop_in_for_an_unknown_kind_and_web_on_its_port() -> None:
    dropin_kinds = {
        m[1]
        for d in UNITS.iterdir()
        if d.is_dir() and (m := re.fullmatch(r"dgp-scanner@(.+)\.(?:service|socket)\.d", d.name))
    }
    assert dropin_kinds <= set(KINDS)
    assert values("dgp-web.socket", "Socket", "ListenStream") == [ports.web_bind()]


@pytest.mark.parametrize("kind", HEAVY_KINDS)
def test_heavy_kinds_get_more_memory_than_the_template(kind: str) -> None:
    resources = UNITS / f"dgp-scanner@{kind}.service.d" / "resources.conf"
    assert resources.is_file(), f"{resources.relative_to(UNITS.parent)} is missing"
    default = value("dgp-scanner@.service", "Service", "MemoryMax")
    mine = [v for s, k, v in assignments(resources) if (s, k) == ("Service", "MemoryMax")]
    assert default and mine, "MemoryMax= in the template and in resources.conf"
    assert memory_bytes(mine[-1]) > memory_bytes(default)
    assert value(f"dgp-scanner@{kind}.service", "Service", "MemoryMax") == mine[-1]


def test_every_service_is_covered_below() -> None:
    assert sorted(SERVICES) == sorted(LONG_RUNNING + TIMER_RUN)


@pytest.mark.parametrize("unit", LONG_RUNNING + TIMER_RUN)
def test_service_restart_watchdog_resources_and_oom_policy(unit: str) -> None:
    def get(key: str) -> str | None:
        return value(unit, "Service", key)

    if unit in TIMER_RUN:
        timer = unit.removesuffix(".service") + ".timer"
        assert timer in FILES, f"{unit} is a oneshot pass: {timer} must run it"
        assert (get("Type"), get("Restart")) == ("oneshot", None)
    else:
        assert get("Type") == "notify"
        assert get("Restart") == "on-failure"
    if unit in SCANNER_SERVICES:
        assert get("WatchdogSec") not in (None, "0", "infinity")
    assert get("MemoryMax") and memory_bytes(get("MemoryMax") or "")
    assert re.fullmatch(r"\d+%", get("CPUQuota") or ""), get("CPUQuota")
    assert re.fullmatch(r"\d+", get("TasksMax") or ""), get("TasksMax")
    # explicit in the unit, not systemd's DefaultOOMPolicy
    assert get("OOMPolicy") in ("continue", "stop", "kill")
