"""Git as a source: shallow clones with a time limit, changed files, blame.

Only the transports we expect are allowed (GIT_ALLOW_PROTOCOL), git never asks
for a password on a terminal, and every call has a timeout.

A clone goes where dgp.net's policy allows and nowhere else. git follows HTTP
redirects by itself and resolves names again, so for http(s) the redirects are
followed first by the policy's fetcher (GET info/refs, each hop checked), then git
clones the final address with redirects off and the name pinned to the checked
addresses (http.curloptResolve). git:// is given the checked address; ssh is told
it (HostName=) while host keys stay looked up by name (HostKeyAlias=). Credentials
given in a URL (the CLI) go to git in its environment, never in its arguments,
which every local user can read.

The URL helpers here import only dgp.net's light part: the kind's spec uses them.
"""

from __future__ import annotations

import base64
import os
import re
import shlex
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from dgp.domain.job import ScanInputError
from dgp.net import (
    NetError,
    NetPolicy,
    Resolver,
    TargetRefused,
    TargetURL,
    check_target,
    endpoint,
    parse_url,
    redact_text,
)
from dgp.net import refuse_credentials as net_refuse_credentials

ALLOWED_PROTOCOLS = "https:http:ssh:git:file"
NETWORK_SCHEMES = ("https", "http", "ssh", "git")
_URL = re.compile(r"^(?:https?|ssh|git|file)://\S+$|^[\w.-]+@[\w.-]+:\S+$", re.IGNORECASE)
INFO_REFS = "/info/refs"
UPLOAD_PACK_QUERY = "service=git-upload-pack"
DISCOVERY_MAX_SECONDS = 60.0  # of the clone's time limit, for following redirects
MAX_REDIRECTS = 5
SSH = "ssh"  # the ssh program git runs (tests put a recorder in its place)


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


def is_git_url(target: str) -> bool:
    """A URL git clones over the network or from file:// (scheme in any case), or
    git's user@host:path."""
    return _URL.match(target.strip()) is not None


def is_local_url(url: str) -> bool:
    return url.strip().lower().startswith("file:")


def parse(url: str) -> TargetURL:
    """A network git URL parsed and normalised; TargetRefused says why not."""
    return parse_url(url, NETWORK_SCHEMES)


def host_of(url: str) -> str | None:
    """The host a git URL names (https://h/..., ssh://u@h/..., u@h:path), or None."""
    if is_local_url(url):
        return None
    try:
        return parse(url).host
    except TargetRefused:
        return None


def endpoint_of(target: str) -> str | None:
    """ "host:port" of a git URL (a unit of availability for circuit breakers), else None."""
    return endpoint(target) if is_git_url(target) else None


def refuse_credentials(target: str) -> None:
    """The code kind's target check: a URL with credentials in it (any scheme and case,
    user information or tokens in the query) would be stored and shown back: refused
    (credentials have their own encrypted store)."""
    try:
        net_refuse_credentials(target)
    except TargetRefused as e:
        raise ScanInputError(e.reason) from None


@dataclass
class Source:
    """What git is given to clone: the URL, options before the command (git -c ...) and
    environment variables (credentials: not in the arguments)."""

    url: str
    options: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_ALLOW_PROTOCOL=ALLOWED_PROTOCOLS,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_ASKPASS="/bin/false",
        SSH_ASKPASS="/bin/false",
    )
    env.update(extra or {})
    return env


