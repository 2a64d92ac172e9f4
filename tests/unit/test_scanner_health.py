"""web -> scanner /health over HTTP, through a breaker (loopback only)."""

from dgp.plumbing.breakers import Breakers
from dgp.plumbing.scanner_health import ScannerHealth
from tests.netfixtures import Handler, serve


def healthy(handler: Handler) -> None:
    handler.reply(200, b'{"status": "ok", "kind": "code"}', {"Content-Type": "application/json"})


def test_answers_and_opens_its_breaker_for_a_dead_scanner() -> None:
    with serve(healthy) as server:
        port = server.server_address[1]
        health = ScannerHealth(
            Breakers(fail_max=2, reset_timeout=30),
            {"code": f"http://127.0.0.1:{port}", "document": "http://127.0.0.1:1"},
        )
        assert health("code") == {"status": "ok", "kind": "code"}
        assert (health("document") or {})["status"] == "unreachable"
        health("document")  # the second failure opens the breaker
        assert health("document") == {"status": "unavailable", "breaker": "open", "retry_after": 30}
        assert health("image") is None  # its app does not run on this host
