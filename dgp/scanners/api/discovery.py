"""Where the OpenAPI document comes from: the upload, the `openapi` option (a URL, or a
local file when local sources are allowed), else the usual locations on the API's
host, else nothing (then a short list of common paths is tried as GETs).
"""

from __future__ import annotations

from pathlib import Path

from dgp.domain.job import ScanInputError
from dgp.net import TargetRefused, TargetURL, parse_url, redact_text
from dgp.scanners.api.client import Client
from dgp.scanners.api.document import Document, OpenAPIError, parse

# the usual locations of a published OpenAPI document (FastAPI, Springdoc, Swashbuckle,
# NestJS, drf-spectacular, ...), under the base path and at the root
WELL_KNOWN = (
    "openapi.json",
    "openapi.yaml",
    "swagger.json",
    "v3/api-docs",
    "v2/api-docs",
    "swagger/v1/swagger.json",
    "api-docs",
    "api/openapi.json",
    "api/schema/",
    ".well-known/openapi.json",
    ".well-known/openapi.yaml",
)
# tried when there is no document: what APIs commonly answer, read-only
COMMON_PATHS = (
    "",
    "api",
    "api/v1",
    "v1",
    "users",
    "api/users",
    "customers",
    "me",
    "health",
    "status",
    "version",
    "info",
    "actuator/health",
    "actuator/env",
    "metrics",
    "debug",
)


def joined(base: TargetURL, path: str) -> TargetURL:
    """`path` under the base URL's path ("/api" + "users" -> "/api/users")."""
    prefix = base.path.rstrip("/")
    return base.with_path(f"{prefix}/{path.lstrip('/')}" if path else (prefix or "/"))


def given_document(
    client: Client, base: TargetURL, where: str, allow_local: bool, max_bytes: int
) -> Document:
    """The document the user named; OpenAPIError (a clear ScanInputError) if unusable."""
    if "://" not in where:
        if not allow_local:
            raise ScanInputError(
                "the openapi option names a file on this host; only an administrator can "
                "allow local files (or give a URL, or upload the document)"
            )
        return read_file(Path(where), max_bytes)
    try:
        url = parse_url(where)
    except TargetRefused as e:
        raise ScanInputError(f"openapi: {e.reason}") from None
    answer = client.send("GET", url, authenticated=url.origin == base.origin)
    if answer.error is not None or not answer.ok:
        why = answer.error or f"it answered {answer.status}"
        raise OpenAPIError(f"the OpenAPI document {url.display} cannot be read: {why}")
    return parse(answer.body, url.display, max_bytes)


def read_file(path: Path, max_bytes: int, shown: str | None = None) -> Document:
    name = shown or path.name
    try:
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)  # never more than the limit, whatever the file's size
    except OSError as e:
        raise OpenAPIError(f"the OpenAPI document {name} cannot be read: {e.strerror}") from None
    return parse(raw, name, max_bytes)


def discover(
    client: Client, base: TargetURL, max_bytes: int
) -> tuple[Document | None, list[tuple[str, str]]]:
    """The first well-known location that holds an OpenAPI document, and the locations
    that answered something that was not one (url, why)."""
    tried: set[str] = set()
    problems: list[tuple[str, str]] = []
    roots = [base] if base.path in ("", "/") else [base, base.with_path("/")]
    for root in roots:
        for path in WELL_KNOWN:
            url = joined(root, path)
            if url.url in tried:
                continue
            tried.add(url.url)
            answer = client.send("GET", url, authenticated=True)
            if not answer.ok or not answer.body:
                continue
            head = answer.body[:2000].decode("utf-8", "replace")
            if "openapi" not in head and "swagger" not in head:
                continue
            try:
                return parse(answer.body, url.display, max_bytes), problems
            except OpenAPIError as e:
                problems.append((url.display, redact_text(str(e))))
    return None, problems
