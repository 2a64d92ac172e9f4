"""`ansible-playbook ansible/deploy.yml` on fresh test hosts: all-in-one and three hosts.

The all-in-one host is deployed twice (the second run must change nothing) and then
checked through Nginx; the three hosts (db+redis, web, scanners) share a private
network, and a scan submitted to the web host runs on the scanner host.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import testinfra.host

from dgp import kinds
from tests.system import deploy, dgphost
from tests.system import testhost as th
from tests.system.dgphost import PII_LINE

NGINX = "https://127.0.0.1"


@pytest.fixture(scope="module")
def deb() -> Path:
    deploy.ensure_ansible()
    return dgphost.package()


def up(name: str, network: str | None = None) -> th.TestHost:
    try:
        return th.up(name, network=network, owner=os.getpid())
    except th.TestHostError as e:
        pytest.fail(f"cannot bring up test host {name}: {e}", pytrace=False)


class Site:
    """A deployed web host, used through its Nginx (from inside: it listens there)."""

    def __init__(self, host: th.TestHost, admin: dict[str, str]) -> None:
        self.host = host
        self.admin = admin
        self.token = host.run(
            ["runuser", "-u", "dataguardian", "--", "dgp", "token", "create",
             "--email", admin["email"], "--name", "tests",
             "--scope", "scans:read", "--scope", "scans:write", "--scope", "findings:read"],
            check=True,
        ).stdout.strip()  # fmt: skip

    def curl(self, path: str, *args: str) -> tuple[int, str]:
        result = self.host.run(
            ["curl", "-sk", "--max-time", "30", "-w", "\n%{http_code}", *args, NGINX + path],
            timeout=60,
        )
        body, _, status = result.stdout.rpartition("\n")
        return int(status or 0), body

    def api(self, path: str, *args: str) -> dict:
        status, body = self.curl(
            f"/api/v1{path}", "-H", f"Authorization: Bearer {self.token}", *args
        )
        assert status in (200, 202), (path, status, body)
        return json.loads(body)

    def upload_code_scan(self, folder: str) -> str:
        zip_contents = f'cd "{folder}" && python3 -m zipfile -c /var/tmp/code.zip $(ls -A)'
        self.host.sh(zip_contents, check=True)  # paths in the zip: relative to the folder
        scan = self.api("/scans", "-F", "kind=code", "-F", "file=@/var/tmp/code.zip")
        return str(scan["id"])

    def wait_done(self, scan_id: str, seconds: float = 180) -> dict:
        deadline = time.monotonic() + seconds
        while (scan := self.api(f"/scans/{scan_id}"))["status"] not in dgphost.FINAL:
            assert time.monotonic() < deadline, f"scan {scan_id} still {scan['status']}"
            time.sleep(0.5)
        return scan


def code_tree(host: th.TestHost, folder: str) -> Path:
    """The same small source tree inside the host and here (for the expected findings)."""
    files = {"app/customers.py": PII_LINE * 3, "app/settings.py": "DEBUG = True\n"}
    local = Path(f"/tmp/dgp-expected-{os.getpid()}")
    for name, text in files.items():
        host.put(text, f"{folder}/{name}")
        (local / name).parent.mkdir(parents=True, exist_ok=True)
        (local / name).write_text(text)
    return local


def expected_findings(tree: Path) -> set[tuple[str, str, int]]:
    out = subprocess.run(
        [str(dgphost.ROOT / ".venv/bin/dgp"), "scan", "code", str(tree), "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "DGP_HASH_KEY": "00" * 32},
    ).stdout
    findings = json.loads(out)["findings"]
    return {(f["rule_id"], f["location"]["path"], f["location"].get("line") or 0) for f in findings}


def stored_findings(site: Site, scan_id: str) -> set[tuple[str, str, int]]:
    page = site.api(f"/scans/{scan_id}/findings?limit=1000")
    return {
        (f["rule_id"], f["location"]["path"], f["location"].get("line") or 0) for f in page["items"]
    }


def listening_addresses(host: th.TestHost, port: int) -> set[str]:
    """The addresses a TCP port listens on inside the host (ss -ltn)."""
    rows = [line.split() for line in host.run(["ss", "-ltnH"], check=True).stdout.splitlines()]
    return {row[3].rsplit(":", 1)[0] for row in rows if row and row[3].endswith(f":{port}")}


# -- all-in-one ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def all_in_one(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    name = f"aio{os.getpid()}"
    host = up(name)
    try:
        work = tmp_path_factory.mktemp("all-in-one")
        started = time.monotonic()
        first = deploy.deploy("all-in-one", {"dgp": name}, deb, work)
        middle = time.monotonic()
        second = deploy.deploy("all-in-one", {"dgp": name}, deb, work)
        print(
            f"deploy all-in-one: first run {middle - started:.0f} s, "
            f"second {time.monotonic() - middle:.0f} s; {second.recap}"
        )
        admin = deploy.admin("all-in-one")
        yield {"host": host, "first": first, "second": second, "site": Site(host, admin)}
    finally:
        th.down(name)


def test_a_second_run_changes_nothing(all_in_one: dict) -> None:
    second: deploy.Run = all_in_one["second"]
    assert second.changed() == {"dgp": 0}, deploy.changed_tasks(second.log)
    assert all(counts["failed"] == 0 for counts in second.recap.values())


def test_nginx_serves_health_and_a_login_over_tls(all_in_one: dict, podman_shim: Path) -> None:
    site: Site = all_in_one["site"]
    status, body = site.curl("/health")
    assert status == 200 and json.loads(body)["components"]["postgres"]["status"] == "up"
    login = json.dumps(site.admin)
    status, body = site.curl(
        "/api/v1/session", "-H", "Content-Type: application/json", "--data-binary", login
    )
    assert status == 200 and json.loads(body)["user"]["role"] == "admin"
    # the sign-in's argon2 ran in processes the hardened unit let lower themselves to
    # SCHED_IDLE (5): dgp-web.service.d/30-relaxations.conf
    policies = site.host.run(["sh", "-c", (
        "pids=$(systemctl show -P MainPID dgp-web.service); "
        "for depth in 1 2; do for p in $pids; do pids=\"$pids $(pgrep -P $p)\"; done; done; "
        "for p in $(echo $pids | tr ' ' '\\n' | sort -u); do for t in /proc/$p/task/*; do "
        "sed 's/.*) //' $t/stat | cut -d' ' -f39; done; done"
    )])  # fmt: skip
    assert {"0", "5"} <= set(policies.stdout.split()), (policies.stdout, policies.stderr)
    redirect = site.host.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                              "http://127.0.0.1/health"]).stdout  # fmt: skip
    assert redirect.startswith("301 https://")
    machine = testinfra.get_host(site.host.testinfra_spec)
    headers = site.host.run(["curl", "-skI", f"{NGINX}/health"]).stdout.lower()
    assert "strict-transport-security" in headers and "x-content-type-options: nosniff" in headers
    assert machine.service("nginx").is_running and machine.service("nginx").is_enabled


def test_a_code_scan_through_nginx_finds_what_the_scanner_finds(all_in_one: dict) -> None:
    site: Site = all_in_one["site"]
    local = code_tree(site.host, "/var/tmp/aio-tree")
    scan_id = site.upload_code_scan("/var/tmp/aio-tree")
    assert site.wait_done(scan_id)["status"] == "done"
    expected = expected_findings(local)
    assert expected and stored_findings(site, scan_id) == expected


def test_postgres_and_redis_listen_on_loopback_only_and_redis_wants_its_password(
    all_in_one: dict,
) -> None:
    host: th.TestHost = all_in_one["host"]
    for port in (5432, 6379):
        addresses = listening_addresses(host, port)
        assert addresses and addresses <= {"127.0.0.1", "[::1]"}, (port, addresses)
    refused = host.run(["redis-cli", "ping"]).stdout
    assert "NOAUTH" in refused


SECRETS = (
    "vault_dataguardian_hash_key",
    "vault_dataguardian_database_password",
    "vault_dataguardian_redis_password",
    "vault_dataguardian_admin_password",
)


def test_the_runs_show_no_secret(all_in_one: dict) -> None:
    secrets = [deploy.vault("all-in-one", name) for name in SECRETS]
    for run in (all_in_one["first"], all_in_one["second"]):
        assert not [s for s in secrets if s in run.log], "a secret is in the playbook's output"


def test_a_template_dgp_settings_check_refuses_fails_the_run_and_nothing_restarts(
    all_in_one: dict, deb: Path, tmp_path: Path
) -> None:
    """The role validates both templates with `dgp settings check` before they replace
    the files in use: the run stops, naming the setting, the files stay, nothing
    restarts, and the bad secret is not shown."""
    host: th.TestHost = all_in_one["host"]
    services = ["dgp-web.service"] + [f"dgp-scanner@{k}.service" for k in kinds.names()]

    def state() -> tuple[list[str], str, str]:
        pids = [host.run(["systemctl", "show", "-p", "MainPID", "--value", unit],
                         check=True).stdout.strip() for unit in services]  # fmt: skip
        conf = host.run(["cat", "/etc/dataguardian/dataguardian.conf"], check=True).stdout
        secrets = host.run(["cat", "/etc/dataguardian/secrets.conf"], check=True).stdout
        return pids, conf, secrets

    before = state()
    bad_password = "not-in-any-log-" + os.urandom(8).hex() + "\n[oops"
    for extra, message in (
        ({"dataguardian_max_deliveries": "many"}, "max_deliveries from "),
        ({"dataguardian_redis_password": bad_password}, "not `name = value`"),
    ):
        run = deploy.deploy("all-in-one", {"dgp": host.name}, deb, tmp_path, extra, check=False)
        assert run.recap["dgp"]["failed"] == 1, run.log[-3000:]
        assert "dgp settings check: error:" in run.log and message in run.log, run.log[-3000:]
        assert bad_password.split("\n")[0] not in run.log
        assert state() == before


# A page that sets Google Analytics' cookie from a script and nothing else: only a real
# browser sees that cookie (an HTTP fetch never runs the script).
SCRIPTED_COOKIE_PAGE = """<!doctype html><html lang="nl"><head><title>Winkel</title></head>
<body><p>Welkom in onze winkel.</p>
<script>document.cookie = "_ga=GA1.2.1234567890.1700000000; max-age=63072000; path=/";</script>
</body></html>
"""


def test_a_browser_scan_runs_chromium_inside_the_hardened_website_unit(all_in_one: dict) -> None:
    """Chromium starts, keeps its own sandbox and finishes a page inside
    dgp-scanner@website with the template's hardening and the kind's relaxations;
    no browser process outlives the job. The page is served on the host's loopback,
    so the deployment allows private hosts for this test only."""
    site: Site = all_in_one["site"]
    host = site.host
    conf = "/etc/dataguardian/dataguardian.conf"
    host.put(SCRIPTED_COOKIE_PAGE, "/var/tmp/scripted-site/index.html")
    allow = "s/^allow_private_hosts = false$/allow_private_hosts = true/"
    host.sh(f"sed -i '{allow}' {conf} && systemctl restart dgp-web.service", check=True)
    host.sh(
        "setsid python3 -m http.server 8097 --bind 127.0.0.1 --directory /var/tmp/scripted-site"
        " >/dev/null 2>&1 </dev/null &",
        check=True,
    )
    try:
        body = {
            "kind": "website",
            "target": "http://127.0.0.1:8097/",
            "options": {
                "mode": "browser",
                "allow_private_hosts": True,
                "states": ["none"],
                "browser_pages": 1,
                "max_depth": 0,
            },
        }
        json_body = ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
        scan_id = str(site.api("/scans", *json_body)["id"])
        scan = site.wait_done(scan_id, seconds=300)
        journal = host.run(
            ["journalctl", "-u", "dgp-scanner@website.service", "-n", "40", "--no-pager"]
        ).stdout
        assert scan["status"] == "done", (scan, journal)
        items = site.api(f"/scans/{scan_id}/findings?limit=1000")["items"]
        inventory = site.api(f"/scans/{scan_id}/artefacts/website-inventory.json")
        seen = inventory["states"]["none"]
        assert seen["method"] == "browser", (seen, journal)
        assert "_ga" in {c["name"] for c in seen["cookies"]}, (seen, journal)
        assert "website.consent.analytics_before_consent" in {f["rule_id"] for f in items}
        assert host.run(["pgrep", "-a", "chromium"]).stdout == ""  # none outlives the job
    finally:
        deny = "s/^allow_private_hosts = true$/allow_private_hosts = false/"
        host.sh(f"sed -i '{deny}' {conf} && systemctl restart dgp-web.service")
        host.sh("pkill -f 'http.server 8097'")


# -- three hosts --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_hosts(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    net = f"n{os.getpid()}"
    names = {"db1": f"db{os.getpid()}", "web1": f"web{os.getpid()}", "scan1": f"sc{os.getpid()}"}
    hosts: dict[str, th.TestHost] = {}
    try:
        for inventory_name, name in names.items():
            hosts[inventory_name] = up(name, network=net)
        started = time.monotonic()
        run = deploy.deploy("three-hosts", names, deb, tmp_path_factory.mktemp("three"))
        print(f"deploy three hosts: {time.monotonic() - started:.0f} s; {run.recap}")
        admin = deploy.admin("three-hosts")
        yield {**hosts, "site": Site(hosts["web1"], admin)}
    finally:
        for name in names.values():
            th.down(name)


def test_a_scan_submitted_to_the_web_host_runs_on_the_scanner_host(three_hosts: dict) -> None:
    site: Site = three_hosts["site"]
    scanner: th.TestHost = three_hosts["scan1"]
    code_tree(site.host, "/var/tmp/tree")
    scan_id = site.upload_code_scan("/var/tmp/tree")
    assert site.wait_done(scan_id)["status"] == "done"
    lines = scanner.run(
        ["journalctl", "-u", "dgp-scanner@code", "-o", "cat", f"DGP_SCAN_ID={scan_id}"], check=True
    ).stdout
    assert "done" in lines
    web_units = site.host.run(["systemctl", "list-units", "dgp-scanner@*", "--no-legend"]).stdout
    assert "running" not in web_units  # the web host runs no scanner


VENV_PYTHON = "/usr/lib/dataguardian/venv/bin/python"


def test_the_scanner_host_runs_every_kind_and_a_second_document_consumer(
    three_hosts: dict,
) -> None:
    """The example's scan1 runs `all` kinds of the package and two consumers of
    document; the second has document's drop-ins linked. web1 runs no scanner: the
    package's first start found them masked."""
    scan: th.TestHost = three_hosts["scan1"]
    web: th.TestHost = three_hosts["web1"]

    def show(host: th.TestHost, unit: str, prop: str) -> str:
        return host.run(["systemctl", "show", "-p", prop, "--value", unit], check=True).stdout

    for instance in [*kinds.names(), "document-2"]:
        assert show(scan, f"dgp-scanner@{instance}.service", "ActiveState").strip() == "active"
        assert show(scan, f"dgp-scanner@{instance}.service", "UnitFileState").strip() == "enabled"
        assert show(web, f"dgp-scanner@{instance}.service", "UnitFileState").strip() == "disabled"
    for prop in ("MemoryMax", "TasksMax", "WatchdogUSec"):
        theirs = show(scan, "dgp-scanner@document.service", prop)
        assert show(scan, "dgp-scanner@document-2.service", prop) == theirs, prop
    installed = scan.run(["dpkg-query", "-W", "-f", "${Status} ${Package}\n"]).stdout
    wanted = {p for spec in kinds.specs() for p in spec.system_packages}
    assert wanted <= {line.split()[-1] for line in installed.splitlines() if " installed " in line}
    on_web = web.run(["dpkg-query", "-W", "-f", "${Status} ${Package}\n"]).stdout
    assert "install ok installed tesseract-ocr\n" not in on_web  # not for a web-only host


