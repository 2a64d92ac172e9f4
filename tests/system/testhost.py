#!/usr/bin/env python3
"""Booted systemd test hosts for the system tier, on a machine whose PID 1 is not systemd.

Why it is built this way (facts in ../../../shared/ARCHITECTURE.md, "A booted systemd test host"):
- the root file system comes from debootstrap once and is cached (tarball + extracted copy);
  each host is an overlayfs upper dir over it, so `up` takes about a second;
- systemd-nspawn boots it, but mounts the cgroup v1 controllers read-only, so MemoryMax= and
  CPUQuota= would silently do nothing: the host gets a cgroup of its own in every hierarchy
  and its PID 1 is a tiny shell that remounts the controllers read-write, then execs systemd;
- every host has its own network namespace (its ports never clash with the machine's Redis
  and Postgres) with outbound access through slirp4netns (10.0.2.3 is its DNS);
- hosts can share a private network: a "switch" namespace with a bridge, a veth per host.

CLI: testhost.py build|up NAME [--network NET]|exec NAME -- CMD...|put NAME SRC DEST|
down NAME|down-all|list|leftovers|shim DIR|ansible DIR [INVENTORY_NAME=]NAME...|
forward NAME PORT HOST_PORT
Runs as root; plain standard library.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger("dgp.testhost")

SUITE = "bookworm"
VARIANT = "minbase"
# What every test host has; changing this list (or RECIPE) changes the cache key: a rebuild.
PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "python3",
    "apt",
    "ca-certificates",
    "iproute2",
    "curl",
    "procps",
    "iputils-ping",
)
RECIPE = 1  # bump when _configure_root changes what it writes

CACHE_DIR = Path(os.environ.get("DGP_TESTHOST_CACHE", "/var/cache/dgp-testhost"))
STATE_DIR = Path(os.environ.get("DGP_TESTHOST_STATE", "/var/lib/dgp-testhost"))
HOSTS_DIR = STATE_DIR / "hosts"
NETS_DIR = STATE_DIR / "networks"
NETNS_DIR = Path("/run/netns")
HOST_PREFIX = "dgpth-"  # netns and cgroup names of hosts
SWITCH_PREFIX = "dgpsw-"  # netns names of private networks
PRIVATE_NET = "10.77.0"  # a /24 in every private network; each network is its own namespace
FIRST_ADDRESS = 11
TAR_OPTS = ("--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls")
NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,19}")

# Commands the harness needs and the Debian package that has each.
TOOLS = {
    "debootstrap": "debootstrap",
    "systemd-nspawn": "systemd-container",
    "slirp4netns": "slirp4netns",
    "ip": "iproute2",
    "nsenter": "util-linux",
    "zstd": "zstd",
}
# The environment of commands run inside a host: nothing leaks in from the caller's.
GUEST_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "DEBIAN_FRONTEND": "noninteractive",
}
# The container's PID 1: nspawn mounted these controllers read-only; make them writable so
# systemd inside can apply MemoryMax=, CPUQuota=, TasksMax=..., then become PID 1 itself.
RW_CONTROLLERS = ("memory", "cpu", "cpuacct", "pids", "blkio", "devices")
GUEST_INIT = (
    f"for c in {' '.join(RW_CONTROLLERS)}; do "
    "if [ -e /sys/fs/cgroup/$c ]; then mount -o remount,bind,rw /sys/fs/cgroup/$c || "
    '{ echo "dgp-testhost: cannot remount /sys/fs/cgroup/$c rw" >&2; exit 1; }; fi; done; '
    "exec /usr/lib/systemd/systemd"
)
POWEROFF = signal.SIGRTMIN + 4  # what `machinectl poweroff` sends to a container's systemd


class TestHostError(RuntimeError):
    """A step of the harness failed; the message names the step."""

    __test__ = False  # not a test class, whatever pytest thinks of the name


# --- small helpers ---------------------------------------------------------------------------


def _run(cmd: Sequence[str], *, timeout: float = 120, step: str = "") -> str:
    """Run a machine-side command; a failure names the step and carries its stderr."""
    try:
        p = subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as e:
        raise TestHostError(f"{step or cmd[0]}: `{' '.join(cmd)}` timed out ({timeout} s)") from e
    if p.returncode != 0:
        raise TestHostError(
            f"{step or cmd[0]}: `{' '.join(cmd)}` exited {p.returncode}: {p.stderr.strip()}"
        )
    return p.stdout


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)  # the console log is coloured
    return "\n".join(text.splitlines()[-lines:])


@dataclass(frozen=True)
class Proc:
    """A process by pid and start time, so a recycled pid is never taken for ours."""

    pid: int
    start: int

    @classmethod
    def of(cls, pid: int) -> Proc | None:
        stat = _stat(pid)
        return cls(pid, int(stat[19])) if stat else None

    def alive(self) -> bool:
        stat = _stat(self.pid)
        return bool(stat) and stat[0] != "Z" and int(stat[19]) == self.start

    def signal(self, sig: int) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def reap(self) -> None:
        """Collect the exit status if the process is our own child (no zombie left behind)."""
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(self.pid, os.WNOHANG)


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name: [state, ppid, ...]."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def _wait_gone(procs: Sequence[Proc | None], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        for p in procs:
            if p:
                p.reap()
        if not any(p and p.alive() for p in procs):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock between harness processes (concurrent sessions, CLI and pytest)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _mounts_under(path: Path) -> list[Path]:
    """Mount points at or below path, deepest first (so they can be unmounted in order)."""
    found = []
    prefix = str(path).rstrip("/") + "/"
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point == str(path) or point.startswith(prefix):
            found.append(Path(point))
    return sorted(set(found), key=lambda p: len(p.parts), reverse=True)


def _remove_tree(path: Path) -> None:
    """Unmount whatever is mounted below path, then delete it without crossing file systems.

    A debootstrap or an overlay left mounted must never make `rm` walk into /proc, /sys,
    /dev or the lower root.
    """
    for point in _mounts_under(path):
        if subprocess.run(["umount", str(point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(point)], capture_output=True)
    if left := _mounts_under(path):
        raise TestHostError(f"cleanup: still mounted under {path}: {left}")
    if path.exists() or path.is_symlink():
        _run(["rm", "-rf", "--one-file-system", str(path)], step="cleanup")


def _write_guest_file(root: Path, rel: str, text: str, mode: int = 0o644) -> None:
    """Write a file into a host's file system from outside, never following a symlink out."""
    parts = Path(rel.lstrip("/")).parts
    cur = root
    for part in parts[:-1]:
        cur = cur / part
        if cur.is_symlink() or not cur.is_dir():
            raise TestHostError(f"write {rel}: {cur} is not a plain directory")
    target = cur / parts[-1]
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(target, mode)


