"""The website kind through the API, the queue and a Worker, over real Postgres and
Redis: a scan asked for over HTTP, run by the kind's worker against a site served on
loopback, its findings stored and listed; the options and the private-address rule
checked by the web app.

The worker gets the scanner with the test's runtime (a resolver that maps the test's
host names to 127.0.0.1, a TLS context that trusts the test CA): the same scan function
the kind registers, partially applied.
"""

from __future__ import annotations

import functools
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
from dgp.scanners.website import scanner
from tests import websites as w
from tests.integration.conftest import auth

pytestmark = [pytest.mark.integration, pytest.mark.settings(allow_private_hosts=True)]
HOST = "www.voorbeeld.nl"
NAMES = ("voorbeeld.nl", "piwik.pro", "google-analytics.com", "facebook.com", "facebook.net")
HTTP_ONLY = {"mode": "http", "delay_seconds": 0, "allow_private_hosts": True}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[w.Served, scanner.Runtime]]:
    web = w.Web()
    with w.running(web, (HOST, *w.THIRD_PARTIES), tmp_path) as served:
        w.tracking_site(web, HOST, served.url)
        assert served.tls is not None
        runtime = scanner.Runtime(
            resolver=w.resolver(*NAMES), ssl_context=served.tls.client, proxies={}
        )
        yield served, runtime


def worker(
    queue: JobQueue, store: ScanStore, settings: Settings, runtime: scanner.Runtime
) -> Worker:
    spec = kinds.get("website")
    return Worker(
        "website",
        queue,
        store,
        settings,
        "web1",
        scan=functools.partial(scanner.scan, runtime=runtime),
        endpoint=spec.endpoint,
        options=spec.options,
    )


def start(client: falcon.testing.TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.simulate_post("/api/v1/scans", json=body, headers=headers)


def test_a_website_scan_through_the_api_queue_and_worker(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
    site: tuple[w.Served, scanner.Runtime],
) -> None:
    served, runtime = site
    admin = auth(users, org, "admin")
    answer = start(
        client, admin, {"kind": "website", "target": served.url(HOST), "options": HTTP_ONLY}
    )
    assert answer.status_code == 202, answer.text
    assert worker(queue, store, settings, runtime).run_once(block_ms=100)
    scan = client.simulate_get(f"/api/v1/scans/{answer.json['id']}", headers=admin).json
    assert scan["status"] == "done", scan
    assert scan["target"] == served.url(HOST)
    found = client.simulate_get(
        f"/api/v1/scans/{answer.json['id']}/findings?limit=100", headers=admin
    ).json
    assert {f["rule_id"] for f in found["items"]} == {
        "website.consent.analytics_before_consent",
        "website.consent.tracker_before_consent",
        "website.consent.no_banner",
        "website.transfer.outside_eea",
    }
    assert all(f["scanner"] == "website" and f["legal_refs"] for f in found["items"])


def test_loopback_is_refused_for_who_may_not_allow_it(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
    site: tuple[w.Served, scanner.Runtime],
) -> None:
    served, runtime = site
    analyst = auth(users, org, "analyst")  # not an admin: the switch stays off
    answer = start(
        client, analyst, {"kind": "website", "target": served.url(HOST), "options": HTTP_ONLY}
    )
    assert answer.status_code == 202
    assert worker(queue, store, settings, runtime).run_once(block_ms=100)
    scan = client.simulate_get(f"/api/v1/scans/{answer.json['id']}", headers=analyst).json
    assert scan["status"] == "failed"
    assert "loopback" in scan["error"]
    assert served.server.seen == []


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"mode": "teleport"}, "mode must be one of"),
        ({"max_depth": 50}, "max_depth may be at most"),
        ({"max_depth": -1}, "max_depth must be at least 0"),
        ({"states": ["later"]}, "states are some of"),
        ({"limits": {"max_items": 10**6}}, "max_items may be at most 500"),
    ],
)
def test_website_options_are_checked_before_a_scan_is_queued(
    client: falcon.testing.TestClient,
    users: UserStore,
    org: str,
    options: dict[str, Any],
    why: str,
) -> None:
    admin = auth(users, org, "admin")
    body = {"kind": "website", "target": "https://www.voorbeeld.nl/", "options": options}
    answer = start(client, admin, body)
    assert answer.status_code == 400, answer.text
    assert why in answer.json["error"]["message"]


def test_a_crawl_depth_of_0_scans_the_start_page_only_and_is_accepted(
    client: falcon.testing.TestClient, users: UserStore, org: str
) -> None:
    admin = auth(users, org, "admin")
    body = {"kind": "website", "target": "https://www.voorbeeld.nl/", "options": {"max_depth": 0}}
    answer = start(client, admin, body)
    assert answer.status_code == 202, answer.text


def test_credentials_in_the_target_are_refused_and_not_stored(
    client: falcon.testing.TestClient, users: UserStore, store: ScanStore, org: str
) -> None:
    admin = auth(users, org, "admin")
    answer = start(client, admin, {"kind": "website", "target": "https://u:geheim@voorbeeld.nl/"})
    assert answer.status_code == 400
    assert "geheim" not in answer.text
    assert store.list_scans(org) == []
