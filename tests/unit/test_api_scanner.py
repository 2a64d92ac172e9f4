"""The API scanner against APIs served on loopback by the tests (a Falcon app with an
OpenAPI document, tests/apis.py): exact rule ids per endpoint, passive mode sending
nothing but GET, HEAD and OPTIONS, the data map artefact, active mode, and bad input
(malformed, huge and cyclic documents, a hanging endpoint, a 1 GB answer, a redirect
to a private address) with clear errors in bounded time and memory.
"""

from __future__ import annotations

import json
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon
import jsonschema
import openapi_spec_validator
import pytest
import yaml

from dgp import kinds
from dgp.domain.credential import Credential, CredentialKind, Secret
from dgp.domain.job import ScanInputError, ScanInputs, ScanJob, ScanResult
from dgp.domain.options import Limits, OptionsError
from dgp.engine.fieldnames import category_of
from dgp.net import NetPolicy
from dgp.scanners.api import datamap, scanner
from dgp.scanners.api.client import PassiveViolation
from dgp.scanners.api.document import MAX_NODES, OpenAPIError, parse
from dgp.scanners.api.options import ApiOptions
from tests import apis
from tests.netfixtures import connections

KEY = b"k" * 32
LOOPBACK = NetPolicy.allowing("127.0.0.0/8")  # loopback only: private networks stay refused
TOKEN = Credential("cred-1", "api token", CredentialKind.API_TOKEN, Secret(apis.TOKEN))
SAFE = {"GET", "HEAD", "OPTIONS"}


def runtime(served: apis.ServedApi) -> scanner.Runtime:
    return scanner.Runtime(
        resolver=apis.resolver,
        ssl_context=served.tls.client if served.tls else None,
        proxies={},
        policy=LOOPBACK,
    )


def run(
    served: apis.ServedApi,
    path: str = "/",
    credential: Credential | None = None,
    upload: Path | None = None,
    **options: Any,
) -> ScanResult:
    settings: dict[str, Any] = {"requests_per_second": 1000.0, "request_seconds": 5.0}
    settings.update(options)
    job = ScanJob("api", served.url(path), ApiOptions.from_dict(settings, kinds.get("api").limits))
    inputs = ScanInputs(hash_key=KEY, credential=credential, upload=upload)
    return scanner.scan(job, inputs, runtime(served))


def by_url(result: ScanResult, served: apis.ServedApi) -> dict[str, set[str]]:
    """Rule ids per location, the host part left out: {"/citizens": {...}}."""
    found: dict[str, set[str]] = {}
    prefix = served.url("")
    for f in result.findings:
        where = (f.location.url or "").removeprefix(prefix) or "/"
        if f.location.selector and where == "/openapi.json":
            where += " " + f.location.selector
        found.setdefault(where, set()).add(f.rule_id)
    return found


@pytest.fixture
def served(tmp_path: Path) -> Iterator[apis.ServedApi]:
    with apis.serving(apis.privacy_api(), tmp_path) as api:
        yield api


PRIVACY_API_FINDINGS = {
    "/citizens": {
        "api.auth.unauthenticated_personal_data",
        "api.exposure.excessive_data",
        "api.response.personal_field",
        "pii.bsn",
        "pii.email",
        "pii.iban",
        "pii.phone",
        "pii.date_of_birth",
        "pii.name",
    },
    "/profile": {"api.cors.credentials_any_origin"},
    "/orders/7": {"api.error.verbose"},
    "/openapi.json GET /citizens": {"api.datamap.unprotected_personal_data"},
    "/openapi.json GET /search": {
        "api.datamap.unprotected_personal_data",
        "api.datamap.personal_data_in_query",
    },
}