def _check_name(name: str, what: str = "host") -> str:
    if not NAME_RE.fullmatch(name):
        raise TestHostError(f"bad {what} name {name!r}: want {NAME_RE.pattern}")
    return name


# --- tools and the cached root -----------------------------------------------------------------


def ensure_tools() -> None:
    """Install what the harness needs with apt (CI runs it as root on a fresh machine)."""
    missing = sorted({pkg for cmd, pkg in TOOLS.items() if not shutil.which(cmd)})
    if not missing:
        return
    log.info("installing %s", " ".join(missing))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = ["apt-get", "-qq", "-o", "DPkg::Lock::Timeout=300"]
    for cmd in ([*apt, "update"], [*apt, "install", "-y", "--no-install-recommends", *missing]):
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            raise TestHostError(f"tools: `{' '.join(cmd)}` failed: {p.stderr.strip()[-2000:]}")


def _apt_stanzas() -> list[dict[str, str]]:
    """The machine's apt sources (deb822 and one-line) as deb822 fields."""
    stanzas: list[dict[str, str]] = []
    files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for f in files:
        if not f.is_file():
            continue
        text = f.read_text(errors="replace")
        if f.suffix == ".sources":
            for block in re.split(r"\n\s*\n", text):
                fields: dict[str, str] = {}
                for line in block.splitlines():
                    if line.startswith("#") or ":" not in line or line[:1].isspace():
                        continue
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.strip()
                if fields.get("enabled", "yes").lower() != "no" and "uris" in fields:
                    stanzas.append(fields)
        elif f.suffix == ".list" or f.name == "sources.list":
            for line in text.splitlines():
                words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
                if len(words) >= 3 and words[0] == "deb":
                    comps = " ".join(words[3:]) or "main"
                    stanzas.append(
                        {"types": "deb", "uris": words[1], "suites": words[2], "components": comps}
                    )
    return stanzas


def guest_sources() -> tuple[str, str]:
    """(the mirror debootstrap uses, the guest's debian.sources): the machine's Debian mirrors.

    Only stanzas for this suite (bookworm, -updates, -security) are kept; third-party
    repositories stay out of the test hosts. DGP_TESTHOST_MIRROR overrides the mirror.
    """
    mirror = os.environ.get("DGP_TESTHOST_MIRROR", "")
    blocks = []
    for s in _apt_stanzas():
        suites = [x for x in s.get("suites", "").split() if x.split("-")[0] == SUITE]
        if "deb" not in s.get("types", "").split() or not suites:
            continue
        uri = s["uris"].split()[0]
        if SUITE in suites and not mirror:
            mirror = uri
        block = (
            f"Types: deb\nURIs: {uri}\nSuites: {' '.join(suites)}\n"
            f"Components: {s.get('components', 'main')}\n"
        )
        signed = s.get("signed-by", "")
        if signed == "/usr/share/keyrings/debian-archive-keyring.gpg":
            block += f"Signed-By: {signed}\n"
        blocks.append(block)
    if not mirror:
        mirror = "http://deb.debian.org/debian"
    if not blocks:
        blocks.append(f"Types: deb\nURIs: {mirror}\nSuites: {SUITE}\nComponents: main\n")
    return mirror, "\n".join(blocks)


def cache_key() -> str:
    """A digest of everything that makes the root: packages, mirror, sources, recipe."""
    mirror, sources = guest_sources()
    recipe = {
        "suite": SUITE,
        "variant": VARIANT,
        "packages": sorted(PACKAGES),
        "mirror": mirror,
        "sources": sources,
        "recipe": RECIPE,
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]


def _configure_root(root: Path, sources: str) -> None:
    """What every host shares: apt sources, no per-machine identity, no surprise apt runs."""
    _write_guest_file(root, "etc/apt/sources.list.d/debian.sources", sources)
    (root / "etc/apt/sources.list").unlink(missing_ok=True)
    # Package lists go stale; a test runs `apt-get update` (TestHost.apt_install does).
    for f in (root / "var/lib/apt/lists").glob("*"):
        if f.is_file():
            f.unlink()
    for f in (root / "var/cache/apt/archives").glob("*.deb"):
        f.unlink()
    _write_guest_file(root, "etc/machine-id", "", 0o444)  # each host gets its own at `up`
    _write_guest_file(root, "etc/hostname", "localhost\n")
    (root / "etc/resolv.conf").unlink(missing_ok=True)  # written at `up` (slirp4netns DNS)
    # apt timers would grab the dpkg lock in the middle of a test's apt-get install.
    for timer in ("apt-daily.timer", "apt-daily-upgrade.timer"):
        link = root / "etc/systemd/system" / timer
        link.unlink(missing_ok=True)
        link.symlink_to("/dev/null")


def build(force: bool = False) -> Path:
    """The cached root for the current package list: built, or extracted, or as it was.

    /var/cache/dgp-testhost/root-KEY.tar.zst is the cache; root-KEY/ is its extracted copy
    that overlays use as their lower dir. Missing tarball: debootstrap from scratch.
    """
    ensure_tools()
    mirror, sources = guest_sources()
    key = cache_key()
    tarball = CACHE_DIR / f"root-{key}.tar.zst"
    root = CACHE_DIR / f"root-{key}"
    ready = CACHE_DIR / f"root-{key}.ready"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with locked(CACHE_DIR / ".lock"):
        if force:
            if _overlays_on(root):
                raise TestHostError(f"build: {root} is in use by running hosts; down them first")
            ready.unlink(missing_ok=True)
            tarball.unlink(missing_ok=True)
            _remove_tree(root)
        if ready.exists() and root.is_dir():
            return root
        tmp = CACHE_DIR / f"build-{key}"
        _remove_tree(tmp)
        _remove_tree(root)
        t0 = time.monotonic()
        if tarball.exists():
            log.info("extracting %s", tarball)
            tmp.mkdir()
            tar = ["tar", "-C", str(tmp), "-I", "zstd -d -T0", *TAR_OPTS, "-xpf", str(tarball)]
            _run(tar, timeout=600, step="build: extract the cached root")
        else:
            logfile = CACHE_DIR / f"root-{key}.log"
            log.info("debootstrap %s from %s (log: %s)", SUITE, mirror, logfile)
            cmd = ["debootstrap", f"--variant={VARIANT}", f"--include={','.join(PACKAGES)}"]
            cmd += [SUITE, str(tmp), mirror]
            with logfile.open("w") as out:
                p = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=1800)
            if p.returncode != 0:
                _remove_tree(tmp)
                raise TestHostError(
                    f"build: debootstrap exited {p.returncode}; last lines of {logfile}:\n"
                    + _tail(logfile)
                )
            _remove_tree_mounts_only(tmp)
            _configure_root(tmp, sources)
            log.info("debootstrap done in %.0f s; writing %s", time.monotonic() - t0, tarball)
            part = tarball.with_suffix(".part")
            tar = ["tar", "-C", str(tmp), "-I", "zstd -T0 -3 -q", *TAR_OPTS, "-cf", str(part), "."]
            _run(tar, timeout=600, step="build: write the cache tarball")
            part.rename(tarball)
        tmp.rename(root)
        ready.touch()
        log.info("root %s ready in %.1f s", root, time.monotonic() - t0)
        _prune_cache(keep=key)
    return root


