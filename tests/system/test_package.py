"""The Debian package on a booted systemd host: the real units, checked for real.

One host for the module: redis-server and postgresql from apt, then
`apt install ./dataguardian_*.deb` (tests/system/dgphost.py). Loads and waits are
bounded in count and time, and target only the host's own loopback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import testinfra.host

from dgp import kinds
from tests.system import dgphost
from tests.system import testhost as th
from tests.system.dgphost import UNITS, WEB, Installed

RESPONSIVE_P99_MS = 250.0
SCANNER_PORTS = {"dgp-web": 5000} | {f"dgp-scanner@{k.name}": k.port for k in kinds.specs()}
HARDENING = "/dgp-.service.d/10-hardening.conf"  # the one drop-in every dgp service has


@pytest.fixture(scope="module")
def deb() -> Path:
    return dgphost.package()


@pytest.fixture(scope="module")
def dgp(deb: Path, podman_shim: Path) -> Iterator[Installed]:
    name = f"pkg{os.getpid()}"
    try:
        host = th.up(name, owner=os.getpid())
    except th.TestHostError as e:
        pytest.fail(f"cannot bring up the test host: {e}", pytrace=False)
    try:
        yield dgphost.install(host, deb)
    finally:
        th.down(name)


@pytest.fixture(scope="module")
def machine(dgp: Installed) -> testinfra.host.Host:
    return testinfra.get_host(dgp.host.testinfra_spec)


def test_every_unit_is_enabled_and_active_and_each_socket_answers(
    dgp: Installed, machine: testinfra.host.Host
) -> None:
    for unit in UNITS:
        service = machine.service(unit)
        assert service.is_enabled, unit
        assert service.is_running or dgp.show(unit, "ActiveState") == "active", unit
    for port in SCANNER_PORTS.values():
        assert machine.socket(f"tcp://127.0.0.1:{port}").is_listening
        assert dgp.health(port) == 200, port
    assert machine.user("dataguardian").exists
    assert machine.file("/etc/dataguardian/secrets.conf").mode == 0o640
    assert machine.file("/etc/dataguardian/secrets.conf").group == "dataguardian"
    assert dgp.host.failed_units() == []


# Every package of the installed venv with compiled code, imported: a library the build
# broke (stripping made numpy's bundled OpenBLAS unloadable once) fails here, not in a scan.
IMPORT_NATIVE_PACKAGES = """
import importlib, importlib.metadata as md
names = set()
for dist in md.distributions():
    for f in dist.files or ():
        if f.name.endswith(".so") or ".so." in f.name:
            top = f.parts[0]
            if not top.endswith((".libs", ".data")) and not (len(f.parts) == 1 and top[0] == "_"):
                names.add(top.split(".")[0])
failed = {}
for name in sorted(names):
    try:
        importlib.import_module(name)
    except Exception as e:
        failed[name] = f"{type(e).__name__}: {e}"[:300]