def _git(
    args: list[str],
    cwd: Path | None,
    timeout: float,
    source: Source | None = None,
    *,
    limit: float | None = None,  # the time limit to name, when `timeout` is what is left of it
) -> str:
    options, extra = (source.options, source.env) if source else ([], {})
    try:
        done = subprocess.run(
            ["git", *options, *args],
            cwd=cwd,
            env=_env(extra),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        took = f"git {args[0]} took longer than {limit or timeout:g} s"
        raise GitError(took, unreachable=True) from None
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
    return redact_text(first)


def clone(
    url: str,
    dest: Path,
    *,
    branch: str | None,
    commit: str | None,
    full_history: bool,
    timeout: float,
    policy: NetPolicy | None = None,
    resolver: Resolver | None = None,
) -> None:
    """Clone `url` into `dest`; shallow unless history is needed (incremental scans, blame).
    `policy` says which hosts the clone may reach (by default: public addresses only);
    `resolver` replaces getaddrinfo (tests)."""
    if not is_git_url(url):
        raise GitError("not a git URL (https://, ssh://, git://, file:// or user@host:path)")
    for name, ref in (("branch", branch), ("commit", commit)):
        if ref is not None and ref.startswith("-"):  # would be read as an option of git's
            raise GitError(f"not a valid {name}: {ref}")
    started = time.monotonic()
    source = pinned_source(url, policy or NetPolicy(), resolver, timeout)
    left = max(timeout - (time.monotonic() - started), 0.1)
    args = ["clone", "--quiet", "--no-tags", "-c", "core.symlinks=false"]
    if not full_history and commit is None:
        args += ["--depth", "1", "--single-branch"]
    if branch:
        args += ["--branch", branch]
    _git([*args, "--", source.url, str(dest)], None, left, source, limit=timeout)
    if commit:
        _git(["checkout", "--quiet", "--detach", commit], dest, timeout)


def pinned_source(url: str, policy: NetPolicy, resolver: Resolver | None, timeout: float) -> Source:
    """How git reaches `url` at the addresses the policy checked, and only there."""
    if is_local_url(url):
        return Source(url.strip())
    try:
        target = parse(url)
        if target.scheme in ("http", "https"):
            return _http_source(target, policy, resolver, timeout)
        address = check_target(target, policy, resolver).addresses[0]
    except NetError as e:
        raise GitError(e.reason, unreachable=e.unreachable) from None
    if target.scheme == "git":  # no TLS, no virtual hosts that matter: dial the address
        return Source(replace(target, host=address).url)
    # ssh dials the checked address; host keys are still looked up under the name
    command = shlex.join([SSH, "-o", f"HostName={address}", "-o", f"HostKeyAlias={target.host}"])
    return Source(target.url_with_user, ["-c", f"core.sshCommand={command}"])


def _http_source(
    target: TargetURL, policy: NetPolicy, resolver: Resolver | None, timeout: float
) -> Source:
    """Follow the repository's redirects as git would (info/refs), each hop checked, then
    clone the final address pinned, with git's own redirect-following off."""
    from dgp.net.fetch import Fetcher, FetchLimits  # httpx: only where clones run

    authorization = _basic_authorization(target)
    plain = target.without_userinfo()
    probe = plain.with_path(plain.path.rstrip("/") + INFO_REFS, UPLOAD_PACK_QUERY)
    headers = {"Authorization": authorization} if authorization else {}
    limits = FetchLimits(
        total_seconds=min(timeout, DISCOVERY_MAX_SECONDS), max_redirects=MAX_REDIRECTS
    )
    with (
        Fetcher(policy, limits, resolver=resolver) as fetcher,
        fetcher.open(probe, headers=headers) as answer,
    ):
        final, addresses = answer.url, answer.addresses
    if not final.path.endswith(INFO_REFS) or final.query != UPLOAD_PACK_QUERY:
        raise GitError(
            f"{probe.display} redirects to {final.display}, which is not a git repository"
        )
    base = final.with_path(final.path.removesuffix(INFO_REFS))
    options = ["-c", "http.followRedirects=false"]
    if base.address is None:  # a name: git's curl gets the checked addresses, no lookup
        pinned = ",".join(f"[{a}]" if ":" in a else a for a in addresses)
        options += ["-c", f"http.curloptResolve={base.host}:{base.port}:{pinned}"]
    env: dict[str, str] = {}
    if authorization and final.origin == target.origin:  # never to another host
        env = {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.extraHeader",
            "GIT_CONFIG_VALUE_0": f"Authorization: {authorization}",
        }
    return Source(base.url, options, env)


def _basic_authorization(target: TargetURL) -> str | None:
    if not target.has_userinfo:
        return None
    pair = f"{target.username or ''}:{target.password or ''}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


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
