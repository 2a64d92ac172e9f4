"""The web app over real Postgres and Redis, through falcon.testing (no HTTP server).

Each test makes its own organisations, users and Redis key prefix; the app is
built by create_app from real dependencies, as the gunicorn entry point does.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import re
import secrets
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import falcon
import falcon.inspect
import falcon.testing
import pytest
import redis
from argon2 import PasswordHasher
from openapi_spec_validator import validate
from redis.backoff import NoBackoff
from redis.retry import Retry

from dgp import kinds
from dgp.apps.web import create_app
from dgp.apps.web.converters import plain_template
from dgp.apps.web.throttle import client_address
from dgp.cli import accounts, main
from dgp.domain.job import Artefact, ScanInputs, ScanJob, ScanResult
from dgp.domain.options import ScanOptions
from dgp.kinds import KindSpec
from dgp.plumbing.breakers import Breakers
from dgp.plumbing.janitor import Janitor
from dgp.plumbing.login_throttle import FREE_TRIES, MAX_DELAY, PER_CLIENT, WINDOW, LoginThrottle
from dgp.plumbing.queue import JobQueue, Liveness
from dgp.plumbing.scanner_health import ScannerHealth
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import (
    Database,
    PasswordWorkBusy,
    ScanStore,
    UserStore,
)
from dgp.plumbing.worker import Worker
from dgp.scanners.code import scanner as code
from tests import toykind, toyquestionnaire, toyreport
from tests.integration.conftest import (
    FAST_HASHER,
    HASH_KEY,
    PASSWORD,
    PII_LINE,
    auth,
    bearer,
    code_tree,
    multipart,
    new_user,
)

UPLOAD_LIMIT = 64 * 1024
pytestmark = [pytest.mark.integration, pytest.mark.settings(upload_max_bytes=UPLOAD_LIMIT)]


def code_zip(files: int = 2) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(files):
            archive.writestr(f"app/m{i}.py", PII_LINE * 2)
    return buffer.getvalue()


def test_an_upload_forms_options_are_json_whatever_their_content_type(
    client: falcon.testing.TestClient, users: UserStore, org: str
) -> None:
    """OpenAPI sends a form's object field as application/json; falcon reads only text/*
    parts as text, so such options were silently dropped."""
    headers = auth(users, org, "admin")
    for content_type in ("", "Content-Type: application/json\r\n"):
        for options, status in (('{"include_vendored": true}', 202), ("-1e-05", 400), ("[]", 400)):
            body, form = multipart({"kind": "code"}, "tree.zip", code_zip())
            boundary = form["Content-Type"].rpartition("=")[2]
            field = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="options"\r\n'
                f"{content_type}\r\n{options}\r\n"
            )
            body = field.encode() + body
            result = client.simulate_post("/api/v1/scans", body=body, headers={**headers, **form})
            assert result.status_code == status, (content_type, options, result.text)
            if status == 202:
                assert result.json["options"]["include_vendored"] is True


def upload_scan(
    client: falcon.testing.TestClient, headers: dict[str, str], data: bytes | None = None
) -> falcon.testing.Result:
    body, content_type = multipart({"kind": "code"}, "tree.zip", data or code_zip())
    return client.simulate_post("/api/v1/scans", body=body, headers={**headers, **content_type})


def error_code(result: falcon.testing.Result) -> str:
    return str(result.json["error"]["code"])


def start(
    client: falcon.testing.TestClient, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    """POST a JSON scan request that must be accepted; the scan as answered."""
    started = client.simulate_post("/api/v1/scans", json=body, headers=headers)
    assert started.status_code == 202, started.text
    return dict(started.json)


def actions(store: ScanStore, org: str) -> list[str]:
    return [e.action for e in store.list_audit(org)]


def finding_key(finding: dict[str, Any]) -> tuple[Any, ...]:
    location = finding["location"]
    return finding["fingerprint"], finding["rule_id"], location.get("path"), location.get("line")


def finished_scan(store: ScanStore, org: str, tmp_path: Path) -> str:
    """A done code scan with findings, stored the way a worker stores it."""
    tree = code_tree(tmp_path / f"tree-{secrets.token_hex(3)}")
    scan_id = store.start_scan(org, None, "code", str(tree), {}).id
    job = ScanJob("code", str(tree), ScanOptions(), scan_id=scan_id, organisation=org)
    assert store.claim_scan(scan_id) is not None
    assert store.save_result(scan_id, code.scan(job, ScanInputs(HASH_KEY)))
    return scan_id


# -- authentication ----------------------------------------------------------------------


def test_login_sets_a_strict_cookie_that_works_until_logout(
    client: falcon.testing.TestClient, users: UserStore, store: ScanStore, org: str
) -> None:
    user = new_user(users, org, "viewer")
    result = client.simulate_post(
        "/api/v1/session", json={"email": user.email.upper(), "password": PASSWORD}
    )
    assert result.status_code == 200 and result.json["user"]["id"] == user.id
    cookie = result.cookies["dgp_session"]
    assert cookie.secure and cookie.http_only and cookie.same_site == "Strict"
    jar = {"dgp_session": cookie.value}
    assert client.simulate_get("/api/v1/scans", cookies=jar).status_code == 200
    assert client.simulate_delete("/api/v1/session", cookies=jar).status_code == 204
    assert client.simulate_get("/api/v1/scans", cookies=jar).status_code == 401
    assert actions(store, org)[-1] == "login"


def test_a_failed_login_is_401_and_audited_without_the_address(
    client: falcon.testing.TestClient, users: UserStore, store: ScanStore, org: str
) -> None:
    user = new_user(users, org, "analyst")
    result = client.simulate_post(
        "/api/v1/session", json={"email": user.email, "password": "wrong password!"}
    )
    assert result.status_code == 401 and error_code(result) == "unauthorized"
    assert "dgp_session" not in result.cookies
    entry = store.list_audit(org)[0]
    assert entry.action == "login.failed" and entry.user_id == user.id
    assert user.email not in json.dumps(entry.details)
    unknown = client.simulate_post(
        "/api/v1/session", json={"email": "nobody@example.org", "password": PASSWORD}
    )
    assert unknown.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer dgp_nottoken"}, {"Authorization": "Basic dXNlcjpwdw=="}],
)
def test_no_or_bad_credentials_are_401(
    client: falcon.testing.TestClient, headers: dict[str, str]
) -> None:
    result = client.simulate_get("/api/v1/scans", headers=headers)
    assert result.status_code == 401 and error_code(result) == "unauthorized"
    assert result.headers["WWW-Authenticate"].startswith("Bearer")


def test_roles_and_token_scopes_limit_what_a_caller_may_do(
    client: falcon.testing.TestClient, users: UserStore, org: str
) -> None:
    viewer = auth(users, org, "viewer")
    result = client.simulate_post(
        "/api/v1/scans", json={"kind": "code", "target": "x"}, headers=viewer
    )
    assert result.status_code == 403 and error_code(result) == "forbidden"
    assert client.simulate_get("/api/v1/users", headers=viewer).status_code == 403
    read_only = bearer(users, new_user(users, org, "analyst"), ["scans:read"])
    assert client.simulate_get("/api/v1/scans", headers=read_only).status_code == 200
    result = upload_scan(client, read_only)
    assert result.status_code == 403


def test_tokens_are_created_once_capped_by_the_role_and_revocable(
    client: falcon.testing.TestClient, users: UserStore, store: ScanStore, org: str
) -> None:
    analyst = auth(users, org, "analyst")
    too_much = client.simulate_post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["users:write"]}, headers=analyst
    )
    assert too_much.status_code == 403
    made = client.simulate_post("/api/v1/tokens", json={"name": "ci"}, headers=analyst)
    assert made.status_code == 201 and re.fullmatch(r"dgp_[A-Za-z0-9_-]{43}", made.json["token"])
    token = {"Authorization": f"Bearer {made.json['token']}"}
    assert client.simulate_get("/api/v1/scans", headers=token).status_code == 200
    revoke = client.simulate_delete(f"/api/v1/tokens/{made.json['id']}", headers=analyst)
    assert revoke.status_code == 204
    assert client.simulate_get("/api/v1/scans", headers=token).status_code == 401
    assert {"token.created", "token.revoked"} <= set(actions(store, org))


def test_admins_manage_users_and_keep_one_admin(
    client: falcon.testing.TestClient, users: UserStore, store: ScanStore, org: str
) -> None:
    admin_user = new_user(users, org, "admin")
    admin = bearer(users, admin_user)
    body = {
        "email": f"a-{secrets.token_hex(3)}@Example.org",
        "password": PASSWORD,
        "role": "analyst",
    }
    created = client.simulate_post("/api/v1/users", json=body, headers=admin)
    assert created.status_code == 201 and created.json["email"] == body["email"].lower()
    assert client.simulate_post("/api/v1/users", json=body, headers=admin).status_code == 409
    weak = client.simulate_post("/api/v1/users", json={**body, "password": "short"}, headers=admin)
    assert weak.status_code == 400
    path = f"/api/v1/users/{created.json['id']}"
    changed = client.simulate_patch(path, json={"role": "viewer", "disabled": True}, headers=admin)
    assert changed.status_code == 200 and changed.json["role"] == "viewer"
    assert users.authenticate(body["email"], PASSWORD) is None  # disabled
    demote = client.simulate_patch(
        f"/api/v1/users/{admin_user.id}", json={"role": "viewer"}, headers=admin
    )
    assert demote.status_code == 409
    listed = client.simulate_get("/api/v1/users", headers=admin).json["items"]
    assert {u["id"] for u in listed} == {admin_user.id, created.json["id"]}
    assert {"user.created", "user.updated"} <= set(actions(store, org))


def login(client: falcon.testing.TestClient, email: str, password: str) -> falcon.testing.Result:
    return client.simulate_post("/api/v1/session", json={"email": email, "password": password})


def test_tokens_are_listed_without_secrets_own_or_all_for_admins(
    client: falcon.testing.TestClient, users: UserStore, store: ScanStore, org: str
) -> None:
    analyst_user, admin_user = new_user(users, org, "analyst"), new_user(users, org, "admin")
    analyst, admin = bearer(users, analyst_user), bearer(users, admin_user)
    made = client.simulate_post("/api/v1/tokens", json={"name": "ci"}, headers=analyst).json
    client.simulate_delete(f"/api/v1/tokens/{made['id']}", headers=analyst)
    own = client.simulate_get("/api/v1/tokens", headers=analyst)
    assert own.status_code == 200 and {t["user"] for t in own.json["items"]} == {analyst_user.id}
    ci = next(t for t in own.json["items"] if t["id"] == made["id"])
    assert ci["name"] == "ci" and ci["revoked_at"] is not None
    assert made["token"] not in own.text and "hash" not in own.text
    every = client.simulate_get("/api/v1/tokens", headers=admin).json["items"]
    assert {t["user"] for t in every} == {analyst_user.id, admin_user.id}
    other = store.create_organisation(f"org-{secrets.token_hex(4)}")
    theirs = client.simulate_get("/api/v1/tokens", headers=auth(users, other, "admin"))
    assert {t["user"] for t in theirs.json["items"]} & {analyst_user.id, admin_user.id} == set()


def test_a_password_change_needs_the_current_one_and_ends_other_sessions(
    client: falcon.testing.TestClient, users: UserStore, store: ScanStore, org: str
) -> None:
    user = new_user(users, org, "viewer")
    mine = {"dgp_session": login(client, user.email, PASSWORD).cookies["dgp_session"].value}
    elsewhere = {"dgp_session": login(client, user.email, PASSWORD).cookies["dgp_session"].value}
    path = f"/api/v1/users/{user.id}/password"
    new = "another long passphrase"
    missing = client.simulate_put(path, json={"password": new}, cookies=mine)
    assert missing.status_code == 400
    wrong = client.simulate_put(
        path, json={"password": new, "current_password": "not it at all"}, cookies=mine
    )
    assert wrong.status_code == 403
    short = client.simulate_put(
        path, json={"password": "short", "current_password": PASSWORD}, cookies=mine
    )
    assert short.status_code == 400
    done = client.simulate_put(
        path, json={"password": new, "current_password": PASSWORD}, cookies=mine
    )
    assert done.status_code == 204
    assert client.simulate_get("/api/v1/session", cookies=mine).status_code == 200
    assert client.simulate_get("/api/v1/session", cookies=elsewhere).status_code == 401
    assert login(client, user.email, PASSWORD).status_code == 401
    assert login(client, user.email, new).status_code == 200
    assert "user.password_set" in actions(store, org)


def test_only_admins_set_other_users_passwords_in_their_own_organisation(
    client: falcon.testing.TestClient, users: UserStore, store: ScanStore, org: str
) -> None:
    user = new_user(users, org, "analyst")
    path = f"/api/v1/users/{user.id}/password"
    body = {"password": "reset by the admin 1"}
    peer = client.simulate_put(path, json=body, headers=auth(users, org, "analyst"))
    assert peer.status_code == 403
    other = store.create_organisation(f"org-{secrets.token_hex(4)}")
    foreign = client.simulate_put(path, json=body, headers=auth(users, other, "admin"))
    assert foreign.status_code == 404
    assert users.authenticate(user.email, PASSWORD) is not None
    reset = client.simulate_put(path, json=body, headers=auth(users, org, "admin"))
    assert reset.status_code == 204
    assert users.authenticate(user.email, body["password"]) is not None


def test_the_organisation_is_shown_to_members_and_renamed_by_admins(
    client: falcon.testing.TestClient, users: UserStore, store: ScanStore, org: str
) -> None:
    viewer = auth(users, org, "viewer")
    shown = client.simulate_get("/api/v1/organisation", headers=viewer)
    assert shown.status_code == 200 and shown.json["id"] == org and shown.json["users"] == 1
    name = f"renamed-{secrets.token_hex(4)}"
    refused = client.simulate_patch("/api/v1/organisation", json={"name": name}, headers=viewer)
    assert refused.status_code == 403
    admin = auth(users, org, "admin")
    renamed = client.simulate_patch("/api/v1/organisation", json={"name": name}, headers=admin)
    assert renamed.status_code == 200 and renamed.json["name"] == name
    taken = store.create_organisation(f"taken-{secrets.token_hex(4)}")
    clash = client.simulate_patch(
        "/api/v1/organisation", json={"name": store.get_organisation(taken).name}, headers=admin
    )
    assert clash.status_code == 409
    # a name that shows as nothing (blanks, control characters) is refused, as the
    # document's pattern says, and the organisation keeps its name
    for nothing in (" ", "\x01", "\x1b\x7f \x85", "\x9f\x00"):
        empty = client.simulate_patch("/api/v1/organisation", json={"name": nothing}, headers=admin)
        assert empty.status_code == 400 and error_code(empty) == "invalid_input", nothing
    assert client.simulate_get("/api/v1/organisation", headers=admin).json["name"] == name
    for unknown in ({"name": "x", "nmae": "y"}, {"settings": {"allow_active_scan": True}}, {}):
        misspelt = client.simulate_patch("/api/v1/organisation", json=unknown, headers=admin)
        assert misspelt.status_code == 400 and error_code(misspelt) == "invalid_input", unknown
    assert client.simulate_get("/api/v1/organisation", headers=admin).json["name"] == name
    for nothing in ("\x02", "\t\x7f"):
        token = client.simulate_post(
            "/api/v1/tokens", json={"name": nothing, "scopes": ["scans:read"]}, headers=admin
        )
        assert token.status_code == 400 and "needs a name" in token.text, nothing
    assert "organisation.renamed" in actions(store, org)


def login_from(client: falcon.testing.TestClient, address: str, email: str, password: str):
    """A sign-in by a client that the trusted proxy (the test client's 127.0.0.1) names."""
    return client.simulate_post(
        "/api/v1/session",
        json={"email": email, "password": password},
        headers={"X-Real-IP": address},
    )


def test_failed_sign_ins_slow_that_client_but_do_not_lock_the_owner_out(
    client: falcon.testing.TestClient, users: UserStore, queue: JobQueue, org: str
) -> None:
    user = new_user(users, org, "admin")  # the only admin: must not be locked out
    attacker, owner = "203.0.113.9", "198.51.100.7"
    for _ in range(FREE_TRIES):
        assert login_from(client, attacker, user.email, "wrong password!!").status_code == 401
    slowed = login_from(client, attacker, user.email.upper(), PASSWORD)  # right, but refused
    assert slowed.status_code == 429 and error_code(slowed) == "too_many_requests"
    assert 1 <= int(slowed.headers["Retry-After"]) <= MAX_DELAY
    assert login_from(client, owner, user.email, PASSWORD).status_code == 200  # the owner
    keys = [k.decode() for k in queue.redis.scan_iter(f"{queue.prefix}:login:*")]
    assert keys and not any(
        part in k for k in keys for part in (user.email.split("@")[0], attacker, owner)
    )
    throttle = LoginThrottle(queue.redis, queue.prefix, HASH_KEY)
    assert throttle.unlock(user.email) == 1  # the admin's unlock: the attacker's pair
    assert login_from(client, attacker, user.email, PASSWORD).status_code == 200


def test_each_further_failure_of_a_pair_doubles_its_wait(queue: JobQueue) -> None:
    throttle = LoginThrottle(queue.redis, queue.prefix, HASH_KEY, free_tries=2)
    email, ip, now = "someone@example.org", "192.0.2.1", 1_000_000.0
    waits = []
    for _ in range(8):
        waits.append(throttle.retry_after(email, ip, now=now))
        throttle.failed(email, ip, now=now)
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32]  # free tries, then each wait doubles
    assert throttle.retry_after(email, ip, now=now + 63) == 1
    assert throttle.retry_after(email, ip, now=now + 64) == 0  # waited long enough
    assert throttle.retry_after(email, "192.0.2.2", now=now) == 0  # another client