print(len(names), failed)
"""


def test_every_native_library_of_the_installed_venv_loads(dgp: Installed) -> None:
    python = "/usr/lib/dataguardian/venv/bin/python"
    run = dgp.host.run([python, "-c", IMPORT_NATIVE_PACKAGES], user="dataguardian")
    assert run.returncode == 0, run.stderr
    count, failed = run.stdout.split(" ", 1)
    assert int(count) >= 20 and failed.strip() == "{}", run.stdout


def test_a_request_starts_a_stopped_scanner_through_its_socket(dgp: Installed) -> None:
    dgp.systemctl("stop", "dgp-scanner@code.service")
    assert dgp.show("dgp-scanner@code.service", "ActiveState") == "inactive"
    assert dgp.show("dgp-scanner@code.socket", "ActiveState") == "active"
    assert dgp.health(5001) == 200  # waits in the socket's backlog while it starts
    assert dgp.show("dgp-scanner@code.service", "ActiveState") == "active"


def test_queued_jobs_run_when_the_target_starts_without_any_request(
    dgp: Installed, tmp_path: Path
) -> None:
    """What a reboot does: dgp.target starts the scanners, which consume their streams."""
    dgp.make_tree("/var/tmp/queued", files=3, lines=2)
    dgp.systemctl("stop", "dgp-scanner@code.service", "dgp-scanner@code.socket")
    scan_id = dgp.submit("code", "/var/tmp/queued")
    time.sleep(2)
    assert dgp.scan(scan_id)["status"] == "queued"
    dgp.systemctl("start", "dgp.target")
    assert dgp.wait_scan(scan_id, seconds=120)["status"] == "done"


def test_restarting_one_scanner_under_load_fails_no_request_and_touches_nothing_else(
    dgp: Installed,
) -> None:
    others = [u for u in UNITS if u.endswith(".service") and u != "dgp-scanner@code.service"]
    before = {unit: dgp.main_pid(unit) for unit in others}
    command = dgp.host.command(
        dgp.load_command(
            "http://127.0.0.1:5001/health", f"{WEB}/api/v1/scans", rate=100, seconds=30, auth=True
        )
    )
    load = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(10)
        restarted_from = dgp.main_pid("dgp-scanner@code.service")
        dgp.systemctl("restart", "dgp-scanner@code.service")
        out, _ = load.communicate(timeout=150)
    finally:
        if load.poll() is None:
            load.kill()
    report = json.loads(out)
    print(f"restart under load: {report}")
    assert report["sent"] == 3000 and report["failed"] == 0, report["failures"]
    assert dgp.main_pid("dgp-scanner@code.service") not in (0, restarted_from)
    assert {unit: dgp.main_pid(unit) for unit in others} == before


def test_kill_9_of_a_busy_scanner_is_restarted_and_its_scan_completes(dgp: Installed) -> None:
    dgp.make_tree("/var/tmp/many-docs", files=1500, lines=40)
    restarts = int(dgp.show("dgp-scanner@document.service", "NRestarts"))
    scan_id = dgp.submit("document", "/var/tmp/many-docs")
    dgp.wait_scan(scan_id, seconds=120, want=("running",))
    time.sleep(1)
    dgp.sh(f"kill -9 {dgp.main_pid('dgp-scanner@document.service')}")
    scan = dgp.wait_scan(scan_id, seconds=300)
    assert scan["status"] == "done", scan
    assert int(dgp.show("dgp-scanner@document.service", "NRestarts")) >= restarts + 1
    assert dgp.show("dgp-scanner@document.service", "ActiveState") == "active"


def test_a_scans_log_lines_are_found_by_its_id_in_the_journal(dgp: Installed) -> None:
    dgp.make_tree("/var/tmp/journal", files=2, lines=2)
    scan_id = dgp.submit("code", "/var/tmp/journal")
    assert dgp.wait_scan(scan_id, seconds=120)["status"] == "done"
    lines = dgp.sh(
        f"journalctl -u dgp-scanner@code --no-pager -o cat DGP_SCAN_ID={scan_id}"
    ).splitlines()
    assert any("started" in line for line in lines) and any("done" in line for line in lines)
    assert all(scan_id in line for line in lines)
    assert "jan.jansen" not in dgp.sh("journalctl -u 'dgp-*' --no-pager -o cat")


def test_a_scanner_keeps_its_compiled_pattern_databases_in_its_cache_directory(
    dgp: Installed, machine: testinfra.host.Host
) -> None:
    """CacheDirectory=: the first scan compiles the engine's databases into
    /var/cache/dataguardian/scanner, private to the service user; after a restart the
    scanner loads them (the same files, none written anew). The parent stays root's (the
    Ansible role keeps its .deb there)."""

    folder = "/var/cache/dataguardian/scanner/hyperscan"

    def databases() -> dict[str, str]:  # name -> inode: a new compile replaces the file
        listing = dgp.sh(f"stat -c '%n %i' {folder}/*.hsdb")
        return dict(line.rsplit(" ", 1) for line in listing.splitlines())

    dgp.make_tree("/var/tmp/cached", files=2, lines=2)
    assert dgp.wait_scan(dgp.submit("code", "/var/tmp/cached"), seconds=120)["status"] == "done"
    parent = machine.file("/var/cache/dataguardian")
    assert (parent.user, parent.mode) == ("root", 0o755)
    for path in ("/var/cache/dataguardian/scanner", folder):
        assert (machine.file(path).user, machine.file(path).mode) == ("dataguardian", 0o700), path
    kept = databases()
    assert kept
    for name in kept:
        assert (machine.file(name).user, machine.file(name).mode) == ("dataguardian", 0o600)
    dgp.systemctl("restart", "dgp-scanner@code.service")
    assert dgp.wait_scan(dgp.submit("code", "/var/tmp/cached"), seconds=120)["status"] == "done"
    assert databases() == kept


def relaxed(unit: str) -> set[str]:
    """The settings a kind's relaxations drop-in (units/UNIT.d/30-relaxations.conf) sets."""
    path = Path(__file__).resolve().parents[2] / "units" / f"{unit}.d" / "30-relaxations.conf"
    if not path.is_file():
        return set()
    lines = (line.strip() for line in path.read_text().splitlines())
    return {line.split("=", 1)[0] for line in lines if "=" in line and not line.startswith("#")}


