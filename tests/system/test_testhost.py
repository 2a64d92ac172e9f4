"""The test-host harness itself: what the system tier relies on is checked for real.

A host boots systemd 252 as PID 1; testinfra reaches it; it has its own network (its Redis on
127.0.0.1:6379 is not the machine's) with outbound access for apt; MemoryMax= and CPUQuota=
are enforced inside (the cgroup remount); private networks join hosts; `down` leaves nothing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import testinfra
import testinfra.host

from tests.system import testhost as th


def _listening(port: int) -> bool:
    """Whether anything listens on TCP port in the machine's own network namespace."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                return True
    return False


def test_boots_systemd_252_as_pid1(testhost: th.TestHost) -> None:
    assert testhost.run(["cat", "/proc/1/comm"]).stdout.strip() == "systemd"
    version = testhost.run(["systemctl", "--version"], check=True).stdout.splitlines()[0]
    assert version.startswith("systemd 252"), version
    state = testhost.run(["systemctl", "is-system-running"]).stdout.strip()
    assert state in ("running", "degraded"), state
    assert testhost.run(["systemd-detect-virt"]).stdout.strip() == "systemd-nspawn"
    assert testhost.run(["hostname"]).stdout.strip() == testhost.name


def test_fresh_host_has_no_failed_units(testhost: th.TestHost) -> None:
    # so a package test can assert that none of its own units failed
    assert testhost.failed_units() == []


def test_testinfra_sees_the_host(host: testinfra.host.Host, testhost: th.TestHost) -> None:
    assert host.system_info.distribution == "debian"
    assert host.system_info.release.startswith("12")
    assert host.service("systemd-journald").is_running
    assert host.file("/etc/hostname").content_string.strip() == testhost.name
    assert host.run("exit 3").rc == 3
    assert host.check_output("printf '%s' \"$HOME\"") == "/root"
    nobody = testinfra.get_host(f"podman://nobody@{testhost.name}")
    assert nobody.check_output("id -un") == "nobody"


def test_put_and_get(testhost: th.TestHost) -> None:
    data = bytes(range(256)) * 64
    testhost.put(data, "/tmp/dgp-put/blob", mode=0o600)
    assert testhost.get("/tmp/dgp-put/blob") == data
    assert testhost.run(["stat", "-c", "%a", "/tmp/dgp-put/blob"]).stdout.strip() == "600"


def test_memory_max_kills_a_hog(testhost: th.TestHost) -> None:
    # Grows to 1 GB at most: without the cgroup remount it would finish and print "survived".
    hog = "b = []\nfor _ in range(1000): b.append(bytearray(10**6))\nprint('survived')"
    unit = f"dgp-memhog-{time.monotonic_ns()}"
    run = ["systemd-run", "--wait", "--unit", unit, "-p", "MemoryMax=50M"]
    p = testhost.run([*run, "python3", "-c", hog], timeout=120)
    assert p.returncode != 0, p.stdout + p.stderr
    journal = testhost.run(["journalctl", "-u", unit, "--no-pager", "-o", "cat"]).stdout
    assert "status=9/KILL" in journal, journal  # cgroup v1: no Result=oom-kill
    # control: under the limit the same kind of service lives
    small = "b = [bytearray(10**6) for _ in range(20)]\nprint('survived')"
    ok = testhost.run(
        ["systemd-run", "--wait", "--pipe", "-p", "MemoryMax=50M", "python3", "-c", small]
    )
    assert ok.returncode == 0 and "survived" in ok.stdout, ok.stderr


def test_cpu_quota_holds_a_busy_loop(testhost: th.TestHost) -> None:
    unit = f"dgp-cpuhog-{time.monotonic_ns()}"
    start = ["systemd-run", "--unit", unit, "-p", "CPUQuota=20%", "-p", "RuntimeMaxSec=30"]
    testhost.run([*start, "python3", "-c", "while True: pass"], check=True)
    usage = testhost.cgroup("cpuacct") / "cpuacct.usage"  # the whole host, machine side
    try:
        time.sleep(0.5)
        n0, t0 = int(usage.read_text()), time.monotonic()
        time.sleep(3)
        n1, t1 = int(usage.read_text()), time.monotonic()
    finally:
        testhost.run(["systemctl", "stop", unit])
    share = (n1 - n0) / 1e9 / (t1 - t0)
    print(f"CPUQuota=20% busy loop used {share:.1%} of a CPU over {t1 - t0:.1f} s")
    # Unlimited it would take a whole CPU (100%); allow for a busy shared machine below 20%.
    assert 0.05 < share < 0.30, share