def test_one_client_guessing_across_many_accounts_is_stopped(
    client: falcon.testing.TestClient, users: UserStore, org: str
) -> None:
    guesser = "203.0.113.77"
    for i in range(PER_CLIENT):
        email = f"made-up-{i}-{secrets.token_hex(3)}@example.org"
        assert login_from(client, guesser, email, "Summer2026!").status_code == 401
    user = new_user(users, org, "viewer")
    assert login_from(client, guesser, user.email, PASSWORD).status_code == 429
    assert login_from(client, "198.51.100.8", user.email, PASSWORD).status_code == 200


def test_a_blocked_client_is_refused_without_asking_redis_until_its_block_ends(
    queue: JobQueue,
) -> None:
    """A flood of tries that are refused anyway costs no round trip each."""
    throttle = LoginThrottle(queue.redis, queue.prefix, HASH_KEY, per_client=2, overall=10**6)
    ip, now = "192.0.2.40", time.time()
    for i in range(2):
        assert throttle.retry_after(f"u{i}@example.org", ip, now=now) == 0
        throttle.failed(f"u{i}@example.org", ip, now=now)
    blocked = throttle.retry_after("u3@example.org", ip, now=now)
    assert 1 <= blocked <= WINDOW
    redis_client, throttle.redis = throttle.redis, None  # type: ignore[assignment]
    assert throttle.retry_after("u4@example.org", ip, now=now + 1) == blocked - 1  # remembered
    throttle.redis = redis_client
    assert throttle.retry_after("u5@example.org", "192.0.2.41", now=now) == 0  # others: asked
    queue.redis.delete(f"{queue.prefix}:login:client:{throttle._tag(b'client', ip)}")
    assert throttle.retry_after("u6@example.org", ip, now=now + blocked) == 0  # ended: asked


