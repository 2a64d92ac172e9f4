"""Local servers and probes for the network tests: nothing here talks to any host but
the test's own servers on loopback addresses.

- `serve(respond, host)`: an HTTP server on a loopback address whose answers the test
  writes (`respond(handler)`); it records every request (path, headers, SNI under TLS).
- `connections()`: every socket.connect the process makes while it is active (an audit
  hook), so a test can show that a refused address was never dialled.
- `tls_pair(name)`: a certificate for `name` from a CA made for the test, as a server
  context and a client context that trusts that CA only.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Respond = Callable[["Handler"], None]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    sni: str | None = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes
    server: LocalServer

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        sni = getattr(self.connection, "dgp_sni", None)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.seen.append(Seen(self.command, self.path, headers, sni))
        self.server.respond(self)

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.reply(status, headers={"Location": location})

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, respond: Respond, tls: ssl.SSLContext | None) -> None:
        super().__init__((host, 0), Handler)
        self.respond = respond
        self.seen: list[Seen] = []
        self.tls = tls
        if tls is not None:
            tls.sni_callback = _remember_sni

    def get_request(self) -> tuple[Any, Any]:
        conn, addr = super().get_request()
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, addr

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is not None:
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return  # the client refused our certificate: what some tests want
        super().finish_request(request, client_address)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str = "/", host: str | None = None, scheme: str = "http") -> str:
        return f"{scheme}://{host or self.server_address[0]}:{self.port}{path}"


def _remember_sni(sock: ssl.SSLSocket, name: str | None, _ctx: ssl.SSLContext) -> None:
    sock.dgp_sni = name  # type: ignore[attr-defined]


@contextmanager
def serve(
    respond: Respond, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
) -> Iterator[LocalServer]:
    server = LocalServer(host, respond, tls)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# -- connections: an audit hook, installed once, that records while a test listens ----------

_listeners: list[list[tuple[str, int]]] = []
_hooked = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect" and _listeners:
        address = args[1]
        if isinstance(address, tuple) and len(address) >= 2:
            for listener in _listeners:
                listener.append((str(address[0]), int(address[1])))


@contextmanager
def connections() -> Iterator[list[tuple[str, int]]]:
    """The (address, port) of every socket.connect made in this process meanwhile."""
    global _hooked
    if not _hooked:
        sys.addaudithook(_audit)  # cannot be removed: it records only while listened to
        _hooked = True
    seen: list[tuple[str, int]] = []
    _listeners.append(seen)
    try:
        yield seen
    finally:
        _listeners.remove(seen)


# -- processes: the argv of every subprocess started meanwhile (audit hook as well) -------

_process_listeners: list[list[list[str]]] = []
_process_hooked = False


def _audit_processes(event: str, args: tuple[Any, ...]) -> None:
    if event == "subprocess.Popen" and _process_listeners:
        argv = [str(a) for a in (args[1] or [])]
        for listener in _process_listeners:
            listener.append(argv)


@contextmanager
def processes() -> Iterator[list[list[str]]]:
    global _process_hooked
    if not _process_hooked:
        sys.addaudithook(_audit_processes)
        _process_hooked = True
    seen: list[list[str]] = []
    _process_listeners.append(seen)
    try:
        yield seen
    finally:
        _process_listeners.remove(seen)


# -- TLS -------------------------------------------------------------------------------------


@dataclass
class TLSPair:
    server: ssl.SSLContext
    client: ssl.SSLContext
    files: list[Path] = field(default_factory=list)


def tls_pair(name: str, workdir: Path, also: tuple[str, ...] = (), days: int = 1) -> TLSPair:
    """A server certificate for `name`, the names in `also` and 127.0.0.1, valid for `days`,
    signed by a CA made here."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dgp test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    *(x509.DNSName(n) for n in (name, *also)),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    cert_file, key_file, ca_file = workdir / "cert.pem", workdir / "key.pem", workdir / "ca.pem"
    cert_file.write_bytes(cert.public_bytes(pem))
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    ca_file.write_bytes(ca.public_bytes(pem))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(ca_file))
    return TLSPair(server, client, [cert_file, key_file, ca_file])