def test_every_dgp_service_runs_with_the_one_shared_hardening_drop_in(dgp: Installed) -> None:
    """systemd 252 applies units/dgp-.service.d/ to every dgp-*.service (a prefix
    drop-in); `systemd-analyze security` on the running host, printed."""
    services = ["dgp-web.service", "dgp-janitor.service"]
    services += [f"dgp-scanner@{kind}.service" for kind in kinds.names()]
    scores = {}
    for unit in services:
        assert any(p.endswith(HARDENING) for p in dgp.show(unit, "DropInPaths").split()), unit
        for prop, wanted in (
            ("NoNewPrivileges", "yes"),
            ("ProtectSystem", "strict"),
            ("ProtectHome", "yes"),
            ("PrivateUsers", "yes"),
            ("MemoryDenyWriteExecute", "yes"),
        ):
            if prop not in relaxed(unit):  # a kind's 30-relaxations.conf, each with its reason
                assert dgp.show(unit, prop) == wanted, (unit, prop)
        out = dgp.host.run(["systemd-analyze", "security", "--no-pager", unit]).stdout
        m = re.search(rf"Overall exposure level for {re.escape(unit)}: (\d+\.\d+)", out)
        scores[unit] = m[1] if m else "-"
    print("systemd-analyze security on the booted host:", scores)


