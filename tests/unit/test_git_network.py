"""Clones under dgp.net's policy: git reaches only addresses that were checked, and a
redirect (which git would follow by itself) cannot lead it to a private address.

The git servers are started here on loopback addresses: smart HTTP through
`git http-backend`, a git:// listener, and a recording stand-in for ssh. Names are
resolved by injected resolvers. The HTTP server listens on 127.0.0.2 and is named
"localhost": git's curl would find localhost at 127.0.0.1, where nothing listens, so a
clone that works shows that git dialled the pinned address.
"""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from dgp.net import NetPolicy  # noqa: E402
from dgp.scanners import git  # noqa: E402
from tests import codefixtures as fx  # noqa: E402
from tests.netfixtures import Handler, LocalServer, connections, processes, serve  # noqa: E402

LOOPBACK = NetPolicy.allowing("127.0.0.0/8")
SECRET = "s3cr3tT0kenValue"
UPLOAD_PACK = "/info/refs?service=git-upload-pack"


def resolver(**names: str):  # -> a resolver that remembers its calls
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return [names[host.replace(".", "_")]]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of bare repositories: repo.git (the fixture repository)."""
    root = tmp_path_factory.mktemp("served")
    source = fx.make_git_repo(tmp_path_factory.mktemp("source"))
    fx.git(root, "clone", "--quiet", "--bare", str(source.path), str(root / "repo.git"))
    return root


def http_backend(root: Path, redirects: dict[str, str] | None = None):  # -> a Respond
    """Smart HTTP, as a git host serves it: `git http-backend` as CGI; `redirects` maps a
    path (query included) to a Location."""

    def respond(handler: Handler) -> None:
        if redirects and handler.path in redirects:
            handler.redirect(redirects[handler.path], 301)
            return
        path, _, query = handler.path.partition("?")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "REQUEST_METHOD": handler.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": handler.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GIT_PROTOCOL": handler.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": handler.headers.get("Content-Encoding", ""),
            "REMOTE_ADDR": "127.0.0.1",
        }
        done = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, timeout=30
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, headers = 200, {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers[name] = value.strip()
        handler.reply(status, payload, headers)

    return respond


@pytest.fixture
def server(served: Path) -> Iterator[LocalServer]:
    with serve(http_backend(served), host="127.0.0.2") as running:
        yield running


def git_requests(server: LocalServer) -> list[str]:
    return [s.path for s in server.seen if s.headers.get("user-agent", "").startswith("git/")]


def test_a_clone_over_http_dials_the_checked_address(server: LocalServer, tmp_path: Path) -> None:
    names = resolver(localhost="127.0.0.2")
    url = f"http://localhost:{server.port}/repo.git"
    git.clone(
        url,
        tmp_path / "c",
        branch=None,
        commit=None,
        full_history=False,
        timeout=60,
        policy=LOOPBACK,
        resolver=names,
    )
    assert (tmp_path / "c" / "app" / "users.py").is_file()
    assert names.calls == ["localhost"]  # resolved once, by us; git's curl got the address
    assert git_requests(server)[0] == f"/repo.git{UPLOAD_PACK}"


@pytest.mark.parametrize(
    "location,reason",
    [
        (f"http://10.0.0.1/repo.git{UPLOAD_PACK}", "10.0.0.1 is a private address: refused"),
        (
            f"http://169.254.169.254/repo.git{UPLOAD_PACK}",
            "169.254.169.254 is a cloud metadata address: refused",
        ),
        (f"http://build.internal/repo.git{UPLOAD_PACK}", "build.internal resolves to 10.2.3.4"),
    ],
)
def test_a_redirect_to_a_private_address_refuses_the_clone(
    served: Path, tmp_path: Path, location: str, reason: str
) -> None:
    # a "public" host (the policy allows 127.0.0.0/8 as if it were) that redirects inward
    names = resolver(git_example="127.0.0.1", build_internal="10.2.3.4")
    redirects = {f"/repo.git{UPLOAD_PACK}": location}
    with (
        serve(http_backend(served, redirects)) as public,
        connections() as dialled,
        processes() as started,
        pytest.raises(git.GitError, match=re.escape(reason)) as caught,
    ):
        git.clone(
            f"http://git.example:{public.port}/repo.git",
            tmp_path / "c",
            branch=None,
            commit=None,
            full_history=False,
            timeout=60,
            policy=LOOPBACK,
            resolver=names,
        )
    assert "redirects to" in caught.value.reason and not caught.value.unreachable
    assert [address for address, _ in dialled] == ["127.0.0.1"]  # never the private one
    assert not any(argv[:1] == ["git"] for argv in started)  # git never ran
    assert not (tmp_path / "c").exists()


def test_a_moved_repository_is_cloned_from_where_it_moved_and_git_follows_nothing(
    served: Path, tmp_path: Path
) -> None:
    redirects = {f"/old-name.git{UPLOAD_PACK}": f"/repo.git{UPLOAD_PACK}"}
    with serve(http_backend(served, redirects), host="127.0.0.2") as host:
        url = f"http://localhost:{host.port}/old-name.git"
        with processes() as started:
            git.clone(
                url,
                tmp_path / "c",
                branch=None,
                commit=None,
                full_history=False,
                timeout=60,
                policy=LOOPBACK,
                resolver=resolver(localhost="127.0.0.2"),
            )
    assert (tmp_path / "c" / "README.md").is_file()
    assert all("old-name" not in path for path in git_requests(host))
    clone_argv = next(argv for argv in started if "clone" in argv)
    assert "http.followRedirects=false" in clone_argv
    assert f"http.curloptResolve=localhost:{host.port}:127.0.0.2" in clone_argv


def test_a_redirect_away_from_git_is_a_clear_error(served: Path, tmp_path: Path) -> None:
    redirects = {f"/repo.git{UPLOAD_PACK}": "/login?next=repo"}
    with (
        serve(http_backend(served, redirects)) as host,
        pytest.raises(git.GitError, match="which is not a git repository"),
    ):
        git.clone(
            host.url("/repo.git"),
            tmp_path / "c",
            branch=None,
            commit=None,
            full_history=False,
            timeout=60,
            policy=LOOPBACK,
        )


def test_credentials_reach_the_git_server_but_never_gits_arguments(
    server: LocalServer, tmp_path: Path
) -> None:
    url = f"http://deploy:{SECRET}@localhost:{server.port}/repo.git"
    with processes() as started:
        git.clone(
            url,
            tmp_path / "c",
            branch=None,
            commit=None,
            full_history=False,
            timeout=60,
            policy=LOOPBACK,
            resolver=resolver(localhost="127.0.0.2"),
        )
    expected = "Basic " + base64.b64encode(f"deploy:{SECRET}".encode()).decode()
    assert server.seen and all(s.headers.get("authorization") == expected for s in server.seen)
    assert git_requests(server)  # git's own requests carried them too
    assert started and not any(SECRET in " ".join(argv) for argv in started)


def test_a_loopback_target_is_refused_by_the_default_policy(
    server: LocalServer, tmp_path: Path
) -> None:
    with pytest.raises(git.GitError, match=r"127\.0\.0\.2 is a loopback address: refused"):
        git.clone(
            server.url("/repo.git"),
            tmp_path / "c",
            branch=None,
            commit=None,
            full_history=False,
            timeout=60,
        )
    assert server.seen == []


# -- ssh and git:// ------------------------------------------------------------------------


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An `ssh` that writes down how git called it and fails like an unreachable host."""
    record = tmp_path / "ssh-args"
    program = tmp_path / "bin" / "ssh"
    program.parent.mkdir()
    program.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\nexit 255\n')
    program.chmod(0o755)
    monkeypatch.setattr(git, "SSH", str(program))
    return record


