"""Active mode: only when the scan's options say `active: true` (and, through the
services, the organisation's admin allows it), only on the host the user named, only
on documented operations, and within `probes` requests.

- Writes: each documented POST, PUT, PATCH (then DELETE) with a body generated from
  its schema and checked against that schema (openapi-schema-validator) before it is
  sent; an operation whose schema yields no valid body is skipped, not guessed at.
- Mass assignment: the same body with undocumented fields (role, is_admin); reported
  when the answer shows them accepted.
- Injection markers: SQL and NoSQL markers in query and path parameters of GET
  operations; reported when the answer carries a database error the plain request
  did not.
- Object-level access (IDOR): a GET with a numeric id in its path, with the credential,
  repeated with the neighbouring id; reported when another record with personal data
  comes back.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import TYPE_CHECKING, Any

from dgp.domain.finding import Location
from dgp.scanners.api import checks, rules
from dgp.scanners.api.body import read_body
from dgp.scanners.api.document import Document, RefProblem
from dgp.scanners.api.operations import Operation

if TYPE_CHECKING:
    from dgp.scanners.api.scanner import ApiScan

WRITE_ORDER = ("POST", "PUT", "PATCH", "DELETE")
SQL_MARKERS = ("'\"", "1' OR '1'='1")
NOSQL_SUFFIX = "[$ne]"  # name[$ne]=x: an object where a value was expected (Express, PHP)
MASS_FIELDS = {"is_admin": True, "role": "admin", "admin": True}
MAX_GENERATED_DEPTH = 6


class Budget:
    def __init__(self, requests: int) -> None:
        self.left = requests

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def run(scan: ApiScan) -> None:
    budget = Budget(scan.options.probes)
    documented = [op for op in scan.operations if op.documented]
    for method in WRITE_ORDER:
        for op in documented:
            if op.method == method:
                _write(scan, op, budget)
    for op in documented:
        if op.method == "GET":
            _injection(scan, op, budget)
            _neighbour(scan, op, budget)


def _write(scan: ApiScan, op: Operation, budget: Budget) -> None:
    url = scan.url_of(op)
    if url is None or scan.document is None:
        return
    body: Any = None
    if op.body_schema is not None:
        body = generate(scan.document, op.body_schema)
        if body is None or not valid(scan.document, op.body_schema, body):
            scan.observed.setdefault(
                op.key, _observed()
            ).note = "active: no schema-valid body could be generated; not sent"
            return
    if not budget.take():
        return
    content = None if body is None else json.dumps(body).encode()
    answer = scan.client.send(op.method, url, authenticated=True, content=content)
    seen = scan.observed.setdefault(op.key, _observed())
    seen.url, seen.status_with_credential = url.display, answer.status or None
    scan._verbose(url.display, answer)
    if isinstance(body, dict) and op.method in ("POST", "PUT", "PATCH") and budget.take():
        extended = {**body, **{k: v for k, v in MASS_FIELDS.items() if k not in body}}
        probe = scan.client.send(
            op.method, url, authenticated=True, content=json.dumps(extended).encode()
        )
        accepted = _echoed(probe.body) if probe.ok else []
        if accepted:
            scan.session.add(
                rules.MASS_ASSIGNMENT,
                Location(url=url.display),
                value=f"mass:{op.key}",
                evidence=f"{op.method} accepted and returned: {', '.join(accepted)}",
            )


def _echoed(body: bytes) -> list[str]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return []
    if not isinstance(data, dict):
        return []
    return sorted(k for k, v in MASS_FIELDS.items() if data.get(k) == v)


def _injection(scan: ApiScan, op: Operation, budget: Budget) -> None:
    url = scan.url_of(op)
    if url is None:
        return
    targets = [p for p in op.parameters if p.where in ("query", "path")]
    if not targets or not budget.take():
        return
    baseline = scan.client.send("GET", url, authenticated=True)
    if checks.database_error(baseline.body):
        return  # errors already: a marker would prove nothing
    for param in targets:
        for marker in SQL_MARKERS:
            if not budget.take():
                return
            answer = scan.client.send(
                "GET", _with(scan, op, param.name, param.where, marker), authenticated=True
            )
            if _report_injection(scan, op, url.display, param.name, marker, answer.body):
                return
        if param.where == "query" and budget.take():
            query = urllib.parse.urlencode({**op.query(), f"{param.name}{NOSQL_SUFFIX}": "1"})
            answer = scan.client.send("GET", url.with_path(url.path, query), authenticated=True)
            if _report_injection(scan, op, url.display, param.name, NOSQL_SUFFIX, answer.body):
                return


def _with(scan: ApiScan, op: Operation, name: str, where: str, value: str) -> Any:
    url = scan.url_of(op)
    assert url is not None
    if where == "query":
        query = dict(op.query())
        query[name] = value
        return url.with_path(url.path, urllib.parse.urlencode(query))
    template = op.path
    for p in op.parameters:
        if p.where == "path":
            replacement = value if p.name == name else str(p.example)
            template = template.replace(
                "{" + p.name + "}", urllib.parse.quote(replacement, safe="")
            )
    probe = scan.url_of(op, template)
    assert probe is not None
    return probe


def _report_injection(
    scan: ApiScan, op: Operation, where: str, name: str, marker: str, body: bytes
) -> bool:
    error = checks.database_error(body)
    if error is None:
        return False
    scan.session.add(
        rules.INJECTION,
        Location(url=where),
        value=f"injection:{op.key}:{name}",
        evidence=f"parameter {name} with {marker!r}: {error}",
    )
    return True


def _neighbour(scan: ApiScan, op: Operation, budget: Budget) -> None:
    if not scan.client.has_credential:
        return
    ids = [
        p
        for p in op.parameters
        if p.where == "path" and isinstance(p.example, int) and not isinstance(p.example, bool)
    ]
    url = scan.url_of(op)
    if not ids or url is None or not budget.take():
        return
    original = scan.client.send("GET", url, authenticated=True)
    if not original.ok:
        return
    param = ids[0]
    template = op.path
    for p in op.parameters:
        if p.where == "path":
            value = param.example + 1 if p is param else p.example
            template = template.replace("{" + p.name + "}", str(value))
    other = scan.url_of(op, template)
    if other is None or not budget.take():
        return
    answer = scan.client.send("GET", other, authenticated=True)
    if not answer.ok or answer.body == original.body:
        return
    report = read_body(
        scan.session, answer.body, answer.content_type, other.display, report_fields=False
    )
    if report.personal:
        scan.session.add(
            rules.IDOR,
            Location(url=url.display),
            value=f"idor:{op.key}",
            confidence=0.6,  # the credential may be allowed to read both: a lead to check
            evidence=f"{param.name}={param.example} and {param.example + 1} both return "
            "personal data to the same credential",
        )


def _observed() -> Any:
    from dgp.scanners.api.datamap import Observed

    return Observed()


# -- bodies from schemas ----------------------------------------------------------------


def generate(document: Document, schema: Any, depth: int = 0) -> Any:
    """A value for `schema` from its examples, defaults, enums and types; None if the
    schema cannot be read."""
    try:
        schema = document.resolve(schema)
    except RefProblem:
        return None
    if not isinstance(schema, dict) or depth > MAX_GENERATED_DEPTH:
        return None
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for combined in ("allOf", "oneOf", "anyOf"):
        parts = schema.get(combined)
        if isinstance(parts, list) and parts:
            if combined == "allOf":
                merged: dict[str, Any] = {}
                for part in parts:
                    value = generate(document, part, depth + 1)
                    if isinstance(value, dict):
                        merged.update(value)
                return merged
            return generate(document, parts[0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        result = {}
        for name, sub in props.items():
            sub_resolved = _safe(document, sub)
            if isinstance(sub_resolved, dict) and sub_resolved.get("readOnly"):
                continue
            value = generate(document, sub, depth + 1)
            if value is not None:
                result[name] = value
        return result
    if kind == "array":
        item = generate(document, schema.get("items", {}), depth + 1)
        count = max(1, int(schema.get("minItems", 1) or 1))
        return [item] * min(count, 3) if item is not None else []
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        return _string(schema)
    return None


def _safe(document: Document, node: Any) -> Any:
    try:
        return document.resolve(node)
    except RefProblem:
        return None


def _string(schema: dict[str, Any]) -> str:
    fmt = str(schema.get("format", ""))
    value = {
        "email": "dgp-probe@example.org",
        "date": "2000-01-01",
        "date-time": "2000-01-01T00:00:00Z",
        "uuid": "00000000-0000-4000-8000-000000000000",
        "uri": "https://example.org/",
    }.get(fmt, "dgp-probe")
    low = int(schema.get("minLength", 0) or 0)
    if len(value) < low:
        value = value + "x" * (low - len(value))
    high = schema.get("maxLength")
    if isinstance(high, int) and len(value) > high:
        value = value[:high]
    return value


def valid(document: Document, schema: Any, value: Any) -> bool:
    """Whether `value` validates against the schema (openapi-schema-validator, references
    resolved within the document)."""
    import referencing
    import referencing.jsonschema
    from openapi_schema_validator import OAS30Validator, OAS31Validator

    validator_type = OAS31Validator if document.version.startswith("3.1") else OAS30Validator
    resource = referencing.jsonschema.DRAFT202012.create_resource(document.data)
    registry: referencing.Registry[Any] = referencing.Registry().with_resource("", resource)
    try:
        validator = validator_type(schema, registry=registry)
        return next(iter(validator.iter_errors(value)), None) is None
    except RecursionError:
        return False
    except Exception:  # a schema the validator cannot read: no valid body
        return False