def _remove_tree_mounts_only(path: Path) -> None:
    """Unmount what debootstrap may have left mounted in its target (proc, sys, dev)."""
    for point in _mounts_under(path):
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def _overlays_on(root: Path) -> bool:
    needle = f"lowerdir={root}"
    return any(
        needle in line.split(" - ", 1)[-1]
        for line in Path("/proc/self/mountinfo").read_text().splitlines()
    )


def _prune_cache(keep: str) -> None:
    """Remove roots and tarballs of earlier package lists that no running host uses."""
    for p in CACHE_DIR.glob("root-*"):
        key = p.name.removeprefix("root-").split(".")[0]
        if key == keep or _overlays_on(CACHE_DIR / f"root-{key}"):
            continue
        log.info("pruning old cache %s", p)
        if p.is_dir():
            _remove_tree(p)
        else:
            p.unlink(missing_ok=True)


# --- cgroups -----------------------------------------------------------------------------------


def _hierarchies() -> list[tuple[str, Path, str]]:
    """(controllers, mount point, our cgroup relative to it) for every hierarchy mounted.

    controllers is as /proc/self/cgroup spells it ("memory", "cpu,cpuacct", "name=systemd");
    "" is the cgroup2 (unified) hierarchy.
    """
    known = {
        line.split()[0]
        for line in Path("/proc/cgroups").read_text().splitlines()
        if line and not line.startswith("#")
    }
    mine: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        num, controllers, path = line.split(":", 2)
        mine["" if num == "0" else ",".join(sorted(controllers.split(",")))] = path
    seen: set[str] = set()
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        pre, _, post = line.partition(" - ")
        fields, (fstype, _src, opts) = pre.split(), post.split()[:3]
        dev, mroot, point = fields[2], fields[3], fields[4]
        if fstype not in ("cgroup", "cgroup2") or dev in seen:
            continue
        if fstype == "cgroup2":
            key = ""
        else:
            ctl = [o for o in opts.split(",") if o in known or o.startswith("name=")]
            key = ",".join(sorted(ctl))
        if key not in mine:
            continue
        seen.add(dev)
        rel = os.path.relpath(mine[key], mroot) if mroot != "/" else mine[key]
        found.append((key, Path(point), rel.strip("/") if rel != "." else ""))
    return found


def _create_cgroups(name: str) -> dict[str, str]:
    """A cgroup named for the host in every hierarchy, under the caller's own cgroup there."""
    paths = {}
    for key, point, rel in _hierarchies():
        cg = point / rel / f"{HOST_PREFIX}{name}"
        cg.mkdir(exist_ok=True)
        paths[key] = str(cg)
        if (cg / "cpuset.cpus").exists():  # a new cpuset has no CPUs until given some
            for f in ("cpuset.cpus", "cpuset.mems"):
                (cg / f).write_text((cg.parent / f).read_text())
    return paths


def _find_cgroups(name_glob: str) -> list[Path]:
    """Host cgroups by name, in every hierarchy, a few levels deep (for down-all)."""
    found: list[Path] = []
    for _key, point, _rel in _hierarchies():
        for depth in range(1, 5):
            found += point.glob("/".join(["*"] * (depth - 1) + [f"{HOST_PREFIX}{name_glob}"]))
    return [p for p in found if p.is_dir()]


def _remove_cgroup(path: Path, timeout: float = 5.0) -> None:
    """Kill whatever still runs in the cgroup tree, then remove it bottom-up."""
    deadline = time.monotonic() + timeout
    while path.is_dir():
        for procs in path.rglob("cgroup.procs"):
            with contextlib.suppress(OSError):
                for pid in procs.read_text().split():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(pid), signal.SIGKILL)
        for d in sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            with contextlib.suppress(OSError):
                d.rmdir()
        with contextlib.suppress(OSError):
            path.rmdir()
        if time.monotonic() > deadline:
            raise TestHostError(f"down: cannot remove cgroup {path}")
        if path.is_dir():
            time.sleep(0.05)


# --- networks ----------------------------------------------------------------------------------


def _ip(args: str, step: str) -> None:
    """ip(8) with words from validated names only (no quoting needed)."""
    _run(["ip", *args.split()], step=step)


def _netns(name: str) -> str:
    return f"{HOST_PREFIX}{name}"


def _switch(net: str) -> str:
    return f"{SWITCH_PREFIX}{net}"


def _veth(name: str) -> str:
    return f"v{zlib.crc32(name.encode()):08x}"  # interface names have at most 15 characters


def _net_file(net: str) -> Path:
    return NETS_DIR / f"{net}.json"


def _net_members(net: str) -> dict[str, str]:
    try:
        return json.loads(_net_file(net).read_text())["members"]
    except (OSError, ValueError, KeyError):
        return {}


def _save_net(net: str, members: dict[str, str]) -> None:
    NETS_DIR.mkdir(parents=True, exist_ok=True)
    tmp = _net_file(net).with_suffix(".tmp")
    tmp.write_text(json.dumps({"members": members}, indent=1))
    tmp.rename(_net_file(net))


def _join_network(name: str, net: str) -> str:
    """Plug host NAME into private network NET; returns its address. Call under the lock."""
    sw = _switch(net)
    if not (NETNS_DIR / sw).exists():
        step = f"network {net}: switch"
        _ip(f"netns add {sw}", step)
        _ip(f"-n {sw} link set lo up", step)
        _ip(f"-n {sw} link add br0 type bridge", step)
        _ip(f"-n {sw} link set br0 up", step)
    members = _net_members(net)
    used = {int(a.rsplit(".", 1)[1]) for a in members.values()}
    number = next(n for n in range(FIRST_ADDRESS, 255) if n not in used)
    address = f"{PRIVATE_NET}.{number}"
    veth, step = _veth(name), f"network {net}: plug in {name}"
    _ip(f"-n {sw} link add {veth} type veth peer name eth1 netns {_netns(name)}", step)
    _ip(f"-n {sw} link set {veth} master br0 up", step)
    _ip(f"-n {_netns(name)} addr add {address}/24 dev eth1", step)
    _ip(f"-n {_netns(name)} link set eth1 up", step)
    members[name] = address
    _save_net(net, members)
    return address


