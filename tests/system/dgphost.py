"""A test host with DataGuardian Pro installed from its .deb, as an operator would.

`install(host, deb)` installs redis-server and postgresql from apt, creates the
database role, installs the package with `apt install ./dataguardian_*.deb`,
migrates, and creates the first admin and an API token. `Installed` then talks to
the host's units and API from inside the host (its sockets listen on 127.0.0.1).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from dgp import kinds
from tests.system import testhost as th

ROOT = Path(__file__).resolve().parents[2]
GUEST = Path(__file__).resolve().parent / "guest"
WEB = "http://127.0.0.1:5000"
FINAL = ("done", "failed", "degraded", "cancelled")
# what the package enables on its first install: a scanner instance per registered kind
UNITS = (
    "dgp.target",
    "dgp-web.socket",
    "dgp-web.service",
    *(f"dgp-scanner@{kind}.{unit}" for kind in kinds.names() for unit in ("socket", "service")),
    "dgp-janitor.timer",
)
PII_LINE = 'klant = {"bsn": "111222333", "email": "jan.jansen@example.nl"}  # klantgegevens\n'


def package() -> Path:
    """The .deb under test: DGP_TEST_DEB, or `make deb` when the built one is older
    than the sources it is made of."""
    if os.environ.get("DGP_TEST_DEB"):
        return Path(os.environ["DGP_TEST_DEB"])
    version = re.search(r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert version, "no version in pyproject.toml"
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    deb = ROOT / "build" / f"dataguardian_{version[1]}_{arch}.deb"
    sources = [ROOT / "pyproject.toml", *ROOT.glob("dgp/**/*"), *ROOT.glob("units/**/*")]
    sources += ROOT.glob("packaging/debian/**/*")
    newest = max(p.stat().st_mtime for p in sources if p.is_file() and "__pycache__" not in p.parts)
    with th.locked(ROOT / "build" / ".lock"):  # one build for test modules run in parallel
        if not deb.exists() or deb.stat().st_mtime < newest:
            build = ["bash", str(ROOT / "scripts/build-deb.sh")]
            subprocess.run(build, check=True, cwd=ROOT, stdout=sys.stderr)  # progress only
    return deb


def newer_build(deb: Path, folder: Path) -> Path:
    """The same package with a higher version: what an upgrade installs. Repacked,
    not rebuilt: dpkg runs the same upgrade path for it (prerm upgrade, postinst
    configure with the old version)."""
    tree = folder / "tree"
    subprocess.run(["dpkg-deb", "-R", str(deb), str(tree)], check=True)
    control = tree / "DEBIAN" / "control"
    text = control.read_text()
    version = re.search(r"^Version: (.+)$", text, re.M)
    assert version
    newer = f"{version[1]}+upgrade1"
    control.write_text(text.replace(f"Version: {version[1]}", f"Version: {newer}"))
    out = folder / deb.name.replace(version[1], newer)
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "-b", str(tree), str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out


@dataclass
class Installed:
    host: th.TestHost
    token: str

    # -- inside the host -------------------------------------------------------------

    def sh(self, script: str, timeout: float = 120) -> str:
        return self.host.sh(script, timeout=timeout, check=True).stdout

    def dgp(self, *args: str, input: str | None = None, timeout: float = 120) -> str:
        """`dgp ...` as the dataguardian user, as an operator runs it."""
        command = ["runuser", "-u", "dataguardian", "--", "dgp", *args]
        return self.host.run(command, input=input, timeout=timeout, check=True).stdout

    def systemctl(self, *args: str, check: bool = True) -> str:
        return self.host.run(["systemctl", *args], timeout=180, check=check).stdout

    def show(self, unit: str, prop: str) -> str:
        return self.systemctl("show", "-p", prop, "--value", unit).strip()

    def main_pid(self, unit: str) -> int:
        return int(self.show(unit, "MainPID"))

    def curl(self, url: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """curl inside the host; stdout is the body, the last line the HTTP status."""
        command = ["curl", "-sS", "--max-time", str(timeout), "-w", "\n%{http_code}", *args, url]
        return self.host.run(command, timeout=timeout + 10)

    def api(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        args = ["-X", method, "-H", f"Authorization: Bearer {self.token}"]
        if body is not None:
            args += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
        result = self.curl(f"{WEB}/api/v1{path}", *args)
        text, _, status = result.stdout.rpartition("\n")
        return int(status or 0), json.loads(text) if text.strip() else {}

    def health(self, port: int) -> int:
        status = self.curl(f"http://127.0.0.1:{port}/health").stdout.rpartition("\n")[2]
        return int(status or 0)

    # -- scans -------------------------------------------------------------------------

    def submit(self, kind: str, path: str) -> str:
        """Upload a folder or file inside the host with `dgp submit`; the scan's id."""
        out = self.host.run(
            ["env", f"DGP_TOKEN={self.token}", "dgp", "submit", kind, path],
            timeout=300,
            check=True,
        ).stdout
        return out.split()[0]

    def scan(self, scan_id: str) -> dict:
        status, body = self.api("GET", f"/scans/{scan_id}")
        assert status == 200, body
        return body

    def wait_scan(self, scan_id: str, seconds: float = 300, want: tuple = FINAL) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            scan = self.scan(scan_id)
            if scan["status"] in want:
                return scan
            assert time.monotonic() < deadline, f"scan {scan_id} still {scan['status']}"
            time.sleep(0.5)

    def make_tree(self, path: str, files: int, lines: int) -> None:
        """A folder of `files` small source files with personal data in them."""
        script = (
            f'mkdir -p "{path}" && i=0; while [ $i -lt {files} ]; do '
            f"yes '{PII_LINE.strip()}' | head -n {lines} > \"{path}/m$i.py\"; "
            "i=$((i+1)); done"
        )
        self.sh(script, timeout=300)

    def load(self, *urls: str, rate: float, seconds: float, auth: bool = False) -> dict:
        """guest/load.py inside the host (bounded), its JSON report."""
        args = self.load_command(*urls, rate=rate, seconds=seconds, auth=auth)
        return json.loads(self.host.run(args, timeout=seconds + 120, check=True).stdout)

    def load_command(self, *urls: str, rate: float, seconds: float, auth: bool = False) -> list:
        args = ["python3", "/var/tmp/load.py", "--rate", str(rate), "--seconds", str(seconds)]
        for url in urls:
            args += ["--url", url]
        if auth:
            args += ["--header", f"Authorization: Bearer {self.token}"]
        return args


