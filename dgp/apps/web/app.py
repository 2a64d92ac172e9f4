"""The web app: `create_app(...)` builds a falcon.App from injected dependencies.

Nothing here connects to anything: the store, the queue and the breakers are
handed in (by the gunicorn entry point in production, by the tests directly),
so the app is tested against real services without patching.
"""

from __future__ import annotations

import falcon

from dgp import __version__
from dgp.apps.web import errors
from dgp.apps.web.auth import Authenticate, check_declared
from dgp.apps.web.converters import IdConverter
from dgp.apps.web.headers import SecurityHeaders
from dgp.apps.web.openapi import document, documented
from dgp.apps.web.prometheus import RequestCounter
from dgp.apps.web.request import Request
from dgp.apps.web.resources import (
    accounts,
    artefacts,
    audit,
    credentials,
    findings,
    organisation,
    scans,
    session,
    tokens,
    uploads,
)
from dgp.apps.web.resources.docs import OpenApi
from dgp.apps.web.resources.health import Health
from dgp.apps.web.resources.metrics import Metrics
from dgp.apps.web.services import ScannerHealth, Services
from dgp.plumbing.breakers import Breakers
from dgp.plumbing.credential_cipher import CredentialCipher
from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ScanStore, UserStore
from dgp.plumbing.store.credentials import CredentialStore

API = "/api/v1"


def create_app(
    store: ScanStore,
    users: UserStore,
    queue: JobQueue,
    settings: Settings,
    breakers: Breakers,
    scanner_health: ScannerHealth | None = None,
) -> falcon.App:
    """The WSGI app. `scanner_health(kind)` returns a scanner app's /health (optional)."""
    credential_store = CredentialStore(store.db, CredentialCipher.from_settings(settings))
    services = Services(store, users, queue, settings, breakers, credential_store, scanner_health)
    requests = RequestCounter()
    docs = OpenApi(services, {})
    routes: list[tuple[str, object]] = [
        (f"{API}/session", session.Session(services)),
        (f"{API}/users", accounts.Users(services)),
        (f"{API}/users/{{user_id:id}}", accounts.User(services)),
        (f"{API}/users/{{user_id:id}}/password", accounts.Password(services)),
        (f"{API}/organisation", organisation.Organisation(services)),
        (f"{API}/tokens", tokens.Tokens(services)),
        (f"{API}/tokens/{{token_id:id}}", tokens.Token(services)),
        (f"{API}/credentials", credentials.Credentials(services)),
        (f"{API}/credentials/{{credential_id:id}}", credentials.Credential(services)),
        (f"{API}/scans", scans.Scans(services)),
        (f"{API}/scans/{{scan_id:id}}", scans.Scan(services)),
        (f"{API}/scans/{{scan_id:id}}/findings", findings.ScanFindings(services)),
        (f"{API}/scans/{{scan_id:id}}/artefacts", artefacts.ScanArtefacts(services)),
        (f"{API}/scans/{{scan_id:id}}/artefacts/{{name}}", artefacts.ScanArtefact(services)),
        (f"{API}/findings/{{finding_id:id}}", findings.Finding(services)),
        (f"{API}/uploads/{{upload_id:id}}", uploads.Upload(services)),
        (f"{API}/audit", audit.AuditLog(services)),
        ("/health", Health(services)),
        ("/metrics", Metrics(services, requests)),
        ("/openapi.json", docs),
    ]
    app = falcon.App(
        request_type=Request, middleware=[requests, SecurityHeaders(), Authenticate(services)]
    )
    app.router_options.converters[IdConverter.NAME] = IdConverter
    errors.install(app)
    for path, resource in routes:
        check_declared(resource)
        _check_documented(path, resource)
        app.add_route(path, resource)
    docs.document = document(routes, __version__)
    return app


def _check_documented(path: str, resource: object) -> None:
    """A served method without an Op would be missing from /openapi.json: refuse to start."""
    for method in (*getattr(resource, "scopes", {}), *getattr(resource, "public", ())):
        if not documented(resource, method):
            raise RuntimeError(f"{method} {path} is served but not described in its `api`")