def _leave_network(name: str, net: str) -> None:
    """Unplug a host; the last one out removes the switch. Call under the lock."""
    sw = _switch(net)
    if (NETNS_DIR / sw).exists():
        subprocess.run(["ip", "-n", sw, "link", "del", _veth(name)], capture_output=True)
    members = _net_members(net)
    members.pop(name, None)
    if members:
        _save_net(net, members)
        for other in members:
            with contextlib.suppress(OSError, TestHostError):
                _write_hosts(other, net)
    else:
        _net_file(net).unlink(missing_ok=True)
        if (NETNS_DIR / sw).exists():
            subprocess.run(["ip", "netns", "del", sw], capture_output=True)


def _write_hosts(name: str, net: str | None) -> None:
    """/etc/hosts of a host: itself, and every member of its private network by name."""
    text = f"127.0.0.1\tlocalhost\n127.0.1.1\t{name}\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    if net:
        text += f"# private network {net} (dgp-testhost)\n"
        text += "".join(f"{a}\t{n}\n" for n, a in sorted(_net_members(net).items()))
    _write_guest_file(HOSTS_DIR / name / "merged", "etc/hosts", text)


def _cleanup_netns_dir() -> None:
    """`ip netns add` made /run/netns a mount point; leave nothing once no namespace is left."""
    if NETNS_DIR.is_dir() and not any(NETNS_DIR.iterdir()):
        subprocess.run(["umount", str(NETNS_DIR)], capture_output=True)
        with contextlib.suppress(OSError):
            NETNS_DIR.rmdir()


# --- hosts ---------------------------------------------------------------------------------------


@dataclass
class State:
    """What `up` made for a host, saved after every step so `down` undoes exactly that."""

    name: str
    root: str = ""
    network: str | None = None
    address: str | None = None
    cgroups: dict[str, str] = field(default_factory=dict)  # controllers -> machine-side dir
    netns: bool = False
    slirp: Proc | None = None
    nspawn: Proc | None = None
    leader: Proc | None = None
    owner: Proc | None = None  # the session that owns it (pytest); None: a CLI host

    @property
    def dir(self) -> Path:
        return HOSTS_DIR / self.name

    def save(self) -> None:
        tmp = self.dir / "state.json.tmp"
        tmp.write_text(json.dumps(asdict(self), indent=1))
        tmp.rename(self.dir / "state.json")

    @classmethod
    def load(cls, name: str) -> State | None:
        try:
            raw = json.loads((HOSTS_DIR / name / "state.json").read_text())
        except (OSError, ValueError):
            return None
        for k in ("slirp", "nspawn", "leader", "owner"):
            raw[k] = Proc(**raw[k]) if raw.get(k) else None
        return cls(**raw)


