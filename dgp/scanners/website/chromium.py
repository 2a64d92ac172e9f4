"""Debian's Chromium for the browser mode: whether it is there, its flags, and making
sure none of its processes outlives the state that started it.

Playwright drives it by its executable path; Playwright's own browser download is
never used. Each state gets a fresh --user-data-dir (a new profile: no cookies, no
cache, no consent from an earlier state) and its own browser process, which Playwright
starts in a process group of its own; `kill_browser` ends that group and every process
below it (renderers, zygote, utility processes), found through /proc by the profile
directory in the browser's command line.

Sandbox: Chromium's own (user namespaces + seccomp-bpf) stays on, except where it
cannot run: as root (Chromium refuses) or when the service unit says its own sandbox
replaces it (DGP_CHROMIUM_SANDBOX=unit in a drop-in's Environment=). See
units/dgp-scanner@website.service.d/30-relaxations.conf.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

DEFAULT_CHROMIUM = "/usr/bin/chromium"
SANDBOX_ENV = "DGP_CHROMIUM_SANDBOX"


def executable(path: str | None = None) -> str | None:
    candidate = path or DEFAULT_CHROMIUM
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return candidate
    return shutil.which("chromium") if path is None else None


def available(path: str | None = None) -> str | None:
    """None when the browser mode can run; else why not (said to the user)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    if executable(path) is None:
        return f"Chromium is not installed ({path or DEFAULT_CHROMIUM}; apt install chromium)"
    return None


def own_sandbox() -> bool:
    """Whether Chromium's own sandbox is used (see the module docstring)."""
    if os.geteuid() == 0:
        return False
    return os.environ.get(SANDBOX_ENV, "chromium").strip().lower() != "unit"


def flags(trusted_spki: tuple[str, ...] = ()) -> list[str]:
    """Chromium's command line besides what Playwright adds (headless, the profile,
    the proxy). No name resolution of its own: every host goes to the policy proxy."""
    args = [
        "--disable-gpu",
        "--disable-quic",  # QUIC (UDP) would bypass the proxy
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-breakpad",
        "--disable-client-side-phishing-detection",
        "--disable-domain-reliability",
        "--disable-component-extensions-with-background-pages",
        "--no-pings",
        "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,"
        "CertificateTransparencyComponentUpdater,DialMediaRouteProvider,InterestFeedContentSuggestions",
        "--metrics-recording-only",
        "--no-default-browser-check",
        "--password-store=basic",
        "--use-mock-keychain",
        "--disable-dev-shm-usage",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",  # no UDP around the proxy
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # names go to the proxy
    ]
    if not own_sandbox():
        args.append("--no-sandbox")
    if trusted_spki:
        args.append("--ignore-certificate-errors-spki-list=" + ",".join(trusted_spki))
    return args


def _processes() -> dict[int, tuple[int, bytes]]:
    """pid -> (parent pid, command line) of every process we can see."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        found[int(entry.name)] = (ppid, cmdline)
    return found


def _tree(matches: Callable[[list[bytes]], bool]) -> list[int]:
    """Processes whose argv `matches`, and every process below them."""
    table = _processes()
    found = {pid for pid, (_, cmd) in table.items() if matches(cmd.split(b"\0"))}
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _) in table.items():
            if ppid in found and pid not in found:
                found.add(pid)
                changed = True
    return sorted(found)


def browser_processes(profile: str) -> list[int]:
    """The browser started with this profile directory and every process below it."""
    marker = f"--user-data-dir={profile}".encode()
    return _tree(lambda argv: marker in argv)


def kill_browser(profile: str) -> int:
    """SIGKILL the browser of this profile, its process group and its descendants; returns
    how many processes were signalled."""
    pids = browser_processes(profile)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # the browser leads its group (Playwright: detached)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)


def all_chromium_processes(prefix: str) -> list[int]:
    """Browsers whose profile is under `prefix`, with their processes (tests count these)."""
    needle = f"--user-data-dir={prefix}".encode()
    return _tree(lambda argv: any(arg.startswith(needle) for arg in argv))