def test_a_client_names_itself_only_through_a_trusted_proxy() -> None:
    def request(peer: str, **headers: str) -> falcon.Request:
        env = falcon.testing.create_environ(headers=headers, remote_addr=peer)
        return falcon.Request(env)

    trusted = ["127.0.0.1", "10.0.0.0/8"]
    assert client_address(request("127.0.0.1", X_Real_IP="203.0.113.1"), trusted) == "203.0.113.1"
    forwarded = request("10.1.2.3", X_Forwarded_For="1.1.1.1, 203.0.113.2")
    assert client_address(forwarded, trusted) == "203.0.113.2"  # the hop the proxy added
    spoofed = request("198.51.100.1", X_Real_IP="127.0.0.1")
    assert client_address(spoofed, trusted) == "198.51.100.1"  # not from a trusted proxy
    assert client_address(request("127.0.0.1", X_Real_IP="junk"), trusted) == "127.0.0.1"


def test_password_hashing_is_bounded_so_a_flood_leaves_threads_free(
    database: Database, users: UserStore
) -> None:
    started, release = threading.Event(), threading.Event()

    class HeldHasher(PasswordHasher):  # the first check holds its slot until released
        def verify(self, *args: Any) -> bool:
            started.set()
            release.wait(10)
            return super().verify(*args)

    slow = UserStore(database, HeldHasher(time_cost=1, memory_cost=1024, parallelism=1), 1)
    first = threading.Thread(target=slow.authenticate, args=("a@example.org", "x" * 12))
    first.start()
    assert started.wait(10)
    queries = database.stats()["total_queries"]
    with pytest.raises(PasswordWorkBusy):  # refused at once, not queued behind the first
        slow.authenticate("b@example.org", "y" * 12)
    assert database.stats()["total_queries"] == queries  # and before any query: cheaply
    with pytest.raises(PasswordWorkBusy):  # asked first by the web: before the throttle
        slow.check_password_work_free()
    release.set()
    first.join(10)
    assert slow.authenticate("b@example.org", "y" * 12) is None  # a slot is free again
    slow.check_password_work_free()


def test_changing_ones_own_password_needs_a_session_and_is_throttled(
    client: falcon.testing.TestClient, users: UserStore, org: str
) -> None:
    user = new_user(users, org, "analyst")
    path = f"/api/v1/users/{user.id}/password"
    body = {"password": "a new long passphrase", "current_password": PASSWORD}
    read_only = bearer(users, user, ["scans:read"])
    assert client.simulate_put(path, json=body, headers=read_only).status_code == 403
    assert client.simulate_put(path, json=body, headers=bearer(users, user)).status_code == 403
    cookies = {"dgp_session": login(client, user.email, PASSWORD).cookies["dgp_session"].value}
    wrong = {**body, "current_password": "not the password"}
    codes = [client.simulate_put(path, json=wrong, cookies=cookies).status_code for _ in range(7)]
    assert codes[:FREE_TRIES] == [403] * FREE_TRIES and 429 in codes[FREE_TRIES:]
    assert login(client, user.email, PASSWORD).status_code in (200, 429)  # unchanged


# -- scans ----------------------------------------------------------------------------------


def test_an_analyst_starts_a_code_scan_of_an_upload(
    client: falcon.testing.TestClient, users: UserStore, queue: JobQueue, store: ScanStore, org: str
) -> None:
    result = upload_scan(client, auth(users, org, "analyst"))
    assert result.status_code == 202, result.text
    scan = result.json
    assert scan["status"] == "queued" and scan["kind"] == "code"
    assert result.headers["Location"] == f"/api/v1/scans/{scan['id']}"
    entries = queue.redis.xrange(queue.stream("code"))
    assert [fields[b"scan_id"].decode() for _, fields in entries] == [scan["id"]]
    assert scan["options"]["allow_local_sources"] is False
    assert "scan.started" in actions(store, org)


def test_a_local_path_from_a_non_admin_is_refused_by_the_worker(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
    tmp_path: Path,
) -> None:
    (tmp_path / "a.py").write_text(PII_LINE)
    body = {"kind": "code", "target": str(tmp_path), "options": {"allow_local_sources": True}}
    result = client.simulate_post("/api/v1/scans", json=body, headers=auth(users, org, "analyst"))
    assert result.status_code == 202
    scan_id = result.json["id"]
    stored = store.get_scan(org, scan_id)
    assert stored is not None and stored.options["allow_local_sources"] is False
    assert stored.options["allow_private_hosts"] is False
    assert Worker.for_kind("code", queue, store, settings, "w1").run_once(block_ms=100)
    failed = store.get_scan(org, scan_id)
    assert failed is not None and failed.status.value == "failed"
    assert "for administrators only" in (failed.error or "")
    # an organisation's admin is a tenant, not the operator: only the operator's setting
    # lets an admin's scan read the scanner hosts' disk
    admin = client.simulate_post("/api/v1/scans", json=body, headers=auth(users, org, "admin"))
    assert admin.json["options"]["allow_local_sources"] is False
    operator_allows = falcon.testing.TestClient(
        create_app(store, users, queue, replace(settings, allow_local_sources=True), Breakers())
    )
    for role, expected in (("admin", True), ("analyst", False)):
        got = operator_allows.simulate_post(
            "/api/v1/scans", json=body, headers=auth(users, org, role)
        )
        assert got.json["options"]["allow_local_sources"] is expected


@pytest.mark.parametrize(
    "body,message",
    [
        (
            {"kind": "code", "target": "https://alice:ghp_SECRET123@github.com/acme/app.git"},
            "credentials in the URL",
        ),
        (  # issue 12, item 6: the scheme in upper case got past the old check
            {"kind": "code", "target": "HTTPS://user:SECRET123@github.com/x/y.git"},
            "credentials in the URL",
        ),
        (
            {"kind": "code", "target": "https://github.com/x/y.git?access_token=SECRET123"},
            "the parameter 'access_token'",
        ),
        (
            {"kind": "code", "target": "https://git.example/x/y.git?X-Amz-Signature=SECRET123"},
            "credentials in the URL",
        ),
        (
            {"kind": "code", "target": "ghp_SECRET123:x@github.com:x/y.git"},
            "credentials in the URL",
        ),
        (  # the website kind's own URL check refuses it (was a 500: found by schemathesis)
            {"kind": "website", "target": "\x02w\u00f3\x82"},
            "control characters",
        ),
        (
            {
                "kind": "code",
                "target": "https://github.com/a/b.git",
                "options": {"limits": {"max_compression_ratio": 1e12}},
            },
            "at most",
        ),
        (
            {
                "kind": "code",
                "target": "https://github.com/a/b.git",
                "options": {"limits": {"max_items": "lots"}},
            },
            "positive number",
        ),
        (
            {
                "kind": "code",
                "target": "https://github.com/a/b.git",
                "options": {"limits": {"max_cpus": 1}},
            },
            "unknown limits",
        ),
    ],
)
def test_credentials_in_urls_and_raised_limits_are_refused(
    client: falcon.testing.TestClient,
    users: UserStore,
    store: ScanStore,
    org: str,
    body: dict[str, Any],
    message: str,
) -> None:
    result = client.simulate_post("/api/v1/scans", json=body, headers=auth(users, org, "admin"))
    assert result.status_code == 400 and message in result.json["error"]["message"]
    assert "SECRET123" not in result.text
    assert store.list_scans(org) == []


