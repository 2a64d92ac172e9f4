"""The systemd units in units/, checked as the package installs them.

packaging/debian/rules copies units/ as it is to /lib/systemd/system, so these tests
copy it as it is too, into a temporary root that looks like a target: the host's own
units (sysinit.target, sockets.target, ... which `verify` loads as dependencies),
units/ over them, and an executable /usr/bin/dgp placeholder (`verify` checks that
ExecStart= can run). With --root= systemd-analyze (252) loads the drop-ins as well,
so a unit is checked as it runs: every dgp service with the shared
dgp-.service.d/10-hardening.conf (a prefix drop-in), dgp-scanner@document.service
with its 20-resources.conf, dgp-scanner@code.socket with its listen.conf.

Every kind of the registry runs as its own instance (dgp-scanner@code) and as one
more consumer of it (dgp-scanner@code-2), the latter set up in the target root the
way units/README.md tells an administrator to: the kind's service drop-ins linked
with `ln -rs` into /etc/systemd/system/dgp-scanner@KIND-2.service.d/ (relative
links: offline, systemd-analyze resolves absolute ones outside --root), its socket
left as the template's unix socket.

- `systemd-analyze security --offline=true --root=ROOT UNIT`: each service's exposure
  is at most its own ceiling in EXPOSURE_CEILING; the table is printed at the end of
  the run (conftest.py).
- `systemd-analyze verify --root=ROOT UNIT...` prints nothing: it exits 0 even on
  unknown keys or bad values, so any output fails.

Without systemd-analyze they fail, never skip: Debian 12 (CI) has systemd 252.
The other tests read the files the way systemd merges them; the ports come from the
kinds' specs.
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
LIB = "lib/systemd/system"  # under a target root: the package's units
ETC = "etc/systemd/system"  # under a target root: the administrator's
KINDS = kinds.names()
SUFFIXES = (".service", ".socket", ".timer", ".target", ".slice")
MEMORY_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
HARDENING = UNITS / "dgp-.service.d" / "10-hardening.conf"
RESOURCES = "20-resources.conf"  # a kind's memory, CPU, tasks, watchdog
RELAXATIONS = "30-relaxations.conf"  # a kind's exceptions to the shared hardening

# The most `systemd-analyze security` (systemd 252, offline) may score each service:
# lower is safer; the figures are today's. A new kind adds its two rows (the kind and
# one more consumer of it); a relaxation that raises a score must raise its row here,
# where a reviewer sees it.
EXPOSURE_CEILING = {
    "dgp-janitor.service": 1.1,
    "dgp-scanner@api.service": 1.2,
    "dgp-scanner@api-2.service": 1.2,
    # sched_setscheduler, to put its password-hashing threads at idle priority
    "dgp-web.service": 1.2,
    "dgp-scanner@ai_model.service": 1.2,
    "dgp-scanner@ai_model-2.service": 1.2,
    "dgp-scanner@code.service": 1.2,
    "dgp-scanner@code-2.service": 1.2,
    "dgp-scanner@document.service": 1.2,
    "dgp-scanner@document-2.service": 1.2,
    "dgp-scanner@database.service": 1.2,
    "dgp-scanner@database-2.service": 1.2,
    "dgp-scanner@image.service": 1.2,
    "dgp-scanner@image-2.service": 1.2,
    # Chromium: W^X memory for V8, namespaces for its own sandbox (30-relaxations.conf)
    "dgp-scanner@website.service": 2.0,
    "dgp-scanner@website-2.service": 2.0,
}

FILES = sorted(p.name for p in UNITS.iterdir() if p.is_file() and p.name.endswith(SUFFIXES))
TEMPLATES = [name for name in FILES if "@." in name]
EXTRA = {f"{kind}-2": kind for kind in KINDS}  # one more consumer of each kind
INSTANCES = [t.replace("@.", f"@{i}.") for t in TEMPLATES for i in [*KINDS, *EXTRA]]
UNIT_NAMES = [name for name in FILES if name not in TEMPLATES] + INSTANCES
SERVICES = [name for name in UNIT_NAMES if name.endswith(".service")]
SCANNER_SERVICES = [f"dgp-scanner@{i}.service" for i in [*KINDS, *EXTRA]]
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


def link_kind_dropins(root: Path, instance: str, kind: str) -> None:
    """What units/README.md tells an administrator to do for one more consumer of a
    kind: link the kind's service drop-ins into the instance's own directory."""
    confs = sorted((root / LIB / f"dgp-scanner@{kind}.service.d").glob("*.conf"))
    if not confs:
        return
    dest = root / ETC / f"dgp-scanner@{instance}.service.d"
    dest.mkdir(parents=True)
    subprocess.run(["ln", "-rs", *map(str, confs), f"{dest}/"], check=True)


@pytest.fixture(scope="module")
def target_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root with the units installed as on a target, for systemd-analyze --root=."""
    root = tmp_path_factory.mktemp("target")
    unitdir = root / LIB
    if HOST_UNITS.is_dir():  # the host's units, but never an installed dgp unit
        shutil.copytree(
            HOST_UNITS, unitdir, symlinks=True, ignore=shutil.ignore_patterns("dgp-*", "dgp.*")
        )
    shutil.copytree(UNITS, unitdir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("README.md"))
    (root / ETC).mkdir(parents=True)
    for instance, kind in EXTRA.items():
        link_kind_dropins(root, instance, kind)
    dgp = root / "usr/bin/dgp"
    dgp.parent.mkdir(parents=True)
    dgp.write_text("#!/bin/sh\nexit 0\n")
    dgp.chmod(0o755)
    return root