def test_one_more_consumer_of_a_kind_runs_the_kind_on_its_own_unix_socket(
    dgp: Installed,
) -> None:
    """units/README.md, "More consumers of a kind": dgp-scanner@code-2 runs kind code as
    consumer HOST-code-2 on the template's unix socket; dgp-scanner@document-2 gets
    document's drop-ins through the links the README makes."""
    dgp.sh(
        "mkdir -p /etc/systemd/system/dgp-scanner@document-2.service.d && "
        "ln -s /lib/systemd/system/dgp-scanner@document.service.d/*.conf "
        "/etc/systemd/system/dgp-scanner@document-2.service.d/ && systemctl daemon-reload"
    )
    try:
        linked = dgp.show("dgp-scanner@document-2.service", "DropInPaths").split()
        assert "/etc/systemd/system/dgp-scanner@document-2.service.d/20-resources.conf" in linked
        # (WatchdogUSec is a running unit's: compared on the three-hosts deploy)
        for prop in ("MemoryMax", "CPUQuotaPerSecUSec", "TasksMax"):
            theirs = dgp.show("dgp-scanner@document.service", prop)
            assert dgp.show("dgp-scanner@document-2.service", prop) == theirs, prop
        dgp.systemctl("start", "dgp-scanner@code-2.socket", "dgp-scanner@code-2.service")
        health = dgp.curl(
            "http://localhost/health", "--unix-socket", "/run/dataguardian/scanner-code-2.sock"
        ).stdout
        assert health.endswith("\n200") and json.loads(health.rpartition("\n")[0])["kind"] == "code"
        dgp.systemctl("stop", "dgp-scanner@code.service", "dgp-scanner@code.socket")
        dgp.make_tree("/var/tmp/second-consumer", files=3, lines=2)
        scan_id = dgp.submit("code", "/var/tmp/second-consumer")
        assert dgp.wait_scan(scan_id, seconds=120)["status"] == "done"
        lines = dgp.sh(f"journalctl -u dgp-scanner@code-2 --no-pager -o cat DGP_SCAN_ID={scan_id}")
        assert "done" in lines
        consumers = dgp.sh("redis-cli XINFO CONSUMERS dgp:jobs:code scanners")
        assert f"{dgp.sh('hostname').strip()}-code-2" in consumers.split()
    finally:
        dgp.systemctl("stop", "dgp-scanner@code-2.service", "dgp-scanner@code-2.socket")
        dgp.sh("rm -r /etc/systemd/system/dgp-scanner@document-2.service.d")
        dgp.systemctl("daemon-reload")
        dgp.systemctl("start", "dgp-scanner@code.socket", "dgp-scanner@code.service")
    assert dgp.host.failed_units() == []


def test_an_upgrade_over_a_running_install_keeps_every_queued_job(
    dgp: Installed, deb: Path, tmp_path: Path
) -> None:
    newer = dgphost.newer_build(deb, tmp_path)
    dgp.make_tree("/var/tmp/upgrade", files=20, lines=50)
    ids = [dgp.submit("code", "/var/tmp/upgrade") for _ in range(30)]
    web_before = dgp.main_pid("dgp-web.service")
    dgp.host.install_deb(newer)
    assert "+upgrade1" in dgp.sh("dpkg-query -W -f '${Version}' dataguardian")
    assert dgp.main_pid("dgp-web.service") not in (0, web_before)  # restarted
    statuses = [dgp.wait_scan(scan_id, seconds=300)["status"] for scan_id in ids]
    assert statuses == ["done"] * len(ids)
    assert dgp.host.failed_units() == []


def oom_kills(unit: str, host: str) -> list[str]:
    """The kernel's OOM-kill records whose memory cgroup is `unit` on test host `host`."""
    lines = subprocess.run(["dmesg"], capture_output=True, text=True, check=True).stdout
    return [
        line
        for line in lines.splitlines()
        if "oom-kill:" in line
        and "oom_memcg=" in line
        and f"{th.HOST_PREFIX}{host}/" in line
        and line.split("oom_memcg=")[1].split(",")[0].endswith(f"/{unit}")
    ]


def resident_bytes(dgp: Installed, unit: str) -> int:
    """Anonymous memory of the unit's processes (cgroup v1 memory.stat total_rss)."""
    group = dgp.show(unit, "ControlGroup")
    stat = dgp.sh(f"cat /sys/fs/cgroup/memory{group}/memory.stat")
    return int(next(line.split()[1] for line in stat.splitlines() if line.startswith("total_rss ")))


def big_scanned_pdf(folder: Path) -> Path:
    """One scanned page of 4300 x 4300 pixels: decoding it for OCR takes ~150 MB (pypdf
    refuses image buffers over 75 MB)."""
    from PIL import Image

    path = folder / "scan.pdf"
    Image.new("RGB", (4300, 4300), "white").save(path, "PDF", resolution=600)
    return path


