"""Credentials that scans use (database passwords, API and git tokens, basic auth).

A secret goes in once, with POST, and never comes out: every answer carries the
metadata only, with `Cache-Control: no-store` (as every API answer:
dgp.apps.web.headers), and the audit entries name the
credential, not its value. A scan refers to a credential by id ("credential" in
POST /api/v1/scans); the worker decrypts it for that scan only.
"""

from __future__ import annotations

from typing import ClassVar

import falcon

from dgp.apps.web.errors import bad_request, conflict, unavailable
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
    organisation,
    read_json,
)
from dgp.plumbing.credential_cipher import KeyNotConfigured
from dgp.plumbing.store.credentials import CredentialExists

TAGS = ("credentials",)
NOT_CONFIGURED_RETRY = 300  # seconds: an operator has to set the key first


class Credentials(Resource):
    scopes: ClassVar[Scopes] = {"GET": "credentials:read", "POST": "credentials:write"}
    api: ClassVar[Api] = {
        "GET": Op(
            "The organisation's credentials, by name (never their values)",
            returns="CredentialList",
            tags=TAGS,
        ),
        "POST": Op(
            "Store a credential for scans, encrypted",
            status=201,
            returns="Credential",
            body="NewCredential",
            example={"name": "crm read-only", "kind": "database_password", "secret": "..."},
            errors=(409,),
            description="The secret is encrypted with the server's credentials key and is "
            "never shown again; start a scan with its id as `credential`. basic_auth "
            "secrets are `user:password`. 409 when the name is taken; 503 when the server "
            "has no credentials key.",
            tags=TAGS,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        items = self.services.db(self.services.credentials.list, organisation(req))
        resp.media = {"items": [c.to_dict() for c in items]}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = caller(req).user
        body = only(read_json(req), "name", "kind", "secret")
        name = field(body, "name", str)
        kind = field(body, "kind", str)
        secret = field(body, "secret", str)
        try:
            created = self.services.db(
                self.services.credentials.create,
                user.organisation_id,
                name,
                kind,
                secret,
                user.id,
            )
        except CredentialExists as e:
            raise conflict(str(e)) from None
        except KeyNotConfigured:
            raise unavailable(
                "this server has no credentials key; an operator must set credentials_key",
                NOT_CONFIGURED_RETRY,
            ) from None
        except ValueError as e:  # a bad name, kind or secret (the message never holds it)
            raise bad_request(str(e), "invalid_input") from None
        details = {"name": created.name, "kind": created.kind.value}
        audit(self.services, req, "credential.created", "credential", created.id, details)
        resp.status = falcon.HTTP_201
        resp.location = f"/api/v1/credentials/{created.id}"
        resp.media = created.to_dict()


class Credential(Resource):
    scopes: ClassVar[Scopes] = {"GET": "credentials:read", "DELETE": "credentials:write"}
    api: ClassVar[Api] = {
        "GET": Op("A credential's metadata (never its value)", returns="Credential", tags=TAGS),
        "DELETE": Op(
            "Delete a credential",
            status=204,
            description="Queued and running scans that use it are cancelled, with the "
            "reason as their error; finished scans keep their results.",
            tags=TAGS,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, credential_id: str) -> None:
        item = self.services.db(self.services.credentials.get, organisation(req), credential_id)
        resp.media = found(item, "credential").to_dict()

    def on_delete(self, req: falcon.Request, resp: falcon.Response, credential_id: str) -> None:
        cancelled = self.services.db(
            self.services.credentials.delete,
            organisation(req),
            credential_id,
            forget_uploads=self.services.settings.delete_uploads_after_scan,
        )
        found(cancelled, "credential")
        details = {"cancelled_scans": cancelled}
        audit(self.services, req, "credential.deleted", "credential", credential_id, details)
        resp.status = falcon.HTTP_204
