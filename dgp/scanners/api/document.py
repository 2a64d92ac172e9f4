"""The OpenAPI document: read within limits, parsed safely, references resolved without
ever looping, validated with openapi-spec-validator.

Why each guard is there:
- the byte limit applies before parsing (a document is never read whole past it);
- YAML is read with safe_load (no object construction), and the parsed tree is
  copied into plain JSON values under a node budget and a depth limit, so YAML
  aliases that multiply a small text into a huge tree (the "billion laughs") stop at
  the budget instead of filling memory or time;
- `$ref`s are looked up with the `referencing` library, local ones only: a remote
  reference is never fetched (that would be a request to a host the user did not
  name). A chain of references that comes back to itself is reported, not followed;
  recursive schemas (a tree node whose children are tree nodes) are normal and are
  walked once per path;
- validation runs only on documents whose references all resolve locally, so the
  validator never fetches anything either.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import referencing
import referencing.exceptions
import referencing.jsonschema
import yaml

from dgp.domain.job import ScanInputError
from dgp.domain.options import MiB

MAX_DOCUMENT_BYTES = 5 * MiB
MAX_NODES = 250_000  # values in the parsed document, YAML aliases counted each time used
MAX_DEPTH = 128  # nesting of the document itself
MAX_REF_HOPS = 32  # a $ref that points at a $ref that points at ...
DOC_URI = "urn:dgp:openapi"
JSON = dict[str, Any]


class OpenAPIError(ScanInputError):
    """The document cannot be used (not parseable, too large, not OpenAPI)."""


class RefProblem(Exception):
    """A $ref that cannot be followed: remote, missing, or part of a cycle."""


@dataclass
class Document:
    data: JSON
    source: str  # where it came from, for messages (a redacted URL, a file name)
    version: str  # "2.0", "3.0.3", "3.1.0"
    errors: list[str] = field(default_factory=list)  # from validation (the first few)
    unresolved: dict[str, str] = field(default_factory=dict)  # $ref -> why not followed

    @property
    def swagger(self) -> bool:
        return self.version.startswith("2")

    def resolve(self, node: Any) -> Any:
        """`node` with its $ref followed (repeatedly); RefProblem if it cannot be."""
        return self._resolver.resolve(node)

    def __post_init__(self) -> None:
        self._resolver = Resolver(self.data)


class Resolver:
    """Local $ref lookup through `referencing`, with a bound on chains."""

    def __init__(self, data: JSON) -> None:
        resource = referencing.jsonschema.DRAFT202012.create_resource(data)
        registry: referencing.Registry[Any] = referencing.Registry().with_resource(
            DOC_URI, resource
        )
        self._resolver = registry.resolver(base_uri=DOC_URI)
        self._cache: dict[str, Any] = {}

    def resolve(self, node: Any) -> Any:
        seen: list[str] = []
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                raise RefProblem("a cycle of references: " + " -> ".join([*seen, ref]))
            if len(seen) >= MAX_REF_HOPS:
                raise RefProblem(f"more than {MAX_REF_HOPS} references in a chain")
            seen.append(ref)
            node = self._lookup(ref)
        return node

    def _lookup(self, ref: str) -> Any:
        if ref in self._cache:
            return self._cache[ref]
        if not ref.startswith("#"):
            raise RefProblem("a reference outside the document (not fetched)")
        try:
            found = self._resolver.lookup(DOC_URI + ref).contents
        except (referencing.exceptions.Unresolvable, LookupError, ValueError, TypeError):
            raise RefProblem("points nowhere in the document") from None
        self._cache[ref] = found
        return found


def parse(raw: bytes, source: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> Document:
    """A Document from JSON or YAML bytes; OpenAPIError says why not."""
    if len(raw) > max_bytes:
        raise OpenAPIError(f"the OpenAPI document {source} is larger than {max_bytes} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OpenAPIError(f"the OpenAPI document {source} is not UTF-8 text") from None
    try:
        json_text = text.lstrip().startswith(("{", "["))
        loaded = json.loads(text) if json_text else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:
        why = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        raise OpenAPIError(f"the OpenAPI document {source} does not parse: {why}") from None
    except RecursionError:
        raise OpenAPIError(f"the OpenAPI document {source} nests too deeply") from None
    data = plain(loaded, source)
    if not isinstance(data, dict):
        raise OpenAPIError(f"{source} is not an OpenAPI document (not an object)")
    version = data.get("openapi") or data.get("swagger")
    if not isinstance(version, str) or version[:1] not in ("2", "3"):
        raise OpenAPIError(f"{source} is not an OpenAPI 2 or 3 document (no openapi/swagger)")
    if not isinstance(data.get("paths", {}), dict):
        raise OpenAPIError(f"{source}: 'paths' is not an object")
    document = Document(data, source, version)
    document.unresolved = check_references(document)
    if not document.unresolved:
        document.errors = validate(data)
    return document


def plain(value: Any, source: str) -> Any:
    """A copy of the parsed tree as JSON values (string keys, dates as text), within the
    node budget and depth; OpenAPIError past them. Iterative: any depth is safe."""
    budget = MAX_NODES
    root: list[Any] = [None]
    todo: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 0)]
    while todo:
        item, parent, key, depth = todo.pop()
        if isinstance(item, dict | list):  # counted before its children are queued
            budget -= len(item)
            if budget < 0:
                raise OpenAPIError(
                    f"the OpenAPI document {source} has more than {MAX_NODES} values "
                    "(YAML aliases counted each time they are used)"
                )
        if depth > MAX_DEPTH:
            raise OpenAPIError(f"the OpenAPI document {source} nests deeper than {MAX_DEPTH}")
        if isinstance(item, dict):
            copy: Any = {k: None for k in map(_key, item)}  # the document's order
            for k, v in item.items():
                todo.append((v, copy, _key(k), depth + 1))
        elif isinstance(item, list):
            copy = [None] * len(item)
            for i, v in enumerate(item):
                todo.append((v, copy, i, depth + 1))
        elif isinstance(item, datetime.date | datetime.datetime):
            copy = item.isoformat()
        elif item is None or isinstance(item, str | int | float | bool):
            copy = item
        else:
            copy = str(item)
        parent[key] = copy
    return root[0]


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return str(key).lower()
    return key if isinstance(key, str) else str(key)


def references(data: Any) -> Iterator[str]:
    """Every $ref string in the document (iterative walk)."""
    todo = [data]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                yield ref
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)


def check_references(document: Document) -> dict[str, str]:
    """The $refs that cannot be followed, with why."""
    problems: dict[str, str] = {}
    for ref in sorted(set(references(document.data))):
        try:
            document.resolve({"$ref": ref})
        except RefProblem as e:
            problems[ref] = str(e)
    return problems


def validate(data: JSON, max_errors: int = 5) -> list[str]:
    """The first validation errors of the document (openapi-spec-validator), as text."""
    from openapi_spec_validator.validation import (
        OpenAPIV2SpecValidator,
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
    )
    from openapi_spec_validator.validation.exceptions import ValidatorDetectError
    from openapi_spec_validator.versions.shortcuts import get_spec_version

    try:
        version = get_spec_version(data)
    except ValidatorDetectError:
        return ["the openapi/swagger version is not one the validator knows"]
    validators = {
        "2.0": OpenAPIV2SpecValidator,
        "3.0": OpenAPIV30SpecValidator,
        "3.1": OpenAPIV31SpecValidator,
    }
    name = f"{version.major}.{version.minor}"
    validator_type = validators.get(name, OpenAPIV31SpecValidator)
    errors: list[str] = []
    try:
        for error in validator_type(data).iter_errors():
            where = "/".join(map(str, getattr(error, "path", ()) or ()))
            message = str(getattr(error, "message", error)).splitlines()[0][:300]
            errors.append(f"{where}: {message}" if where else message)
            if len(errors) >= max_errors:
                break
    except RecursionError:
        errors.append("the document's references nest without end")
    except Exception as e:  # the validator's own failures must not end the scan
        errors.append(f"the validator stopped: {type(e).__name__}: {str(e)[:200]}")
    return errors
