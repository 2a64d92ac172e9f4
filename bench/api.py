"""The API scanner's speed against a local API of 200 operations (passive mode).

    python bench/api.py [--operations 200]

The API (a Falcon app with its OpenAPI document, every operation returning a JSON
list of records with personal data) runs in a child process on loopback, so its CPU
is not the scanner's. Printed:
- requests per second and total time of one passive scan;
- the share of the scan's time spent in the detection engine (ScanSession.scan_text);
- the scanner's own overhead per request: the scan's time minus the time spent
  waiting for answers (sending, the server, reading) and minus the pacing waits,
  divided by the requests sent. Target: below 2 ms per request.
- a same-run baseline: plain sequential httpx GETs of the same operations, so the
  time per request of a bare client is there to compare with.
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (first: keeps bench/ off the import path)

import argparse
import json
import multiprocessing
import time
from typing import Any

import httpx

from dgp.domain.job import ScanInputs, ScanJob
from dgp.net import NetPolicy
from dgp.scanners import session as session_module
from dgp.scanners.api import client as client_module
from dgp.scanners.api import document as document_module
from dgp.scanners.api import scanner
from dgp.scanners.api.options import ApiOptions

RECORD = {
    "id": 1,
    "naam": "Jan Jansen",
    "email": "jan.jansen@voorbeeld.nl",
    "telefoon": "+31 6 12345678",
    "woonplaats": "Utrecht",
    "status": "actief",
}


def document(operations: int) -> dict[str, Any]:
    item = {"type": "object", "properties": {"id": {"type": "integer"}, "naam": {"type": "string"}}}
    ok = {
        "description": "ok",
        "content": {"application/json": {"schema": {"type": "array", "items": item}}},
    }
    paths = {
        f"/r{i}/{{id}}": {
            "get": {
                "operationId": f"r{i}",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                        "example": i,
                    }
                ],
                "responses": {"200": ok},
            }
        }
        for i in range(operations)
    }
    return {"openapi": "3.0.3", "info": {"title": "bench", "version": "1"}, "paths": paths}


def serve(operations: int, port: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    import falcon

    body = json.dumps(document(operations)).encode()
    records = json.dumps([{**RECORD, "id": n} for n in range(5)]).encode()

    class Doc:
        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            resp.data, resp.content_type = body, "application/json"

    class Records:
        def on_get(self, req: falcon.Request, resp: falcon.Response, n: str, id: str) -> None:
            resp.data, resp.content_type = records, "application/json"
            resp.set_header("RateLimit-Limit", "1000")

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    app = falcon.App()
    app.add_route("/openapi.json", Doc())
    app.add_route("/r{n}/{id}", Records())
    server = make_server("127.0.0.1", 0, app, server_class=Server, handler_class=Quiet)
    port.put(server.server_address[1])
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--operations", type=int, default=200)
    args = parser.parse_args()
    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=serve, args=(args.operations, ports), daemon=True)
    server.start()
    try:
        port = ports.get(timeout=30)
        base = f"http://127.0.0.1:{port}/"
        # warm: the detector compiled, the server's first answers
        scanner.warm_up()
        httpx.get(base + "openapi.json")

        engine = {"seconds": 0.0}
        original = session_module.ScanSession.scan_text

        def timed(self: Any, *a: Any, **k: Any) -> int:
            start = time.perf_counter()
            try:
                return original(self, *a, **k)
            finally:
                engine["seconds"] += time.perf_counter() - start

        session_module.ScanSession.scan_text = timed  # type: ignore[method-assign]
        clients: list[client_module.Client] = []
        original_init = client_module.Client.__init__

        def keep(self: client_module.Client, *a: Any, **k: Any) -> None:
            original_init(self, *a, **k)
            clients.append(self)

        client_module.Client.__init__ = keep  # type: ignore[method-assign]
        validation = {"seconds": 0.0}
        original_validate = document_module.validate

        def timed_validate(data: Any, max_errors: int = 5) -> list[str]:
            start = time.perf_counter()
            try:
                return original_validate(data, max_errors)
            finally:
                validation["seconds"] += time.perf_counter() - start

        document_module.validate = timed_validate
        options = ApiOptions(requests_per_second=1000.0, max_operations=args.operations)
        job = ScanJob("api", base, options)
        runtime = scanner.Runtime(proxies={}, policy=NetPolicy.allowing("127.0.0.0/8"))
        start = time.perf_counter()
        result = scanner.scan(job, ScanInputs(hash_key=b"b" * 32), runtime)
        total = time.perf_counter() - start
        client = clients[0]
        requests = len(client.sent)
        own = total - client.server_seconds - client.paced_seconds

        urls = [f"{base}r{i}/{i}" for i in range(args.operations)]
        with httpx.Client() as plain:
            start = time.perf_counter()
            for url in urls:
                plain.get(url).read()
            baseline = (time.perf_counter() - start) / len(urls)

        print(
            f"operations: {args.operations}; requests sent: {requests}; "
            f"findings: {len(result.findings)}; status: {result.scan.status}"
        )
        print(f"total time: {total:.2f} s; requests per second: {requests / total:.0f}")
        print(
            f"waiting for answers: {client.server_seconds:.2f} s; pacing waits: "
            f"{client.paced_seconds:.2f} s"
        )
        print(
            f"engine: {engine['seconds']:.2f} s = {100 * engine['seconds'] / total:.1f}% "
            "of the scan"
        )
        print(
            f"scanner's own overhead: {1000 * own / requests:.2f} ms per request "
            f"(target < 2 ms): {'OK' if own / requests < 0.002 else 'ABOVE TARGET'}"
        )
        per_request = (own - validation["seconds"]) / requests
        print(
            f"OpenAPI validation (once per scan, openapi-spec-validator): "
            f"{validation['seconds']:.2f} s; own overhead per request without it: "
            f"{1000 * per_request:.2f} ms; without it and the engine: "
            f"{1000 * (per_request - engine['seconds'] / requests):.2f} ms"
        )
        print(
            f"baseline, plain httpx GET: {1000 * baseline:.2f} ms per request; one scan "
            f"request including its answer: {1000 * total / requests:.2f} ms "
            f"({total / requests / baseline:.1f}x)"
        )
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
