"""Signing in and out with a password: a session cookie for the browser UI.

Every attempt is audited (the user's id when the address is known, never the
address or the password), so repeated failures show in the audit log. Failures
slow the next tries of the same account from the same client, and of the client
and of everybody past their limits (429, correct password or not;
dgp.apps.web.throttle); the throttle is asked before any password is hashed.
"""

from __future__ import annotations

from typing import ClassVar

import falcon

from dgp.apps.web.auth import SIGNED_IN, clear_session_cookie, set_session_cookie
from dgp.apps.web.errors import bad_request, unauthorized
from dgp.apps.web.openapi import Op
from dgp.apps.web.resources.common import Api, Resource, Scopes, caller, field, read_json
from dgp.apps.web.services import Services
from dgp.apps.web.throttle import PasswordGuard
from dgp.plumbing.store.users import SESSION_SECONDS, AmbiguousLogin


class Session(Resource):
    public = frozenset({"POST"})
    scopes: ClassVar[Scopes] = {"GET": SIGNED_IN, "DELETE": SIGNED_IN}
    api: ClassVar[Api] = {
        "POST": Op(
            "Sign in: sets the dgp_session cookie",
            returns="Session",
            body="Login",
            example={"email": "nobody@example.org", "password": "not the password"},
            errors=(401, 429),
            tags=("session",),
        ),
        "GET": Op("Who is signed in, with what permissions", returns="Session", tags=("session",)),
        "DELETE": Op("Sign out: ends the session", status=204, tags=("session",)),
    }

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.guard = PasswordGuard(services)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req)
        email, password = field(body, "email", str), field(body, "password", str)
        org_name = body.get("organisation")
        if org_name is not None and not isinstance(org_name, str):
            raise bad_request("'organisation' must be a string", "invalid_input")
        users, store = self.services.users, self.services.store
        attempt = self.guard.attempt(req, email)
        try:
            user = self.services.db(users.authenticate, email, password, org_name)
        except AmbiguousLogin as e:
            attempt.succeeded()  # the password was right: not a guess
            raise bad_request(str(e), "organisation_needed") from None
        if user is None:
            attempt.failed()
            known = self.services.db(users.find_user, email, org_name)
            self.services.db(
                store.audit,
                known.organisation_id if known else None,
                known.id if known else None,
                "login.failed",
                "user",
                known.id if known else None,
                {"method": "password"},
            )
            raise unauthorized("wrong e-mail address or password")
        attempt.succeeded()
        session = self.services.db(users.create_session, user)
        self.services.db(
            store.audit,
            user.organisation_id,
            user.id,
            "login",
            "user",
            user.id,
            {"method": "password"},
        )
        set_session_cookie(resp, session, SESSION_SECONDS)
        resp.media = {"user": user.to_dict(), "scopes": sorted(user.scopes)}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        principal = caller(req)
        resp.media = {"user": principal.user.to_dict(), "scopes": sorted(principal.scopes)}

    def on_delete(self, req: falcon.Request, resp: falcon.Response) -> None:
        principal = caller(req)
        if principal.session is not None:
            self.services.db(self.services.users.delete_session, principal.session)
        clear_session_cookie(resp)
        resp.status = falcon.HTTP_204
