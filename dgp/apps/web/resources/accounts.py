"""Managing an organisation's users (admins only); every change is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

import falcon

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
        body = read_json(req)
        role = body.get("role")
        disabled = body.get("disabled")
        if role is not None and not isinstance(role, str):
            raise bad_request("'role' must be a string", "invalid_input")
        if disabled is not None and not isinstance(disabled, bool):
            raise bad_request("'disabled' must be true or false", "invalid_input")
        if role is None and disabled is None:
            raise bad_request("give 'role' and/or 'disabled'", "invalid_input")
        update = self.services.users.update_user
        user = _checked(
            lambda: self.services.db(update, organisation(req), user_id, role, disabled)
        )
        user = found(user, "user")
        changes = {k: v for k, v in (("role", role), ("disabled", disabled)) if v is not None}
        audit(self.services, req, "user.updated", "user", user.id, changes)
        resp.media = user.to_dict()