def test_a_scan_over_memory_max_is_killed_in_its_unit_retried_then_dead_lettered(
    dgp: Installed, tmp_path: Path
) -> None:
    """A test-only runtime limit (systemctl set-property --runtime, gone at reboot) just
    above the warm scanner's memory; a real scan that needs more than that."""
    unit = "dgp-scanner@document.service"
    dgp.make_tree("/var/tmp/warm-docs", files=2, lines=2)
    assert dgp.wait_scan(dgp.submit("document", "/var/tmp/warm-docs"))["status"] == "done"
    current = resident_bytes(dgp, unit)  # page cache is reclaimed before an OOM kill
    limit = current + 40 * 1024 * 1024
    dgp.systemctl("set-property", "--runtime", unit, f"MemoryMax={limit}")
    restarts = int(dgp.show(unit, "NRestarts"))
    known_kills = len(oom_kills(unit, dgp.host.name))
    dgp.host.put(big_scanned_pdf(tmp_path), "/var/tmp/scan.pdf")
    try:
        scan_id = dgp.submit("document", "/var/tmp/scan.pdf")
        web_answers: list[int] = []
        deadline = time.monotonic() + 300
        while dgp.scan(scan_id)["status"] not in dgphost.FINAL:
            assert time.monotonic() < deadline, "the scan did not end"
            web_answers.append(dgp.health(5000))
            time.sleep(0.5)
        scan = dgp.scan(scan_id)
        restarted = int(dgp.show(unit, "NRestarts"))  # a manual restart resets it
    finally:
        dgp.systemctl("revert", unit)  # drops the runtime limit
        dgp.systemctl("daemon-reload")
        dgp.systemctl("reset-failed", unit, check=False)
        dgp.systemctl("restart", unit)
    print(f"memory: warm {current >> 20} MiB, test limit {limit >> 20} MiB; {scan['error']}")
    assert scan["status"] == "failed" and "gave up after 3 deliveries" in scan["error"]
    assert len(oom_kills(unit, dgp.host.name)) - known_kills >= 3  # in its own cgroup
    assert restarted >= restarts + 3
    assert set(web_answers) == {200}  # the web app answered all along
    assert dgp.sh("redis-cli XLEN dgp:dead:document").strip() != "0"


def cpu_seconds(dgp: Installed, unit: str) -> float:
    """CPU time of the unit's processes (user + system, all threads). A cgroup v1 host
    keeps no per-unit cpuacct group, so it is summed from /proc/PID/stat."""
    group = dgp.show(unit, "ControlGroup")
    ticks = dgp.sh(
        f"for p in $(cat /sys/fs/cgroup/cpu{group}/cgroup.procs); do "
        "cut -d' ' -f14,15 /proc/$p/stat 2>/dev/null; done"
    )
    hz = int(dgp.sh("getconf CLK_TCK"))
    return sum(int(n) for n in ticks.split()) / hz


def test_cpu_quota_holds_and_the_web_app_stays_responsive_under_scanner_load(
    dgp: Installed,
) -> None:
    api = f"{WEB}/api/v1/scans"
    with dgp.host.cpu_priority():
        idle = dgp.load(api, rate=50, seconds=10, auth=True)
    dgp.make_tree("/var/tmp/busy", files=3000, lines=60)
    unit = "dgp-scanner@code.service"
    quota = 0.30  # a test-only runtime quota, low enough to be seen on two shared cores
    dgp.systemctl("set-property", "--runtime", unit, f"CPUQuota={int(quota * 100)}%")
    try:
        scans = [dgp.submit("code", "/var/tmp/busy"), dgp.submit("document", "/var/tmp/busy")]
        dgp.wait_scan(scans[0], seconds=120, want=("running",))
        # The bound is about the host's units: the machine's other work (the other test
        # worker, its hosts) yields to this host while the latency is measured.
        with dgp.host.cpu_priority():
            used, started = cpu_seconds(dgp, unit), time.monotonic()
            busy = dgp.load(api, rate=50, seconds=10, auth=True)
            share = (cpu_seconds(dgp, unit) - used) / (time.monotonic() - started)
        for scan_id in scans:
            dgp.api("DELETE", f"/scans/{scan_id}")
    finally:
        dgp.systemctl("revert", unit)
        dgp.systemctl("daemon-reload")
    idle_p99, busy_p99 = idle["p99_ms"][api], busy["p99_ms"][api]
    print(
        f"cpu: code scanner {share:.0%} of a CPU under CPUQuota={quota:.0%}; web p99 "
        f"idle {idle_p99:.1f} ms, under scanner load {busy_p99:.1f} ms"
    )
    assert share <= quota + 0.05
    assert idle["failed"] == busy["failed"] == 0
    # Responsive, not fast: a bound far above what scanner load adds here (p99 10-40 ms),
    # that only a web app starved by the scanners would cross. The idle/busy ratio is
    # printed above, not asserted: on these shared machines CPU stolen by the hypervisor
    # moves it between 1.1x and 2.3x from run to run.
    assert busy_p99 <= RESPONSIVE_P99_MS


