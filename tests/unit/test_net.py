"""dgp.net: URL parsing and redaction, credentials refused, the SSRF policy, and the
bounded fetcher against servers the tests start on loopback addresses.

No test sends anything to any other host: names are resolved by injected resolvers,
and a refused address is shown never to be dialled (an audit hook sees every connect).
"""

from __future__ import annotations

import gzip
import re
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from dgp import __version__  # noqa: E402
from dgp.net import (  # noqa: E402
    NetPolicy,
    ResponseTooLarge,
    TargetRefused,
    TargetUnreachable,
    TLSFailed,
    TooManyRedirects,
    check_target,
    endpoint,
    find_credentials,
    parse_url,
    redact,
    redact_text,
    refuse_credentials,
)
from dgp.net.fetch import Fetcher, FetchLimits  # noqa: E402
from tests.netfixtures import Handler, connections, serve, tls_pair  # noqa: E402

LOOPBACK = NetPolicy.allowing("127.0.0.0/8", "::1/128")  # what the tests' servers need
SECRET = "s3cr3tV4lue"


class Resolver:
    """An injected resolver: names to addresses, and every lookup it was asked for."""

    def __init__(self, **names: str | list[str]) -> None:
        self.names = {
            k.replace("_", "."): [v] if isinstance(v, str) else v for k, v in names.items()
        }
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.names:
            raise TargetUnreachable(f"cannot resolve {host}: unknown to the test")
        return self.names[host]


def never_resolve(host: str, port: int) -> list[str]:
    raise AssertionError(f"{host} was looked up, but an address needs no lookup")


# -- URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,host,port,url",
    [
        ("HTTPS://Example.COM/a?b=1", "example.com", 443, "https://example.com/a?b=1"),
        ("http://example.com.:80", "example.com", 80, "http://example.com/"),
        ("https://BÜCHER.de/x", "xn--bcher-kva.de", 443, "https://xn--bcher-kva.de/x"),
        ("http://[::1]:8080/", "::1", 8080, "http://[::1]:8080/"),
        ("git://host.example/r.git", "host.example", 9418, "git://host.example/r.git"),
        ("git@github.com:acme/app.git", "github.com", 22, "git@github.com:acme/app.git"),
    ],
)
def test_urls_are_normalised(text: str, host: str, port: int, url: str) -> None:
    target = parse_url(text, ("http", "https", "git", "ssh"))
    assert (target.host, target.port, target.url) == (host, port, url)


@pytest.mark.parametrize(
    "numeric",
    ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x7f000001", "017700000001", "0X7F.0.0.1"],
)
def test_every_numeric_host_form_is_the_address_the_c_library_reads(numeric: str) -> None:
    target = parse_url(f"http://{numeric}:8080/")
    assert target.host == "127.0.0.1" and target.url == "http://127.0.0.1:8080/"
    with pytest.raises(TargetRefused, match=r"127\.0\.0\.1 is a loopback address"):
        check_target(target, NetPolicy(), never_resolve)


@pytest.mark.parametrize(
    "text,reason",
    [
        ("http://1.2.3.4.5/", "not a valid IPv4 address"),
        ("http://08.0.0.1/", "not a valid IPv4 address"),
        ("http://256.0.0.1/", "not a valid IPv4 address"),
        ("http://a..b/", "not a valid host name"),
        ("http://exa mple.com/", "spaces or control characters"),
        ("http://example.com\\@evil.test/", "backslash"),
        ("http://[fe80::1%25eth0]/", "zone"),
        ("http://example.com:0/", "port 0"),
        ("http://[::1/", "not a valid URL"),
        ("http://example.com:99999/", "not a valid port"),
        ("file:///etc/passwd", "file:// URLs are not accepted"),
        ("ftp://example.com/", "ftp:// URLs are not accepted"),
        ("javascript:alert(1)", "not a URL"),
        ("example.com/path", "not a URL"),
    ],
)
def test_what_does_not_parse_cleanly_is_refused(text: str, reason: str) -> None:
    with pytest.raises(TargetRefused, match=reason):
        parse_url(text)