def test_a_long_utf8_upload_name_is_cut_to_fit_the_file_system(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
) -> None:
    body, headers = multipart({"kind": "code"}, "é" * 200 + ".zip", code_zip())
    headers.update(auth(users, org, "analyst"))
    result = client.simulate_post("/api/v1/scans", body=body, headers=headers)
    assert result.status_code == 202
    assert Worker.for_kind("code", queue, store, settings, "w1").run_once(block_ms=100)
    scan = store.get_scan(org, result.json["id"])
    assert scan is not None and scan.status.value == "done"


@pytest.mark.filterwarnings("ignore::wsgiref.validate.WSGIWarning")  # unknown methods, on purpose
def test_unknown_methods_do_not_grow_the_metrics(client: falcon.testing.TestClient) -> None:
    for n in range(3):
        client.simulate_request(f"X{n}", "/health")
    metrics = client.simulate_get("/metrics").text
    assert 'method="X0"' not in metrics and 'method="other"' in metrics


def test_an_upload_over_the_limit_is_413_and_nothing_is_stored(
    client: falcon.testing.TestClient, users: UserStore, database: Database, org: str
) -> None:
    analyst = auth(users, org, "analyst")
    by_length = upload_scan(client, analyst, os.urandom(UPLOAD_LIMIT * 2))  # Content-Length
    assert by_length.status_code == 413 and error_code(by_length) == "too_large"
    streamed = upload_scan(client, analyst, os.urandom(UPLOAD_LIMIT + 1))  # within the overhead
    assert streamed.status_code == 413
    with database.transaction() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM uploads WHERE organisation_id = %s), "
            "(SELECT count(*) FROM scans WHERE organisation_id = %s)",
            (org, org),
        )
        assert cur.fetchone() == (0, 0)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"kind": "code", "target": ', "malformed_json"),
        (b"[1, 2]", "malformed_json"),
        (b'{"kind": "nope", "target": "x"}', "bad_request"),
        (b'{"kind": "code", "target": "x", "options": {"bogus": 1}}', "invalid_input"),
    ],
)
def test_malformed_or_invalid_input_is_400(
    client: falcon.testing.TestClient, users: UserStore, org: str, body: bytes, code: str
) -> None:
    headers = {**auth(users, org, "analyst"), "Content-Type": "application/json"}
    result = client.simulate_post("/api/v1/scans", body=body, headers=headers)
    assert result.status_code == 400 and error_code(result) == code


def test_another_organisations_objects_are_404(
    client: falcon.testing.TestClient,
    users: UserStore,
    store: ScanStore,
    org: str,
    tmp_path: Path,
) -> None:
    other = store.create_organisation(f"org-{secrets.token_hex(4)}")
    theirs = finished_scan(store, other, tmp_path)
    finding = store.list_findings(other, theirs, limit=1)[0][0]
    upload = store.save_upload(other, "x.zip", io.BytesIO(code_zip()), UPLOAD_LIMIT)
    mine = auth(users, org, "admin")
    for method, path in (
        ("GET", f"/api/v1/scans/{theirs}"),
        ("GET", f"/api/v1/scans/{theirs}/findings"),
        ("GET", f"/api/v1/findings/{finding.id}"),
        ("GET", f"/api/v1/uploads/{upload}"),
        ("DELETE", f"/api/v1/scans/{theirs}"),
        ("GET", "/api/v1/scans/not-a-uuid"),
    ):
        result = client.simulate_request(method, path, headers=mine)
        assert result.status_code == 404 and error_code(result) == "not_found", path
    patch = client.simulate_patch(
        f"/api/v1/findings/{finding.id}", json={"status": "fixed"}, headers=mine
    )
    assert patch.status_code == 404
    assert store.get_finding(other, finding.id).status.value == "open"  # type: ignore[union-attr]
    assert store.get_scan(other, theirs) is not None
    listed = client.simulate_get("/api/v1/scans", headers=mine).json
    assert listed["total"] == 0 and listed["items"] == []


def test_findings_filter_paginate_triage_and_delete(
    client: falcon.testing.TestClient,
    users: UserStore,
    store: ScanStore,
    org: str,
    tmp_path: Path,
) -> None:
    scan_id = finished_scan(store, org, tmp_path)
    analyst = auth(users, org, "analyst")
    path = f"/api/v1/scans/{scan_id}/findings"
    everything = client.simulate_get(path, headers=analyst, params={"limit": 1000}).json
    total = everything["total"]
    assert total == len(everything["items"]) >= 6
    first = client.simulate_get(path, headers=analyst, params={"limit": 2, "offset": 0}).json
    second = client.simulate_get(path, headers=analyst, params={"limit": 2, "offset": 2}).json
    assert first["total"] == total and len(first["items"]) == 2
    assert [f["id"] for f in first["items"] + second["items"]] == [
        f["id"] for f in everything["items"][:4]
    ]
    rule = everything["items"][0]["rule_id"]
    by_rule = client.simulate_get(path, headers=analyst, params={"rule_id": rule}).json
    assert by_rule["total"] == sum(f["rule_id"] == rule for f in everything["items"])
    severity = everything["items"][0]["severity"]
    by_severity = client.simulate_get(path, headers=analyst, params={"severity": severity}).json
    assert {f["severity"] for f in by_severity["items"]} == {severity}
    bad = client.simulate_get(path, headers=analyst, params={"severity": "apocalyptic"})
    assert bad.status_code == 400
    finding_id = everything["items"][0]["id"]
    triaged = client.simulate_patch(
        f"/api/v1/findings/{finding_id}", json={"status": "false_positive"}, headers=analyst
    )
    assert triaged.status_code == 200 and triaged.json["status"] == "false_positive"
    bad_status = client.simulate_patch(
        f"/api/v1/findings/{finding_id}", json={"status": "ignored"}, headers=analyst
    )
    assert bad_status.status_code == 400
    open_only = client.simulate_get(path, headers=analyst, params={"status": "open"}).json
    assert open_only["total"] == total - 1
    assert client.simulate_delete(f"/api/v1/scans/{scan_id}", headers=analyst).status_code == 204
    assert client.simulate_get(f"/api/v1/scans/{scan_id}", headers=analyst).status_code == 404
    assert {"finding.triaged", "scan.deleted"} <= set(actions(store, org))
    auditor = auth(users, org, "auditor")
    log = client.simulate_get("/api/v1/audit", headers=auditor).json["items"]
    assert {"finding.triaged", "scan.deleted"} <= {e["action"] for e in log}


def test_a_scan_goes_from_post_to_done_with_the_direct_findings(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
    tmp_path: Path,
) -> None:
    analyst = auth(users, org, "analyst")
    data = code_zip(3)
    scan_id = upload_scan(client, analyst, data).json["id"]
    assert Worker.for_kind("code", queue, store, settings, "w1").run_once(block_ms=100)
    scan = client.simulate_get(f"/api/v1/scans/{scan_id}", headers=analyst).json
    assert scan["status"] == "done" and scan["progress"]["percent"] == 100
    got = client.simulate_get(
        f"/api/v1/scans/{scan_id}/findings", headers=analyst, params={"limit": 1000}
    ).json["items"]
    (tmp_path / "tree.zip").write_bytes(data)
    job = ScanJob("code", "upload:tree.zip", ScanOptions(), scan_id=scan_id)
    expected = code.scan(job, ScanInputs(HASH_KEY, upload=tmp_path / "tree.zip")).findings
    assert sorted(map(finding_key, got)) == sorted(finding_key(f.to_dict()) for f in expected)
    assert got


