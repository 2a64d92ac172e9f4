"""The API kind through the web app, the queue and a Worker, over real Postgres and
Redis: the bearer token stored encrypted through the API, a scan that names it run by
the kind's worker against the test API on loopback, its findings and data map stored
and read back; active mode refused until the organisation's admin allows it.

The worker gets the scanner with the test's runtime (a resolver for the test host, a
TLS context that trusts the test CA, a policy that allows loopback): the same scan
function the kind registers, partially applied.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from dgp import kinds
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ScanStore, UserStore
from dgp.plumbing.worker import Worker
from dgp.scanners.api import scanner
from tests import apis
from tests.integration.conftest import auth
from tests.unit.test_api_scanner import PRIVACY_API_FINDINGS, runtime

KEY = bytes(range(32))
pytestmark = [
    pytest.mark.integration,
    pytest.mark.settings(allow_private_hosts=True, credentials_key=KEY),
]
FAST = {"request_seconds": 5.0}  # the server's pace (10 requests a second)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[apis.ServedApi]:
    with apis.serving(apis.privacy_api(), tmp_path) as api:
        yield api


def worker(queue: JobQueue, store: ScanStore, settings: Settings, served: apis.ServedApi) -> Worker:
    spec = kinds.get("api")
    return Worker(
        "api",
        queue,
        store,
        settings,
        "web1",
        scan=functools.partial(scanner.scan, runtime=runtime(served)),
        endpoint=spec.endpoint,
        options=spec.options,
    )


def start(client: falcon.testing.TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.simulate_post("/api/v1/scans", json=body, headers=headers)


def test_an_api_scan_with_a_stored_credential_through_the_queue(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
    served: apis.ServedApi,
) -> None:
    analyst = auth(users, org, "analyst")
    admin = auth(users, org, "admin")
    made = client.simulate_post(
        "/api/v1/credentials",
        json={"name": "test api", "kind": "api_token", "secret": apis.TOKEN},
        headers=analyst,
    )
    assert made.status_code == 201, made.text
    body = {
        "kind": "api",
        "target": served.url("/"),
        "credential": made.json["id"],
        "options": {**FAST, "allow_private_hosts": True},
    }
    answer = start(client, admin, body)
    assert answer.status_code == 202, answer.text
    scan_id = answer.json["id"]
    assert worker(queue, store, settings, served).run_once(block_ms=100)
    scan = client.simulate_get(f"/api/v1/scans/{scan_id}", headers=admin).json
    assert scan["status"] == "done", scan
    found = client.simulate_get(f"/api/v1/scans/{scan_id}/findings?limit=200", headers=admin).json[
        "items"
    ]
    prefix = served.url("")
    per_url: dict[str, set[str]] = {}
    for f in found:
        where = f["location"]["url"].removeprefix(prefix)
        if where == "/openapi.json":
            where += " " + f["location"]["selector"]
        per_url.setdefault(where, set()).add(f["rule_id"])
    assert per_url == PRIVACY_API_FINDINGS
    assert all(f["scanner"] == "api" for f in found)
    # the credential was used (the clean endpoint answered it) and is nowhere stored
    assert ("GET", "/account") in {(r.method, r.path) for r in served.recorder.seen}
    assert served.recorder.methods() <= {"GET", "HEAD", "OPTIONS"}
    listed = client.simulate_get(f"/api/v1/scans/{scan_id}/artefacts", headers=admin)
    assert listed.status_code == 200, listed.text
    data_map = client.simulate_get(
        f"/api/v1/scans/{scan_id}/artefacts/openapi-datamap.json", headers=admin
    )
    assert data_map.status_code == 200
    account = next(o for o in json.loads(data_map.content)["operations"] if o["path"] == "/account")
    assert account["observed"]["status_with_credential"] == 200
    stored = json.dumps(found) + data_map.text + json.dumps(scan)
    assert apis.TOKEN not in stored


def test_active_mode_needs_the_organisations_permission(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
    served: apis.ServedApi,
) -> None:
    admin = auth(users, org, "admin")
    analyst = auth(users, org, "analyst")
    body = {"kind": "api", "target": served.url("/"), "options": {**FAST, "active": True}}
    refused = start(client, analyst, body)
    assert refused.status_code == 403, refused.text
    assert "allow_active_scans" in refused.json["error"]["message"]
    assert store.list_scans(org) == []
    shown = client.simulate_get("/api/v1/organisation", headers=analyst).json
    assert shown["settings"] == {"allow_active_scans": False}
    # only an admin changes the organisation's settings
    denied = client.simulate_patch(
        "/api/v1/organisation", json={"settings": {"allow_active_scans": True}}, headers=analyst
    )
    assert denied.status_code == 403
    bad = client.simulate_patch(
        "/api/v1/organisation", json={"settings": {"allow_everything": True}}, headers=admin
    )
    assert bad.status_code == 400
    allowed = client.simulate_patch(
        "/api/v1/organisation", json={"settings": {"allow_active_scans": True}}, headers=admin
    )
    assert allowed.status_code == 200, allowed.text
    assert allowed.json["settings"] == {"allow_active_scans": True}
    accepted = start(client, analyst, body)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json["options"]["active"] is True
    # another organisation is not allowed by this one's setting
    other = store.create_organisation("other-" + org[:8])
    elsewhere = start(client, auth(users, other, "admin"), body)
    assert elsewhere.status_code == 403


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"requests_per_second": 5000}, "requests_per_second may be at most"),
        ({"active": "yes"}, "active must be true or false"),
        ({"limits": {"max_items": 10**6}}, "max_items may be at most 2000"),
    ],
)
def test_api_options_are_checked_before_a_scan_is_queued(
    client: falcon.testing.TestClient,
    users: UserStore,
    store: ScanStore,
    org: str,
    options: dict[str, Any],
    why: str,
) -> None:
    admin = auth(users, org, "admin")
    body = {"kind": "api", "target": "https://api.voorbeeld.nl/", "options": options}
    answer = start(client, admin, body)
    assert answer.status_code == 400, answer.text
    assert why in answer.json["error"]["message"]
    assert store.list_scans(org) == []