@pytest.mark.parametrize(
    "target,expected",
    [
        ("https://github.com/acme/app.git", "github.com:443"),
        ("HTTP://Example.com:8080/x", "example.com:8080"),
        ("ssh://git@host.example:2222/r.git", "host.example:2222"),
        ("git@host.example:r.git", "host.example:22"),
        ("git://[2001:db8::1]/r.git", "[2001:db8::1]:9418"),
        ("http://0x7f.1/", "127.0.0.1:80"),
        ("file:///srv/repo.git", None),
        ("/srv/repo", None),
        ("upload:report.pdf", None),
    ],
)
def test_endpoint_names_host_and_port(target: str, expected: str | None) -> None:
    assert endpoint(target) == expected


# -- credentials: refused in targets, redacted wherever a URL is shown -------------------


@pytest.mark.parametrize(
    "target",
    [
        f"HTTPS://user:{SECRET}@github.com/x/y.git",
        f"https://user:{SECRET}@github.com/x/y.git",
        f"https://{SECRET}@github.com/x/y.git",  # a token as the user name
        f"Http://{SECRET}:x-oauth-basic@github.com/x/y.git",
        f"https:/user:{SECRET}@github.com/x/y.git",  # one slash: curl reads it all the same
        f"ssh://git:{SECRET}@github.com/x/y.git",
        f"git:{SECRET}@github.com:x/y.git",
        f"https://github.com/x/y.git?access_token={SECRET}",
        f"https://github.com/x/y.git?ACCESS_TOKEN={SECRET}",
        f"https://api.example/v1?page=2&api_key={SECRET}",
        f"https://api.example/v1?Api-Key={SECRET}",
        f"https://api.example/v1?key={SECRET}",
        f"https://api.example/v1?password={SECRET}",
        f"https://api.example/v1?client_secret={SECRET}",
        f"https://bucket.s3.example/o?X-Amz-Signature={SECRET}&X-Amz-Date=1",
        f"https://blob.example/c?sv=2024&sig={SECRET}",
        f"https://api.example/v1?auth={SECRET}",
        f"https://app.example/cb#access_token={SECRET}",
        f"https://api.example/v1?private%5Ftoken={SECRET}",
    ],
)
def test_credentials_in_a_target_are_refused_and_never_echoed(target: str) -> None:
    with pytest.raises(TargetRefused, match="credentials in the URL are not accepted") as caught:
        refuse_credentials(target)
    assert SECRET not in str(caught.value)
    assert SECRET not in redact_text(f"cloning {target} failed")
    assert SECRET not in redact(target)


@pytest.mark.parametrize(
    "target",
    [
        "https://github.com/acme/app.git",
        "ssh://git@github.com/acme/app.git",  # ssh's user names the account; a key is the secret
        "git@github.com:acme/app.git",
        "https://example.com/search?q=tokens&page=2&author=jan",
        "/srv/repositories/app",
        "upload:klanten.xlsx",
        "C:\\data\\export.csv",
    ],
)
def test_targets_without_credentials_pass(target: str) -> None:
    assert find_credentials(target) is None
    refuse_credentials(target)


def test_redaction_keeps_everything_but_the_secrets() -> None:
    text = (
        f"fatal: unable to access 'HTTPS://deploy:{SECRET}@git.example/r.git/?page=2&token={SECRET}':"
        f" see also ssh://git@host/x and https://h/?a=1#access_token={SECRET}"
    )
    assert redact_text(text) == (
        "fatal: unable to access 'HTTPS://***@git.example/r.git/?page=2&token=***':"
        " see also ssh://***@host/x and https://h/?a=1#access_token=***"
    )
    target = parse_url(f"https://u:{SECRET}@example.com/a?sig={SECRET}&b=2")
    assert target.display == "https://***@example.com/a?sig=***&b=2"
    assert str(target) == target.display and SECRET not in repr(target)


# -- the address policy ----------------------------------------------------------------


@pytest.mark.parametrize(
    "address,reason",
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.5.4", "private"),
        ("192.168.0.1", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("fc00::1", "unique local"),
        ("fd12:3456::1", "unique local"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.170.2", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "this network"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.1", "documentation"),
        ("2001:db8::1", "documentation"),
        ("198.18.0.1", "benchmarking"),
        ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1, a loopback"),
        ("::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254, a cloud metadata"),
        ("::ffff:8.8.8.8", "IPv4-mapped IPv6 address"),
        ("::10.0.0.1", "IPv4-compatible form of 10.0.0.1"),
        ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254"),
        ("2002:0a00:0001::1", "6to4 form of 10.0.0.1"),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo form of 10.0.0.1"),
        ("5f00::1", "reserved IPv6"),
    ],
)
def test_non_public_addresses_are_refused(address: str, reason: str) -> None:
    refusal = NetPolicy().refusal(address)
    assert refusal is not None and reason in refusal


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::808:808"]
)
def test_public_addresses_pass(address: str) -> None:
    assert NetPolicy().refusal(address) is None


