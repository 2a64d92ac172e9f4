"""The OpenAPI 3.1 document, built from the routes and the resources' own declarations.

Each resource states, next to its responders, what each method does (`api`:
method -> Op) and which scope it needs (`scopes`/`public`, see auth). The
document is generated from those, so a route cannot be served without being
described (create_app checks that every responder has an Op), and the security
and the common error answers (400, 401, 403, 404, 503) are derived, not retyped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dgp import kinds
from dgp.apps.web.auth import SIGNED_IN, required_scope
from dgp.apps.web.converters import plain_template
from dgp.domain import inputs
from dgp.domain.credential import CredentialKind
from dgp.plumbing.store import SCOPES
from dgp.plumbing.store.rows import NAME_PATTERN

_PATH_PARAM = re.compile(r"\{(\w+)\}")
_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted: the scan is queued",
    204: "No content",
    400: "Malformed input",
    401: "No or invalid credentials",
    403: "The role or the token's scopes do not allow this",
    404: "No such object in your organisation",
    409: "Conflicts with the current state",
    411: "An upload needs a Content-Length",
    413: "The body is larger than the limit",
    415: "Unsupported content type",
    429: "Too many failed attempts; see Retry-After",
    503: "A service is unavailable; see Retry-After",
}


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    array: bool = False  # may be repeated (?severity=high&severity=critical)


@dataclass(frozen=True)
class Op:
    """One operation: what it does, what it takes, what it answers."""

    summary: str
    status: int = 200  # the success status
    returns: str | None = None  # a schema name in SCHEMAS for the success body
    body: str | None = None  # a schema name for the JSON request body
    example: dict[str, Any] | None = None  # a request body that works
    multipart: str | None = None  # a schema name for a multipart/form-data alternative
    download: bool = False  # the success body is a file, with its own media type
    query: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()  # beyond the derived ones
    description: str = ""
    tags: tuple[str, ...] = ()


MAX_PAGE = 1000
MAX_OFFSET = 10**9  # far past any listing, far below Postgres' bigint
LIMIT = Param("limit", "page size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE})
OFFSET = Param("offset", "items to skip", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET})

_ID = {"type": "string", "format": "uuid"}
# the fields of a JSON scan request that carry each input (an upload goes as multipart)
_INPUT_FIELDS = {
    kinds.Input.TARGET: "target",
    kinds.Input.QUESTIONNAIRE: "questionnaire",
    kinds.Input.SCANS: "scan_ids",
}
_GIVEN: dict[str, dict[str, Any]] = {  # a field that counts as given (a blank target does not)
    "target": {"required": ["target"], "properties": {"target": {"pattern": "\\S"}}},
    "questionnaire": {"required": ["questionnaire"]},
    "scan_ids": {"required": ["scan_ids"]},
}


def _inputs_of_each_kind() -> list[dict[str, Any]]:
    """Per kind, as the server checks a JSON scan request (resources.scans.Given): the
    inputs the kind does not take are refused, and one it takes must be given."""
    rules = []
    for spec in kinds.specs():
        takes = [field for what, field in _INPUT_FIELDS.items() if spec.takes(what)]
        refused = [{"not": _GIVEN[field]} for field in _INPUT_FIELDS.values() if field not in takes]
        needed = [{"anyOf": [_GIVEN[field] for field in takes]}] if takes else []
        rules.append(
            {
                "if": {"required": ["kind"], "properties": {"kind": {"const": spec.name}}},
                "then": {"allOf": [*refused, *needed]},
            }
        )
    return rules


# path parameters that are not ids
_PATH_SCHEMAS: dict[str, dict[str, Any]] = {
    "name": {"type": "string", "description": "a file name, as listed"},
}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_ANY_OBJECT = {"type": "object", "additionalProperties": True}


def _page(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "total", "limit", "offset"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    }


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _request(required: list[str], **properties: Any) -> dict[str, Any]:
    """A request body: exactly these fields (the server refuses others, and nulls)."""
    return {**_object(required, **properties), "additionalProperties": False}


# text the store keeps as given: no NUL (Postgres text cannot hold it)
_NO_NUL = "^[^\\x00]*$"
# a name: something besides blanks and control characters (as the store checks it)
_NAMED = NAME_PATTERN


SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _object(
        ["error"],
        error=_object(["code", "message"], code={"type": "string"}, message={"type": "string"}),
    ),
    "Scan": _object(
        ["id", "kind", "target", "status", "progress"],
        id=_ID,
        organisation=_ID,
        created_by={"type": "string"},
        kind={"type": "string", "enum": kinds.names()},
        target={"type": "string"},
        options=_ANY_OBJECT,
        status={
            "type": "string",
            "enum": ["queued", "running", "done", "failed", "degraded", "cancelled"],
        },
        progress=_object(
            ["percent", "message"],
            percent={"type": "integer", "minimum": 0, "maximum": 100},
            message={"type": "string"},
        ),
        created_at=_TIME,
        started_at=_TIME,
        finished_at=_TIME,
        stats=_ANY_OBJECT,
        score={"type": ["number", "null"]},
        error={"type": ["string", "null"]},
        scan_ids={"type": "array", "items": _ID, "description": "the earlier scans it was given"},
    ),
    "ScanPage": _page("Scan"),
    "ScanRequest": {
        **_object(
            ["kind"],
            kind={"type": "string", "enum": kinds.names()},
            target={
                "type": "string",
                "maxLength": 2048,
                "description": "for kinds that take a target (`dgp kinds --json`: inputs): a git "
                "URL (code), or a path (admins only). Kinds without one store what they were "
                'given instead, e.g. "questionnaire" or "report of 3 scans".',
            },
            questionnaire={
                **_ANY_OBJECT,
                "description": "for kinds that take a questionnaire (DPIA): the answers, at most "
                f"{inputs.MAX_QUESTIONNAIRE_BYTES // 1024} KiB as JSON and "
                f"{inputs.MAX_QUESTIONNAIRE_DEPTH} levels deep",
            },
            scan_ids={
                "type": "array",
                "items": _ID,
                "minItems": 1,
                "maxItems": inputs.MAX_SCAN_IDS,
                "description": "for kinds that take earlier scans (report): your organisation's "
                "scan ids; an unknown one is not found (404)",
            },
            options={**_ANY_OBJECT, "description": "dgp.domain.options.ScanOptions fields"},
            credential={**_ID, "description": "a stored credential the scan may use"},
        ),
        "allOf": _inputs_of_each_kind(),
    },
    "ScanUpload": _request(  # the form's fields: the server refuses any other
        ["file"],
        kind={
            "type": "string",
            "enum": [s.name for s in kinds.specs() if s.takes(kinds.Input.UPLOAD)],
            "default": "code",
        },
        target={"type": "string"},
        # an object part is sent as application/json (OpenAPI's default for objects)
        options={**_ANY_OBJECT, "description": "dgp.domain.options.ScanOptions fields"},
        file={"type": "string", "contentMediaType": "application/octet-stream"},
    ),
    "Finding": _object(
        ["id", "scan_id", "rule_id", "severity", "status", "fingerprint"],
        id=_ID,
        scan_id=_ID,
        scanner={"type": "string"},
        rule_id={"type": "string"},
        category={"type": "string"},
        severity={"type": "string", "enum": ["critical", "high", "medium", "low", "info"]},
        confidence={"type": "number"},
        title={"type": "string"},
        description={"type": "string"},
        location=_ANY_OBJECT,
        evidence={"type": "string", "description": "masked, never the full value"},
        value_hash={"type": ["string", "null"]},
        legal_refs={"type": "array", "items": _ANY_OBJECT},
        remediation={"type": "string"},
        status={"$ref": "#/components/schemas/FindingStatus"},
        fingerprint={"type": "string"},
    ),
    "FindingStatus": {
        "type": "string",
        "enum": ["open", "accepted_risk", "false_positive", "fixed"],
    },
    "FindingPage": _page("Finding"),
    "Triage": _object(["status"], status={"$ref": "#/components/schemas/FindingStatus"}),
    "Upload": _object(
        ["id", "filename", "size"],
        id=_ID,
        filename={"type": "string"},
        size={"type": "integer"},
        sha256={"type": "string"},
        created_at=_TIME,
    ),
    "Artefact": _object(
        ["name", "media_type", "size", "sha256", "created_at"],
        name={"type": "string"},
        media_type={"type": "string"},
        size={"type": "integer"},
        sha256={"type": "string"},
        created_at=_TIME,
    ),
    "ArtefactList": _object(
        ["items"], items={"type": "array", "items": {"$ref": "#/components/schemas/Artefact"}}
    ),
    "Role": {"type": "string", "enum": ["admin", "analyst", "viewer", "auditor"]},
    "User": _object(
        ["id", "email", "role", "disabled"],
        id=_ID,
        organisation=_ID,
        email={"type": "string", "format": "email"},
        role={"$ref": "#/components/schemas/Role"},
        disabled={"type": "boolean"},
        created_at=_TIME,
    ),
    "UserList": _object(
        ["items"], items={"type": "array", "items": {"$ref": "#/components/schemas/User"}}
    ),
    "NewUser": _object(
        ["email", "password", "role"],
        email={"type": "string", "format": "email"},
        password={"type": "string", "minLength": 12, "writeOnly": True},
        role={"$ref": "#/components/schemas/Role"},
    ),
    "UserChange": {
        **_request([], role={"$ref": "#/components/schemas/Role"}, disabled={"type": "boolean"}),
        "minProperties": 1,
    },
    "Login": _object(
        ["email", "password"],
        email={"type": "string", "format": "email"},
        password={"type": "string", "writeOnly": True},
        organisation={
            "type": "string",
            "description": "the organisation's name; needed only when the address signs "
            "in to several with this password",
        },
    ),
    "Session": _object(
        ["user"],
        user={"$ref": "#/components/schemas/User"},
        scopes={"type": "array", "items": {"type": "string"}},
    ),
    "NewToken": _request(
        ["name"],
        name={"type": "string", "pattern": _NAMED},
        scopes={"type": "array", "items": {"type": "string", "enum": list(SCOPES)}},
    ),
    "Token": _object(
        ["id", "name", "scopes", "token"],
        id=_ID,
        name={"type": "string"},
        scopes={"type": "array", "items": {"type": "string"}},
        token={"type": "string", "description": "shown once; only a hash is stored"},
    ),
    "TokenInfo": _object(
        ["id", "user", "name", "scopes", "created_at"],
        id=_ID,
        user=_ID,
        name={"type": "string"},
        scopes={"type": "array", "items": {"type": "string"}},
        created_at=_TIME,
        last_used_at=_TIME,
        revoked_at=_TIME,
    ),
    "TokenList": _object(
        ["items"], items={"type": "array", "items": {"$ref": "#/components/schemas/TokenInfo"}}
    ),
    "CredentialKind": {"type": "string", "enum": [k.value for k in CredentialKind]},
    "NewCredential": _request(
        ["name", "kind", "secret"],
        name={"type": "string", "minLength": 1, "maxLength": 200},
        kind={"$ref": "#/components/schemas/CredentialKind"},
        secret={
            "type": "string",
            "minLength": 1,
            "pattern": _NO_NUL,
            "writeOnly": True,
            "description": "encrypted at rest, never shown again; basic_auth: user:password",
        },
    ),
    "Credential": _object(
        ["id", "name", "kind", "created_at"],
        id=_ID,
        organisation=_ID,
        name={"type": "string"},
        kind={"$ref": "#/components/schemas/CredentialKind"},
        created_by={"type": ["string", "null"]},
        created_at=_TIME,
        last_used_at=_TIME,
    ),
    "CredentialList": _object(
        ["items"], items={"type": "array", "items": {"$ref": "#/components/schemas/Credential"}}
    ),
    "NewPassword": _request(
        ["password"],
        password={"type": "string", "minLength": 12, "writeOnly": True},
        current_password={
            "type": "string",
            "writeOnly": True,
            "description": "required when you change your own password",
        },
    ),
    "Organisation": _object(
        ["id", "name"],
        id=_ID,
        name={"type": "string"},
        created_at=_TIME,
        users={"type": "integer"},
        scans={"type": "integer"},
        settings=_object([], allow_active_scans={"type": "boolean"}),
    ),
    "OrganisationChange": {
        **_request(
            [],
            name={"type": "string", "pattern": _NAMED},
            settings=_request([], allow_active_scans={"type": "boolean"}),
        ),
        "minProperties": 1,  # an empty change is refused
    },
    "AuditPage": _page("AuditEntry"),
    "AuditEntry": _object(
        ["id", "action", "at"],
        id={"type": "integer"},
        user_id={"type": ["string", "null"]},
        action={"type": "string"},
        object_type={"type": ["string", "null"]},
        object_id={"type": ["string", "null"]},
        details=_ANY_OBJECT,
        at=_TIME,
    ),
    "Health": _object(  # components and scanners for administrators and loopback only
        ["status"],
        status={"type": "string", "enum": ["up", "degraded", "down"]},
        components=_ANY_OBJECT,
        scanners=_ANY_OBJECT,
    ),
}


def document(routes: list[tuple[str, object]], version: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for template, resource in routes:
        path = plain_template(template)
        operations = {}
        for method, op in getattr(resource, "api", {}).items():
            operations[method.lower()] = _operation(path, method, op, resource)
        params = [
            {"name": name, "in": "path", "required": True, "schema": _PATH_SCHEMAS.get(name, _ID)}
            for name in _PATH_PARAM.findall(path)
        ]
        paths[path] = {**({"parameters": params} if params else {}), **operations}
    _link_creates_to_gets(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "DataGuardian Pro API",
            "version": version,
            "description": "Privacy-compliance scans, findings and triage. Every object "
            "belongs to one organisation; another organisation's ids answer 404.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (dgp_...) from POST /api/v1/tokens or "
                    "`dgp token create`; its scopes narrow the user's role.",
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "dgp_session",
                    "description": "Set by POST /api/v1/session (Secure, HttpOnly, "
                    "SameSite=Strict).",
                },
            },
            "schemas": SCHEMAS,
            "responses": {
                str(code): _error_response(code, text)
                for code, text in _STATUS_TEXT.items()
                if code >= 400
            },
        },
    }


def documented(resource: object, method: str) -> bool:
    return method in getattr(resource, "api", {})


def _operation(path: str, method: str, op: Op, resource: object) -> dict[str, Any]:
    scope = required_scope(resource, method)
    errors = set(op.errors) | {503}
    if op.body or op.query or op.multipart:
        errors.add(400)
    if scope is not None:
        errors.add(401)
        if scope != SIGNED_IN:
            errors.add(403)
    if "{" in path:
        errors.add(404)
    success: dict[str, Any] = {"description": _STATUS_TEXT.get(op.status, "OK")}
    if op.returns:
        schema = {"$ref": f"#/components/schemas/{op.returns}"}
        success["content"] = {"application/json": {"schema": schema}}
    if op.download:
        success["content"] = {"application/octet-stream": {"schema": {}}}
        success["description"] = "The file, in its own media type (Content-Type)"
        success["headers"] = {
            "Content-Disposition": {
                "description": "attachment, with the file's name",
                "schema": {"type": "string"},
            }
        }
    operation: dict[str, Any] = {
        "summary": op.summary,
        "operationId": f"{method.lower()}_{_slug(path)}",
        "responses": {
            str(op.status): success,
            **{str(code): {"$ref": f"#/components/responses/{code}"} for code in sorted(errors)},
        },
    }
    if op.description or scope not in (None, SIGNED_IN):
        needs = f"Needs the `{scope}` permission. " if scope not in (None, SIGNED_IN) else ""
        operation["description"] = (needs + op.description).strip()
    if op.tags:
        operation["tags"] = list(op.tags)
    if scope is None:
        operation["security"] = []
    if op.query:
        operation["parameters"] = [_query(p) for p in op.query]
    content: dict[str, Any] = {}
    if op.body:
        media: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{op.body}"}}
        if op.example is not None:
            media["example"] = op.example
        content["application/json"] = media
    if op.multipart:
        content["multipart/form-data"] = {
            "schema": {"$ref": f"#/components/schemas/{op.multipart}"},
            "encoding": {  # the form's object fields are JSON text
                name: {"contentType": "application/json"}
                for name, field in SCHEMAS[op.multipart]["properties"].items()
                if field.get("type") == "object"
            },
        }
    if content:
        operation["requestBody"] = {"required": True, "content": content}
    return operation


def _link_creates_to_gets(paths: dict[str, Any]) -> None:
    """What a create (POST /things) answers names the object its get (GET
    /things/{thing_id}) finds: an OpenAPI link, which generic clients follow."""
    for path, item in paths.items():
        create = item.get("post")
        if create is None:
            continue
        for child, child_item in paths.items():
            named = re.fullmatch(re.escape(path) + r"/\{(\w+)\}", child)
            if named is None or "get" not in child_item:
                continue
            get = child_item["get"]
            for status, answer in create["responses"].items():
                if status.startswith("2") and "content" in answer:
                    answer.setdefault("links", {})[get["operationId"]] = {
                        "operationId": get["operationId"],
                        "parameters": {named[1]: "$response.body#/id"},
                    }


def _query(param: Param) -> dict[str, Any]:
    schema = param.schema
    if param.array:  # an empty one cannot be told from none in a query string
        schema = {"type": "array", "items": param.schema, "minItems": 1}
    return {
        "name": param.name,
        "in": "query",
        "required": False,
        "description": param.description,
        "schema": schema,
        **({"style": "form", "explode": True} if param.array else {}),
    }


def _error_response(code: int, text: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if code == 503:
        seconds = {"type": "integer", "minimum": 1}
        response["headers"] = {"Retry-After": {"description": "seconds", "schema": seconds}}
    return response


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")