def test_cli_creates_the_first_admin_and_a_token_that_the_api_accepts(
    store: ScanStore,
    users: UserStore,
    queue: JobQueue,
    settings: Settings,
    database_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    parser = argparse.ArgumentParser(prog="dgp")
    accounts.add_parser(parser.add_subparsers(dest="command", required=True))
    for name, value in (
        ("DGP_CONFIG", str(tmp_path / "none.conf")),
        ("DGP_SECRETS", str(tmp_path / "none.secrets")),
        ("DGP_DATABASE_URL", database_dsn),
        ("DGP_HASH_KEY", settings.hash_key.hex()),
    ):
        monkeypatch.setenv(name, value)
    org_name, email = f"cli-{secrets.token_hex(4)}", f"root-{secrets.token_hex(4)}@example.org"
    create = ["user", "create", "--org", org_name, "--email", email, "--admin"]

    def run(argv: list[str], stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        args = parser.parse_args(argv)
        return int(args.run(args))

    assert run(create, PASSWORD + "\n") == 2  # no such organisation
    assert run([*create, "--create-org"], PASSWORD + "\n") == 0
    assert run([*create, "--create-org"], PASSWORD + "\n") == 1  # the user exists
    assert users.authenticate(email, PASSWORD) is not None
    capsys.readouterr()
    assert run(["token", "create", "--email", email, "--name", "ops", "--scope", "scans:read"]) == 0
    token = capsys.readouterr().out.strip()
    client = falcon.testing.TestClient(create_app(store, users, queue, settings, Breakers()))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.simulate_get("/api/v1/scans", headers=headers).status_code == 200
    assert client.simulate_get("/api/v1/users", headers=headers).status_code == 403  # scope


# -- operations -------------------------------------------------------------------------------


def test_health_reports_every_component_and_scanner_kind(
    store: ScanStore, users: UserStore, queue: JobQueue, settings: Settings
) -> None:
    Liveness(queue).beat("code", "c1")
    apps = falcon.testing.TestClient(
        create_app(store, users, queue, settings, Breakers(), lambda kind: {"status": "up"})
    )
    result = apps.simulate_get("/health")
    assert result.status_code == 200
    body = result.json
    assert {name: c["status"] for name, c in body["components"].items()} == {
        "web": "up",
        "postgres": "up",
        "redis": "up",
    }
    assert set(body["scanners"]) == set(kinds.names())
    assert body["scanners"]["code"]["status"] == "up"
    assert body["scanners"]["code"]["consumers"]["alive"] == 1
    assert body["scanners"]["code"]["app"] == {"status": "up"}
    assert body["scanners"]["document"]["status"] == "degraded"  # no live consumer
    assert body["status"] == "degraded"
    assert "queue" in body["scanners"]["code"] and "breaker" in body["scanners"]["code"]


PUBLIC_CLIENT = "203.0.113.7"


def test_health_tells_the_public_the_status_only_and_admins_and_loopback_the_details(
    client: falcon.testing.TestClient, users: UserStore, org: str
) -> None:
    admin = auth(users, org, "admin")
    callers: list[tuple[str, dict[str, str], bool]] = [
        (PUBLIC_CLIENT, {}, False),
        (PUBLIC_CLIENT, auth(users, org, "analyst"), False),
        (PUBLIC_CLIENT, auth(users, org, "auditor"), False),
        (PUBLIC_CLIENT, {"Authorization": "Bearer dgp_made-up"}, False),
        (PUBLIC_CLIENT, {"X-Real-IP": "127.0.0.1"}, False),  # only a trusted proxy names it
        ("127.0.0.1", {"X-Real-IP": PUBLIC_CLIENT}, False),  # Nginx forwarding the public
        ("127.0.0.1", {"X-Forwarded-For": f"127.0.0.1, {PUBLIC_CLIENT}"}, False),
        (PUBLIC_CLIENT, admin, True),
        ("127.0.0.1", {"X-Real-IP": PUBLIC_CLIENT, **admin}, True),
        ("127.0.0.1", {}, True),  # the operator on the host
        ("::1", {}, True),
        ("127.0.0.1", {"X-Real-IP": "127.0.0.1"}, True),  # through Nginx, from the host
    ]
    for address, headers, details in callers:
        result = client.simulate_get("/health", headers=headers, remote_addr=address)
        assert result.status_code == 200, (address, headers)
        assert result.headers["Cache-Control"] == "no-store"
        expected = {"status", "components", "scanners"} if details else {"status"}
        assert set(result.json) == expected, (address, headers)
        assert result.json["status"] in ("up", "degraded")
        if not details:  # nothing about pools, breakers, queues or hosts
            assert not re.search(r"breaker|queue|latency|consumer|postgres|redis", result.text)


def test_health_answers_while_a_scanner_app_hangs_and_shows_that_kind_degraded(
    store: ScanStore, users: UserStore, queue: JobQueue, settings: Settings
) -> None:
    """The kinds are asked at once: a scanner app that never answers does not hold
    /health, and is asked once however many requests come while it hangs."""
    for kind in kinds.names():
        Liveness(queue).beat(kind, f"{kind}-1")
    release = threading.Event()
    asked: list[str] = []

    def scanner_health(kind: str) -> dict[str, Any]:
        asked.append(kind)
        if kind == "document":
            release.wait(timeout=120)  # accepts and never answers, until the test ends
        return {"status": "up"}

    client = falcon.testing.TestClient(
        create_app(store, users, queue, settings, Breakers(), scanner_health)
    )
    try:
        for _ in range(3):
            result = client.simulate_get("/health")
            assert result.status_code == 200
            document = result.json["scanners"]["document"]
            assert document["status"] == "degraded"
            assert document["app"]["status"] == "no answer"
            assert document["consumers"]["alive"] == 1  # its consumers are fine
            assert result.json["status"] == "degraded"
        assert asked.count("document") == 1  # the hung check is joined, not repeated
    finally:
        release.set()


def test_a_scanner_app_that_never_answers_opens_its_breaker(
    store: ScanStore, users: UserStore, queue: JobQueue, settings: Settings
) -> None:
    """The check of a hung app runs on after /health has answered, so its breaker
    counts the timeout; once open, the kind shows its app unavailable."""
    Liveness(queue).beat("document", "document-1")
    with socket.socket() as never:  # the kernel accepts connections; nobody answers
        never.bind(("127.0.0.1", 0))
        never.listen(64)
        breakers = Breakers(fail_max=2, reset_timeout=600)
        apps = {"document": f"http://127.0.0.1:{never.getsockname()[1]}"}
        health = ScannerHealth(breakers, apps, timeout=0.2)
        client = falcon.testing.TestClient(
            create_app(store, users, queue, settings, breakers, health)
        )
        seen = set()
        deadline = time.monotonic() + 60  # a bound for a broken build, not a timing
        while "unavailable" not in seen:
            assert time.monotonic() < deadline, f"the breaker did not open: saw {seen}"
            document = client.simulate_get("/health").json["scanners"]["document"]
            assert document["status"] == "degraded"
            seen.add(document["app"]["status"])
            time.sleep(0.05)
    assert seen <= {"no answer", "unreachable", "unavailable"}
    assert breakers["scanner:document"].state == "open"


def test_on_a_web_only_host_a_kinds_state_is_its_consumers_liveness(
    store: ScanStore, users: UserStore, queue: JobQueue, settings: Settings
) -> None:
    """No scanner app on this host (scanner_apps = none): no local /health to ask."""
    Liveness(queue).beat("code", "scanner-host-code")
    web_only = falcon.testing.TestClient(
        create_app(store, users, queue, settings, Breakers(), lambda kind: None)
    )
    scanners = web_only.simulate_get("/health").json["scanners"]
    assert scanners["code"]["status"] == "up" and "app" not in scanners["code"]
    assert scanners["document"]["status"] == "degraded"  # no consumer anywhere


def test_an_open_postgres_breaker_answers_503_fast(
    users: UserStore, queue: JobQueue, settings: Settings, org: str
) -> None:
    headers = auth(users, org, "analyst")  # made on the real database
    down = Database("host=127.0.0.1 port=1 dbname=nothing connect_timeout=2", maxconn=2)
    app = create_app(
        ScanStore(down), UserStore(down), queue, settings, Breakers(fail_max=1, reset_timeout=30)
    )
    client = falcon.testing.TestClient(app)
    for _ in range(3):
        started = time.monotonic()
        result = client.simulate_get("/api/v1/scans", headers=headers)
        assert time.monotonic() - started < 1.0
        assert result.status_code == 503 and error_code(result) == "unavailable"
        assert int(result.headers["Retry-After"]) >= 1
    health = client.simulate_get("/health")
    assert health.status_code == 503
    assert health.json["components"]["postgres"]["status"] == "down"
    assert health.json["components"]["postgres"]["breaker"] == "open"


def test_redis_down_is_503_and_the_scan_is_not_left_queued(
    store: ScanStore, users: UserStore, settings: Settings, org: str
) -> None:
    headers = auth(users, org, "analyst")
    # redis-py retries a refused connection with backoff by default (seconds): this client
    # fails at once, as the web process's should; the breaker then stops even trying.
    client_of_nothing = redis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    gone = JobQueue(client_of_nothing, settings.key_prefix)
    breakers = Breakers(fail_max=1, reset_timeout=30)
    client = falcon.testing.TestClient(create_app(store, users, gone, settings, breakers))
    for _ in range(2):
        started = time.monotonic()
        result = upload_scan(client, headers)
        assert time.monotonic() - started < 1.0
        assert result.status_code == 503 and "Retry-After" in result.headers
    assert breakers["redis"].state == "open"
    scans = store.list_scans(org)
    assert [s.status.value for s in scans] == ["failed", "failed"]
    assert all("queue" in (s.error or "") for s in scans)
    assert client.simulate_get("/health").status_code == 503


def test_metrics_are_prometheus_text(
    client: falcon.testing.TestClient, users: UserStore, org: str
) -> None:
    client.simulate_get("/api/v1/scans", headers=auth(users, org, "viewer"))
    result = client.simulate_get("/metrics")
    assert result.status_code == 200 and result.headers["Content-Type"].startswith("text/plain")
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:  # the format checked line by line instead
        sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-z_]+="[^"]*",?)*\})? -?[0-9.e+]+$')
        for line in result.text.splitlines():
            assert line.startswith("# ") or sample.match(line), line
        return
    families = {f.name: f for f in text_string_to_metric_families(result.text)}
    assert {"dgp_db_pool_active", "dgp_db_queries", "dgp_queue_length", "dgp_breaker_state"} <= set(
        families
    )
    requests = families["dgp_http_requests"].samples
    assert any(
        s.labels["route"] == "/api/v1/scans" and s.labels["status"] == "200" for s in requests
    )
    queued_kinds = {s.labels["kind"] for s in families["dgp_queue_length"].samples}
    assert queued_kinds == set(kinds.names())


