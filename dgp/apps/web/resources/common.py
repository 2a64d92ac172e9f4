"""Helpers every resource shares: the caller, JSON bodies, paging, audit, lookups."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import falcon

from dgp.apps.web.auth import Principal
from dgp.apps.web.errors import bad_request, not_found, too_large
from dgp.apps.web.openapi import MAX_OFFSET, MAX_PAGE
from dgp.apps.web.services import Services

if TYPE_CHECKING:
    from dgp.apps.web.openapi import Op

T = TypeVar("T")
Scopes = dict[str, str]  # HTTP method -> the scope it needs
Api = dict[str, "Op"]  # HTTP method -> its description for /openapi.json
MAX_JSON_BYTES = 1024 * 1024
DEFAULT_PAGE = 50


class Resource:
    """A resource holds the injected services; subclasses declare scopes and api."""

    scopes: ClassVar[Scopes] = {}
    public: ClassVar[frozenset[str]] = frozenset()
    api: ClassVar[Api] = {}

    def __init__(self, services: Services) -> None:
        self.services = services


def caller(req: falcon.Request) -> Principal:
    principal: Principal | None = req.context.principal
    if principal is None:  # a public responder asked for the caller: a programming error
        raise RuntimeError("no authenticated caller on this request")
    return principal


def organisation(req: falcon.Request) -> str:
    return caller(req).user.organisation_id


def read_json(req: falcon.Request, max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """The body as a JSON object; 413 past `max_bytes` (checked before reading), else 400."""
    if req.content_length is not None and req.content_length > max_bytes:
        raise too_large(max_bytes)
    raw = req.bounded_stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise too_large(max_bytes)
    body = parse_json(raw, "the body") if raw.strip() else None
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object", "malformed_json")
    return body


def parse_json(raw: bytes | str, what: str) -> Any:
    """JSON from a client; 400 for anything that does not parse, nesting too deep for
    the parser included (a RecursionError is no server error)."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise bad_request(f"{what} is not valid JSON: {e}", "malformed_json") from None
    except RecursionError:
        raise bad_request(f"{what} is nested too deeply", "malformed_json") from None


def field(body: dict[str, Any], name: str, kind: type[T], default: T | None = None) -> T:
    """`body[name]` checked to be of `kind`; required unless a default is given. A null
    is refused: left out, a field takes its default, and null means nothing else."""
    if name not in body:
        if default is None:
            raise bad_request(f"{name!r} is required", "invalid_input")
        return default
    value = body[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise bad_request(f"{name!r} must be of type {kind.__name__}", "invalid_input")
    return value


def only(body: dict[str, Any], *names: str) -> dict[str, Any]:
    """The body, when it has no fields but `names` (the document's additionalProperties:
    false): a misspelt field is an error, not silently ignored."""
    unknown = sorted(set(body) - set(names))
    if unknown:
        raise bad_request(f"unknown fields: {', '.join(map(repr, unknown))}", "invalid_input")
    return body


def page(req: falcon.Request, default: int = DEFAULT_PAGE) -> tuple[int, int]:
    limit = req.get_param_as_int("limit", min_value=1, max_value=MAX_PAGE, default=default)
    offset = req.get_param_as_int("offset", min_value=0, max_value=MAX_OFFSET, default=0)
    return int(limit), int(offset)


def paged(items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def found(value: T | None, what: str) -> T:
    """`value`, or 404: missing and foreign ids look the same to the caller."""
    if value is None or value is False:
        raise not_found(what)
    return value


def invalid(action: Callable[[], T]) -> T:
    """Run `action`; a ValueError (bad input caught by a lower layer) becomes 400."""
    try:
        return action()
    except ValueError as e:
        raise bad_request(str(e), "invalid_input") from None


def audit(
    services: Services,
    req: falcon.Request,
    action: str,
    object_type: str | None = None,
    object_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """An audit entry for the caller's action (no personal data in `details`)."""
    user = caller(req).user
    services.db(
        services.store.audit,
        user.organisation_id,
        user.id,
        action,
        object_type,
        object_id,
        details,
    )
