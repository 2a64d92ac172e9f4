"""The kind registry: the only list of kinds, light specs, implementations loaded apart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dgp import kinds
from dgp.cli import main
from dgp.domain.options import CodeOptions, FileOptions
from dgp.kinds import Input, KindSpec
from tests import toykind
from tests.heavy import HEAVY_LIBRARIES

ROOT = Path(__file__).resolve().parents[2]
# and the kinds' implementations themselves
HEAVY = (
    *HEAVY_LIBRARIES,
    "dgp.scanners.code.scanner",
    "dgp.scanners.document.scanner",
    "dgp.scanners.ai_model.scanner",
    "dgp.documents.registry",
)


def loaded_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter has loaded after running `code`."""
    probe = f"{code}\nimport sys\nprint([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return json.loads(out.replace("'", '"'))


@pytest.mark.parametrize(
    "process",
    [
        # what `dgp web` loads: the command line, the app, its resources, the OpenAPI document
        "import dgp.cli; from dgp.apps.web.app import create_app; "
        "from dgp.apps.web.openapi import SCHEMAS; dgp.cli.build_parser()",
        # what `dgp janitor` loads
        "import dgp.cli; import dgp.plumbing.janitor; dgp.cli.build_parser()",
        # migrations and the rule catalogue read specs only
        "import dgp.plumbing.store.migrate; from dgp import kinds; kinds.names()",
    ],
    ids=["web app", "janitor", "migrations and specs"],
)
def test_processes_that_do_not_scan_load_no_heavy_library(process: str) -> None:
    assert loaded_after(process) == []


def test_a_scanning_process_loads_its_kind_only_when_asked() -> None:
    loaded = loaded_after("from dgp import kinds; kinds.get('document').implementation()")
    assert "dgp.scanners.document.scanner" in loaded and "pypdf" in loaded
    assert "dgp.scanners.code.scanner" not in loaded


def test_the_registry_finds_every_kind_package_and_describes_it() -> None:
    assert {"code", "document"} <= set(kinds.names())
    code = kinds.get("code")
    assert code.options is CodeOptions and kinds.get("document").options is FileOptions
    assert code.takes(Input.UPLOAD) and not code.takes(Input.QUESTIONNAIRE)
    assert code.endpoint("https://git.example.org/team/app.git") == "git.example.org:443"
    assert code.endpoint("/srv/repo") is None
    assert "code.pii_in_log" in code.rules and all(r.startswith("code.") for r in code.rules)
    assert callable(code.scan_function())
    ports = [spec.port for spec in kinds.specs()]
    assert len(ports) == len(set(ports))


def test_unknown_kinds_and_instances() -> None:
    with pytest.raises(kinds.UnknownKind, match=r"unknown scanner kind 'nope'.*code"):
        kinds.get("nope")
    assert kinds.for_instance("code").name == "code"
    assert kinds.for_instance("code-2").name == "code"
    for bad in ("code-x", "code-", "nope-2"):
        with pytest.raises(kinds.UnknownKind):
            kinds.for_instance(bad)


def test_a_kind_registered_at_run_time_is_listed_until_it_is_removed(capsys) -> None:
    kinds.register(toykind.SPEC)
    try:
        assert "toy" in kinds.names()
        with pytest.raises(ValueError, match="registered twice"):
            kinds.register(toykind.SPEC)
        clash = KindSpec(name="other", summary="", port=5001, implementation_module="x")
        with pytest.raises(ValueError, match="share port 5001"):
            kinds.register(clash)
        assert main(["kinds", "--json"]) == 0
        described = {k["name"]: k for k in json.loads(capsys.readouterr().out)}
        assert described["toy"]["inputs"] == ["target"] and described["toy"]["port"] == 5999
        assert "since" in described["code"]["options"]
        assert described["document"]["system_packages"] == [
            "tesseract-ocr",
            "tesseract-ocr-nld",
            "tesseract-ocr-eng",
        ]
    finally:
        kinds.unregister("toy")
    assert "toy" not in kinds.names()


def test_dgp_kinds_names_is_what_build_and_deploy_tools_read(capsys) -> None:
    assert main(["kinds", "--names"]) == 0
    assert capsys.readouterr().out.split() == kinds.names()
