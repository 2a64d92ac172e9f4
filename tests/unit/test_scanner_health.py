"""web -> scanner /health over HTTP, through a breaker (loopback only)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from dgp.plumbing.breakers import Breakers
from dgp.plumbing.scanner_health import ScannerHealth


class Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"status": "ok", "kind": "code"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_answers_and_opens_its_breaker_for_a_dead_scanner() -> None:
    server = HTTPServer(("127.0.0.1", 0), Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        health = ScannerHealth(
            Breakers(fail_max=2, reset_timeout=30),
            {"code": f"http://127.0.0.1:{server.server_port}", "document": "http://127.0.0.1:1"},
        )
        assert health("code") == {"status": "ok", "kind": "code"}
        assert (health("document") or {})["status"] == "unreachable"
        health("document")  # the second failure opens the breaker
        assert health("document") == {"status": "unavailable", "breaker": "open", "retry_after": 30}
        assert health("image") is None  # its app does not run on this host
    finally:
        server.shutdown()