def test_the_privacy_api_exact_rule_ids_per_endpoint(served: apis.ServedApi) -> None:
    result = run(served, credential=TOKEN)
    assert result.scan.status == "done", result.scan.error
    assert by_url(result, served) == PRIVACY_API_FINDINGS
    # the clean endpoint (bearer token, nothing personal) and the search answer: nothing
    assert not any(f.location.url and f.location.url.endswith("/account") for f in result.findings)
    # passive: the server saw GET, HEAD and OPTIONS only, and the credential was used
    assert served.recorder.methods() <= SAFE
    assert {"GET", "OPTIONS"} <= served.recorder.methods()
    # every finding has its law and a remediation; evidence is masked, the token absent
    text = json.dumps([f.to_dict() for f in result.findings]) + result.artefacts[0].data.decode()
    assert all(f.legal_refs and f.remediation for f in result.findings if f.rule_id != "pii.name")
    for value in ("111222333", "123456782", "jan.jansen@voorbeeld.nl", "NL91ABNA0417164300"):
        assert value not in text
    assert apis.TOKEN not in text
    bsn = [f for f in result.findings if f.rule_id == "pii.bsn"]
    assert {f.location.selector for f in bsn} == {"$[0].bsn", "$[1].bsn"}
    assert all(f.value_hash for f in bsn)


def test_without_the_credential_the_clean_endpoint_is_only_seen_refusing(
    served: apis.ServedApi,
) -> None:
    result = run(served)
    assert by_url(result, served) == PRIVACY_API_FINDINGS
    data = json.loads(result.artefacts[0].data)
    account = next(o for o in data["operations"] if o["path"] == "/account")
    assert account["observed"]["status"] == 401
    assert account["observed"]["status_with_credential"] is None


def test_the_openapi_document_of_the_tests_is_valid_openapi() -> None:
    openapi_spec_validator.validate(apis.openapi_document())  # a validator nobody here wrote


def test_the_data_map_artefact_follows_its_schema(served: apis.ServedApi) -> None:
    result = run(served, credential=TOKEN)
    assert [a.name for a in result.artefacts] == [datamap.ARTEFACT_NAME]
    data = json.loads(result.artefacts[0].data)
    schema = json.loads(datamap.SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    assert data["openapi"]["valid"] is True
    assert data["unprotected"] == ["GET /citizens", "GET /search"]
    assert data["categories"]["email"] == ["GET /citizens", "GET /search"]
    citizens = next(o for o in data["operations"] if o["path"] == "/citizens")
    assert {f["field"] for f in citizens["returns"]} == {"$[*].naam", "$[*].email"}
    observed = {f["field"]: f["category"] for f in citizens["observed"]["personal_fields"]}
    assert observed["$[*].bsn"] == "national_id"
    assert observed["$[*].geboortedatum"] == "birth_date"
    assert citizens["security_required"] is False
    account = next(o for o in data["operations"] if o["path"] == "/account")
    assert account["security_required"] is True
    assert account["observed"]["status"] == 401
    assert account["observed"]["status_with_credential"] == 200


# -- generated documents: OpenAPI 2 and 3, JSON and YAML, given by URL or upload -------------


KEY_SCHEME = {"type": "apiKey", "name": "X-Key", "in": "header"}


def generated_document(version: str, fields: dict[str, str], secured: bool) -> dict[str, Any]:
    """A document with one operation returning an object of `fields` (name -> type)."""
    props = {name: {"type": kind} for name, kind in fields.items()}
    schema = {"type": "object", "properties": props}
    op: dict[str, Any] = {"operationId": "item", "responses": {}}
    if version == "2.0":
        op["responses"]["200"] = {"description": "ok", "schema": schema}
        doc: dict[str, Any] = {
            "swagger": "2.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/item": {"get": op}},
            "securityDefinitions": {"key": KEY_SCHEME},
        }
    else:
        op["responses"]["200"] = {
            "description": "ok",
            "content": {"application/json": {"schema": schema}},
        }
        doc = {
            "openapi": version,
            "info": {"title": "t", "version": "1"},
            "paths": {"/item": {"get": op}},
            "components": {"securitySchemes": {"key": KEY_SCHEME}},
        }
    if secured:
        op["security"] = [{"key": []}]
    return doc


def item_api(document: bytes, media_type: str, answer: dict[str, Any]) -> falcon.App:
    app = falcon.App(middleware=[apis.Careful()])
    app.add_route("/docs/api.doc", apis.Document(document, media_type))

    class Item:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            resp.media = answer

    app.add_route("/item", Item())
    return app