@pytest.mark.parametrize(
    "url", ["ssh://git@gitserver.test:2222/team/repo.git", "git@gitserver.test:team/repo.git"]
)
def test_ssh_dials_the_checked_address_and_keeps_the_name_for_host_keys(
    fake_ssh: Path, tmp_path: Path, url: str
) -> None:
    names = resolver(gitserver_test="127.0.0.1")
    with pytest.raises(git.GitError):
        git.clone(
            url,
            tmp_path / "c",
            branch=None,
            commit=None,
            full_history=False,
            timeout=60,
            policy=LOOPBACK,
            resolver=names,
        )
    args = fake_ssh.read_text().split("\n")
    assert "HostName=127.0.0.1" in args and "HostKeyAlias=gitserver.test" in args
    assert "git@gitserver.test" in args and names.calls == ["gitserver.test"]


def test_ssh_to_a_name_that_resolves_privately_never_starts(fake_ssh: Path, tmp_path: Path) -> None:
    names = resolver(gitserver_test="192.168.7.7")
    with pytest.raises(
        git.GitError, match=r"gitserver\.test resolves to 192\.168\.7\.7, a private"
    ):
        git.clone(
            "git@gitserver.test:team/repo.git",
            tmp_path / "c",
            branch=None,
            commit=None,
            full_history=False,
            timeout=60,
            resolver=names,
        )
    assert not fake_ssh.exists()


def test_git_protocol_dials_the_checked_address(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.2", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    heard: list[bytes] = []

    def answer_once() -> None:
        conn, _ = listener.accept()
        with conn:  # one pkt-line, the request, then hang up
            data = b""
            while len(data) < 4 or len(data) < int(data[:4], 16):
                more = conn.recv(4096)
                if not more:
                    break
                data += more
            heard.append(data)

    thread = threading.Thread(target=answer_once, daemon=True)
    thread.start()
    try:
        with pytest.raises(git.GitError):
            git.clone(
                f"git://localhost:{port}/repo.git",
                tmp_path / "c",
                branch=None,
                commit=None,
                full_history=False,
                timeout=30,
                policy=LOOPBACK,
                resolver=resolver(localhost="127.0.0.2"),
            )
        thread.join(timeout=30)
    finally:
        listener.close()
    assert heard and b"git-upload-pack /repo.git" in heard[0]
