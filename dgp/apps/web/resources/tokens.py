"""API tokens for scripts and CI: created by their user, shown once, revocable."""

from __future__ import annotations

from typing import ClassVar

import falcon

from dgp.apps.web.errors import bad_request, forbidden
from dgp.apps.web.openapi import Op
from dgp.apps.web.resources.common import (
    Api,
    Resource,
    Scopes,
    audit,
    caller,
    field,
    found,
    only,
    read_json,
)
from dgp.plumbing.store import SCOPES

TAGS = ("tokens",)


class Tokens(Resource):
    scopes: ClassVar[Scopes] = {"GET": "tokens:write", "POST": "tokens:write"}
    api: ClassVar[Api] = {
        "GET": Op(
            "API tokens: your own; an admin sees every token of the organisation",
            returns="TokenList",
            description="Revoked tokens are listed with revoked_at; no token or hash is shown.",
            tags=TAGS,
        ),
        "POST": Op(
            "Create an API token for yourself",
            status=201,
            returns="Token",
            body="NewToken",
            example={"name": "ci pipeline", "scopes": ["scans:read", "scans:write"]},
            description="Scopes default to everything your role allows and cannot exceed "
            "it (403). The token is in the answer once; only its hash is kept.",
            tags=TAGS,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = caller(req).user
        owner = None if user.role == "admin" else user.id
        tokens = self.services.db(self.services.users.list_tokens, user.organisation_id, owner)
        resp.media = {"items": [t.to_dict() for t in tokens]}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        principal = caller(req)
        body = only(read_json(req), "name", "scopes")
        name = field(body, "name", str)
        allowed = principal.scopes
        scopes = field(body, "scopes", list, sorted(allowed))
        if not all(isinstance(s, str) for s in scopes):
            raise bad_request("'scopes' must be a list of strings", "invalid_input")
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown:
            raise bad_request(f"unknown scopes: {', '.join(unknown)}", "invalid_input")
        beyond = sorted(set(scopes) - allowed)
        if beyond:
            raise forbidden(f"you cannot grant {', '.join(beyond)}")
        try:
            token_id, plaintext = self.services.db(
                self.services.users.create_token, principal.user, name, scopes
            )
        except ValueError as e:  # e.g. an empty name
            raise bad_request(str(e), "invalid_input") from None
        audit(self.services, req, "token.created", "token", token_id, {"scopes": scopes})
        resp.status = falcon.HTTP_201
        resp.media = {"id": token_id, "name": name, "scopes": sorted(scopes), "token": plaintext}


class Token(Resource):
    scopes: ClassVar[Scopes] = {"DELETE": "tokens:write"}
    api: ClassVar[Api] = {
        "DELETE": Op(
            "Revoke a token",
            status=204,
            description="Your own tokens; admins may revoke any token of the organisation.",
            tags=TAGS,
        ),
    }

    def on_delete(self, req: falcon.Request, resp: falcon.Response, token_id: str) -> None:
        user = caller(req).user
        owner = None if user.role == "admin" else user.id
        revoked = self.services.db(
            self.services.users.revoke_token, user.organisation_id, token_id, owner
        )
        found(revoked or None, "token")
        audit(self.services, req, "token.revoked", "token", token_id)
        resp.status = falcon.HTTP_204