FIELD_SETS = [
    ({"email": "string", "voornaam": "string"}, {"email", "person_name"}),
    ({"telefoonnummer": "string", "customerId": "integer"}, {"phone"}),
    ({"dateOfBirth": "string", "postcode": "string"}, {"birth_date", "address"}),
    ({"productName": "string", "price": "number"}, set()),
    ({"diagnose": "string", "iban": "string"}, {"health", "bank_account"}),
]


@pytest.mark.parametrize("version", ["2.0", "3.0.3", "3.1.0"])
@pytest.mark.parametrize("form", ["json", "yaml"])
@pytest.mark.parametrize("case", range(len(FIELD_SETS)))
def test_generated_documents_make_the_data_map(
    tmp_path: Path, version: str, form: str, case: int
) -> None:
    fields, categories = FIELD_SETS[case]
    secured = case % 2 == 0
    doc = generated_document(version, fields, secured)
    openapi_spec_validator.validate(doc)
    raw = json.dumps(doc).encode() if form == "json" else yaml.safe_dump(doc).encode()
    media = "application/json" if form == "json" else "application/yaml"
    answer = {name: ("x" if kind == "string" else 1) for name, kind in fields.items()}
    with apis.serving(item_api(raw, media, answer), tls=False) as api:
        result = run(api, openapi=api.url("/docs/api.doc"))
    data = json.loads(result.artefacts[0].data)
    (op,) = data["operations"]
    assert set(op["categories"]) == categories
    assert op["security_required"] is secured
    assert data["unprotected"] == ([] if secured or not categories else ["GET /item"])
    rules = {f.rule_id for f in result.findings}
    assert ("api.datamap.unprotected_personal_data" in rules) == bool(categories and not secured)
    assert ("api.auth.security_not_enforced" in rules) == secured  # the app checks no key
    assert "api.tls.no_https" in rules
    assert "api.openapi.invalid" not in rules


def test_an_uploaded_yaml_document_is_used(tmp_path: Path) -> None:
    doc = generated_document("3.0.3", {"bsn": "string"}, secured=False)
    upload = tmp_path / "openapi.yaml"
    upload.write_text(yaml.safe_dump(doc))
    with apis.serving(item_api(b"{}", "application/json", {"bsn": "111222333"}), tls=False) as api:
        result = run(api, upload=upload)
    rules = {f.rule_id for f in result.findings}
    assert {"pii.bsn", "api.auth.unauthenticated_personal_data"} <= rules
    assert json.loads(result.artefacts[0].data)["openapi"]["source"] == "the uploaded document"


def test_examples_with_real_looking_personal_data_are_reported(tmp_path: Path) -> None:
    doc = generated_document("3.0.3", {"bsn": "string"}, secured=True)
    schema = doc["paths"]["/item"]["get"]["responses"]["200"]["content"]["application/json"]
    schema["example"] = {"bsn": "111222333", "email": "piet@gmail.com"}
    with apis.serving(item_api(json.dumps(doc).encode(), "application/json", {}), tls=False) as api:
        result = run(api, openapi=api.url("/docs/api.doc"))
    examples = [f for f in result.findings if f.rule_id == "api.datamap.example_personal_data"]
    assert len(examples) == 2
    assert all("111222333" not in f.evidence for f in examples)


# -- discovery without a document, rate limits, transport -----------------------------------


def bare_api(rate_limited: bool) -> falcon.App:
    """No OpenAPI document; /users answers; after 5 requests a 429 when `rate_limited`."""
    app = falcon.App()
    count = {"n": 0}

    class Users:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            count["n"] += 1
            if rate_limited and count["n"] > 5:
                resp.status = falcon.HTTP_429
                return
            resp.media = [{"id": 1, "email": "kees@bedrijf.nl"}]

    class Health:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            resp.set_header("Server", "nginx/1.18.0")
            resp.set_header("X-Powered-By", "PHP/8.1.2")
            resp.media = {"ok": True}

    app.add_route("/users", Users())
    app.add_route("/health", Health())
    return app


