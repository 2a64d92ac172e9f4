"""Signing in and out with a password: a session cookie for the browser UI.

Every attempt is audited (the user's id when the address is known, never the
address or the password), so repeated failures show in the audit log; past
MAX_FAILURES failures an account is refused for a while (429), correct password
or not (dgp.apps.web.throttle).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import ClassVar, TypeVar

import falcon

from dgp.apps.web.auth import SIGNED_IN, clear_session_cookie, set_session_cookie
from dgp.apps.web.errors import too_many_requests, unauthorized
from dgp.apps.web.openapi import Op
from dgp.apps.web.resources.common import Api, Resource, Scopes, caller, field, read_json
from dgp.apps.web.services import REDIS_OUTAGES, Services
from dgp.apps.web.throttle import LoginThrottle
from dgp.plumbing.breakers import BreakerOpen
from dgp.plumbing.store.users import SESSION_SECONDS

T = TypeVar("T")
log = logging.getLogger(__name__)


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
        settings = services.settings
        self.throttle = LoginThrottle(services.queue.redis, settings.key_prefix, settings.hash_key)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req)
        email, password = field(body, "email", str), field(body, "password", str)
        users, store = self.services.users, self.services.store
        wait = self._throttled(self.throttle.retry_after, email) or 0
        if wait:
            raise too_many_requests("too many failed sign-ins; try again later", wait)
        user = self.services.db(users.authenticate, email, password)
        if user is None:
            self._throttled(self.throttle.failed, email)
            known = self.services.db(users.find_user, email)
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
        self._throttled(self.throttle.succeeded, email)
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

    def _throttled(self, action: Callable[[str], T], email: str) -> T | None:
        """The throttle through the Redis breaker. Redis down: sign-ins go on unthrottled
        (argon2 still makes each guess slow) rather than nobody signing in."""
        try:
            return self.services.redis(action, email)
        except (*REDIS_OUTAGES, BreakerOpen):
            log.warning("login throttle unavailable: Redis is down")
            return None