def test_an_administrator_allows_private_networks_but_not_the_metadata_service() -> None:
    private = NetPolicy(allow_private=True)
    for address in ("10.0.0.1", "127.0.0.1", "fd12::1", "::ffff:192.168.1.1", "100.64.1.1"):
        assert private.refusal(address) is None, address
    for address in ("169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "0.0.0.0"):
        assert private.refusal(address) is not None, address
    listed = NetPolicy.allowing("10.20.0.0/16")
    assert listed.refusal("10.20.3.4") is None
    assert listed.refusal("10.21.0.1") == "a private address"
    assert NetPolicy.allowing("169.254.169.254").refusal("169.254.169.254") is None


def test_a_name_is_refused_when_any_of_its_addresses_is_private() -> None:
    resolver = Resolver(internal_example=["93.184.216.34", "10.0.0.7"])
    target = parse_url("https://internal.example/")
    with pytest.raises(TargetRefused, match=r"internal.example resolves to 10.0.0.7, a private"):
        check_target(target, NetPolicy(), resolver)
    assert resolver.calls == ["internal.example"]
    public = Resolver(public_example="93.184.216.34")
    checked = check_target(parse_url("https://public.example/"), NetPolicy(), public)
    assert checked.addresses == ("93.184.216.34",)


# -- the fetcher, against servers on loopback -------------------------------------------


def hello(handler: Handler) -> None:
    handler.reply(200, b"hello", {"Content-Type": "text/plain"})


def test_a_fetch_says_who_asks_and_reads_the_body() -> None:
    with serve(hello) as server, Fetcher(LOOPBACK) as fetcher:
        got = fetcher.get(server.url("/page"))
    assert (got.status, got.body, got.addresses) == (200, b"hello", ("127.0.0.1",))
    assert server.seen[0].headers["user-agent"] == f"DataGuardianPro/{__version__} (+privacy scan)"


def test_loopback_is_refused_by_default_before_any_connection() -> None:
    with (
        serve(hello) as server,
        connections() as dialled,
        Fetcher() as fetcher,
        pytest.raises(TargetRefused, match=r"127\.0\.0\.1 is a loopback address: refused"),
    ):
        fetcher.get(server.url("/"))
    assert dialled == [] and server.seen == []


@pytest.mark.parametrize(
    "location,reason",
    [
        ("http://10.0.0.1/admin", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata"),
        ("http://[::ffff:a9fe:a9fe]/latest/meta-data/", "form of 169.254.169.254"),
        ("http://0xa9fea9fe/latest/meta-data/", "169.254.169.254 is a cloud metadata"),
        ("http://metadata.internal/computeMetadata/", "resolves to 169.254.169.254"),
        ("http://intranet.example:8080/", "resolves to 10.1.1.1, a private"),
    ],
)
def test_a_redirect_to_a_private_address_is_refused_before_connecting(
    location: str, reason: str
) -> None:
    resolver = Resolver(metadata_internal="169.254.169.254", intranet_example="10.1.1.1")
    with (
        serve(lambda h: h.redirect(location)) as server,
        connections() as dialled,
        Fetcher(LOOPBACK, resolver=resolver) as fetcher,
        pytest.raises(TargetRefused, match=re.escape(reason)) as caught,
    ):
        fetcher.get(server.url("/start"))
    assert "redirects to" in str(caught.value)
    assert [address for address, _ in dialled] == ["127.0.0.1"]  # the server, nothing else
    assert len(server.seen) == 1


def test_the_checked_address_is_the_one_dialled_and_the_name_is_resolved_once() -> None:
    # a name that would answer differently the second time (DNS rebinding) gets no second time
    class Rebinding(Resolver):
        def __call__(self, host: str, port: int) -> list[str]:
            self.calls.append(host)
            return ["127.0.0.1"] if len(self.calls) == 1 else ["10.9.9.9"]

    resolver = Rebinding()
    with (
        serve(hello) as server,
        connections() as dialled,
        Fetcher(LOOPBACK, resolver=resolver) as fetcher,
    ):
        got = fetcher.get(server.url("/", host="pinned.test"))
    assert got.body == b"hello" and resolver.calls == ["pinned.test"]
    assert dialled == [("127.0.0.1", server.port)]
    assert server.seen[0].headers["host"] == f"pinned.test:{server.port}"


def test_tls_verifies_the_name_while_the_connection_is_pinned(tmp_path: Path) -> None:
    pair = tls_pair("pinned.test", tmp_path)
    resolver = Resolver(pinned_test="127.0.0.1")
    with serve(hello, tls=pair.server) as server:
        url = server.url("/", host="pinned.test", scheme="https")
        with Fetcher(LOOPBACK, resolver=resolver, ssl_context=pair.client) as fetcher:
            assert fetcher.get(url).body == b"hello"
        assert server.seen[0].sni == "pinned.test"
        assert server.seen[0].headers["host"] == f"pinned.test:{server.port}"
        with (  # the system's CAs do not know the test's CA: a clear error, never a fallback
            Fetcher(LOOPBACK, resolver=resolver) as fetcher,
            pytest.raises(TLSFailed, match="certificate does not verify"),
        ):
            fetcher.get(url)
        wrong_name = Resolver(other_test="127.0.0.1")
        with (
            Fetcher(LOOPBACK, resolver=wrong_name, ssl_context=pair.client) as fetcher,
            pytest.raises(TLSFailed, match=r"Hostname mismatch|does not verify"),
        ):
            fetcher.get(server.url("/", host="other.test", scheme="https"))


def endless(handler: Handler) -> None:
    """A body that never ends, as fast as the client reads it."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/octet-stream")
    handler.send_header("Connection", "close")
    handler.end_headers()
    block = b"x" * 65536
    try:
        while True:
            handler.wfile.write(block)
    except OSError:
        handler.close_connection = True


def test_a_huge_response_stops_at_the_byte_limit() -> None:
    limits = FetchLimits(max_bytes=1_000_000, total_seconds=60)
    with serve(endless) as server, Fetcher(LOOPBACK, limits) as fetcher:
        with pytest.raises(ResponseTooLarge, match="larger than 1000000 bytes"):
            fetcher.get(server.url("/big"))
        with fetcher.open(server.url("/big")) as response:
            read = 0
            with pytest.raises(ResponseTooLarge):
                for chunk in response.iter_bytes():
                    read += len(chunk)
        assert read <= 1_000_000


def test_a_compressed_body_is_bounded_after_decompression() -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)  # ~20 kB on the wire

    def send_bomb(handler: Handler) -> None:
        handler.reply(200, bomb, {"Content-Encoding": "gzip"})

    limits = FetchLimits(max_bytes=1_000_000)
    sizes: list[int] = []
    with (
        serve(send_bomb) as server,
        Fetcher(LOOPBACK, limits) as fetcher,
        fetcher.open(server.url("/")) as response,
        pytest.raises(ResponseTooLarge),
    ):
        sizes.extend(len(chunk) for chunk in response.iter_bytes())
    assert sum(sizes) <= 1_000_000  # never more than the limit in memory
    small = gzip.compress(b"klant 123456782\n" * 100)
    with (
        serve(lambda h: h.reply(200, small, {"Content-Encoding": "gzip"})) as server,
        Fetcher(LOOPBACK) as fetcher,
    ):
        assert fetcher.get(server.url("/")).body == b"klant 123456782\n" * 100


def test_a_slow_server_is_stopped_at_the_time_limit() -> None:
    stop = threading.Event()

    def trickle(handler: Handler) -> None:  # a byte every 0.2 s: no read ever times out
        handler.send_response(200)
        handler.send_header("Content-Length", "1000000")
        handler.end_headers()
        while not stop.wait(0.2):
            try:
                handler.wfile.write(b".")
                handler.wfile.flush()
            except OSError:
                return

    limits = FetchLimits(total_seconds=1.0)
    try:
        with serve(trickle) as server, Fetcher(LOOPBACK, limits) as fetcher:
            started = time.monotonic()
            with pytest.raises(TargetUnreachable, match="took longer than 1 s"):
                fetcher.get(server.url("/slow"))
            assert time.monotonic() - started < 10  # bounded, not a timing target
    finally:
        stop.set()


def test_a_server_that_never_answers_is_stopped_at_the_time_limit() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts (the kernel does) and never says a word
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        with Fetcher(LOOPBACK, FetchLimits(total_seconds=0.5)) as fetcher:
            started = time.monotonic()
            with pytest.raises(TargetUnreachable, match=r"took longer than 0.5 s"):
                fetcher.get(url)
            assert time.monotonic() - started < 10
    finally:
        listener.close()


def test_redirects_are_bounded() -> None:
    def again(handler: Handler) -> None:
        n = int(handler.path.rsplit("/", 1)[1])
        handler.redirect(f"/r/{n + 1}", 307)

    with (
        serve(again) as server,
        Fetcher(LOOPBACK, FetchLimits(max_redirects=4)) as fetcher,
        pytest.raises(TooManyRedirects, match="more than 4 redirects"),
    ):
        fetcher.get(server.url("/r/0"))
    assert [s.path for s in server.seen] == [f"/r/{n}" for n in range(5)]


def test_followed_redirects_are_reported_and_credentials_stay_with_their_origin() -> None:
    with serve(hello, host="127.0.0.2") as other:
        final = other.url("/end")

        def first(handler: Handler) -> None:
            if handler.path == "/start":
                handler.redirect("/middle", 301)
            else:
                handler.redirect(final, 303)

        with serve(first) as server, Fetcher(LOOPBACK) as fetcher:
            got = fetcher.get(server.url("/start"), headers={"Authorization": f"Bearer {SECRET}"})
    assert got.body == b"hello" and got.url.url == final
    assert got.redirects == (server.url("/start"), server.url("/middle"))
    assert all(s.headers["authorization"] == f"Bearer {SECRET}" for s in server.seen)
    assert "authorization" not in other.seen[0].headers  # another origin: not sent on


def test_credentials_in_a_fetched_url_or_a_redirect_are_refused() -> None:
    redirecting = serve(lambda h: h.redirect(f"http://u:{SECRET}@127.0.0.1:1/"))
    with redirecting as server, Fetcher(LOOPBACK) as fetcher:
        with pytest.raises(TargetRefused, match="credentials") as caught:
            fetcher.get(server.url("/").replace("http://", f"http://u:{SECRET}@"))
        assert SECRET not in str(caught.value)
        with pytest.raises(TargetRefused, match="a URL with credentials") as redirected:
            fetcher.get(server.url("/"))
        assert SECRET not in str(redirected.value)


def test_a_refused_connection_is_unreachable_not_final() -> None:
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()  # nothing listens there now
    with Fetcher(LOOPBACK) as fetcher, pytest.raises(TargetUnreachable) as caught:
        fetcher.get(f"http://127.0.0.1:{port}/")
    assert caught.value.unreachable and f"127.0.0.1:{port}" in str(caught.value)


# -- proxies from the environment --------------------------------------------------------


def as_proxy(handler: Handler) -> None:
    handler.reply(200, f"proxied {handler.path}".encode())


def test_the_proxy_from_the_environment_is_used_and_the_target_still_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolver = Resolver(public_example="93.184.216.34", intranet_example="10.0.0.5")
    with serve(as_proxy) as proxy:
        for name in ("HTTP_PROXY", "http_proxy"):
            monkeypatch.setenv(name, proxy.url(""))
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with connections() as dialled, Fetcher(resolver=resolver) as fetcher:
            got = fetcher.get("http://public.example/page?q=1")
            assert got.body == b"proxied http://public.example/page?q=1"
            with pytest.raises(TargetRefused, match=r"resolves to 10\.0\.0\.5"):
                fetcher.get("http://intranet.example/")
    assert resolver.calls == ["public.example", "intranet.example"]  # checked, also when proxied
    assert [s.path for s in proxy.seen] == ["http://public.example/page?q=1"]
    assert {address for address, _ in dialled} == {"127.0.0.1"}  # the proxy only


def test_no_proxy_sends_a_host_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    resolver = Resolver(direct_test="127.0.0.1")
    with serve(as_proxy) as proxy, serve(hello) as server:
        monkeypatch.setenv("http_proxy", proxy.url(""))
        monkeypatch.setenv("no_proxy", "direct.test")
        with Fetcher(LOOPBACK, resolver=resolver) as fetcher:
            assert fetcher.get(server.url("/", host="direct.test")).body == b"hello"
    assert proxy.seen == []
