"""Managing an organisation's users (admins only) and passwords; every change is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

import falcon

from dgp.apps.web.auth import SIGNED_IN
from dgp.apps.web.errors import bad_request, conflict, forbidden, not_found
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
from dgp.apps.web.services import Services
from dgp.apps.web.throttle import PasswordGuard
from dgp.plumbing.store import LastAdmin, UserExists

T = TypeVar("T")
TAGS = ("users",)


def _checked(action: Callable[[], T]) -> T:
    try:
        return action()
    except (UserExists, LastAdmin) as e:
        raise conflict(str(e)) from None
    except ValueError as e:
        raise bad_request(str(e), "invalid_input") from None


class Users(Resource):
    scopes: ClassVar[Scopes] = {"GET": "users:read", "POST": "users:write"}
    api: ClassVar[Api] = {
        "GET": Op("The organisation's users", returns="UserList", tags=TAGS),
        "POST": Op(
            "Add a user",
            status=201,
            returns="User",
            body="NewUser",
            errors=(409,),
            example={
                "email": "new.analyst@example.org",
                "password": "a long enough passphrase",
                "role": "analyst",
            },
            tags=TAGS,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        users = self.services.db(self.services.users.list_users, organisation(req))
        resp.media = {"items": [u.to_dict() for u in users]}

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_json(req)
        email = field(body, "email", str)
        password = field(body, "password", str)
        role = field(body, "role", str)
        create = self.services.users.create_user
        user = _checked(lambda: self.services.db(create, organisation(req), email, password, role))
        audit(self.services, req, "user.created", "user", user.id, {"role": role})
        resp.status = falcon.HTTP_201
        resp.location = f"/api/v1/users/{user.id}"
        resp.media = user.to_dict()


class User(Resource):
    scopes: ClassVar[Scopes] = {"GET": "users:read", "PATCH": "users:write"}
    api: ClassVar[Api] = {
        "GET": Op("One user", returns="User", tags=TAGS),
        "PATCH": Op(
            "Change a user's role or disable them",
            returns="User",
            body="UserChange",
            errors=(409,),
            example={"role": "viewer"},
            description="Disabling ends the user's sessions and stops their tokens. "
            "The last enabled admin cannot be demoted or disabled (409).",
            tags=TAGS,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        user = self.services.db(self.services.users.get_user, organisation(req), user_id)
        resp.media = found(user, "user").to_dict()

    def on_patch(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        body = only(read_json(req), "role", "disabled")
        if not body:
            raise bad_request("give 'role' and/or 'disabled'", "invalid_input")
        role = field(body, "role", str) if "role" in body else None
        if "disabled" in body and not isinstance(body["disabled"], bool):
            raise bad_request("'disabled' must be true or false", "invalid_input")
        disabled = body.get("disabled")
        update = self.services.users.update_user
        user = _checked(
            lambda: self.services.db(update, organisation(req), user_id, role, disabled)
        )
        user = found(user, "user")
        changes = {k: v for k, v in (("role", role), ("disabled", disabled)) if v is not None}
        audit(self.services, req, "user.updated", "user", user.id, changes)
        resp.media = user.to_dict()


class Password(Resource):
    scopes: ClassVar[Scopes] = {"PUT": SIGNED_IN}
    api: ClassVar[Api] = {
        "PUT": Op(
            "Set a password: your own (signed in, with the current one) or, as an admin, anyone's",
            status=204,
            body="NewPassword",
            example={"password": "a new long passphrase"},
            description="Your own needs a signed-in session, not an API token, and the "
            "current password; a wrong one is 403 and counts like a failed sign-in (429 "
            "past the limits). Ends the user's other sessions; API tokens stay valid "
            "(revoke them separately).",
            errors=(403, 429),
            tags=TAGS,
        ),
    }

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.guard = PasswordGuard(services)

    def on_put(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        principal = caller(req)
        body = only(read_json(req), "password", "current_password")
        password = field(body, "password", str)
        current = field(body, "current_password", str, "") or None
        own = user_id == principal.user.id
        attempt = None
        if own:
            if principal.session is None:
                raise forbidden("changing your own password needs a signed-in session")
            if not isinstance(current, str):
                raise bad_request("give 'current_password' to change your own", "invalid_input")
            attempt = self.guard.attempt(req, principal.user.email)
        elif not principal.allows("users:write"):
            raise forbidden("only an admin may set another user's password")
        else:
            current = None  # an admin's reset
        users = self.services.users
        changed = _checked(
            lambda: self.services.db(
                users.set_password,
                principal.user.organisation_id,
                user_id,
                password,
                current,
                principal.session if own else None,
            )
        )
        if not changed:
            if attempt is not None:
                attempt.failed()
                raise forbidden("the current password is wrong")
            raise not_found("user")
        if attempt is not None:
            attempt.succeeded()
        audit(self.services, req, "user.password_set", "user", user_id, {"own": own})
        resp.status = falcon.HTTP_204
