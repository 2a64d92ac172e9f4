"""What a database scan connects to, read from its target text. Light (standard library
and dgp.net only): the web app checks targets with it before a scan is queued.

    postgresql://HOST[:PORT]/DATABASE       (postgres:// too; TCP, TLS when offered)
    mysql://HOST[:PORT][/DATABASE]          (mariadb:// too; no database: every one visible)
    postgresql:///DATABASE?host=/run/postgresql    a unix socket on the scanner host
    mysql:///DATABASE?socket=/run/mysqld/mysqld.sock
    sqlite:///path/to/file.sqlite, or a path: a SQLite file on the scanner host
    an uploaded SQLite file (the target is then only its name)

No user name and no password in the target: targets are stored and shown with the
scan. The user is the option `user` (or the user of a basic_auth credential), the
password the scan's encrypted credential. Sockets and files are on the scanner host,
so they are local sources (an administrator's); host names are checked against the
SSRF policy when the scan connects (dgp.net), like every other network target.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from pathlib import PurePosixPath

from dgp.net import TargetRefused, TargetURL, parse_url, redact_text, refuse_credentials

ENGINES = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql"}
ENGINES["mariadb"] = "mysql"
PORTS = {"postgresql": 5432, "mysql": 3306}
SOCKET_PARAM = {"postgresql": "host", "mysql": "socket"}
SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db", ".db3", ".s3db", ".sl3")
_NAME = re.compile(r"^[^\x00-\x1f/\\]{1,64}$")


@dataclass(frozen=True)
class DatabaseTarget:
    """A parsed target. Exactly one of `url` (TCP), `socket` or `path` (SQLite) is set."""

    engine: str  # postgresql, mysql or sqlite
    database: str = ""  # the database (MySQL: empty for every one the user sees)
    url: TargetURL | None = None
    socket: str | None = None
    path: str | None = None

    @property
    def local(self) -> bool:
        """Reads the scanner host itself (a socket or a file): an administrator's scan."""
        return self.url is None

    @property
    def display(self) -> str:
        if self.path is not None:
            return f"sqlite://{self.path}" if self.path.startswith("/") else self.path
        if self.url is not None:
            return f"{self.engine}://{self.url.endpoint}/{self.database}"
        param = SOCKET_PARAM[self.engine]
        return f"{self.engine}:///{self.database}?{param}={self.socket}"

    @property
    def endpoint(self) -> str | None:
        return self.url.endpoint if self.url is not None else None


def parse_target(text: str) -> DatabaseTarget:
    """The target; TargetRefused (a ValueError) says why a text is not one."""
    text = text.strip()
    if not text or len(text) > 2000 or "\x00" in text:
        raise TargetRefused("a database target is a URL such as postgresql://host/db or a path")
    refuse_credentials(text)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return _sqlite(text)
    scheme = scheme.lower()
    if scheme == "sqlite":
        return _sqlite(urllib.parse.unquote(rest) if rest.startswith("/") else "/" + rest)
    engine = ENGINES.get(scheme)
    if engine is None:
        names = ", ".join([*ENGINES, "sqlite"])
        raise TargetRefused(f"{scheme}:// is not a database URL (one of: {names})")
    parts = urllib.parse.urlsplit(text)
    database = _database(engine, urllib.parse.unquote(parts.path))
    params = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(params) - {SOCKET_PARAM[engine]})
    if unknown or parts.fragment:
        raise TargetRefused(
            f"{redact_text(text)}: settings go in the scan's options, not the URL "
            f"({', '.join(unknown) or 'a #fragment'})"
        )
    if not parts.netloc:
        socket = params.get(SOCKET_PARAM[engine], [""])[-1]
        if not socket.startswith("/"):
            raise TargetRefused(
                f"{engine}:/// needs ?{SOCKET_PARAM[engine]}=/absolute/path of a unix socket"
            )
        return DatabaseTarget(engine, database, socket=_clean_path(socket))
    if params:
        raise TargetRefused("a unix socket is named without a host: " + engine + ":///db?...")
    url = parse_url(f"https://{parts.netloc}/", ("https",))  # host and port, normalised
    port = url.port if url.explicit_port else PORTS[engine]
    host_url = TargetURL(engine, url.host, port, explicit_port=True)
    return DatabaseTarget(engine, database, url=host_url)


def _database(engine: str, path: str) -> str:
    name = path.removeprefix("/")
    if not name and engine == "postgresql":
        raise TargetRefused("a PostgreSQL target names its database: postgresql://host/DATABASE")
    if name and not _NAME.match(name):
        raise TargetRefused(f"{name[:80]!r} is not a database name")
    return name


def _sqlite(path: str) -> DatabaseTarget:
    path = _clean_path(path)
    if not path.lower().endswith(SQLITE_SUFFIXES) and not path.startswith("/"):
        raise TargetRefused(
            f"{path[:200]!r} is not a database URL, nor a SQLite file "
            f"({', '.join(SQLITE_SUFFIXES)}) or an absolute path"
        )
    return DatabaseTarget("sqlite", PurePosixPath(path).name, path=path)


def _clean_path(path: str) -> str:
    if any(c in path for c in "\x00\r\n") or ".." in PurePosixPath(path).parts:
        raise TargetRefused("a path may not contain '..' or control characters")
    return path


def check_target(text: str) -> None:
    """The kind's target check (web app, before the scan is queued)."""
    target = parse_target(text)
    del target


def show_target(text: str) -> str:
    try:
        return parse_target(text).display
    except TargetRefused:
        return redact_text(text)


def target_endpoint(text: str) -> str | None:
    try:
        return parse_target(text).endpoint
    except TargetRefused:
        return None
