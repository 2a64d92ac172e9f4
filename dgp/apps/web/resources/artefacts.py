"""A scan's artefacts (reports, redacted images, screenshots, data maps): listed and
downloaded with the same organisation checks as the scan itself.

A download is always an attachment, never shown in the browser: an artefact may be
HTML or SVG made from scanned content, and the API's origin must not run it (the
SecurityHeaders middleware adds nosniff and no-store; a sandboxing CSP is added
here). The bytes are streamed a slice at a time (no transaction held while the
client reads).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import quote

import falcon

from dgp.apps.web.errors import not_found
from dgp.apps.web.openapi import Op
from dgp.apps.web.resources.common import Api, Resource, Scopes, audit, found, organisation
from dgp.plumbing.store import ArtefactChanged

TAGS = ("scans",)
_UNSAFE_IN_FALLBACK = re.compile(r"[^A-Za-z0-9._-]+")


class ScanArtefacts(Resource):
    scopes: ClassVar[Scopes] = {"GET": "findings:read"}
    api: ClassVar[Api] = {
        "GET": Op(
            "A scan's artefacts: name, media type, size, SHA-256", returns="ArtefactList", tags=TAGS
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, scan_id: str) -> None:
        listed = self.services.db(self.services.store.list_artefacts, organisation(req), scan_id)
        resp.media = {"items": [a.to_dict() for a in found(listed, "scan")]}


class ScanArtefact(Resource):
    scopes: ClassVar[Scopes] = {"GET": "findings:read"}
    api: ClassVar[Api] = {
        "GET": Op(
            "Download an artefact: its bytes, with its media type, as an attachment",
            download=True,
            tags=TAGS,
        )
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, scan_id: str, name: str) -> None:
        org, store = organisation(req), self.services.store
        artefact = found(self.services.db(store.get_artefact, org, scan_id, name), "artefact")
        audit(self.services, req, "artefact.downloaded", "scan", artefact.scan_id, {"name": name})
        resp.content_type = artefact.media_type
        resp.content_length = artefact.size
        resp.set_header("Content-Disposition", attachment(artefact.name))
        resp.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        blocks = store.artefact_bytes(org, artefact)
        try:  # the first slice now: an artefact deleted meanwhile is still a clean 404
            first = self.services.db(next, blocks, b"")
        except ArtefactChanged:
            raise not_found("artefact") from None
        resp.stream = itertools.chain([first], self._rest(blocks))

    def _rest(self, blocks: Iterator[bytes]) -> Iterator[bytes]:
        """Each further slice through the Postgres breaker, read as the client takes it."""
        while block := self.services.db(next, blocks, b""):
            yield block


def attachment(name: str) -> str:
    """A Content-Disposition that names the file safely: an ASCII fallback with nothing
    that could end the quoted string, and the full name percent-encoded (RFC 6266)."""
    fallback = _UNSAFE_IN_FALLBACK.sub("_", name).strip("._") or "artefact"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