@pytest.mark.parametrize("rate_limited", [False, True])
def test_without_a_document_common_paths_are_tried(rate_limited: bool) -> None:
    with apis.serving(bare_api(rate_limited), tls=False) as api:
        result = run(api)
        seen = api.recorder.methods()
    found = by_url(result, api)
    assert found["/users"] >= {"pii.email", "api.auth.unauthenticated_personal_data"}
    api_wide = found["/"]
    assert {"api.openapi.not_found", "api.tls.no_https", "api.header.version_banner"} <= api_wide
    assert ("api.ratelimit.no_signal" in api_wide) is not rate_limited
    assert "api.header.nosniff_missing" in api_wide
    banners = {f.evidence for f in result.findings if f.rule_id == "api.header.version_banner"}
    assert banners == {"server: nginx/1.18.0", "x-powered-by: PHP/8.1.2"}
    data = json.loads(result.artefacts[0].data)
    assert data["openapi"] is None
    assert {"/users", "/health"} <= {o["path"] for o in data["operations"]}
    assert seen <= SAFE


def test_an_expiring_certificate_is_reported(tmp_path: Path) -> None:
    with apis.serving(apis.privacy_api(), tmp_path, days=10) as api:
        result = run(api)
    assert "api.tls.certificate_expiring" in by_url(result, api)["/"]


def test_a_certificate_that_does_not_verify_stops_the_scan(tmp_path: Path) -> None:
    import ssl

    with apis.serving(apis.privacy_api(), tmp_path) as api:
        job = ScanJob("api", api.url("/"), ApiOptions(request_seconds=5.0))
        strict = scanner.Runtime(
            resolver=apis.resolver,
            ssl_context=ssl.create_default_context(),
            proxies={},
            policy=LOOPBACK,
        )
        result = scanner.scan(job, ScanInputs(hash_key=KEY), strict)
        assert {f.rule_id for f in result.findings} == {"api.tls.certificate_invalid"}
        assert api.recorder.seen == []  # the handshake failed: no request was read


# -- active mode ------------------------------------------------------------------------------


def shop_api() -> tuple[falcon.App, dict[str, Any]]:
    """An API with writes: POST /users stores whatever it is sent (mass assignment),
    GET /users/{id} returns any user (no object-level check), GET /items?q= builds SQL
    from q (a quote breaks it)."""
    users: dict[int, dict[str, Any]] = {
        1: {"id": 1, "email": "anna@voorbeeld.nl", "telefoon": "+31 6 11112222"},
        2: {"id": 2, "email": "bram@voorbeeld.nl", "telefoon": "+31 6 33334444"},
    }
    user = {
        "type": "object",
        "required": ["email"],
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "email": {"type": "string", "format": "email"},
            "nickname": {"type": "string", "minLength": 3, "maxLength": 20},
        },
    }
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "shop", "version": "1"},
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/users": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": user}}},
                    "responses": {"201": {"description": "made"}},
                }
            },
            "/users/{id}": {
                "get": {
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                            "example": 1,
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "a user",
                            "content": {"application/json": {"schema": user}},
                        }
                    },
                }
            },
            "/items": {
                "get": {
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string"},
                            "example": "fiets",
                        }
                    ],
                    "responses": {"200": {"description": "items"}},
                }
            },
        },
    }
    openapi_spec_validator.validate(doc)
    app = falcon.App(middleware=[apis.Careful()])
    app.add_route("/openapi.json", apis.Document(json.dumps(doc).encode()))

    class Users:
        def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
            body = req.get_media()
            body["id"] = len(users) + 1
            users[body["id"]] = body
            resp.status, resp.media = falcon.HTTP_201, body

    class OneUser:
        def on_get(self, req: falcon.Request, resp: falcon.Response, id: str) -> None:
            found = users.get(int(id)) if id.isdigit() else None
            if found is None:
                raise falcon.HTTPNotFound()
            resp.media = found

    class Items:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            if "'" in req.get_param("q", default=""):
                resp.status = falcon.HTTP_500
                resp.media = {"error": 'syntax error at or near "fiets"'}
                return
            resp.media = []

    app.add_route("/users", Users())
    app.add_route("/users/{id}", OneUser())
    app.add_route("/items", Items())
    return app, users