def test_openapi_validates_and_every_route_answers_as_documented(
    client: falcon.testing.TestClient, users: UserStore, org: str
) -> None:
    document = client.simulate_get("/openapi.json").json
    validate(document)
    served = {
        (plain_template(route.path), method.method)
        for route in falcon.inspect.inspect_routes(client.app)
        for method in route.methods
        if not method.internal
    }
    described = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert served == described
    admin = auth(users, org, "admin")
    for path, method in sorted(described):
        operation = document["paths"][path][method.lower()]
        url = re.sub(r"\{\w+\}", lambda _: str(uuid.uuid4()), path)
        content = operation.get("requestBody", {}).get("content", {})
        example = content.get("application/json", {}).get("example")
        result = client.simulate_request(method, url, headers=admin, json=example)
        assert str(result.status_code) in operation["responses"], (method, path, result.text)


def test_a_real_postgres_outage_is_503_fast_and_heals_by_itself(
    database_dsn: str, users: UserStore, queue: JobQueue, settings: Settings, org: str
) -> None:
    headers = auth(users, org, "analyst")
    database = Database(database_dsn, minconn=2, maxconn=2)
    breakers = Breakers(fail_max=2, reset_timeout=1)
    app = create_app(
        ScanStore(database), UserStore(database, FAST_HASHER), queue, settings, breakers
    )
    client = falcon.testing.TestClient(app)
    assert client.simulate_get("/api/v1/scans", headers=headers).status_code == 200
    subprocess.run(["pg_ctlcluster", "15", "main", "stop", "-m", "fast"], check=True)
    try:
        for _ in range(6):  # pooled connections break, then new ones are refused
            started = time.monotonic()
            result = client.simulate_get("/api/v1/scans", headers=headers)
            assert time.monotonic() - started < 2.0
            assert result.status_code == 503 and int(result.headers["Retry-After"]) >= 1
    finally:
        subprocess.run(["pg_ctlcluster", "15", "main", "start"], check=True)
    deadline = time.monotonic() + 30
    while client.simulate_get("/api/v1/scans", headers=headers).status_code != 200:
        assert time.monotonic() < deadline, "the web app did not recover after Postgres came back"
        time.sleep(0.2)
    database.close()


@pytest.fixture
def toy_kind() -> Iterator[KindSpec]:
    yield kinds.register(toykind.SPEC)
    kinds.unregister(toykind.SPEC.name)


def test_a_kind_registered_by_a_test_runs_through_the_queue(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
    toy_kind: KindSpec,
) -> None:
    headers = auth(users, org, "analyst")
    started = start(client, headers, {"kind": "toy", "target": "mail jan.jansen@example.nl please"})
    assert Worker.for_kind("toy", queue, store, settings, "t1").run_once(block_ms=100)
    scan = client.simulate_get(f"/api/v1/scans/{started['id']}", headers=headers).json
    assert scan["status"] == "done" and scan["kind"] == "toy"
    found = client.simulate_get(f"/api/v1/scans/{scan['id']}/findings", headers=headers).json
    assert [f["rule_id"] for f in found["items"]] == ["pii.email"]
    # the kind's own target policy and input kinds are the ones the API applies
    refused = client.simulate_post(
        "/api/v1/scans", json={"kind": "toy", "target": "refuse me"}, headers=headers
    )
    assert refused.status_code == 400 and "refuses this target" in refused.text
    body, content_type = multipart({"kind": "toy"}, "tree.zip", code_zip())
    upload = client.simulate_post("/api/v1/scans", body=body, headers={**headers, **content_type})
    assert upload.status_code == 400 and "takes no upload" in upload.text


