"""An upload's record (name, size, SHA-256): the content is for the scanners only."""

from __future__ import annotations

from typing import ClassVar

import falcon

from dgp.apps.web.openapi import Op
from dgp.apps.web.resources.common import Api, Resource, Scopes, found, organisation


class Upload(Resource):
    scopes: ClassVar[Scopes] = {"GET": "scans:read"}
    api: ClassVar[Api] = {
        "GET": Op("An upload's name, size and SHA-256", returns="Upload", tags=("scans",))
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, upload_id: str) -> None:
        upload = self.services.db(self.services.store.get_upload, organisation(req), upload_id)
        upload = found(upload, "upload")
        resp.media = {
            "id": upload.id,
            "filename": upload.filename,
            "size": upload.size,
            "sha256": upload.sha256,
            "created_at": upload.created_at.isoformat(),
        }