# --- the unit files, read the way systemd merges them -------------------------------


def assignments(path: Path) -> list[tuple[str, str, str, bool]]:
    """(section, key, value, commented) of every assignment in one unit file or drop-in;
    commented: a comment line is right above it."""
    section, found, after_comment = "", [], False
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line:
            after_comment = False
            continue
        if line[0] in "#;":
            after_comment = True
            continue
        assert not line.endswith("\\"), f"{path}: continuation lines are not parsed here"
        if line.startswith("[") and line.endswith("]"):
            section, after_comment = line[1:-1], False
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path}: not a KEY=VALUE line: {raw!r}"
        found.append((section, key.strip(), value.strip(), after_comment))
        after_comment = False
    return found


def dropin_dirs(unit: str) -> list[str]:
    """The drop-in directories systemd (252) reads for UNIT, the most specific first:
    the unit's, its template's, one per dash prefix of its name (dgp-scanner@code.service:
    dgp-.service.d), and the type's (service.d)."""
    stem, _, suffix = unit.rpartition(".")
    prefix, at, instance = stem.partition("@")
    names = [unit]
    if at and instance:
        names.append(f"{prefix}@.{suffix}")
    while "-" in prefix.rstrip("-"):
        prefix = prefix.rstrip("-").rsplit("-", 1)[0] + "-"
        names.append(f"{prefix}.{suffix}")
    names.append(suffix)
    return [f"{name}.d" for name in names]


def sources(unit: str, unit_dirs: Sequence[Path] = (UNITS,)) -> list[Path]:
    """The unit's file, then its drop-ins in systemd's order: sorted by file name, and
    for one name the first directory wins (the administrator's over the package's, the
    unit's own over its template's over its prefixes')."""
    template = re.sub(r"@[^.]+\.", "@.", unit)
    files = [d / name for d in unit_dirs for name in (unit, template) if (d / name).is_file()]
    assert files, f"no unit file for {unit} in {', '.join(map(str, unit_dirs))}"
    dropins: dict[str, Path] = {}
    for directory in dropin_dirs(unit):
        for base in unit_dirs:
            for conf in (base / directory).glob("*.conf"):
                dropins.setdefault(conf.name, conf)
    return [files[0]] + [dropins[name] for name in sorted(dropins)]


def values(unit: str, section: str, key: str, unit_dirs: Sequence[Path] = (UNITS,)) -> list[str]:
    """Every assignment of KEY in order; an empty one resets the list."""
    found: list[str] = []
    for path in sources(unit, unit_dirs):
        for sec, k, value, _ in assignments(path):
            if (sec, k) == (section, key):
                found = [] if value == "" else [*found, value]
    return found


def value(unit: str, section: str, key: str, unit_dirs: Sequence[Path] = (UNITS,)) -> str | None:
    found = values(unit, section, key, unit_dirs)
    return found[-1] if found else None


def merged(unit: str, section: str, unit_dirs: Sequence[Path]) -> dict[str, list[str]]:
    keys = {k for path in sources(unit, unit_dirs) for s, k, _, _ in assignments(path)}
    return {k: values(unit, section, k, unit_dirs) for k in sorted(keys)}


