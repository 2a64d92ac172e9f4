"""The registry is the only list of kinds: the package and the deploy read it, name none.

The postinst enables an instance of every kind `dgp kinds --names` lists, debian/rules
makes Recommends of the kinds' system packages from `dgp kinds --json`, the Ansible role
reads `dgp kinds --json` on the host. These tests keep it so: no kind name in their code
(comments may give examples), the kinds' system packages only recommended, and the
development machine's packages (`make deps`) cover every kind's.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dgp import kinds

ROOT = Path(__file__).resolve().parents[2]
DEBIAN = ROOT / "packaging" / "debian"
ROLE = ROOT / "ansible" / "roles" / "dataguardian"
MAINTAINER_SCRIPTS = [DEBIAN / name for name in ("postinst", "prerm", "postrm", "rules")]
ROLE_FILES = sorted(p for p in ROLE.rglob("*") if p.suffix in (".yml", ".j2"))
SYSTEM_PACKAGES = sorted({p for spec in kinds.specs() for p in spec.system_packages})
# kind names that are also everyday words ("the database and Redis passwords"): named as
# a kind only where a unit instance, a quoted name or a list of kinds shows it
WORDS = {"database"}


def names_kind(kind: str, line: str) -> bool:
    if not re.search(rf"(?<![\w-]){re.escape(kind)}(?![\w])", line):
        return False
    if kind not in WORDS:
        return True
    others = [k for k in kinds.names() if k != kind and k not in WORDS]
    return bool(
        re.search(rf"@{kind}\b|[\"']{kind}[\"']", line)
        or any(re.search(rf"(?<![\w-]){re.escape(k)}(?![\w])", line) for k in others)
    )


def code_lines(path: Path) -> list[str]:
    """The lines that are not comments (shell, make, YAML and Jinja comments)."""
    return [
        line for line in path.read_text().splitlines() if not line.lstrip().startswith(("#", "{#"))
    ]


@pytest.mark.parametrize(
    "path", MAINTAINER_SCRIPTS + ROLE_FILES, ids=lambda p: str(p.relative_to(ROOT))
)
def test_no_kind_is_named_outside_the_registry(path: Path) -> None:
    named = {
        (kind, line.strip())
        for line in code_lines(path)
        for kind in kinds.names()
        if names_kind(kind, line)
    }
    assert not named, f"{path.relative_to(ROOT)} names kinds; read them from `dgp kinds`"


def test_the_kinds_system_packages_are_recommended_never_depended_on() -> None:
    control = (DEBIAN / "control").read_text()
    fields = dict(re.findall(r"^(Depends|Recommends):((?:.*\n)(?:[ \t].*\n)*)", control, re.M))
    assert "${dgp:Recommends}" in fields["Recommends"]
    depends = {d.strip().split()[0] for d in fields["Depends"].split(",") if d.strip()}
    assert not depends & set(SYSTEM_PACKAGES), "a web-only host would install them"


def test_rules_recommends_what_dgp_kinds_json_lists() -> None:
    """The line in debian/rules that makes the substvar, run on this tree's registry."""
    rules = (DEBIAN / "rules").read_text()
    recipe = re.search(r"^override_dh_gencontrol:\n((?:\t.*\n)+)", rules, re.M)
    assert recipe, "debian/rules has override_dh_gencontrol"
    program = re.search(r"-c '(.*?)'", recipe[1].replace("\\\n\t\t", "\n"), re.S)
    assert program, recipe[1]
    listed = subprocess.run(
        [sys.executable, "-m", "dgp.cli", "kinds", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    substvar = subprocess.run(
        [sys.executable, "-c", program[1]], input=listed, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert substvar == "dgp:Recommends=" + ", ".join(SYSTEM_PACKAGES)
    assert [k["name"] for k in json.loads(listed)] == kinds.names()


def test_make_deps_installs_every_kinds_system_packages() -> None:
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    apt = re.search(r"^APT_PACKAGES := (.*)$", makefile, re.M)
    assert apt, "Makefile sets APT_PACKAGES"
    assert set(SYSTEM_PACKAGES) <= set(apt[1].split()), "the tests scan with every kind"
    assert {"ansible", "ansible-lint"} <= set(apt[1].split()), "make lint runs ansible-lint"
