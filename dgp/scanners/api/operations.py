"""The operations of an API, read from its OpenAPI document (2 or 3): method, path,
parameters, security, and the personal-data fields each takes and returns.

Every read of the document goes through `Document.resolve`, and every schema walk
keeps the references on its current path, so a recursive schema is walked once per
path and a broken one never loops. What cannot be read is skipped, not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dgp.engine.fieldnames import Category, category_of, category_of_format
from dgp.scanners.api.document import Document, RefProblem

METHODS = ("get", "head", "options", "post", "put", "patch", "delete", "trace")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_SCHEMA_DEPTH = 12  # levels of nested properties read for the data map
MAX_FIELDS = 400  # fields per schema
PATH_PARAM = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True)
class Field:
    path: str  # "$.customer.email", "$[*].bsn"
    name: str
    category: Category | None
    example: str | None = None  # a documented example value, as text

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.path, "category": self.category.name if self.category else None}


@dataclass
class Parameter:
    name: str
    where: str  # path, query, header, cookie
    required: bool
    schema: dict[str, Any]
    example: Any = None  # None: no example, default or enum value documented

    @property
    def category(self) -> Category | None:
        return category_of(self.name) or category_of_format(str(self.schema.get("format", "")))


@dataclass
class Operation:
    method: str  # upper case
    path: str  # the template, "/users/{id}"
    operation_id: str = ""
    documented: bool = True  # False: found by trying a common path
    secured: bool | None = None  # None: the document does not say (or no document)
    parameters: list[Parameter] = field(default_factory=list)
    body_schema: dict[str, Any] | None = None  # application/json request body
    body_fields: list[Field] = field(default_factory=list)
    response_fields: list[Field] = field(default_factory=list)  # of its 2xx JSON answers
    response_properties: set[str] = field(default_factory=set)  # every declared name
    examples: list[tuple[str, str]] = field(default_factory=list)  # (where, text)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def safe(self) -> bool:
        return self.method in SAFE_METHODS

    def personal(self) -> list[Field]:
        taken = [Field(f"{p.where}:{p.name}", p.name, p.category) for p in self.parameters]
        return [f for f in (*taken, *self.body_fields, *self.response_fields) if f.category]

    def fill_path(self) -> str | None:
        """The path with its parameters filled from examples; None if one has none."""
        values = {p.name: p.example for p in self.parameters if p.where == "path"}
        missing = False

        def fill(match: re.Match[str]) -> str:
            nonlocal missing
            value = values.get(match.group(1))
            if value is None or isinstance(value, dict | list):
                missing = True
                return match.group(0)
            return _quote(str(value).lower() if isinstance(value, bool) else str(value))

        filled = PATH_PARAM.sub(fill, self.path)
        return None if missing else filled

    def query(self) -> dict[str, str]:
        """Required query parameters that have an example; the others are left out."""
        return {
            p.name: str(p.example)
            for p in self.parameters
            if p.where == "query"
            and p.required
            and p.example is not None
            and not isinstance(p.example, dict | list)
        }


def _quote(value: str) -> str:
    import urllib.parse

    return urllib.parse.quote(value, safe="-._~")


def operations(document: Document, max_operations: int) -> list[Operation]:
    """The document's operations, in document order, at most `max_operations`."""
    data = document.data
    top_security = data.get("security")
    found: list[Operation] = []
    paths = data.get("paths") or {}
    for path, item in paths.items():
        if not isinstance(path, str) or not path.startswith("/"):
            continue
        item = _resolved(document, item)
        if not isinstance(item, dict):
            continue
        shared = _parameters(document, item.get("parameters"))
        for method in METHODS:
            op = _resolved(document, item.get(method))
            if not isinstance(op, dict):
                continue
            security = op.get("security", top_security)
            own = _parameters(document, op.get("parameters"))
            names = {(p.name, p.where) for p in own}
            parameters = own + [p for p in shared if (p.name, p.where) not in names]
            operation = Operation(
                method.upper(),
                path,
                str(op.get("operationId") or ""),
                secured=_secured(security),
                parameters=parameters,
            )
            _body(document, op, operation, parameters)
            _responses(document, op, operation)
            found.append(operation)
            if len(found) >= max_operations:
                return found
    return found


def _secured(security: Any) -> bool | None:
    if security is None:
        return False
    if not isinstance(security, list):
        return None
    # [] or [{}] (an empty requirement) means "no authentication needed"
    return bool(security) and all(isinstance(s, dict) and s for s in security)


def _resolved(document: Document, node: Any) -> Any:
    try:
        return document.resolve(node)
    except RefProblem:
        return None


def _parameters(document: Document, listed: Any) -> list[Parameter]:
    if not isinstance(listed, list):
        return []
    result = []
    for raw in listed:
        param = _resolved(document, raw)
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            continue
        where = str(param.get("in", ""))
        if where == "body":  # Swagger 2: the body is a parameter
            continue
        schema = _resolved(document, param.get("schema")) if "schema" in param else param
        schema = schema if isinstance(schema, dict) else {}
        result.append(
            Parameter(
                param["name"],
                where,
                bool(param.get("required", where == "path")),
                schema,
                _example(document, param, schema),
            )
        )
    return result


