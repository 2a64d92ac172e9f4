"""A small API for the API scanner's tests: a Falcon app with an OpenAPI document,
served on a loopback address (over TLS with a test CA, or plain HTTP), that records
every request it gets (method and path), so a test can show what a scan sent.

Endpoints of `privacy_api()`, each with one problem (and one without):
- GET /citizens: no authentication, returns BSNs, e-mail addresses and more fields
  than its documented schema declares;
- GET /profile: Access-Control-Allow-Origin: * with credentials;
- GET /orders/{order_id}: a stack trace when the id is not a number;
- GET /account: behind a bearer token, nothing personal (the clean one);
- GET /search?email=...: personal data in a query parameter.
Every answer carries the headers a careful API sends (HSTS, nosniff, no-store,
RateLimit), so each endpoint's findings are its own problem only.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import falcon

from dgp.net import TargetUnreachable
from tests.netfixtures import TLSPair, tls_pair

TOKEN = "dgp-test-token-5f1c9a"  # the bearer token of /account (stored as a credential)
HOST = "api.voorbeeld.nl"
CAREFUL_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "RateLimit-Limit": "100",
    "RateLimit-Remaining": "99",
}
CITIZENS = [
    {
        "id": 1,
        "naam": "Jan Jansen",
        "email": "jan.jansen@voorbeeld.nl",
        "bsn": "111222333",
        "geboortedatum": "1980-03-14",
        "telefoon": "+31 6 12345678",
        "iban": "NL91ABNA0417164300",
    },
    {
        "id": 2,
        "naam": "Fatima el Amrani",
        "email": "f.elamrani@voorbeeld.nl",
        "bsn": "123456782",
        "geboortedatum": "1975-11-02",
        "telefoon": "+31 6 87654321",
        "iban": "NL20INGB0001234567",
    },
]


def openapi_document() -> dict[str, Any]:
    citizen = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "naam": {"type": "string"},
            "email": {"type": "string", "format": "email"},
        },
    }
    ok = {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Voorbeeld burgerzaken API", "version": "1.0"},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Citizen": citizen},
        },
        "paths": {
            "/citizens": {
                "get": {
                    "operationId": "listCitizens",
                    "responses": {
                        "200": {
                            "description": "citizens",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Citizen"},
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/profile": {"get": {"operationId": "profile", "responses": {"200": ok}}},
            "/orders/{order_id}": {
                "get": {
                    "operationId": "order",
                    "parameters": [
                        {
                            "name": "order_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                            "example": 7,
                        }
                    ],
                    "responses": {"200": ok},
                }
            },
            "/account": {
                "get": {
                    "operationId": "account",
                    "security": [{"bearer": []}],
                    "responses": {"200": ok, "401": {"description": "no token"}},
                }
            },
            "/search": {
                "get": {
                    "operationId": "search",
                    "parameters": [
                        {
                            "name": "email",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "format": "email"},
                            "example": "someone@example.org",
                        }
                    ],
                    "responses": {"200": ok},
                }
            },
        },
    }


class Careful:
    """Falcon middleware: the headers a careful API sends on every answer."""

    def process_response(self, req: Any, resp: falcon.Response, resource: Any, ok: bool) -> None:
        for name, value in CAREFUL_HEADERS.items():
            if resp.get_header(name) is None:
                resp.set_header(name, value)


class Document:
    def __init__(self, body: bytes, media_type: str = "application/json") -> None:
        self.body, self.media_type = body, media_type

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.data, resp.content_type = self.body, self.media_type


class Citizens:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = CITIZENS


class Profile:
    def _cors(self, resp: falcon.Response) -> None:
        resp.set_header("Access-Control-Allow-Origin", "*")
        resp.set_header("Access-Control-Allow-Credentials", "true")

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._cors(resp)
        resp.media = {"theme": "dark", "language": "nl"}

    def on_options(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._cors(resp)
        resp.set_header("Allow", "GET, OPTIONS")


class Orders:
    def on_get(self, req: falcon.Request, resp: falcon.Response, order_id: str) -> None:
        try:
            number = int(order_id)
        except ValueError:  # the debug page of a careless deployment
            resp.status = falcon.HTTP_500
            resp.content_type = "text/plain"
            resp.text = traceback.format_exc()
            return
        resp.media = {"order": number, "total": 12.5, "currency": "EUR"}


class Account:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.get_header("Authorization") != f"Bearer {TOKEN}":
            resp.status = falcon.HTTP_401
            resp.media = {"error": "unauthorised"}
            return
        resp.media = {"plan": "pro", "active": True, "seats": 5}


class Search:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"results": [], "count": 0}


def privacy_api(document: dict[str, Any] | None = None) -> falcon.App:
    app = falcon.App(middleware=[Careful()])
    body = json.dumps(document or openapi_document()).encode()
    app.add_route("/openapi.json", Document(body))
    app.add_route("/citizens", Citizens())
    app.add_route("/profile", Profile())
    app.add_route("/orders/{order_id}", Orders())
    app.add_route("/account", Account())
    app.add_route("/search", Search())
    return app


@dataclass
class Recorded:
    method: str
    path: str  # with the query string


@dataclass
class Recorder:
    """A WSGI wrapper that records every request before the app sees it."""

    app: Callable[..., Any]
    seen: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        with self.lock:
            self.seen.append(Recorded(environ["REQUEST_METHOD"], path))

        def start(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            if not any(name.lower() == "server" for name, _ in headers):
                headers.append(("Server", "test"))  # not wsgiref's name and version
            return start_response(status, headers, *exc)

        return self.app(environ, start)

    def methods(self) -> set[str]:
        with self.lock:
            return {r.method for r in self.seen}


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    tls: ssl.SSLContext | None = None

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.tls is not None:
            sock.settimeout(10)
            sock = self.tls.wrap_socket(sock, server_side=True)
            sock.settimeout(None)
        return sock, address


@dataclass
class ServedApi:
    recorder: Recorder
    port: int
    scheme: str
    tls: TLSPair | None

    def url(self, path: str = "/", host: str = HOST) -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"


@contextmanager
def serving(
    app: Callable[..., Any], workdir: Path | None = None, *, tls: bool = True, days: int = 90
) -> Iterator[ServedApi]:
    """`app` on 127.0.0.1 (an ephemeral port), over TLS for HOST when `tls`."""
    recorder = Recorder(app)
    server = make_server("127.0.0.1", 0, recorder, server_class=_Server, handler_class=_Quiet)
    pair = None
    if tls:
        assert workdir is not None
        pair = tls_pair(HOST, workdir, days=days)
        server.tls = pair.server
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield ServedApi(recorder, server.server_address[1], "https" if tls else "http", pair)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def resolver(host: str, port: int) -> list[str]:
    """Test host names (*.voorbeeld.nl) are on loopback; nothing else resolves."""
    if host == "voorbeeld.nl" or host.endswith(".voorbeeld.nl") or host == "127.0.0.1":
        return ["127.0.0.1"]
    raise TargetUnreachable(f"cannot resolve {host}: not a test host")


def wait_until(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Poll for an event (a thread that records), never a fixed sleep."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()
