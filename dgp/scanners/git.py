"""Git as a source: shallow clones with a time limit, changed files, blame.

Only the transports we expect are allowed (GIT_ALLOW_PROTOCOL), git never asks
for a password on a terminal, and every call has a timeout.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import subprocess
import urllib.parse
from pathlib import Path

from dgp.domain.job import ScanInputError

ALLOWED_PROTOCOLS = "https:http:ssh:git:file"
_URL = re.compile(r"^(?:https?|ssh|git|file)://\S+$|^[\w.-]+@[\w.-]+:\S+$")
_USERINFO = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


class GitError(Exception):
    """`unreachable`: the host did not answer (time-out, DNS, connection): it may be down,
    unlike a repository that does not exist or a branch that is not there."""

    def __init__(self, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unreachable = unreachable


_UNREACHABLE = re.compile(
    r"could not resolve host|connection (?:refused|timed out|reset)|couldn't connect|"
    r"failed to connect|network is unreachable|no route to host|operation timed out|"
    r"the remote end hung up unexpectedly|unable to access",
    re.IGNORECASE,
)


def host_of(url: str) -> str | None:
    """The host a git URL names (https://h/..., ssh://u@h/..., u@h:path), or None (file://)."""
    if url.startswith("file:"):
        return None
    if "://" in url:
        return urllib.parse.urlsplit(url).hostname
    return url.split("@", 1)[1].split(":", 1)[0]  # scp-like user@host:path


_DEFAULT_PORTS = {"https": 443, "http": 80, "ssh": 22, "git": 9418}


def endpoint_of(target: str) -> str | None:
    """ "host:port" of a git URL (a unit of availability for circuit breakers), else None."""
    if not is_git_url(target):
        return None
    host = host_of(target)
    if host is None:
        return None
    if "://" in target:
        parts = urllib.parse.urlsplit(target)
        return f"{host}:{parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)}"
    return f"{host}:22"  # scp-like user@host:path is ssh


def refuse_private_host(url: str) -> None:
    """SSRF guard: a URL whose host resolves to a loopback, private or link-local address
    is refused. (git resolves the name again; a name that changes its address between
    the two looks is not caught here, only by network rules around the scanner.)"""
    host = host_of(url)
    if host is None:
        return
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        raise GitError(f"cannot resolve {host}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            raise GitError(f"{host} is a private or local address; refused")


def refuse_credentials(target: str) -> None:
    """A git URL with a password or token in it would be stored and shown back: refused
    (credentials have their own encrypted store)."""
    if is_git_url(target) and "://" in target:
        parts = urllib.parse.urlsplit(target)
        if parts.password is not None or (parts.username and parts.scheme.startswith("http")):
            raise ScanInputError(
                "credentials in the URL are not accepted; use a public URL or an upload"
            )


def is_git_url(target: str) -> bool:
    return _URL.match(target) is not None


def redact_url(text: str) -> str:
    """`text` with the user and password of every URL in it replaced by `***`."""
    return _USERINFO.sub(r"\1***@", text)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_ALLOW_PROTOCOL=ALLOWED_PROTOCOLS,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_ASKPASS="/bin/false",
        SSH_ASKPASS="/bin/false",
    )
    return env


def _git(args: list[str], cwd: Path | None, timeout: float) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {timeout:g} s", unreachable=True) from None
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    if done.returncode != 0:
        summary = _summary(done.stderr, done.returncode)
        raise GitError(
            f"git {args[0]} failed: {summary}",
            unreachable=_UNREACHABLE.search(done.stderr) is not None,
        )
    return done.stdout


def _summary(stderr: str, returncode: int) -> str:
    """The line of git's stderr that says what went wrong: the first fatal or error line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    first = next((x for x in lines if x.startswith(("fatal:", "error:"))), None)
    if first is None:
        first = lines[-1] if lines else f"exit status {returncode}"
    return redact_url(first)


def clone(
    url: str,
    dest: Path,
    *,
    branch: str | None,
    commit: str | None,
    full_history: bool,
    timeout: float,
) -> None:
    """Clone `url` into `dest`; shallow unless history is needed (incremental scans, blame)."""
    if not is_git_url(url):
        raise GitError("not a git URL (https://, ssh://, git://, file:// or user@host:path)")
    for name, ref in (("branch", branch), ("commit", commit)):
        if ref is not None and ref.startswith("-"):  # would be read as an option of git's
            raise GitError(f"not a valid {name}: {ref}")
    args = ["clone", "--quiet", "--no-tags", "-c", "core.symlinks=false"]
    if not full_history and commit is None:
        args += ["--depth", "1", "--single-branch"]
    if branch:
        args += ["--branch", branch]
    _git([*args, "--", url, str(dest)], None, timeout)
    if commit:
        _git(["checkout", "--quiet", "--detach", commit], dest, timeout)


def is_repository(path: Path) -> bool:
    return (path / ".git").exists()


def changed_files(repo: Path, since: str, timeout: float = 60.0) -> set[str]:
    """Files changed between `since` and the working tree, plus untracked ones."""
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{since}^{{commit}}"], repo, timeout)
    except GitError:
        raise GitError(f"{since} is not a commit of this repository") from None
    changed = _git(["diff", "--name-only", "--no-renames", "-z", since], repo, timeout)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], repo, timeout)
    return {p for p in (changed + untracked).split("\0") if p}


def blame_line(repo: Path, path: str, line: int, timeout: float = 30.0) -> dict[str, str]:
    """Commit and author of one line (only when the user asked for git metadata)."""
    out = _git(["blame", "--porcelain", "-L", f"{line},{line}", "--", path], repo, timeout)
    first = out.split("\n", 1)[0].split(" ")
    info = {"commit": first[0]}
    for row in out.splitlines():
        if row.startswith("author "):
            info["author"] = row[len("author ") :]
        elif row.startswith("author-time "):
            info["author_time"] = row[len("author-time ") :]
    return info