def memory_bytes(text: str) -> int:
    m = re.fullmatch(r"(\d+)([KMGT]?)", text)
    assert m, f"not a memory size in bytes, K, M, G or T: {text!r}"
    return int(m[1]) * MEMORY_UNITS[m[2]]


HARDENING_KEYS = {k for _, k, _, _ in assignments(HARDENING)}


def hardening_problems(dropin: Path) -> list[str]:
    """What is wrong with a kind's service drop-in as to the shared hardening: only its
    30-relaxations.conf may change a hardening setting, every change there has its own
    comment right above it, and that file changes nothing else."""
    problems = []
    for _, key, _, commented in assignments(dropin):
        if dropin.name == RELAXATIONS:
            if key not in HARDENING_KEYS:
                problems.append(f"{dropin}: {key}= is not hardening; it belongs in {RESOURCES}")
            elif not commented:
                problems.append(f"{dropin}: {key}= relaxes the hardening without a comment")
        elif key in HARDENING_KEYS:
            problems.append(f"{dropin}: {key}= relaxes the hardening outside {RELAXATIONS}")
    return problems


# --- systemd-analyze ---------------------------------------------------------------


def test_every_service_stays_under_its_own_systemd_analyze_security_ceiling(
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
    table = [f"{version}, offline, units/ as installed (KIND-2: one more consumer)", ""]
    table.append(f"{'unit':<{width}}  exposure  ceiling  rating")
    for unit, score, rating in rows:
        shown = "-" if score is None else f"{score:.1f}"
        ceiling = EXPOSURE_CEILING.get(unit)
        limit = "none" if ceiling is None else f"{ceiling:.1f}"
        table.append(f"{unit:<{width}}  {shown:>8}  {limit:>7}  {rating}")
    terminal_report("systemd-analyze security (dgp units)", table)

    assert sorted(EXPOSURE_CEILING) == sorted(SERVICES), (
        "every service needs its own ceiling in EXPOSURE_CEILING, and only those:\n"
        + "\n".join(table)
    )
    too_exposed = [u for u, score, _ in rows if score is None or score > EXPOSURE_CEILING[u]]
    assert not too_exposed, f"over its ceiling or no score: {too_exposed}\n" + "\n".join(table)


def test_systemd_analyze_verify_prints_nothing(
    target_root: Path, terminal_report: Callable[[str, Sequence[str]], None]
) -> None:
    units = TEMPLATES + UNIT_NAMES
    p = analyze("verify", "--man=no", f"--root={target_root}", *units)
    output = (p.stdout + p.stderr).strip()
    summary = (
        f"{len(units)} units (units/, the {len(KINDS)} kinds' instances and one more "
        f"consumer of each), exit {p.returncode}"
    )
    terminal_report(
        "systemd-analyze verify (dgp units)",
        [summary + (": no output" if not output else ":"), *output.splitlines()],
    )
    assert p.returncode == 0 and not output, f"systemd-analyze verify:\n{output}"


# --- one hardening for every service, relaxed only where a kind says why -------------


def test_prefix_drop_in_directories_are_found_as_systemd_does() -> None:
    assert dropin_dirs("dgp-scanner@code-2.service") == [
        "dgp-scanner@code-2.service.d",
        "dgp-scanner@.service.d",
        "dgp-.service.d",
        "service.d",
    ]
    assert dropin_dirs("dgp-web.socket") == ["dgp-web.socket.d", "dgp-.socket.d", "socket.d"]
    assert dropin_dirs("a-b-c.service")[1:3] == ["a-b-.service.d", "a-.service.d"]


@pytest.mark.parametrize("unit", SERVICES)
def test_every_service_has_the_shared_hardening_and_sets_none_itself(unit: str) -> None:
    assert HARDENING in sources(unit)
    own = sources(unit)[0]
    assert not HARDENING_KEYS & {k for _, k, _, _ in assignments(own)}, (
        f"{own.name} sets hardening itself: it belongs in {HARDENING.relative_to(UNITS)}"
    )
    relaxed = {  # a kind's relaxations file may relax these, each with its reason
        k for path in sources(unit) if path.name == RELAXATIONS for _, k, _, _ in assignments(path)
    }
    for key in ("NoNewPrivileges", "PrivateUsers", "MemoryDenyWriteExecute"):
        if key not in relaxed:
            assert value(unit, "Service", key) == "yes", (unit, key)
    assert value(unit, "Service", "ProtectSystem") == "strict"


def test_only_a_kinds_relaxations_file_relaxes_the_hardening_with_a_comment_each() -> None:
    dropins = sorted(UNITS.glob("dgp-?*.service.d/*.conf"))  # not the hardening itself
    assert [p for p in dropins if hardening_problems(p)] == [], [
        problem for p in dropins for problem in hardening_problems(p)
    ]


def test_the_relaxations_rule_catches_what_it_is_for(tmp_path: Path) -> None:
    good = tmp_path / RELAXATIONS
    good.write_text(
        "[Service]\n# V8's JIT writes and runs the code it compiles\nMemoryDenyWriteExecute=no\n"
    )
    assert hardening_problems(good) == []
    bare = tmp_path / "x" / RELAXATIONS
    bare.parent.mkdir()
    bare.write_text("[Service]\n# V8 needs W^X memory\nMemoryDenyWriteExecute=no\nProtectHome=no\n")
    assert hardening_problems(bare) == [
        f"{bare}: ProtectHome= relaxes the hardening without a comment"
    ]
    hidden = tmp_path / RESOURCES
    hidden.write_text("[Service]\n# more memory\nMemoryMax=4G\n# and\nRestrictNamespaces=no\n")
    assert hardening_problems(hidden) == [
        f"{hidden}: RestrictNamespaces= relaxes the hardening outside {RELAXATIONS}"
    ]


# --- ports, instances, resources, restart policy -------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_listens_on_the_port_of_its_spec(kind: str) -> None:
    listen = UNITS / f"dgp-scanner@{kind}.socket.d" / "listen.conf"
    assert listen.is_file(), f"{listen.relative_to(UNITS.parent)} is missing"
    address = f"{ports.HOST}:{kinds.get(kind).port}"
    # the drop-in resets the template's unix socket, then sets exactly the kind's port
    assert [v for s, k, v, _ in assignments(listen) if (s, k) == ("Socket", "ListenStream")] == [
        "",
        address,
    ]
    assert values(f"dgp-scanner@{kind}.socket", "Socket", "ListenStream") == [address]


@pytest.mark.parametrize("instance", EXTRA)
def test_one_more_consumer_of_a_kind_runs_the_kind_on_its_unix_socket(
    instance: str, target_root: Path
) -> None:
    kind = EXTRA[instance]
    assert kinds.for_instance(instance).name == kind  # `dgp scanner code-2` runs kind code
    assert value(f"dgp-scanner@{instance}.service", "Service", "ExecStart") == (
        "/usr/bin/dgp scanner %i"
    )
    assert values(f"dgp-scanner@{instance}.socket", "Socket", "ListenStream") == [
        "/run/dataguardian/scanner-%i.sock"
    ]
    # with the kind's drop-ins linked as units/README.md says, it runs as the kind does
    dirs = (target_root / ETC, target_root / LIB)
    assert merged(f"dgp-scanner@{instance}.service", "Service", dirs) == merged(
        f"dgp-scanner@{kind}.service", "Service", dirs
    )


def test_no_drop_in_for_an_unknown_kind_and_web_on_its_port() -> None:
    dropin_kinds = {
        m[1]
        for d in UNITS.iterdir()
        if d.is_dir() and (m := re.fullmatch(r"dgp-scanner@(.+)\.(?:service|socket)\.d", d.name))
    }
    assert dropin_kinds <= set(KINDS)
    assert values("dgp-web.socket", "Socket", "ListenStream") == [ports.web_bind()]


@pytest.mark.parametrize(
    "kind", [k for k in KINDS if (UNITS / f"dgp-scanner@{k}.service.d" / RESOURCES).is_file()]
)
def test_a_kinds_resources_raise_the_templates_memory(kind: str) -> None:
    resources = UNITS / f"dgp-scanner@{kind}.service.d" / RESOURCES
    default = value("dgp-scanner@.service", "Service", "MemoryMax")
    mine = [v for s, k, v, _ in assignments(resources) if (s, k) == ("Service", "MemoryMax")]
    assert default and mine, f"MemoryMax= in the template and in {RESOURCES}"
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