def _example(document: Document, param: dict[str, Any], schema: dict[str, Any]) -> Any:
    if "example" in param:
        return param["example"]
    examples = param.get("examples")
    if isinstance(examples, dict):
        for value in examples.values():
            value = _resolved(document, value)
            if isinstance(value, dict) and "value" in value:
                return value["value"]
    for key in ("example", "default", "x-example"):
        if key in schema:
            return schema[key]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    return None


def _json_media(document: Document, content: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(content, dict):
        return
    for media_type, media in content.items():
        if "json" in str(media_type).lower():
            media = _resolved(document, media)
            if isinstance(media, dict):
                yield media


def _body(
    document: Document, op: dict[str, Any], operation: Operation, params: list[Parameter]
) -> None:
    schema = None
    if document.swagger:
        for raw in op.get("parameters") or []:
            param = _resolved(document, raw)
            if isinstance(param, dict) and param.get("in") == "body":
                schema = _resolved(document, param.get("schema"))
    else:
        body = _resolved(document, op.get("requestBody"))
        if isinstance(body, dict):
            for media in _json_media(document, body.get("content")):
                schema = _resolved(document, media.get("schema"))
                _media_examples(document, media, operation, "request body")
                break
    if isinstance(schema, dict):
        operation.body_schema = schema
        operation.body_fields = list(schema_fields(document, schema)[0])
    for param in params:
        if param.example is not None and not isinstance(param.example, dict | list):
            operation.examples.append((f"{param.where} parameter {param.name}", str(param.example)))


def _responses(document: Document, op: dict[str, Any], operation: Operation) -> None:
    responses = _resolved(document, op.get("responses"))
    if not isinstance(responses, dict):
        return
    fields: dict[str, Field] = {}
    for status, response in responses.items():
        if not str(status).startswith("2"):
            continue
        response = _resolved(document, response)
        if not isinstance(response, dict):
            continue
        schemas: list[Any] = []
        if document.swagger:
            schemas.append(_resolved(document, response.get("schema")))
            examples = response.get("examples")
            if isinstance(examples, dict):
                for value in examples.values():
                    operation.examples.append((f"response {status} example", _text(value)))
        for media in _json_media(document, response.get("content")):
            schemas.append(_resolved(document, media.get("schema")))
            _media_examples(document, media, operation, f"response {status} example")
        for schema in schemas:
            if isinstance(schema, dict):
                found, names = schema_fields(document, schema)
                operation.response_properties |= names
                for f in found:
                    fields.setdefault(f.path, f)
    operation.response_fields = list(fields.values())


def _media_examples(
    document: Document, media: dict[str, Any], operation: Operation, where: str
) -> None:
    if "example" in media:
        operation.examples.append((where, _text(media["example"])))
    examples = media.get("examples")
    if isinstance(examples, dict):
        for name, value in examples.items():
            value = _resolved(document, value)
            if isinstance(value, dict) and "value" in value:
                operation.examples.append((f"{where} {name}", _text(value["value"])))


def _text(value: Any) -> str:
    import json

    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)[:100_000]
    except (TypeError, ValueError):
        return ""


def schema_fields(document: Document, schema: dict[str, Any]) -> tuple[list[Field], set[str]]:
    """The fields of a schema with a personal-data category (by name, or by format), and
    every property name it declares; references followed, cycles walked once per path."""
    found: list[Field] = []
    names: set[str] = set()
    todo: list[tuple[Any, str, str, int, frozenset[str]]] = [(schema, "$", "", 0, frozenset())]
    while todo and len(names) < MAX_FIELDS * 4:
        node, path, name, depth, refs = todo.pop()
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in refs:  # a recursive schema: this path has been here
                continue
            refs = refs | {ref}
            node = _resolved(document, node)
        if not isinstance(node, dict) or depth > MAX_SCHEMA_DEPTH:
            continue
        if name:
            names.add(name)
            category = category_of(name) or category_of_format(str(node.get("format", "")))
            if category is not None and len(found) < MAX_FIELDS and node.get("type") != "boolean":
                example = node.get("example")
                found.append(Field(path, name, category, None if example is None else str(example)))
        for combined in ("allOf", "anyOf", "oneOf"):
            parts = node.get(combined)
            if isinstance(parts, list):
                todo.extend((p, path, "", depth, refs) for p in parts)
        props = node.get("properties")
        if isinstance(props, dict):
            todo.extend(
                (sub, f"{path}.{key}", str(key), depth + 1, refs)
                for key, sub in reversed(list(props.items()))
            )
        items = node.get("items")
        if isinstance(items, dict):
            todo.append((items, f"{path}[*]", "", depth + 1, refs))
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            todo.append((extra, f"{path}.*", "", depth + 1, refs))
    return found, names