def test_json_nested_too_deeply_is_400_without_a_traceback(
    client: falcon.testing.TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    for depth in (1000, 100_000):
        body = "[" * depth + "]" * depth
        for path in ("/api/v1/session", "/api/v1/scans"):
            result = client.simulate_post(
                path, body=body, headers={"Content-Type": "application/json"}
            )
            assert result.status_code in (400, 401), (path, result.status_code)
        nested = client.simulate_post(
            "/api/v1/session", body=body, headers={"Content-Type": "application/json"}
        )
        assert nested.status_code == 400 and nested.json["error"]["code"] == "malformed_json"
    assert not [r for r in caplog.records if r.exc_info]


def test_paging_parameters_are_bounded(
    client: falcon.testing.TestClient, users: UserStore, store: ScanStore, org: str
) -> None:
    headers = auth(users, org, "admin")
    scan_id = store.start_scan(org, None, "code", "https://example.org/x.git", {}).id
    for path in ("/api/v1/scans", "/api/v1/audit", f"/api/v1/scans/{scan_id}/findings"):
        for query in ("offset=99999999999999999999", "offset=-1", "limit=0", "limit=1001"):
            result = client.simulate_get(path, query_string=query, headers=headers)
            assert result.status_code == 400, (path, query, result.status_code)
        far = client.simulate_get(path, query_string="offset=1000000000", headers=headers)
        assert far.status_code == 200 and far.json["items"] == []


def test_ids_in_paths_are_normalised_before_any_comparison(
    client: falcon.testing.TestClient, users: UserStore, store: ScanStore, org: str
) -> None:
    admin = new_user(users, org, "admin")
    cookies = {"dgp_session": login(client, admin.email, PASSWORD).cookies["dgp_session"].value}
    body = {"password": "a new long passphrase"}  # no current_password: refused for oneself
    for written in (admin.id, admin.id.upper(), "{" + admin.id + "}", admin.id.replace("-", "")):
        result = client.simulate_put(
            f"/api/v1/users/{written}/password", json=body, cookies=cookies
        )
        assert result.status_code == 400, (written, result.status_code)
    assert login(client, admin.email, PASSWORD).status_code == 200  # unchanged
    headers = auth(users, org, "admin")
    scan_id = store.start_scan(org, None, "code", "https://example.org/x.git", {}).id
    upper = client.simulate_get(f"/api/v1/scans/{scan_id.upper()}", headers=headers)
    assert upper.status_code == 200 and upper.json["id"] == scan_id
    assert client.simulate_get("/api/v1/scans/not-an-id", headers=headers).status_code == 404


def test_every_answer_says_nosniff_and_api_answers_are_not_cached(
    client: falcon.testing.TestClient, users: UserStore, org: str
) -> None:
    user = new_user(users, org, "analyst")
    signed_in = login(client, user.email, PASSWORD)
    token = client.simulate_post(
        "/api/v1/tokens",
        json={"name": "ci", "scopes": ["scans:read"]},
        cookies={"dgp_session": signed_in.cookies["dgp_session"].value},
    )
    answers = [
        signed_in,
        token,
        client.simulate_get("/api/v1/scans", headers=bearer(users, user)),
        client.simulate_get("/api/v1/scans"),  # 401
        client.simulate_get("/api/v1/nowhere"),  # 404
    ]
    for answer in answers:
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Cache-Control"] == "no-store", answer.status
    assert token.status_code == 201 and "token" in token.json
    health = client.simulate_get("/health")
    assert health.headers["X-Content-Type-Options"] == "nosniff"


def test_a_failed_scan_of_an_upload_leaves_no_personal_data_behind(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
) -> None:
    bsn = "111222333"
    body, content_type = multipart({"kind": "code"}, "tree.zip", b"not a zip " + bsn.encode())
    headers = {**auth(users, org, "analyst"), **content_type}
    started = client.simulate_post("/api/v1/scans", body=body, headers=headers)
    assert started.status_code == 202, started.text
    assert Worker.for_kind("code", queue, store, settings, "w1").run_once(block_ms=100)
    failed = store.get_scan(org, started.json["id"])
    assert failed is not None and failed.status.value == "failed"
    with store.db.transaction() as cur:  # the raw bytes are gone; the row stays as a record
        cur.execute(
            "SELECT count(*) FROM upload_chunks c JOIN uploads u ON u.id = c.upload_id "
            "WHERE u.organisation_id = %s",
            (org,),
        )
        assert cur.fetchone()[0] == 0
        cur.execute(
            "SELECT count(*) FROM upload_chunks c JOIN uploads u ON u.id = c.upload_id "
            "WHERE u.organisation_id = %s AND position(%s::bytea in c.data) > 0",
            (org, bsn.encode()),
        )
        assert cur.fetchone()[0] == 0


def test_an_admin_cannot_tell_whether_an_address_has_an_account_elsewhere(
    client: falcon.testing.TestClient, users: UserStore, store: ScanStore, org: str
) -> None:
    other = store.create_organisation(f"other-{secrets.token_hex(4)}")
    elsewhere = new_user(users, other, "viewer")  # the address has an account in `other`
    admin = auth(users, org, "admin")
    fresh = f"fresh-{secrets.token_hex(3)}@example.org"
    answers = [
        client.simulate_post(
            "/api/v1/users",
            json={"email": email, "password": "their own passphrase", "role": "viewer"},
            headers=admin,
        )
        for email in (elsewhere.email, fresh)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert set(answers[0].json) == set(answers[1].json)
    # both accounts sign in with their own passwords, each to its own organisation
    theirs = login(client, elsewhere.email, PASSWORD)
    ours = login(client, elsewhere.email, "their own passphrase")
    assert theirs.json["user"]["organisation"] == other
    assert ours.json["user"]["organisation"] == org


def test_one_password_for_accounts_in_two_organisations_asks_which(
    client: falcon.testing.TestClient, users: UserStore, store: ScanStore, org: str
) -> None:
    first = new_user(users, org, "viewer")
    name = f"second-{secrets.token_hex(4)}"
    second_org = store.create_organisation(name)
    users.create_user(second_org, first.email, PASSWORD, "analyst")
    ambiguous = login(client, first.email, PASSWORD)
    assert ambiguous.status_code == 400 and error_code(ambiguous) == "organisation_needed"
    chosen = client.simulate_post(
        "/api/v1/session",
        json={"email": first.email, "password": PASSWORD, "organisation": name},
    )
    assert chosen.status_code == 200 and chosen.json["user"]["organisation"] == second_org
    assert users.find_user(first.email) is None  # not one user: the CLI asks for --org
    assert users.find_user(first.email, name).organisation_id == second_org


# -- inputs beyond files: a questionnaire, earlier scans ---------------------------------


@pytest.fixture
def input_kinds() -> Iterator[None]:
    """The toy kinds that take a questionnaire and earlier scans instead of a target."""
    for spec in (toyquestionnaire.SPEC, toyreport.SPEC):
        kinds.register(spec)
    yield
    for spec in (toyquestionnaire.SPEC, toyreport.SPEC):
        kinds.unregister(spec.name)


def test_a_kind_that_takes_a_questionnaire_gets_it_through_the_queue(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
    input_kinds: None,
) -> None:
    headers = auth(users, org, "analyst")
    answers = {"contact": "mail jan.jansen@example.nl", "purpose": "payroll", "staff": 12}
    started = start(client, headers, {"kind": "toyquestionnaire", "questionnaire": answers})
    assert started["target"] == "questionnaire" and started["scan_ids"] == []
    assert Worker.for_kind("toyquestionnaire", queue, store, settings, "q1").run_once(100)
    scan = client.simulate_get(f"/api/v1/scans/{started['id']}", headers=headers).json
    assert scan["status"] == "done", scan
    found = client.simulate_get(f"/api/v1/scans/{scan['id']}/findings", headers=headers).json
    assert [(f["rule_id"], f["location"]["path"]) for f in found["items"]] == [
        ("pii.email", "questionnaire/contact")
    ]
    assert "jan.jansen@example.nl" not in json.dumps(found)  # masked, like any evidence


@pytest.mark.parametrize(
    "body,message",
    [
        ({"kind": "toyquestionnaire"}, "a toyquestionnaire scan needs 'questionnaire'"),
        (
            {"kind": "toyquestionnaire", "questionnaire": {"a": "b"}, "target": "x"},
            "takes no 'target'",
        ),
        (
            {"kind": "toyquestionnaire", "questionnaire": {}, "scan_ids": [str(uuid.uuid4())]},
            "takes no 'scan_ids'",
        ),
        ({"kind": "toyquestionnaire", "questionnaire": ["a"]}, "must be a JSON object"),
        ({"kind": "toyquestionnaire", "questionnaire": "a"}, "must be a JSON object"),
        (
            {"kind": "toyquestionnaire", "questionnaire": {"a": "x" * (256 * 1024)}},
            "at most 262144",
        ),
        (
            {
                "kind": "toyquestionnaire",
                "questionnaire": json.loads('{"a":' * 40 + "1" + "}" * 40),
            },
            "nest at most 32",
        ),
        ({"kind": "code", "questionnaire": {"a": "b"}}, "a code scan takes no 'questionnaire'"),
        ({"kind": "code"}, "a code scan needs 'target' or upload"),
        ({"kind": "toyreport"}, "a toyreport scan needs 'scan_ids'"),
        ({"kind": "toyreport", "scan_ids": []}, "1 to 100 scans"),
        ({"kind": "toyreport", "scan_ids": "all"}, "a list of scan ids"),
        ({"kind": "toyreport", "scan_ids": ["nonsense"]}, "not a scan id: 'nonsense'"),
        ({"kind": "toyreport", "scan_ids": [str(uuid.uuid4()) for _ in range(101)]}, "1 to 100"),
        ({"kind": "toyreport", "target": "x", "scan_ids": [str(uuid.uuid4())]}, "no 'target'"),
    ],
)
def test_inputs_a_kind_does_not_take_or_beyond_the_limits_are_400_and_store_nothing(
    client: falcon.testing.TestClient,
    users: UserStore,
    store: ScanStore,
    org: str,
    input_kinds: None,
    body: dict[str, Any],
    message: str,
) -> None:
    headers = auth(users, org, "analyst")
    result = client.simulate_post("/api/v1/scans", json=body, headers=headers)
    assert result.status_code == 400 and error_code(result) == "invalid_input", result.text
    assert message in result.json["error"]["message"]
    assert store.count_scans(org) == 0


def test_a_kind_that_takes_earlier_scans_gets_the_organisations_own_only(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
    input_kinds: None,
    tmp_path: Path,
) -> None:
    headers = auth(users, org, "analyst")
    first, second = finished_scan(store, org, tmp_path), finished_scan(store, org, tmp_path)
    other = store.create_organisation(f"org-{secrets.token_hex(4)}")
    theirs = finished_scan(store, other, tmp_path)
    before = store.count_scans(org)

    # another organisation's scan is refused exactly like one that does not exist
    answers = []
    for foreign in (theirs, str(uuid.uuid4())):
        body = {"kind": "toyreport", "scan_ids": [first, foreign]}
        result = client.simulate_post("/api/v1/scans", json=body, headers=headers)
        assert result.status_code == 404 and error_code(result) == "not_found"
        answers.append(result.json["error"]["message"].replace(foreign, "ID"))
    assert answers == ["unknown scan: ID", "unknown scan: ID"]
    assert store.count_scans(org) == before and store.count_scans(other) == 1

    started = start(
        client, headers, {"kind": "toyreport", "scan_ids": [first, second.upper(), first]}
    )
    assert started["target"] == "toyreport of 2 scans"
    assert started["scan_ids"] == [first, second]  # canonical, each once, in order
    assert store.delete_scan(org, second)  # deleted before the report runs: left out
    assert Worker.for_kind("toyreport", queue, store, settings, "r1").run_once(100)
    scan = store.get_scan(org, started["id"])
    assert scan is not None and scan.status.value == "done", scan
    assert scan.stats.items_scanned == 1
    report = client.simulate_get(f"/api/v1/scans/{scan.id}/artefacts/report.json", headers=headers)
    assert report.headers["content-type"] == "application/json"
    assert report.json["asked"] == [first, second]
    assert [(s["id"], s["kind"], s["status"]) for s in report.json["scans"]] == [
        (first, "code", "done")
    ]


# -- artefacts ---------------------------------------------------------------------------


def artefact_rows(store: ScanStore, scan_id: str) -> int:
    with store.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM artefacts WHERE scan_id = %s", (scan_id,))
        return int(cur.fetchone()[0])


def toy_scan(client: falcon.testing.TestClient, headers: dict[str, str], target: str) -> str:
    return str(start(client, headers, {"kind": "toy", "target": target})["id"])


def test_a_scans_artefact_is_stored_listed_downloaded_and_deleted_with_it(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
    toy_kind: KindSpec,
) -> None:
    headers = auth(users, org, "viewer")
    target = "mail jan.jansen@example.nl or piet.pieters@example.com"
    scan_id = toy_scan(client, auth(users, org, "analyst"), target)
    assert Worker.for_kind("toy", queue, store, settings, "t1").run_once(block_ms=100)
    job = ScanJob("toy", target, ScanOptions(), scan_id=scan_id, organisation=org)
    expected = toykind.scan(job, ScanInputs(HASH_KEY)).artefacts[0].data
    assert b"jan.jansen@example.nl" not in expected and b"pii.email" in expected

    listed = client.simulate_get(f"/api/v1/scans/{scan_id}/artefacts", headers=headers)
    assert listed.status_code == 200, listed.text
    (item,) = listed.json["items"]
    assert (item["name"], item["media_type"], item["size"], item["sha256"]) == (
        "summary.txt",
        toykind.SUMMARY_TYPE,
        len(expected),
        hashlib.sha256(expected).hexdigest(),
    )
    assert item["created_at"]
    got = client.simulate_get(f"/api/v1/scans/{scan_id}/artefacts/summary.txt", headers=headers)
    assert got.status_code == 200 and got.content == expected  # byte-identical
    assert got.headers["content-type"] == toykind.SUMMARY_TYPE
    assert got.headers["content-length"] == str(len(expected))
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"summary.txt\"; filename*=UTF-8''summary.txt"
    )
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["cache-control"] == "no-store"
    assert "sandbox" in got.headers["content-security-policy"]
    assert "artefact.downloaded" in actions(store, org)
    missing = client.simulate_get(f"/api/v1/scans/{scan_id}/artefacts/other.txt", headers=headers)
    assert missing.status_code == 404 and error_code(missing) == "not_found"

    # another organisation sees nothing of it, exactly as if it did not exist
    other = store.create_organisation(f"org-{secrets.token_hex(4)}")
    theirs = auth(users, other, "admin")
    for path in (f"/api/v1/scans/{scan_id}/artefacts", f"/api/v1/scans/{scan_id}/artefacts/x"):
        unknown = path.replace(scan_id, str(uuid.uuid4()))
        for url in (path, unknown):
            result = client.simulate_get(url, headers=theirs)
            assert result.status_code == 404 and error_code(result) == "not_found", url
    result = client.simulate_get(f"/api/v1/scans/{scan_id}/artefacts/summary.txt", headers=theirs)
    assert result.status_code == 404 and result.json == {
        "error": {"code": "not_found", "message": "no such artefact"}
    }

    analyst = auth(users, org, "analyst")
    assert client.simulate_delete(f"/api/v1/scans/{scan_id}", headers=analyst).status_code == 204
    assert artefact_rows(store, scan_id) == 0
    gone = client.simulate_get(f"/api/v1/scans/{scan_id}/artefacts", headers=headers)
    assert gone.status_code == 404


def test_a_large_artefact_is_downloaded_whole_in_slices(
    client: falcon.testing.TestClient,
    users: UserStore,
    store: ScanStore,
    org: str,
    tmp_path: Path,
) -> None:
    scan_id = finished_scan(store, org, tmp_path)
    findings = store.list_findings(org, scan_id, limit=1000)[0]
    data = random.Random(3).randbytes(2 * 1024 * 1024 + 12345)  # three slices
    scan = store.get_scan(org, scan_id)
    assert scan is not None
    name = 'Verslag – page 1 "redacted".png'
    result = ScanResult(scan, findings, [Artefact(name, "image/png", data)])
    assert store.save_result(scan_id, result)
    headers = auth(users, org, "auditor")
    url = f"/api/v1/scans/{scan_id}/artefacts/{urllib.parse.quote(name)}"
    got = client.simulate_get(url, headers=headers)
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-disposition"] == (
        'attachment; filename="Verslag_page_1_redacted_.png"; '
        "filename*=UTF-8''Verslag%20%E2%80%93%20page%201%20%22redacted%22.png"
    )
    assert store.list_findings(org, scan_id)[1] == len(findings)  # saved with them


