"""Serving a WSGI app under gunicorn, run in-process, and the sd_notify glue.

Socket activation: gunicorn reads LISTEN_FDS/LISTEN_PID itself (gunicorn/systemd.py,
`listen_fds()`), so when they are set we give it no address and it takes fds 3.. ;
otherwise it binds `bind`. It must run in the process systemd started (LISTEN_PID),
which is why this is a BaseApplication run in-process, not a `gunicorn` command.

READY=1: gunicorn's arbiter sends "READY=1" itself once it listens (Arbiter.start),
so we never send it (a second READY is harmless but would come from another pid).
WATCHDOG=1 comes from the scanner's consumer loop (Worker.on_beat): a hung scan stops
the beats and systemd restarts the unit. The consumer is a child process, so the unit
needs `NotifyAccess=all`; and WATCHDOG_PID names the main pid, so it is not checked.

sd_notify is a plain unix datagram (below, a dozen lines) rather than systemd-python:
systemd-python ships no wheels, so every pip install (CI, developers, the .deb build)
would need a C compiler, python3-dev, pkg-config and libsystemd-dev; the protocol is
one datagram, and gunicorn carries the same code.

Control socket (gunicorn >= 25): put in $RUNTIME_DIRECTORY when systemd made one,
otherwise disabled (it would default to $HOME/.gunicorn, unwritable under
ProtectHome=/DynamicUser=). Reload is HUP (new workers, old ones finish their
requests); USR2 re-exec is not used under systemd.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

import gunicorn.http.wsgi
from gunicorn.app.base import BaseApplication

WSGIApp = Callable[..., Any]


def sd_notify(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send `state` ("WATCHDOG=1", "STATUS=...") to systemd; False when not under it."""
    addr = (os.environ if environ is None else environ).get("NOTIFY_SOCKET", "")
    if not addr or addr[0] not in "/@":
        return False
    if addr[0] == "@":  # abstract namespace
        addr = "\0" + addr[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(addr)
            sock.sendall(state.encode())
    except OSError:
        return False
    return True


class Watchdog:
    """Feeds WATCHDOG=1 at most every WATCHDOG_USEC/4, however often it is called.

    Worker.on_beat runs on every loop turn and progress report; systemd wants a beat
    well within WatchdogSec, not thousands. A no-op when WATCHDOG_USEC is not set.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        usec = int(env.get("WATCHDOG_USEC", "0") or 0)
        self.enabled = usec > 0 and bool(env.get("NOTIFY_SOCKET"))
        self.interval = usec / 4e6
        self._env = dict(env)
        self._last = float("-inf")

    def __call__(self) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            sd_notify("WATCHDOG=1", self._env)


def socket_activated(environ: Mapping[str, str] | None = None) -> bool:
    """True when systemd passed us listening sockets (LISTEN_PID is this process)."""
    env = os.environ if environ is None else environ
    return int(env.get("LISTEN_FDS", "0") or 0) > 0 and env.get("LISTEN_PID") == str(os.getpid())


def control_socket(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """Where gunicorn's control socket goes: $RUNTIME_DIRECTORY/NAME.ctl, or None (off)."""
    env = os.environ if environ is None else environ
    runtime = env.get("RUNTIME_DIRECTORY", "").split(":")[0]
    return os.path.join(runtime, f"{name}.ctl") if runtime else None


# gunicorn names itself and its version in a Server header on every answer; an attacker
# needs neither. Response reads this module global for each answer.
gunicorn.http.wsgi.SERVER = "DataGuardianPro"


class Server(BaseApplication):  # type: ignore[misc]
    """gunicorn with our settings, serving the app that `load_app` builds in each worker.

    The app is built after fork (no preload), so each worker opens its own
    connections; `on_exit` runs in the arbiter when gunicorn stops.
    """

    def __init__(
        self,
        name: str,
        load_app: Callable[[], WSGIApp],
        bind: str,
        *,
        workers: int = 1,
        threads: int = 4,
        graceful_timeout: int = 30,
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self._load_app = load_app
        self._options: dict[str, Any] = {
            "proc_name": f"dgp-{name}",
            "workers": workers,
            "worker_class": "dgp.apps.health_lane.HealthLaneWorker",  # gthread + /health lane
            "threads": threads,
            "graceful_timeout": graceful_timeout,
            "errorlog": "-",  # stderr: the journal under systemd
            "accesslog": None,  # client addresses are personal data: no access log
            "preload_app": False,
        }
        if not socket_activated():
            self._options["bind"] = [bind]
        ctl = control_socket(f"gunicorn-{name}")
        if ctl is None:
            self._options["control_socket_disable"] = True
        else:
            self._options["control_socket"] = ctl
        if on_exit is not None:
            self._options["on_exit"] = lambda _arbiter: on_exit()
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        return self._load_app()