def test_active_mode_writes_and_probes(tmp_path: Path) -> None:
    app, users = shop_api()
    with apis.serving(app, tmp_path) as api:
        result = run(api, credential=TOKEN, active=True)
        methods = api.recorder.methods()
    rules = {f.rule_id for f in result.findings}
    assert {
        "api.active.mass_assignment",
        "api.active.object_level_access",
        "api.active.injection_error",
    } <= rules
    assert "POST" in methods
    posted = [u for u in users.values() if u.get("email") == "dgp-probe@example.org"]
    assert posted and all(
        set(u) <= {"id", "email", "nickname", "is_admin", "role", "admin"} for u in posted
    )
    assert all(3 <= len(u.get("nickname", "abc")) <= 20 for u in posted)  # schema-valid


def test_passive_mode_never_writes_to_the_same_api(tmp_path: Path) -> None:
    app, users = shop_api()
    with apis.serving(app, tmp_path) as api:
        result = run(api, credential=TOKEN)
        methods = api.recorder.methods()
    assert methods <= SAFE
    assert len(users) == 2
    assert not any(f.rule_id.startswith("api.active.") for f in result.findings)


def test_the_client_refuses_a_write_in_a_passive_scan(served: apis.ServedApi) -> None:
    from dgp.net.fetch import Fetcher
    from dgp.scanners.api.client import Client
    from dgp.scanners.session import ScanSession

    job = ScanJob("api", served.url("/"), ApiOptions())
    session = ScanSession(job, ScanInputs(hash_key=KEY).hasher())
    with Fetcher(LOOPBACK, resolver=apis.resolver) as fetcher:
        client = Client(session, fetcher, active=False, requests_per_second=10, auth={})
        from dgp.scanners.api.target import api_url

        with pytest.raises(PassiveViolation):
            client.send("POST", api_url(served.url("/citizens")), content=b"{}")
    assert served.recorder.seen == []


# -- bad input: clear errors, bounded time and memory ---------------------------------------


def doc_api(body: bytes) -> falcon.App:
    app = falcon.App()
    app.add_route("/openapi.json", apis.Document(body))
    return app


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"{not json", "does not parse"),
        (b"openapi: [3.0\n  - broken: {", "does not parse"),
        (b'{"hello": "world"}', "not an OpenAPI 2 or 3 document"),
        (b"\xff\xfe\x00binary", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nests"),
        (b'{"openapi": "3.0.0", "pad": "' + b"x" * (6 * 1024 * 1024) + b'"}', "larger than"),
    ],
    ids=["json", "yaml", "not-openapi", "binary", "deep", "huge"],
)
def test_a_bad_document_is_a_clear_error(body: bytes, why: str) -> None:
    with apis.serving(doc_api(body), tls=False) as api:
        start = time.monotonic()
        with pytest.raises(ScanInputError, match=why):
            run(api, openapi=api.url("/openapi.json"))
        assert time.monotonic() - start < 20


def test_yaml_aliases_cannot_multiply_a_document() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    bomb = ("openapi: 3.0.0\n" + "\n".join(lines) + "\n").encode()
    assert len(bomb) < 2000
    start = time.monotonic()
    with pytest.raises(OpenAPIError, match=f"more than {MAX_NODES} values"):
        parse(bomb, "bomb.yaml")
    assert time.monotonic() - start < 30  # a billion values would take hours
    tracemalloc.start()
    with pytest.raises(OpenAPIError):
        parse(bomb, "bomb.yaml")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200 * 1024 * 1024


def cyclic_document() -> dict[str, Any]:
    doc = generated_document("3.0.3", {"email": "string"}, secured=False)
    doc["components"]["schemas"] = {
        # a recursive schema (valid, walked once per path) ...
        "Node": {
            "type": "object",
            "properties": {
                "email": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            },
        },
        # ... and a pure cycle of references (invalid: it points nowhere)
        "A": {"$ref": "#/components/schemas/B"},
        "B": {"$ref": "#/components/schemas/A"},
    }
    get = doc["paths"]["/item"]["get"]
    get["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/Node"
    }
    doc["paths"]["/loop"] = {
        "get": {
            "responses": {
                "200": {
                    "description": "x",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}},
                }
            }
        }
    }
    doc["paths"]["/remote"] = {"$ref": "http://169.254.169.254/latest/meta-data"}
    return doc


