"""Logging for the services: journald with fields under systemd, stderr otherwise.

Under systemd (JOURNAL_STREAM or INVOCATION_ID set) records go to journald over its
native protocol, so `journalctl -u dgp-scanner@code DGP_SCAN_ID=...` finds a scan's
lines: a record's `extra={"dgp_scan_id": ..., "dgp_scanner": ..., "dgp_org": ...}`
becomes the fields DGP_SCAN_ID, DGP_SCANNER, DGP_ORG. The protocol is one datagram
of KEY=value lines (a value with a newline is sent length-prefixed) to
/run/systemd/journal/socket; it is written here rather than taken from
systemd-python (systemd.journal.JournalHandler), which needs a C build against
libsystemd-dev in every install, for ~30 lines of protocol.

No personal data in logs: callers log ids and counts only; a field's value is an
id, never a finding or a target's content.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import sys
import threading
from collections.abc import Mapping

JOURNAL_SOCKET = "/run/systemd/journal/socket"
FIELDS = ("dgp_scan_id", "dgp_scanner", "dgp_org")  # record attribute -> upper-case field
MAX_DATAGRAM = 128 * 1024  # journald's limit is larger; we never need more (truncate)
_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


def under_systemd(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return bool(env.get("JOURNAL_STREAM") or env.get("INVOCATION_ID"))


class ScanFields(logging.Filter):
    """Gives every record the DGP fields (None when a call did not pass them), so
    formatters and handlers can rely on them; `defaults` fills the process's own
    (a consumer's kind) into records that do not name one."""

    def __init__(self, **defaults: str) -> None:
        super().__init__()
        self.defaults = {f"dgp_{k}": v for k, v in defaults.items()}

    def filter(self, record: logging.LogRecord) -> bool:
        for name in FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, self.defaults.get(name))
        return True


def journal_fields(record: logging.LogRecord, message: str, identifier: str) -> dict[str, str]:
    """The journal entry of one record: message, priority, origin and the DGP fields."""
    fields = {
        "MESSAGE": message,
        "PRIORITY": str(_PRIORITY.get(record.levelno, 6)),
        "SYSLOG_IDENTIFIER": identifier,
        "LOGGER": record.name,
        "CODE_FILE": record.pathname,
        "CODE_LINE": str(record.lineno),
        "CODE_FUNC": record.funcName,
        "THREAD_NAME": record.threadName or "",
    }
    for name in FIELDS:
        value = getattr(record, name, None)
        if value is not None:
            fields[name.upper()] = str(value)
    return fields


def encode_journal(fields: Mapping[str, str]) -> bytes:
    """journald's native format: KEY=value\\n, or KEY\\n<le64 length>value\\n."""
    out = bytearray()
    for key, value in fields.items():
        data = value.encode("utf-8", "replace")
        if b"\n" in data:
            out += key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        else:
            out += key.encode() + b"=" + data + b"\n"
    return bytes(out)


class JournalHandler(logging.Handler):
    """Sends records to journald as structured entries; stderr if journald refuses."""

    def __init__(self, identifier: str = "dgp", path: str = JOURNAL_SOCKET) -> None:
        super().__init__()
        self.identifier = identifier
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._lock_sock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            if len(message) > MAX_DATAGRAM - 4096:
                message = message[: MAX_DATAGRAM - 4096] + " [truncated]"
            data = encode_journal(journal_fields(record, message, self.identifier))
            with self._lock_sock:
                self._sock.sendto(data, self.path)
        except OSError:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        self._sock.close()
        super().close()


class StderrFormatter(logging.Formatter):
    """One line per record, with the DGP fields that are set (for development)."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = [f"{n[4:]}={getattr(record, n)}" for n in FIELDS if getattr(record, n, None)]
        return f"{line} [{' '.join(fields)}]" if fields else line


def setup_logging(
    level: int = logging.INFO,
    *,
    scanner: str | None = None,
    environ: Mapping[str, str] | None = None,
    journal_socket: str = JOURNAL_SOCKET,
) -> logging.Handler:
    """Route the root logger to journald under systemd, else to stderr; returns the handler."""
    handler: logging.Handler
    if under_systemd(environ) and os.path.exists(journal_socket):
        identifier = f"dgp-scanner-{scanner}" if scanner else "dgp"
        handler = JournalHandler(identifier, journal_socket)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(StderrFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScanFields(**({"scanner": scanner} if scanner else {})))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