def test_outbound_dns(testhost: th.TestHost) -> None:
    assert "nameserver 10.0.2.3" in testhost.get("/etc/resolv.conf").decode()
    p = testhost.run(["getent", "hosts", "deb.debian.org"], timeout=30)
    assert p.returncode == 0 and p.stdout.strip(), p.stderr


def test_redis_inside_is_the_hosts_own(testhost: th.TestHost) -> None:
    testhost.apt_install("redis-server")
    assert testhost.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"]).stdout == "PONG\n"
    inside = testhost.run(["ss", "-ltnH", "sport = :6379"]).stdout
    assert "127.0.0.1:6379" in inside, inside
    # the machine's own namespace: nothing on 6379 (its test Redis is on 6399) ...
    assert not _listening(6379), "something listens on 6379 on the machine itself"
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", 6379), 2):
        pass
    # ... and the host cannot reach the machine's loopback services either
    for target in (["-p", "6399"], ["-h", "10.0.2.2", "-p", "6399"]):
        p = testhost.run(["timeout", "5", "redis-cli", *target, "ping"])
        assert "PONG" not in p.stdout, target


def test_apt_installs_a_local_deb_with_its_dependencies(
    testhost: th.TestHost, tmp_path: Path
) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "DEBIAN").mkdir(parents=True)
    (pkg / "DEBIAN/control").write_text(
        "Package: dgp-harness-probe\nVersion: 1.0\nArchitecture: all\n"
        "Maintainer: DataGuardian tests <tests@example.org>\nDepends: netcat-openbsd\n"
        "Description: checks that a local .deb installs with its dependencies\n"
    )
    (pkg / "usr/share/dgp-harness-probe").mkdir(parents=True)
    (pkg / "usr/share/dgp-harness-probe/hello").write_text("hello\n")
    deb = tmp_path / "dgp-harness-probe_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(pkg), str(deb)], check=True)
    testhost.install_deb(deb)
    assert testhost.get("/usr/share/dgp-harness-probe/hello") == b"hello\n"
    assert testhost.run(["sh", "-c", "command -v nc"]).returncode == 0  # the dependency


def test_private_network_joins_hosts(new_testhost: Callable[..., th.TestHost]) -> None:
    a, b = new_testhost(network="n"), new_testhost(network="n")
    assert (a.address, b.address) == (f"{th.PRIVATE_NET}.11", f"{th.PRIVATE_NET}.12")
    p = a.run(["ping", "-c", "1", "-W", "2", b.name], timeout=10)  # by name: /etc/hosts
    assert p.returncode == 0, p.stdout + p.stderr
    # each still has its own outbound path
    assert a.run(["getent", "hosts", "deb.debian.org"], timeout=30).returncode == 0
    assert "10.0.2.100/24" in b.run(["ip", "-br", "addr"]).stdout
    net = a.state.network
    th.down(a.name)
    th.down(b.name)
    assert th.leftovers(a.name) == [] and th.leftovers(b.name) == []
    assert not (th.NETNS_DIR / f"{th.SWITCH_PREFIX}{net}").exists()
    assert not (th.NETS_DIR / f"{net}.json").exists()


def test_up_down_is_fast_and_leaves_nothing(testhost: th.TestHost) -> None:
    name = f"c{os.getpid()}"
    t0 = time.monotonic()
    try:
        th.up(name, owner=os.getpid())
    finally:
        th.down(name)
    took = time.monotonic() - t0
    print(f"up + down of a cached host: {took:.1f} s")
    assert th.leftovers(name) == []
    assert took < 10, took


def test_cli_exec_returns_the_exit_code(testhost: th.TestHost) -> None:
    cmd = ["sh", "-c", "echo out; echo err >&2; exit 7"]
    p = subprocess.run(
        [sys.executable, th.__file__, "exec", testhost.name, "--", *cmd],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (p.returncode, p.stdout, p.stderr) == (7, "out\n", "err\n")