def install(host: th.TestHost, deb: Path) -> Installed:
    """apt install redis-server, postgresql and the package; the database, the first
    admin and a token. What the Ansible playbook automates later."""
    host.apt_install("redis-server", "postgresql")
    host.sh(
        "sed -i 's/^appendonly no/appendonly yes/' /etc/redis/redis.conf && "
        "systemctl restart redis-server",
        check=True,
    )
    # the system user's role and database; peer authentication over the unix socket
    host.sh(
        "runuser -u postgres -- psql -qc 'CREATE ROLE dataguardian LOGIN' && "
        "runuser -u postgres -- createdb -O dataguardian dataguardian",
        check=True,
    )
    host.install_deb(deb)
    installed = Installed(host, token="")
    installed.dgp("db", "migrate")
    password = secrets.token_urlsafe(18)
    installed.dgp(
        "user", "create", "--org", "acme", "--create-org", "--email", "admin@acme.example",
        "--admin", input=password + "\n",
    )  # fmt: skip
    installed.token = installed.dgp(
        "token", "create", "--email", "admin@acme.example", "--name", "tests",
        "--scope", "scans:read", "--scope", "scans:write", "--scope", "findings:read",
    ).strip()  # fmt: skip
    host.put(GUEST / "load.py", "/var/tmp/load.py", 0o755)
    return installed