def test_reference_cycles_and_remote_references_are_reported_not_followed() -> None:
    body = json.dumps(cyclic_document()).encode()
    app = item_api(body, "application/json", {"email": "x"})
    with apis.serving(app, tls=False) as api, connections() as dialled:
        start = time.monotonic()
        result = run(api, openapi=api.url("/docs/api.doc"))
        assert time.monotonic() - start < 20
    assert {address for address, _ in dialled} == {"127.0.0.1"}  # never the remote ref
    unresolved = {
        f.evidence.split(":", 1)[0]
        for f in result.findings
        if f.rule_id == "api.openapi.unresolved_reference"
    }
    assert unresolved == {"#/components/schemas/A", "#/components/schemas/B", "http"}
    data = json.loads(result.artefacts[0].data)
    item = next(o for o in data["operations"] if o["path"] == "/item")
    assert {f["field"] for f in item["returns"]} == {"$.email", "$.children[*].email"}
    assert data["openapi"]["valid"] is False


def hostile_api(release: threading.Event) -> falcon.App:
    """Endpoints that hang, answer forever (1 GB), or redirect to private addresses."""
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "hostile", "version": "1"},
        "paths": {
            p: {"get": {"responses": {"200": {"description": "x"}}}}
            for p in ("/hang", "/huge", "/to-private", "/to-metadata", "/fine")
        },
    }
    app = falcon.App()
    app.add_route("/openapi.json", apis.Document(json.dumps(doc).encode()))

    class Hang:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            release.wait(60)
            resp.media = {}

    class Huge:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            chunk = b"a" * (1 << 20)

            def stream() -> Iterator[bytes]:
                for _ in range(1024):  # 1 GB, if anyone read it
                    yield chunk

            resp.content_type = "application/json"
            resp.content_length = 1 << 30
            resp.stream = stream()

    class Redirect:
        def __init__(self, to: str) -> None:
            self.to = to

        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            raise falcon.HTTPFound(self.to)

    class Fine:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            resp.media = {"email": "els@voorbeeld.nl"}

    app.add_route("/hang", Hang())
    app.add_route("/huge", Huge())
    app.add_route("/to-private", Redirect("http://10.1.2.3/admin"))
    app.add_route("/to-metadata", Redirect("http://169.254.169.254/latest/meta-data/"))
    app.add_route("/fine", Fine())
    return app


def test_hostile_endpoints_cost_bounded_time_and_memory() -> None:
    release = threading.Event()
    try:
        with apis.serving(hostile_api(release), tls=False) as api:
            with connections() as dialled:
                tracemalloc.start()
                start = time.monotonic()
                result = run(api, request_seconds=1.0, burst=3)
                took = time.monotonic() - start
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            release.set()
    finally:
        release.set()
    assert result.scan.status == "done"
    assert took < 30
    assert peak < 128 * 1024 * 1024  # 1 GB was offered: at most the 8 MiB limit was read
    notes = {
        (f.location.url or "").removeprefix(api.url("")): f.evidence
        for f in result.findings
        if f.rule_id == "scan.item_not_scanned"
    }
    assert "took longer than 1 s" in notes["/hang"]
    assert "larger than" in notes["/huge"]
    assert "10.1.2.3" in notes["/to-private"] and "refused" in notes["/to-private"]
    assert "169.254.169.254" in notes["/to-metadata"]
    assert {address for address, _ in dialled} == {"127.0.0.1"}
    fine = by_url(result, api)["/fine"]
    assert "pii.email" in fine


def test_a_private_target_is_refused_before_anything_is_sent() -> None:
    job = ScanJob("api", "http://10.0.0.7/api", ApiOptions(allow_private_hosts=False))
    with connections() as dialled, pytest.raises(ScanInputError, match="private address"):
        scanner.scan(job, ScanInputs(hash_key=KEY))
    assert dialled == []


