"""A gunicorn worker whose /health requests never queue behind the app's other requests.

gunicorn's gthread worker hands each readable connection to one thread pool, first come
first served. Under a flood (64 clients failing to sign in as fast as they can, each
answer a quick 429) every thread has a queue of flood requests before it, and the
health check Nginx, systemd and the operators rely on waits behind all of them
(bench/health.py --login-flood measured p50 92 ms, p99 542 ms, against 2 ms idle).

So a connection whose waiting request is a `GET /health` (seen with MSG_PEEK: nothing
is read, gunicorn parses the request as always) goes to a small pool of its own. Only
the routing changes: the request is served by the same app, with the same middleware
and the same answer. A client can at worst send its own requests to this lane by
sending health checks, which are cheap and bounded by the lane's threads. A new
connection whose request has not arrived when it is accepted goes to the main pool
(nothing to peek at yet); a kept-alive one (a monitor's, Nginx's upstream keepalive)
is routed by its next request.
"""

from __future__ import annotations

import socket
import sys
from concurrent import futures
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

HEALTH_LANE_THREADS = 2
GIL_SWITCH_SECONDS = 0.001
_HEALTH_REQUEST_LINES = (b"GET /health ", b"GET /health?")
_PEEK = max(len(line) for line in _HEALTH_REQUEST_LINES)


def is_health_request(head: bytes) -> bool:
    """Whether the first bytes a client sent are the request line of GET /health."""
    return head.startswith(_HEALTH_REQUEST_LINES)


def waiting_request_head(sock: socket.socket) -> bytes:
    """The first bytes of what waits on `sock`, left in place; b"" when nothing does yet
    (or the socket is TLS, whose bytes say nothing before the handshake)."""
    if not isinstance(sock, socket.socket) or hasattr(sock, "do_handshake"):
        return b""
    try:
        return sock.recv(_PEEK, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:  # nothing there yet, or the peer went: the main pool deals with it
        return b""


class HealthLaneWorker(ThreadWorker):  # type: ignore[misc]
    """gthread with a second, small thread pool for GET /health."""

    def init_process(self) -> None:
        # a thread that wants the GIL waits up to this long for the one holding it (5 ms
        # by default): under a flood, each of a health check's few hand-overs waited so
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
        self.health_pool = futures.ThreadPoolExecutor(
            max_workers=HEALTH_LANE_THREADS, thread_name_prefix="health-lane"
        )
        super().init_process()

    def enqueue_req(self, conn: Any) -> None:
        if not is_health_request(waiting_request_head(conn.sock)):
            super().enqueue_req(conn)
            return
        fs = self.health_pool.submit(self.handle, conn)
        fs.add_done_callback(lambda fut: self.method_queue.defer(self.finish_request, conn, fut))

    def handle_quit(self, sig: Any, frame: Any) -> None:
        self.health_pool.shutdown(wait=False)
        super().handle_quit(sig, frame)