@pytest.mark.parametrize(
    "limits,reason",
    [
        ({"artefact_max_bytes": 16}, "this server stores at most 16 bytes per artefact"),
        ({"scan_artefacts_max_bytes": 16}, "this server stores at most 16 bytes per scan"),
    ],
)
def test_a_scan_whose_artefacts_are_too_large_fails_with_the_reason(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
    toy_kind: KindSpec,
    limits: dict[str, int],
    reason: str,
) -> None:
    headers = auth(users, org, "analyst")
    scan_id = toy_scan(client, headers, "mail jan.jansen@example.nl please")
    worker = Worker.for_kind("toy", queue, store, replace(settings, **limits), "t1")
    assert worker.run_once(block_ms=100)
    scan = client.simulate_get(f"/api/v1/scans/{scan_id}", headers=headers).json
    assert scan["status"] == "failed" and reason in scan["error"], scan
    assert scan["error"].startswith("artefact summary.txt is") or "artefacts are" in scan["error"]
    assert artefact_rows(store, scan_id) == 0 and store.list_findings(org, scan_id)[1] == 0
    assert queue.depth("toy").pending == 0  # failed for good, not retried


# -- retention ----------------------------------------------------------------------------


def age(store: ScanStore, table: str, row_id: str, days: int) -> None:
    """Make a row look `days` old (what time would do)."""
    with store.db.transaction() as cur:
        cur.execute(
            f"UPDATE {table} SET created_at = now() - %s * interval '1 day' WHERE id = %s",
            (days, row_id),
        )


def rows(store: ScanStore, sql: str, *params: object) -> int:
    with store.db.transaction() as cur:
        cur.execute(sql, params)
        return int(cur.fetchone()[0])


def test_retention_purges_old_scans_with_their_findings_artefacts_and_uploads(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    env: dict[str, str],
    org: str,
    toy_kind: KindSpec,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    headers = auth(users, org, "analyst")
    old, new = (toy_scan(client, headers, f"mail jan{i}@example.nl") for i in range(2))
    worker = Worker.for_kind("toy", queue, store, settings, "t1")
    assert worker.run_once(100) and worker.run_once(100)
    other = store.create_organisation(f"org-{secrets.token_hex(4)}")
    theirs_old = finished_scan(store, other, tmp_path)
    upload_old = store.save_upload(org, "old.zip", io.BytesIO(code_zip()), UPLOAD_LIMIT)
    upload_new = store.save_upload(org, "new.zip", io.BytesIO(code_zip()), UPLOAD_LIMIT)
    for table, row_id in (("scans", old), ("scans", theirs_old), ("uploads", upload_old)):
        age(store, table, row_id, 400)
    assert rows(store, "SELECT count(*) FROM findings WHERE scan_id = %s", old) == 1

    keep_all = Janitor(queue, store, replace(settings, retention_days=0))
    assert keep_all.purge() == {"scans": 0, "uploads": 0}
    assert store.get_scan(org, old) is not None

    janitor = Janitor(queue, store, replace(settings, retention_days=365))
    assert janitor.purge() == {"scans": 2, "uploads": 1}
    for scan_id in (old, theirs_old):
        for table in ("scans", "findings", "artefacts"):
            column = "id" if table == "scans" else "scan_id"
            assert rows(store, f"SELECT count(*) FROM {table} WHERE {column} = %s", scan_id) == 0
    assert client.simulate_get(f"/api/v1/scans/{old}/artefacts", headers=headers).status_code == 404
    assert rows(store, "SELECT count(*) FROM uploads WHERE id = %s", upload_old) == 0
    assert rows(store, "SELECT count(*) FROM upload_chunks WHERE upload_id = %s", upload_old) == 0
    # what is younger stays, whole
    listed = client.simulate_get(f"/api/v1/scans/{new}/artefacts", headers=headers).json
    assert [a["name"] for a in listed["items"]] == ["summary.txt"]
    assert store.list_findings(org, new)[1] == 1 and store.get_upload(org, upload_new) is not None
    assert janitor.purge() == {"scans": 0, "uploads": 0}

    # `dgp janitor` (the timer's pass) reports both of its duties
    for name, value in {**env, "DGP_RETENTION_DAYS": "365"}.items():
        monkeypatch.setenv(name, value)
    age(store, "scans", new, 366)
    capsys.readouterr()
    assert main(["janitor", "--kind", "toy"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["purged"] == {"scans": 1, "uploads": 0} and "toy" in report["jobs"]
    assert store.get_scan(org, new) is None


def test_request_bodies_take_exactly_the_documented_fields_and_no_nulls(
    client: falcon.testing.TestClient, users: UserStore, org: str
) -> None:
    admin = auth(users, org, "admin")
    someone = new_user(users, org, "analyst")
    refused = [
        ("PATCH", f"/api/v1/users/{someone.id}", {"role": "viewer", "disabled": None}),
        ("PATCH", f"/api/v1/users/{someone.id}", {"role": None}),
        ("PATCH", f"/api/v1/users/{someone.id}", {}),
        ("PATCH", f"/api/v1/users/{someone.id}", {"role": "viewer", "rol": "admin"}),
        ("POST", "/api/v1/tokens", {"name": "ci", "scopes": None}),
        ("POST", "/api/v1/tokens", {"name": "ci", "expires": 3}),
        (
            "PUT",
            f"/api/v1/users/{someone.id}/password",
            {"password": PASSWORD, "current_password": 5},
        ),
        ("POST", "/api/v1/scans", {"kind": "code", "target": "x", "options": None}),
    ]
    for method, path, body in refused:
        answer = client.simulate_request(method, path, json=body, headers=admin)
        assert answer.status_code == 400, (method, path, body, answer.text)
    paths = client.simulate_get("/openapi.json").json["components"]["schemas"]
    for name in ("UserChange", "NewToken", "NewPassword", "NewCredential"):
        assert paths[name]["additionalProperties"] is False, name
    assert paths["UserChange"]["minProperties"] == 1
    # what the document allows, the server takes
    changed = client.simulate_patch(
        f"/api/v1/users/{someone.id}", json={"disabled": True}, headers=admin
    )
    assert changed.status_code == 200 and changed.json["disabled"] is True
