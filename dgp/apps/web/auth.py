"""Who is calling, and may they: Bearer API tokens or the `dgp_session` cookie.

Each resource declares, per HTTP method, the scope it needs (`scopes`) or that it
is open to anyone (`public`). A user's role grants a set of scopes
(dgp.plumbing.store.users.ROLE_SCOPES); an API token can only narrow that set,
and the role is read on every request, so demoting a user limits their tokens
at once. create_app refuses a resource with a responder that declares neither,
so a new route cannot be left open by omission.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import falcon

from dgp.apps.web.errors import forbidden, unauthorized
from dgp.apps.web.services import Services
from dgp.plumbing.store import User

SESSION_COOKIE = "dgp_session"
SIGNED_IN = "signed-in"  # any authenticated user, whatever the role
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Principal:
    user: User
    token_scopes: frozenset[str] | None  # None for a browser session: the role decides
    session: str | None = None  # the session id, to end it at logout

    @property
    def scopes(self) -> frozenset[str]:
        """What this caller may do now: the role's scopes, narrowed by the token's."""
        if self.token_scopes is None:
            return self.user.scopes
        return self.user.scopes & self.token_scopes

    def allows(self, scope: str) -> bool:
        return scope == SIGNED_IN or scope in self.scopes


def required_scope(resource: object, method: str) -> str | None:
    """The scope `method` needs on `resource`; None when it is public or not served."""
    if method in getattr(resource, "public", ()):
        return None
    scopes: dict[str, str] = getattr(resource, "scopes", {})
    return scopes.get(method)


def check_declared(resource: object) -> None:
    """Every responder must be public or need a scope (called by create_app)."""
    declared = set(getattr(resource, "scopes", {})) | set(getattr(resource, "public", ()))
    for method in HTTP_METHODS:
        if hasattr(resource, f"on_{method.lower()}") and method not in declared:
            name = type(resource).__name__
            raise RuntimeError(f"{name}.on_{method.lower()} declares no scope and is not public")


class Authenticate:
    """Falcon middleware: sets req.context.principal, or answers 401/403."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]
    ) -> None:
        req.context.principal = None
        if resource is None:
            return
        scope = required_scope(resource, req.method)
        if scope is None:  # public, or a method the resource does not serve (405 follows)
            return
        principal = self.identify(req)
        if principal is None:
            raise unauthorized()
        req.context.principal = principal
        if not principal.allows(scope):
            raise forbidden(f"this needs the {scope} permission")

    def identify(self, req: falcon.Request) -> Principal | None:
        return identify(self.services, req)


def identify(services: Services, req: falcon.Request) -> Principal | None:
    """The caller by Bearer token or session cookie; None when neither names a user
    (a public route may then still answer, with less)."""
    if req.auth is not None:
        scheme, _, token = req.auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        found = services.db(services.users.verify_token, token.strip())
        return Principal(found[0], found[1]) if found else None
    values = req.get_cookie_values(SESSION_COOKIE) or []
    if values:
        user = services.db(services.users.verify_session, values[0])
        return Principal(user, None, values[0]) if user else None
    return None


def set_session_cookie(resp: falcon.Response, session: str, max_age: int) -> None:
    resp.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=max_age,
        path="/",
        secure=True,
        http_only=True,
        same_site="Strict",
    )


def clear_session_cookie(resp: falcon.Response) -> None:
    resp.unset_cookie(SESSION_COOKIE, path="/", same_site="Strict")