def test_a_scan_of_over_100000_findings_ends_done_under_the_code_units_memory_max(
    dgp: Installed,
) -> None:
    """Findings stream to Postgres a page at a time (issue 13): a scan finding far more
    than its unit's MemoryMax could hold at a few KB each ends done, without a restart
    or an OOM kill; the API lists its findings page by page."""
    unit = "dgp-scanner@code.service"
    assert int(dgp.show(unit, "MemoryMax")) == 1 << 30  # the shipped limit, untouched
    dgp.make_tree("/var/tmp/many-findings", files=1000, lines=60)  # 2 findings a line
    restarts = int(dgp.show(unit, "NRestarts"))
    known_kills = len(oom_kills(unit, dgp.host.name))
    scan_id = dgp.submit("code", "/var/tmp/many-findings")
    scan = dgp.wait_scan(scan_id, seconds=900)
    assert scan["status"] == "done", scan
    total = sum(scan["stats"]["findings_by_severity"].values())
    assert total > 100_000, scan["stats"]
    assert int(dgp.show(unit, "NRestarts")) == restarts
    assert len(oom_kills(unit, dgp.host.name)) == known_kills
    status, page = dgp.api("GET", f"/scans/{scan_id}/findings?limit=1000&offset=99000")
    assert status == 200 and len(page["items"]) == 1000 and page["total"] == total, status
    print(f"streamed scan: {total} findings; the unit holds {resident_bytes(dgp, unit) >> 20} MiB")


def test_a_reinstall_after_remove_keeps_the_configuration_and_starts_the_units(
    dgp: Installed, deb: Path, machine: testinfra.host.Host
) -> None:
    secrets_before = machine.file("/etc/dataguardian/secrets.conf").content_string
    dgp.sh("apt-get -y -qq remove dataguardian", timeout=300)
    assert not machine.socket("tcp://127.0.0.1:5000").is_listening
    dgp.host.install_deb(deb)
    assert machine.file("/etc/dataguardian/secrets.conf").content_string == secrets_before
    for unit in UNITS:
        assert dgp.show(unit, "ActiveState") == "active", unit
    for port in SCANNER_PORTS.values():
        assert dgp.health(port) == 200, port
    assert dgp.host.failed_units() == []


def test_purge_removes_the_user_the_configuration_and_the_state(
    dgp: Installed, machine: testinfra.host.Host
) -> None:
    """Last in this module: it removes the package."""
    dgp.sh("apt-get -y -qq purge dataguardian", timeout=300)
    assert not machine.user("dataguardian").exists
    for path in (
        "/etc/dataguardian",
        "/var/lib/dataguardian",
        "/var/cache/dataguardian",
        "/usr/lib/dataguardian",
    ):
        assert not machine.file(path).exists, path
    assert not machine.socket("tcp://127.0.0.1:5000").is_listening
    assert "dgp" not in dgp.systemctl("list-unit-files", "dgp*", "--no-legend", check=False)
