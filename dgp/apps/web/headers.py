"""Response headers the app sets itself, whatever is in front of it (Nginx or nothing).

Every answer: `X-Content-Type-Options: nosniff`, so a browser never runs a scanned
file's bytes as script. Every API answer: `Cache-Control: no-store`, because API
answers carry personal data (findings, users) or secrets (new tokens, sessions)
and must not stay in a browser's or proxy's cache. Public operational answers
(/health, /openapi.json) may be cached.
"""

from __future__ import annotations

from typing import Any

import falcon

API_PREFIX = "/api/"


class SecurityHeaders:
    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        resp.set_header("X-Content-Type-Options", "nosniff")
        if req.path.startswith(API_PREFIX):
            resp.set_header("Cache-Control", "no-store")
