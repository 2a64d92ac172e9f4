"""The caller's organisation: everyone sees it, its admins rename it."""

from __future__ import annotations

from typing import ClassVar

import falcon

from dgp.apps.web.auth import SIGNED_IN
from dgp.apps.web.errors import bad_request, conflict
from dgp.apps.web.openapi import Op
from dgp.apps.web.resources.common import (
    Api,
    Resource,
    Scopes,
    audit,
    field,
    found,
    organisation,
    read_json,
)
from dgp.plumbing.store import OrganisationExists

TAGS = ("organisation",)


class Organisation(Resource):
    scopes: ClassVar[Scopes] = {"GET": SIGNED_IN, "PATCH": "users:write"}
    api: ClassVar[Api] = {
        "GET": Op("Your organisation", returns="Organisation", tags=TAGS),
        "PATCH": Op(
            "Rename your organisation",
            returns="Organisation",
            body="OrganisationChange",
            errors=(409,),
            example={"name": "Acme Zorg B.V."},
            description="Organisations themselves are created by the operator "
            "(`dgp user create --create-org`), not through the API.",
            tags=TAGS,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        org = self.services.db(self.services.store.get_organisation, organisation(req))
        resp.media = found(org, "organisation").to_dict()

    def on_patch(self, req: falcon.Request, resp: falcon.Response) -> None:
        name = field(read_json(req), "name", str)
        store = self.services.store
        try:
            org = self.services.db(store.rename_organisation, organisation(req), name)
        except OrganisationExists as e:
            raise conflict(str(e)) from None
        except ValueError as e:
            raise bad_request(str(e), "invalid_input") from None
        audit(self.services, req, "organisation.renamed", "organisation", organisation(req))
        resp.media = found(org, "organisation").to_dict()