class TestHost:
    """A running test host: run commands in it, copy files in, find its cgroups."""

    __test__ = False

    def __init__(self, state: State) -> None:
        self.state = state
        self.name = state.name

    @property
    def leader(self) -> int:
        """The pid (on the machine) of the host's systemd, PID 1 inside."""
        lead = self.state.leader
        if not lead or not lead.alive():
            raise TestHostError(f"host {self.name} is not running")
        return lead.pid

    @property
    def address(self) -> str | None:
        """Its address on its private network, if it joined one."""
        return self.state.address

    @property
    def testinfra_spec(self) -> str:
        """For testinfra.get_host() with the podman shim (write_podman_shim) first on PATH."""
        return f"podman://{self.name}"

    def command(self, argv: Sequence[str], user: str | None = None) -> list[str]:
        """The machine-side argv that runs argv inside the host (all its namespaces)."""
        inner = list(argv)
        if user:
            inner = ["/usr/sbin/runuser", "-u", user, "--", *inner]
        env = [f"{k}={v}" for k, v in GUEST_ENV.items()]
        return ["nsenter", "-t", str(self.leader), "-a", "--", "/usr/bin/env", "-i", *env, *inner]

    def run(
        self,
        argv: Sequence[str],
        *,
        input: str | bytes | None = None,
        timeout: float | None = 600,
        check: bool = False,
        user: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run argv inside; stdout and stderr come back as text."""
        data = input.encode() if isinstance(input, str) else input
        p = subprocess.run(
            self.command(argv, user),
            input=data,
            stdin=None if data is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
        )
        out = subprocess.CompletedProcess(
            p.args,
            p.returncode,
            p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace"),
        )
        if check and p.returncode != 0:
            raise TestHostError(
                f"exec on {self.name}: {' '.join(argv)} exited {p.returncode}: "
                f"{out.stderr.strip()[-2000:]}"
            )
        return out

    def sh(
        self, script: str, *, timeout: float | None = 600, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run a shell script inside (sh -c)."""
        return self.run(["/bin/sh", "-c", script], timeout=timeout, check=check)

    def put(self, src: bytes | str | Path, dest: str, mode: int = 0o644) -> None:
        """Copy a file (a Path) or content (bytes/str) to dest inside, through the container's
        own view of its file system (its /tmp and /run are not the overlay's)."""
        data = src.read_bytes() if isinstance(src, Path) else src
        script = 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"'
        self.run(["/bin/sh", "-c", script, "sh", dest, f"{mode:o}"], input=data, check=True)

    def get(self, path: str) -> bytes:
        """The content of a file inside."""
        p = subprocess.run(self.command(["cat", "--", path]), capture_output=True, timeout=60)
        if p.returncode != 0:
            raise TestHostError(f"get {path} from {self.name}: {p.stderr.decode().strip()}")
        return p.stdout

    def apt_install(self, *packages: str, timeout: float = 900) -> None:
        """apt-get update (lists are not cached) then install packages or ./local.deb paths."""
        self.run(["apt-get", "-qq", "update"], check=True, timeout=timeout)
        self.run(
            ["apt-get", "-y", "-qq", "-o", "DPkg::Lock::Timeout=120", "install", *packages],
            check=True,
            timeout=timeout,
        )

    def install_deb(self, deb: Path) -> None:
        """Copy a .deb in and install it with its dependencies, as an operator would."""
        dest = f"/var/tmp/{deb.name}"
        self.put(deb, dest)
        self.apt_install(dest)

    def cgroup(self, controller: str) -> Path:
        """The machine-side directory of the host's cgroup in a v1 hierarchy (e.g. cpuacct)."""
        for key, path in self.state.cgroups.items():
            if controller in key.split(","):
                return Path(path)
        raise TestHostError(f"host {self.name} has no cgroup in {controller}")

    @contextlib.contextmanager
    def cpu_priority(self, factor: int = 16) -> Iterator[None]:
        """The host's CPU weight raised `factor` times while a test measures latency inside it.

        The host competes for the machine's cores with whatever else runs here (another test
        worker, its hosts); a latency bound inside the host is about the host's own units, so
        its neighbours yield to it for the while. Restored afterwards. No cpu controller for
        the host's cgroup (an unusual cgroup2 setup): nothing changes.
        """
        knobs = {"cpu.shares": 262144, "cpu.weight": 10000}  # v1 and cgroup2, each its maximum
        dirs = [
            Path(p) for key, p in self.state.cgroups.items() if "cpu" in key.split(",") or key == ""
        ]
        found = [(d / k, top) for d in dirs for k, top in knobs.items() if (d / k).exists()]
        if not found:
            yield
            return
        knob, top = found[0]
        before = knob.read_text().strip()
        knob.write_text(str(min(int(before) * factor, top)))
        try:
            yield
        finally:
            knob.write_text(before)

    def failed_units(self) -> list[str]:
        out = self.run(["systemctl", "--failed", "--plain", "--no-legend"]).stdout
        return [line.split()[0] for line in out.splitlines() if line.strip()]


def get(name: str) -> TestHost:
    """The running host NAME (brought up earlier, maybe by another process)."""
    st = State.load(_check_name(name))
    if not st or not st.leader or not st.leader.alive():
        raise TestHostError(f"host {name} is not up")
    return TestHost(st)


def hosts() -> list[str]:
    return sorted(p.name for p in HOSTS_DIR.glob("*") if p.is_dir()) if HOSTS_DIR.is_dir() else []


def _find_leader(nspawn: Proc, console: Path, deadline: float) -> Proc:
    """The container's PID 1: nspawn's child in another pid namespace, once it is systemd."""
    my_ns = os.readlink("/proc/self/ns/pid")
    while time.monotonic() < deadline:
        if not nspawn.alive():
            raise TestHostError(
                "step 'nspawn': systemd-nspawn exited before the host booted; console:\n"
                + _tail(console)
            )
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            stat = _stat(int(d.name))
            if not stat or stat[1] != str(nspawn.pid):
                continue
            with contextlib.suppress(OSError):
                inside = os.readlink(d / "ns/pid") != my_ns
                if inside and _read(d / "comm") == "systemd" and (lead := Proc.of(int(d.name))):
                    return lead
        time.sleep(0.05)
    raise TestHostError(
        "step 'nspawn': the container's systemd did not start; console:\n" + _tail(console)
    )


def _wait_running(host: TestHost, deadline: float, console: Path) -> str:
    """`systemctl is-system-running --wait`, retried: it fails if called before PID 1 is ready."""
    last = ""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TestHostError(
                f"step 'boot': host {host.name} did not reach running/degraded "
                f"(last answer: {last or 'none'}); console:\n{_tail(console)}"
            )
        if not (host.state.leader and host.state.leader.alive()):
            raise TestHostError(
                f"step 'boot': host {host.name}'s systemd exited; console:\n" + _tail(console)
            )
        try:
            p = host.run(["systemctl", "is-system-running", "--wait"], timeout=remaining)
        except subprocess.TimeoutExpired:
            continue
        state = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
        last = state or p.stderr.strip()
        if state in ("running", "degraded"):
            return state
        if state in ("maintenance", "stopping"):
            raise TestHostError(
                f"step 'boot': host {host.name} is {state}; console:\n" + _tail(console)
            )
        time.sleep(0.2)


def up(
    name: str,
    *,
    network: str | None = None,
    timeout: float = 90,
    owner: int | None = None,
) -> TestHost:
    """Boot host NAME over the cached root and wait until systemd reports running/degraded.

    network: join (or create) private network NET with a static address in 10.77.0.0/24.
    owner: a pid whose death makes the host stale (reap_stale removes it); None for the CLI.
    On failure everything made so far is removed and the error names the failed step.
    """
    _check_name(name)
    if network:
        _check_name(network, "network")
    if os.geteuid() != 0:
        raise TestHostError("the test hosts need root (namespaces, mounts, cgroups)")
    root = build()
    t0 = time.monotonic()
    deadline = t0 + timeout
    old = State.load(name)
    if old and old.leader and old.leader.alive():
        raise TestHostError(f"host {name} is already up (down it first)")
    if (HOSTS_DIR / name).exists():
        down(name)  # what a crashed run left under this name
    st = State(name=name, root=str(root), owner=Proc.of(owner) if owner else None)
    try:
        st.dir.mkdir(parents=True)  # claims the name: two `up NAME` at once, one wins
    except FileExistsError:
        raise TestHostError(f"host {name} is being brought up by another process") from None
    st.save()
    step = "overlay"
    try:
        merged = st.dir / "merged"
        for d in ("upper", "work", "merged"):
            (st.dir / d).mkdir()
        layers = f"lowerdir={root},upperdir={st.dir / 'upper'},workdir={st.dir / 'work'}"
        _run(["mount", "-t", "overlay", "overlay", "-o", layers, str(merged)], step=step)
        _write_guest_file(merged, "etc/hostname", f"{name}\n")
        _write_guest_file(merged, "etc/machine-id", secrets.token_hex(16) + "\n", 0o444)
        _write_guest_file(merged, "etc/resolv.conf", "nameserver 10.0.2.3\n")  # slirp4netns DNS

        step = "netns"
        _run(["ip", "netns", "add", _netns(name)], step=step)
        st.netns = True
        st.save()
        _run(["ip", "-n", _netns(name), "link", "set", "lo", "up"], step=step)

        step = "slirp4netns"
        st.slirp = _start_slirp(name)
        st.save()

        if network:
            step = f"network {network}"
            with locked(STATE_DIR / ".lock"):
                st.network = network
                st.save()
                st.address = _join_network(name, network)
                st.save()
                for other in _net_members(network):
                    if other != name:
                        with contextlib.suppress(OSError, TestHostError):
                            _write_hosts(other, network)
        _write_hosts(name, network)

        step = "cgroups"
        st.cgroups = _create_cgroups(name)
        st.save()

        step = "nspawn"
        console = st.dir / "console.log"
        st.nspawn = _start_nspawn(st, merged, console)
        st.save()
        st.leader = _find_leader(st.nspawn, console, deadline)
        st.save()

        step = "boot"
        host = TestHost(st)
        state = _wait_running(host, deadline, console)
        (st.dir / "leader").write_text(f"{st.leader.pid}\n")  # for the podman shim
        log.info("host %s %s in %.1f s", name, state, time.monotonic() - t0)
        if state == "degraded":
            log.warning("host %s degraded; failed units: %s", name, host.failed_units())
        return host
    except BaseException as e:
        log.error("up %s failed at step %r: %s", name, step, e)
        with contextlib.suppress(Exception):
            down(name)
        if not isinstance(e, Exception):
            raise
        if isinstance(e, TestHostError) and str(e).startswith("step "):
            raise TestHostError(f"up {name}: {e}") from e
        raise TestHostError(f"up {name}: step {step!r}: {e}") from e


def _start_slirp(name: str) -> Proc:
    """slirp4netns on the host's netns: tap0 10.0.2.100, gateway 10.0.2.2, DNS 10.0.2.3.

    --disable-host-loopback: the host must not reach the machine's 127.0.0.1 services.
    """
    r, w = os.pipe()
    logfile = HOSTS_DIR / name / "slirp4netns.log"
    with logfile.open("w") as out:
        opts = ["--configure", "--mtu=65520", "--disable-host-loopback", f"--ready-fd={w}"]
        opts.append(f"--api-socket={_slirp_api(name)}")  # for forward()
        p = subprocess.Popen(
            ["slirp4netns", *opts, "--netns-type=path", str(NETNS_DIR / _netns(name)), "tap0"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(w,),
            start_new_session=True,
        )
    os.close(w)
    proc = Proc.of(p.pid)
    try:
        ready = _read_with_timeout(r, 10)
    finally:
        os.close(r)
    if ready != b"1" or not proc:
        p.kill()
        p.wait()
        raise TestHostError(f"step 'slirp4netns': not ready; log:\n{_tail(logfile)}")
    return proc


def _slirp_api(name: str) -> Path:
    return HOSTS_DIR / name / "slirp4netns.sock"


def forward(name: str, machine_port: int, host_port: int) -> None:
    """Forward 127.0.0.1:machine_port on this machine to host_port of test host NAME
    (for a demo to open in a browser). Loopback only; the service inside must listen on
    0.0.0.0 or the host's slirp address 10.0.2.100, not 127.0.0.1 alone."""
    import socket

    get(name)  # raises if it is not up
    request = {
        "execute": "add_hostfwd",
        "arguments": {
            "proto": "tcp",
            "host_addr": "127.0.0.1",
            "host_port": machine_port,
            "guest_port": host_port,
        },
    }
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as api:
        api.settimeout(10)
        api.connect(str(_slirp_api(name)))
        api.sendall(json.dumps(request).encode())
        api.shutdown(socket.SHUT_WR)
        answer = json.loads(api.recv(65536) or b"{}")
    if "error" in answer or "return" not in answer:
        raise TestHostError(f"forward {machine_port} -> {name}:{host_port}: {answer}")


def _read_with_timeout(fd: int, timeout: float) -> bytes:
    readable, _, _ = select.select([fd], [], [], timeout)
    return os.read(fd, 1) if readable else b""


def _start_nspawn(st: State, merged: Path, console: Path) -> Proc:
    """nspawn, moved first into the host's cgroups, with GUEST_INIT as the container's PID 1."""
    procs = [str(Path(cg) / "cgroup.procs") for cg in st.cgroups.values()]
    join = 'while [ "$1" != -- ]; do echo $$ > "$1"; shift; done; shift; exec "$@"'
    nspawn = [
        "systemd-nspawn",
        f"--directory={merged}",
        f"--machine={st.name}",
        "--register=no",
        "--keep-unit",
        f"--network-namespace-path={NETNS_DIR / _netns(st.name)}",
        "--resolv-conf=off",
        "--timezone=off",
        "--link-journal=no",
        "--console=read-only",
        "--",
        "/bin/sh",
        "-c",
        GUEST_INIT,
    ]
    with console.open("w") as out:
        p = subprocess.Popen(
            ["/bin/sh", "-c", join, "sh", *procs, "--", *nspawn],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    proc = Proc.of(p.pid)
    if not proc:
        raise TestHostError(f"step 'nspawn': exited at once; console:\n{_tail(console)}")
    return proc


def down(name: str, timeout: float = 15) -> None:
    """Power the host off (kill it after timeout) and remove all it had. Idempotent."""
    _check_name(name)
    st = State.load(name) or State(name=name)
    (st.dir / "leader").unlink(missing_ok=True)
    t0 = time.monotonic()
    if st.leader and st.leader.alive():
        st.leader.signal(POWEROFF)
        if not _wait_gone([st.leader, st.nspawn], timeout):
            log.warning("host %s: no poweroff after %.0f s; killing it", name, timeout)
    for p in (st.leader, st.nspawn):
        if p:
            p.signal(signal.SIGKILL)
    _wait_gone([st.leader, st.nspawn], 5)
    cgroups = {Path(p) for p in st.cgroups.values()} | set(_find_cgroups(name))
    for cg in sorted(cgroups):
        _remove_cgroup(cg)
    if st.slirp:
        st.slirp.signal(signal.SIGTERM)
        if not _wait_gone([st.slirp], 2):
            st.slirp.signal(signal.SIGKILL)
            _wait_gone([st.slirp], 2)
    # a slirp4netns or nspawn the state did not record (a run killed half-way through up)
    ns, directory = str(NETNS_DIR / _netns(name)), str(st.dir / "merged")
    _kill_matching(lambda a: a in (ns, directory) or a.endswith(("=" + ns, "=" + directory)))
    with locked(STATE_DIR / ".lock"):
        if st.network:
            _leave_network(name, st.network)
    if (NETNS_DIR / _netns(name)).exists():
        _run(["ip", "netns", "del", _netns(name)], step="down: netns")
    _cleanup_netns_dir()
    _remove_tree(Path("/run/systemd/nspawn/propagate") / name)
    _remove_tree(st.dir)
    log.info("host %s down in %.1f s", name, time.monotonic() - t0)


def _kill_matching(match: Callable[[str], bool]) -> None:
    """SIGKILL harness processes (slirp4netns, nspawn) with an argument that matches."""
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        prog = Path(argv[0].decode(errors="replace")).name
        if prog in ("slirp4netns", "systemd-nspawn") and any(
            match(a.decode(errors="replace")) for a in argv[1:]
        ):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(d.name), signal.SIGKILL)


def reap_stale() -> list[str]:
    """Down the hosts whose owning session died (a killed pytest); others' hosts stay."""
    gone = []
    for name in hosts():
        st = State.load(name)
        if st and st.owner and not st.owner.alive():
            log.info("host %s: its session %d is gone; removing it", name, st.owner.pid)
            down(name)
            gone.append(name)
    return gone


def _host_in(arg: str) -> str | None:
    """The host a command-line argument names (its netns path or its directory), if any."""
    m = re.search(rf"{NETNS_DIR}/{HOST_PREFIX}({NAME_RE.pattern})\b|{HOSTS_DIR}/([^/]+)/", arg)
    return (m.group(1) or m.group(2)) if m else None


def down_all(everything: bool = False) -> list[str]:
    """Remove every test host and whatever crashed runs left: processes, netns, cgroups,
    mounts, directories. Bounded and idempotent.

    Hosts of a test session that is still running (another engineer's pytest) are kept
    unless `everything`; returns their names.
    """
    kept: set[str] = set()
    for name in hosts():
        st = State.load(name)
        if not everything and st and st.owner and st.owner.alive():
            log.info("keeping %s: its session %d is running", name, st.owner.pid)
            kept.add(name)
            continue
        try:
            down(name)
        except TestHostError as e:
            log.error("down %s: %s", name, e)
    kept_nets = {st.network for n in kept if (st := State.load(n)) and st.network}
    _kill_matching(lambda a: (h := _host_in(a)) is not None and h not in kept)
    for cg in _find_cgroups("*"):
        if cg.name.removeprefix(HOST_PREFIX) not in kept:
            _remove_cgroup(cg)
    if NETNS_DIR.is_dir():
        for ns in NETNS_DIR.iterdir():
            host, net = ns.name.removeprefix(HOST_PREFIX), ns.name.removeprefix(SWITCH_PREFIX)
            if (ns.name.startswith(HOST_PREFIX) and host not in kept) or (
                ns.name.startswith(SWITCH_PREFIX) and net not in kept_nets
            ):
                subprocess.run(["ip", "netns", "del", ns.name], capture_output=True)
    _cleanup_netns_dir()
    for p in [*HOSTS_DIR.glob("*"), *NETS_DIR.glob("*")]:
        if p.name not in kept and p.stem not in kept_nets:
            _remove_tree(p)
    propagate = Path("/run/systemd/nspawn/propagate")
    if propagate.is_dir():
        for p in propagate.iterdir():
            if NAME_RE.fullmatch(p.name) and not (HOSTS_DIR / p.name).exists():
                _remove_tree(p)
    # nspawn's runtime dir (locks of killed containers) when no nspawn runs on the machine
    if not any(
        _read(d / "comm") == "systemd-nspawn" for d in Path("/proc").iterdir() if d.name.isdigit()
    ):
        _remove_tree(Path("/run/systemd/nspawn"))
    with contextlib.suppress(OSError), CACHE_DIR.joinpath(".lock").open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # skip it while someone builds
        for tmp in CACHE_DIR.glob("build-*"):
            if tmp.is_dir():
                _remove_tree(tmp)
        fcntl.flock(f, fcntl.LOCK_UN)
    return sorted(kept)


def leftovers(name: str = "*") -> list[str]:
    """What hosts (NAME, or all) left on the machine: mounts, netns, processes, cgroups, dirs.

    Empty after a clean `down`/`down-all`; the tests and CI check it.
    """
    found = [f"mount {p}" for p in _mounts_under(HOSTS_DIR) if name == "*" or name in p.parts]
    if NETNS_DIR.is_dir():
        for ns in NETNS_DIR.iterdir():
            ours = ns.name.startswith((HOST_PREFIX, SWITCH_PREFIX))
            if (name == "*" and ours) or ns.name == f"{HOST_PREFIX}{name}":
                found.append(f"netns {ns.name}")
    found += [f"cgroup {p}" for p in _find_cgroups(name)]
    found += [f"directory {p}" for p in HOSTS_DIR.glob(name) if p.is_dir()]
    ns, hdir = f"{NETNS_DIR}/{HOST_PREFIX}", f"{HOSTS_DIR}/"
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or (_stat(int(d.name)) or ["Z"])[0] == "Z":
            continue
        with contextlib.suppress(OSError):
            argv = (d / "cmdline").read_bytes().decode(errors="replace").split("\0")
            if any(
                (name == "*" and (ns in a or hdir in a))
                or a.endswith(f"{ns}{name}")
                or f"{hdir}{name}/" in a
                for a in argv
            ):
                found.append(f"process {d.name}: {' '.join(argv).strip()}")
    return found


def _guest_env_words() -> str:
    """GUEST_ENV as NAME=VALUE words for `env -i` in a shell script."""
    return " ".join(f"{k}={v}" for k, v in GUEST_ENV.items())


def _write_executable(path: Path, script: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script)
    path.chmod(0o755)
    return path


def write_podman_shim(directory: Path) -> Path:
    """A `podman` that enters test hosts, for testinfra's podman backend.

    testinfra runs `podman exec [-u USER] NAME /bin/sh -c CMD` through a shell; put
    `directory` first on PATH and use testinfra.get_host("podman://NAME").
    """
    env = _guest_env_words()
    script = f"""#!/bin/sh
# podman shim from tests/system/testhost.py: `podman exec [-u USER] NAME CMD...` runs CMD
# in test host NAME (nsenter into all the namespaces of its systemd). Nothing else.
set -eu
if [ "${{1:-}}" != exec ]; then echo "podman shim: only 'exec' is supported" >&2; exit 125; fi
shift
user=
while [ $# -gt 0 ]; do
    case "$1" in
        -u|--user) user=$2; shift 2 ;;
        -i|-t|-it|--interactive|--tty) shift ;;
        --) shift; break ;;
        -*) echo "podman shim: unsupported option $1" >&2; exit 125 ;;
        *) break ;;
    esac
done
name=$1; shift
leader=$(cat "{HOSTS_DIR}/$name/leader" 2>/dev/null) || {{
    echo "podman shim: test host $name is not up" >&2; exit 125; }}
if [ -n "$user" ]; then set -- /usr/sbin/runuser -u "$user" -- "$@"; fi
exec nsenter -t "$leader" -a -- /usr/bin/env -i {env} "$@"
"""
    return _write_executable(directory / "podman", script)


def write_ansible_nsenter(directory: Path) -> Path:
    """The `ansible_chroot_exe` for Ansible's community.general.chroot connection.

    That plugin runs `<chroot_exe> <chroot_path> <executable> -c <cmd>` for every command,
    and for put_file/fetch_file (`dd of=...`/`dd if=...`, data on stdin/stdout). It checks
    only that chroot_path is a directory with an executable bin/sh. So ansible_host is the
    host's overlay, `HOSTS_DIR/NAME/merged`, and this wrapper ignores chroot semantics: it
    takes NAME from that path and nsenters all the namespaces of the host's systemd, with
    the same clean environment as `exec` (GUEST_ENV).
    """
    env = _guest_env_words()
    script = f"""#!/bin/sh
# ansible-nsenter from tests/system/testhost.py: Ansible's community.general.chroot
# connection runs `ansible-nsenter {HOSTS_DIR}/NAME/merged /bin/sh -c CMD`; this runs
# `/bin/sh -c CMD` inside test host NAME (nsenter into all the namespaces of its systemd).
set -eu
case "${{1:-}}" in
    {HOSTS_DIR}/*/merged) ;;
    *) echo "ansible-nsenter: not a test host's directory: ${{1:-}}" >&2; exit 125 ;;
esac
dir=${{1%/merged}}
shift
leader=$(cat "$dir/leader" 2>/dev/null) || {{
    echo "ansible-nsenter: test host ${{dir##*/}} is not up" >&2; exit 125; }}
exec nsenter -t "$leader" -a -- /usr/bin/env -i {env} "$@"
"""
    return _write_executable(directory / "ansible-nsenter", script)


def write_ansible_inventory(directory: Path, mapping: dict[str, str]) -> Path:
    """An inventory that reaches test hosts from Ansible: `mapping` is inventory host name ->
    test host name. Use it as the last `-i`, after an inventory that has the same host names
    in its groups: its connection variables (and `dgp_address`, the host's address on its
    private network, if it has one) win over those of the earlier inventory *file*.

    Writes DIR/ansible-nsenter (write_ansible_nsenter) and DIR/hosts.yml; returns the latter.
    The test hosts must be up.
    """
    wrapper = write_ansible_nsenter(directory)
    lines = [
        "# Written by tests/system/testhost.py ansible: test hosts reached through",
        "# community.general.chroot with an nsenter wrapper (never for real hosts).",
        "all:",
        "  hosts:",
    ]
    for inventory_name, name in mapping.items():
        host = get(name)  # raises if it is not up
        lines += [
            f"    {inventory_name}:",
            "      ansible_connection: community.general.chroot",
            f"      ansible_host: {HOSTS_DIR / name / 'merged'}",
            f"      ansible_chroot_exe: {wrapper}",
            "      ansible_python_interpreter: /usr/bin/python3",
            # minbase has no sudo; root may su to anyone without a password
            "      ansible_become_method: su",
        ]
        if host.address:
            lines.append(f"      dgp_address: {host.address}")
    inventory = directory / "hosts.yml"
    inventory.write_text("\n".join(lines) + "\n")
    return inventory


# --- CLI -----------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="testhost.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build (or extract) the cached root")
    b.add_argument("--force", action="store_true", help="debootstrap again from scratch")
    u = sub.add_parser("up", help="boot a host")
    u.add_argument("name")
    u.add_argument("--network", help="join private network NET (10.77.0.0/24)")
    u.add_argument("--timeout", type=float, default=90)
    e = sub.add_parser("exec", help="run a command in a host: exec NAME -- CMD...")
    e.add_argument("name")
    e.add_argument("argv", nargs=argparse.REMAINDER)
    p = sub.add_parser("put", help="copy a file into a host")
    p.add_argument("name")
    p.add_argument("src", type=Path)
    p.add_argument("dest")
    p.add_argument("--mode", default="644")
    d = sub.add_parser("down", help="stop a host and remove all it had")
    d.add_argument("name")
    a = sub.add_parser("down-all", help="remove every host and what crashed runs left")
    a.add_argument(
        "--everything", action="store_true", help="also the hosts of test sessions still running"
    )
    sub.add_parser("list", help="the hosts and their state")
    sub.add_parser("leftovers", help="print what hosts left behind; exit 1 if anything")
    s = sub.add_parser("shim", help="write the podman shim for testinfra into DIR")
    s.add_argument("dir", type=Path)
    f = sub.add_parser("forward", help="forward 127.0.0.1:PORT here to HOST_PORT of NAME")
    f.add_argument("name")
    f.add_argument("port", type=int)
    f.add_argument("host_port", type=int)
    an = sub.add_parser(
        "ansible",
        help="write DIR/hosts.yml and DIR/ansible-nsenter: an inventory that reaches test hosts",
    )
    an.add_argument("dir", type=Path)
    an.add_argument(
        "hosts", nargs="+", metavar="INVENTORY_NAME=HOST", help="or HOST alone: the same name"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="testhost: %(message)s", stream=sys.stderr)
    t0 = time.monotonic()
    try:
        if args.cmd == "build":
            print(build(force=args.force))
        elif args.cmd == "up":
            host = up(args.name, network=args.network, timeout=args.timeout)
            extra = f" address {host.address}" if host.address else ""
            print(f"{host.name} up (leader pid {host.leader}){extra}")
        elif args.cmd == "exec":
            cmd = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
            if not cmd:
                parser.error("exec NAME -- CMD...")
            host = get(args.name)
            full = host.command(cmd)
            if term := os.environ.get("TERM"):
                full.insert(full.index("-i") + 1, f"TERM={term}")
            return subprocess.run(full).returncode
        elif args.cmd == "put":
            get(args.name).put(args.src, args.dest, int(args.mode, 8))
        elif args.cmd == "down":
            down(args.name)
        elif args.cmd == "down-all":
            if kept := down_all(everything=args.everything):
                print(f"kept (their test session runs; --everything removes them): {kept}")
        elif args.cmd == "list":
            for name in hosts():
                st = State.load(name)
                alive = bool(st and st.leader and st.leader.alive())
                status = "up" if alive else "stale"
                if alive and st and st.owner and not st.owner.alive():
                    status = f"stale (session {st.owner.pid} gone)"
                net = f" network {st.network} {st.address}" if st and st.network else ""
                print(f"{name}\t{status}{net}")
        elif args.cmd == "leftovers":
            left = leftovers()
            print("\n".join(left) or "nothing left")
            return 1 if left else 0
        elif args.cmd == "forward":
            forward(args.name, args.port, args.host_port)
        elif args.cmd == "shim":
            print(write_podman_shim(args.dir))
        elif args.cmd == "ansible":
            pairs = [h.split("=", 1) if "=" in h else [h, h] for h in args.hosts]
            print(write_ansible_inventory(args.dir, {k: _check_name(v) for k, v in pairs}))
    except TestHostError as err:
        print(f"testhost: {err}", file=sys.stderr)
        return 1
    if args.cmd in ("build", "up", "down", "down-all"):
        print(f"testhost: {args.cmd} took {time.monotonic() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