def test_between_hosts_postgres_and_redis_speak_tls_that_verifies_the_server(
    three_hosts: dict,
) -> None:
    db: th.TestHost = three_hosts["db1"]
    web: th.TestHost = three_hosts["site"].host
    conf = web.run(["cat", "/etc/dataguardian/dataguardian.conf"], check=True).stdout
    assert "sslmode=verify-full" in conf and f"rediss://{db.address}:6379" in conf
    servers = ((5432, "postgres", ["-starttls", "postgres"]), (6379, "redis", []))
    for port, cert, starttls in servers:
        handshake = web.run(
            ["openssl", "s_client", "-connect", f"{db.address}:{port}", *starttls,
             "-CAfile", f"/etc/dataguardian/tls/{cert}.crt", "-verify_return_error",
             "-verify_ip", db.address, "-brief"],
            input="", timeout=30,
        )  # fmt: skip
        assert "Verification: OK" in handshake.stderr, (port, handshake.stderr)
    # no plain text to Redis across the network: a client without TLS gets nowhere
    plain = web.run(
        [VENV_PYTHON, "-c",
         f"import redis; redis.Redis(host='{db.address}', port=6379, socket_timeout=5).ping()"],
        timeout=60,
    )  # fmt: skip
    assert plain.returncode != 0 and "redis.exceptions" in plain.stderr, plain.stderr


def test_without_the_scanner_host_the_web_host_answers_with_the_kind_degraded(
    three_hosts: dict,
) -> None:
    site: Site = three_hosts["site"]
    three_hosts["scan1"].run(["systemctl", "stop", "dgp.target"], check=True, timeout=180)
    deadline = time.monotonic() + 60
    while True:
        status, body = site.curl("/health")
        assert status == 200, body
        health = json.loads(body)
        if health["scanners"]["code"]["status"] == "degraded":
            break
        assert time.monotonic() < deadline, health["scanners"]["code"]
        time.sleep(1)
    assert health["status"] == "degraded"
    assert health["components"]["postgres"]["status"] == "up"


def test_on_three_hosts_postgres_and_redis_listen_on_loopback_and_the_private_address(
    three_hosts: dict,
) -> None:
    db: th.TestHost = three_hosts["db1"]
    for port in (5432, 6379):
        addresses = listening_addresses(db, port)
        assert addresses <= {"127.0.0.1", "[::1]", db.address}, (port, addresses)
        assert db.address in addresses, (port, addresses)
    web: th.TestHost = three_hosts["web1"]
    assert web.run(["ss", "-ltnH", "sport = :5432 or sport = :6379"]).stdout.strip() == ""
