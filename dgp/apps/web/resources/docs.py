"""GET /openapi.json: the API described for clients and code generators."""

from __future__ import annotations

from typing import Any, ClassVar

import falcon

from dgp.apps.web.openapi import Op
from dgp.apps.web.resources.common import Api, Resource
from dgp.apps.web.services import Services


class OpenApi(Resource):
    public = frozenset({"GET"})
    api: ClassVar[Api] = {"GET": Op("This document (OpenAPI 3.1)", tags=("operations",))}

    def __init__(self, services: Services, document: dict[str, Any]) -> None:
        super().__init__(services)
        self.document = document

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.document
