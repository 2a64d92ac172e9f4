"""The caller's organisation: everyone sees it, its admins rename it and change its
settings (what its scans may do: `allow_active_scans`)."""

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
    only,
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
            "Rename your organisation or change its settings",
            returns="Organisation",
            body="OrganisationChange",
            errors=(409,),
            example={"name": "Acme Zorg B.V.", "settings": {"allow_active_scans": False}},
            description="Organisations themselves are created by the operator "
            "(`dgp user create --create-org`), not through the API. "
            "`settings.allow_active_scans` lets the organisation's scans change their "
            "target (the API scanner's `active` option); off by default.",
            tags=TAGS,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        org = self.services.db(self.services.store.get_organisation, organisation(req))
        resp.media = found(org, "organisation").to_dict()

    def on_patch(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = only(read_json(req), "name", "settings")
        if "name" not in body and "settings" not in body:
            raise bad_request("send 'name', 'settings' or both", "invalid_input")
        store = self.services.store
        org = None
        if "settings" in body:
            settings = field(body, "settings", dict)
            try:
                org = self.services.db(
                    store.change_organisation_settings, organisation(req), settings
                )
            except ValueError as e:
                raise bad_request(str(e), "invalid_input") from None
            audit(
                self.services,
                req,
                "organisation.settings_changed",
                "organisation",
                organisation(req),
            )
        if "name" in body:
            name = field(body, "name", str)
            try:
                org = self.services.db(store.rename_organisation, organisation(req), name)
            except OrganisationExists as e:
                raise conflict(str(e)) from None
            except ValueError as e:
                raise bad_request(str(e), "invalid_input") from None
            audit(self.services, req, "organisation.renamed", "organisation", organisation(req))
        resp.media = found(org, "organisation").to_dict()
