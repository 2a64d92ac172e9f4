"""Running `ansible-playbook ansible/deploy.yml` against test hosts, as an operator would.

The example inventories in ansible/inventories name the hosts and their groups; a
second inventory written by testhost.write_ansible_inventory says how Ansible
reaches the test hosts (the chroot connection with an nsenter wrapper). Secrets
come from the example's vault (its password file is for examples and tests only).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.system import testhost as th

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE = ROOT / "ansible"
VAULT_PASSWORD = ANSIBLE / "inventories" / "DEMO-ONLY-vault-password.txt"
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def ensure_ansible() -> None:
    """Debian's ansible (7.7, with its collections), installed when missing."""
    if shutil.which("ansible-playbook") is None:
        subprocess.run(["apt-get", "-qq", "update"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "ansible"],
            check=True,
            env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )


def vault(layout: str, name: str) -> str:
    """One of the example inventory's vaulted variables (encrypt_string values)."""
    path = ANSIBLE / "inventories" / layout / "group_vars" / "all" / "vault.yml"
    out = subprocess.run(
        ["ansible", "localhost", "-c", "local", "-o", "-e", f"@{path}",
         "--vault-password-file", str(VAULT_PASSWORD), "-m", "debug", "-a", f"var={name}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout  # fmt: skip
    return str(json.loads(out.split("=>", 1)[1])[name])


def admin(layout: str) -> dict[str, str]:
    """The first admin the example inventory deploys: e-mail address and password."""
    path = ANSIBLE / "inventories" / layout / "group_vars" / "all" / "main.yml"
    email = yaml.safe_load(path.read_text())["dataguardian_admin_email"]
    return {"email": email, "password": vault(layout, "vault_dataguardian_admin_password")}


@dataclass
class Run:
    log: str
    recap: dict[str, dict[str, int]]  # host -> ok, changed, unreachable, failed

    def changed(self) -> dict[str, int]:
        return {host: counts["changed"] for host, counts in self.recap.items()}


def deploy(
    layout: str,
    hosts: dict[str, str],
    deb: Path,
    work: Path,
    extra_vars: dict | None = None,
    check: bool = True,
) -> Run:
    """Run deploy.yml with the example inventory `layout` on test hosts (inventory
    name -> test host name); with check=False a failed run is returned, not raised."""
    reach = th.write_ansible_inventory(work, hosts)
    extra = ["-e", json.dumps(extra_vars)] if extra_vars else []
    result = subprocess.run(
        [
            "ansible-playbook",
            "-i", str(ANSIBLE / "inventories" / layout),
            "-i", str(reach),
            "--vault-password-file", str(VAULT_PASSWORD),
            "-e", f"dataguardian_deb={deb}",
            *extra,
            str(ANSIBLE / "deploy.yml"),
        ],
        capture_output=True,
        text=True,
        env={"ANSIBLE_FORCE_COLOR": "0", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        timeout=1800,
    )  # fmt: skip
    log = result.stdout + result.stderr
    assert result.returncode == 0 or not check, f"ansible-playbook failed:\n{log[-6000:]}"
    recap = {}
    for line in log[log.rfind("PLAY RECAP") :].splitlines():
        match = RECAP.match(line)
        if match:
            host, ok, changed, unreachable, failed = match.groups()
            recap[host] = {
                "ok": int(ok),
                "changed": int(changed),
                "unreachable": int(unreachable),
                "failed": int(failed),
            }
    assert set(recap) == set(hosts), log[-3000:]
    return Run(log, recap)


def changed_tasks(log: str) -> list[str]:
    """The tasks a run reports as changed (for the message of a failed idempotence check)."""
    tasks, current = [], ""
    for line in log.splitlines():
        if line.startswith("TASK ["):
            current = line
        elif line.startswith("changed:"):
            tasks.append(f"{current} {line}")
    return tasks