def test_an_upload_without_a_base_url_is_a_clear_error(tmp_path: Path) -> None:
    job = ScanJob("api", "upload:openapi.json", ApiOptions())
    with pytest.raises(ScanInputError, match="base URL"):
        scanner.scan(job, ScanInputs(hash_key=KEY, upload=tmp_path / "x"))


def test_a_local_document_needs_local_sources(tmp_path: Path, served: apis.ServedApi) -> None:
    doc = tmp_path / "openapi.json"
    doc.write_text(json.dumps(apis.openapi_document()))
    with pytest.raises(ScanInputError, match="administrator"):
        run(served, openapi=str(doc), allow_local_sources=False)
    result = run(served, openapi=str(doc))
    assert by_url(result, served)["/citizens"] == PRIVACY_API_FINDINGS["/citizens"]


def test_a_request_limit_stops_the_scan_early(served: apis.ServedApi) -> None:
    result = run(served, limits={"max_items": 4})
    assert result.scan.stats.truncated
    assert "item limit of 4" in result.scan.progress_message
    assert len(served.recorder.seen) == 4


# -- options, field names, the kind -----------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"active": "yes"}, "active must be true or false"),
        ({"requests_per_second": 0}, "requests_per_second must be between"),
        ({"max_operations": 0}, "max_operations must be"),
        ({"openapi": ""}, "openapi must be"),
        ({"teleport": True}, "unknown scan options"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], why: str) -> None:
    with pytest.raises(OptionsError, match=why):
        ApiOptions.from_dict(options)


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("bsn", "national_id"),
        ("burgerServiceNummer", "national_id"),
        ("klant_email", "email"),
        ("e-mailadres", "email"),
        ("geboortedatum", "birth_date"),
        ("date_of_birth", "birth_date"),
        ("telefoon", "phone"),
        ("mobileNumber", "phone"),
        ("iban", "bank_account"),
        ("rekeningnummer", "bank_account"),
        ("achternaam", "person_name"),
        ("postcode", "address"),
        ("paspoortnummer", "id_document"),
        ("diagnose", "health"),
        ("religion", "religion"),
        ("product_name", None),
        ("userId", None),
        ("zip", None),
        ("name", None),
    ],
)
def test_personal_data_field_names_in_dutch_and_english(name: str, category: str | None) -> None:
    found = category_of(name)
    assert (found.name if found else None) == category


def test_the_kind_is_registered_with_its_port_and_rules() -> None:
    spec = kinds.get("api")
    assert spec.port == 5009
    assert spec.options is ApiOptions
    assert spec.limits == Limits(
        max_items=2000,
        max_bytes=256 * 1024 * 1024,
        max_file_bytes=8 * 1024 * 1024,
        timeout_seconds=900.0,
    )
    assert all(r.startswith(("api.", "scan.")) for r in spec.rules)
    assert ApiOptions.ORGANISATION_GATED == {"active": "allow_active_scans"}
    with pytest.raises(ValueError, match="credentials"):
        spec.check_target("https://user:pw@api.voorbeeld.nl/")


def test_dgp_scan_api_with_an_openapi_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from dgp.cli import main

    doc = tmp_path / "openapi.yaml"
    doc.write_text(yaml.safe_dump(apis.openapi_document()))
    with apis.serving(apis.privacy_api(), tls=False) as api:
        url = f"http://127.0.0.1:{api.port}/"
        code = main(
            [
                "scan",
                "api",
                url,
                "--openapi",
                str(doc),
                "--format",
                "json",
                "--fail-on",
                "high",
                "--artefacts",
                str(tmp_path / "out"),
            ]
        )
        methods = api.recorder.methods()
    out, err = capsys.readouterr()
    assert code == 1, err  # a BSN without authentication is high
    rules = {f["rule_id"] for f in json.loads(out)["findings"]}
    assert {"pii.bsn", "api.auth.unauthenticated_personal_data", "api.tls.no_https"} <= rules
    assert (tmp_path / "out" / datamap.ARTEFACT_NAME).is_file()
    assert methods <= SAFE
    assert main(["scan", "code", str(tmp_path), "--openapi", str(doc)]) == 2
    assert "--openapi does not apply" in capsys.readouterr().err
