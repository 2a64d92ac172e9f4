"""The ai_model kind through the API, the queue and a Worker, over real Postgres and
Redis: an uploaded archive of model files (one with an os.system payload) and an EU
AI Act questionnaire, each scanned in the kind's isolated child process, with the
findings and the model inventory stored and served; the payload never runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ScanStore, UserStore
from dgp.plumbing.worker import Worker
from tests import modelfixtures as mf
from tests.integration.conftest import auth, multipart

pytestmark = pytest.mark.integration


def analyst(users: UserStore, org: str) -> dict[str, str]:
    return auth(users, org, "analyst")


def upload(client: falcon.testing.TestClient, headers: dict[str, str], data: bytes) -> Any:
    body, form = multipart({"kind": "ai_model"}, "models.zip", data)
    return client.simulate_post("/api/v1/scans", body=body, headers={**headers, **form})


def findings(client: falcon.testing.TestClient, auth: dict[str, str], scan_id: str) -> Any:
    result = client.simulate_get(f"/api/v1/scans/{scan_id}/findings?limit=1000", headers=auth)
    assert result.status_code == 200, result.text
    return result.json["items"]


def test_an_uploaded_model_archive_is_scanned_by_the_worker_and_its_payload_never_runs(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
    tmp_path: Path,
) -> None:
    marker = tmp_path / "marker"
    archive = mf.zipped(
        {
            "m/evil.pkl": mf.system_call(f"touch {marker}"),
            "m/clean.safetensors": mf.safetensors({"w": ("F32", [2, 2])}),
            "m/README.md": b"# Model\n\nlicense: mit\n",
        }
    )
    auth = analyst(users, org)
    started = upload(client, auth, archive)
    assert started.status_code == 202, started.text
    scan_id = started.json["id"]
    worker = Worker.for_kind("ai_model", queue, store, settings, "ai1")
    assert worker.run_once(block_ms=2000)
    scan = client.simulate_get(f"/api/v1/scans/{scan_id}", headers=auth).json
    assert scan["status"] == "done", scan
    items = findings(client, auth, scan_id)
    assert {(f["rule_id"], f["location"]["path"]) for f in items} == {
        ("ai_model.pickle.dangerous_import", "m/evil.pkl"),
    }
    assert items[0]["severity"] == "critical"
    assert any(
        str(r).startswith("AI Act") or r.get("law") == "AI Act" for r in items[0]["legal_refs"]
    )
    listed = client.simulate_get(f"/api/v1/scans/{scan_id}/artefacts", headers=auth)
    assert listed.status_code == 200, listed.text
    inventory = client.simulate_get(
        f"/api/v1/scans/{scan_id}/artefacts/model-inventory.json", headers=auth
    )
    models = {m["path"]: m for m in json.loads(inventory.content)["models"]}
    assert models["m/clean.safetensors"]["parameters"] == 4
    assert models["m/evil.pkl"]["format"] == "pickle"
    assert not marker.exists()


def test_a_questionnaire_only_scan_is_classified_by_the_worker(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
) -> None:
    auth = analyst(users, org)
    answers = {"language": "nl", "annex_iii_uses": ["employment_recruitment"], "profiling": True}
    body = {"kind": "ai_model", "questionnaire": answers}
    started = client.simulate_post("/api/v1/scans", json=body, headers=auth)
    assert started.status_code == 202, started.text
    bad = client.simulate_post(
        "/api/v1/scans", json={"kind": "ai_model", "questionnaire": []}, headers=auth
    )
    assert bad.status_code == 400
    assert Worker.for_kind("ai_model", queue, store, settings, "ai1").run_once(block_ms=2000)
    items = findings(client, auth, started.json["id"])
    assert [(f["rule_id"], f["extra"]["annex_iii"]) for f in items] == [
        ("ai_model.ai_act.high_risk", "4(a)")
    ]
    assert "bijlage III punt 4(a)" in items[0]["description"]


def test_bad_answers_fail_the_scan_with_the_question_named(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
) -> None:
    auth = analyst(users, org)
    body = {"kind": "ai_model", "questionnaire": {"annex_iii_uses": ["astrology"]}}
    started = client.simulate_post("/api/v1/scans", json=body, headers=auth)
    assert started.status_code == 202, started.text
    assert Worker.for_kind("ai_model", queue, store, settings, "ai1").run_once(block_ms=2000)
    scan = client.simulate_get(f"/api/v1/scans/{started.json['id']}", headers=auth).json
    assert scan["status"] == "failed" and "annex_iii_uses" in scan["error"]
