"""Web sites for the website scanner's tests, served on loopback.

One server answers for every host name of a test (dispatching on the Host header):
the site itself and the third parties it uses (www.google-analytics.com,
connect.facebook.net, ...). A resolver maps all of those names to 127.0.0.1 for the
HTTP client and for the browser's policy proxy, so no test reaches the internet.
Third-party URLs in the pages carry the test server's port.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from dgp.net import TargetUnreachable
from tests.netfixtures import Handler, LocalServer, TLSPair, serve, tls_pair

Route = tuple[int, dict[str, str], bytes] | Callable[[Handler], None]

SECURE_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "Content-Security-Policy": "default-src 'self' https: 'unsafe-inline'",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
HTML = {"Content-Type": "text/html; charset=utf-8"}


@dataclass
class Web:
    """Routes per host name ("*" for any host)."""

    routes: dict[str, dict[str, Route]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # on every HTML answer

    def add(self, host: str, path: str, body: str | bytes, headers: dict[str, str] | None = None,
            status: int = 200) -> None:  # fmt: skip
        data = body.encode() if isinstance(body, str) else body
        kind = headers or (HTML if isinstance(body, str) else {})
        self.routes.setdefault(host, {})[path] = (status, {**kind}, data)

    def handle(self, host: str, path: str, route: Route) -> None:
        self.routes.setdefault(host, {})[path] = route

    def respond(self, handler: Handler) -> None:
        host = (handler.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        path = handler.path.split("?", 1)[0]
        route = self.routes.get(host, {}).get(path) or self.routes.get("*", {}).get(path)
        if route is None:
            handler.reply(404, b"not found", {"Content-Type": "text/plain"})
            return
        if callable(route):
            route(handler)
            return
        status, headers, body = route
        extra = self.headers if headers.get("Content-Type", "").startswith("text/html") else {}
        handler.reply(status, body, {**extra, **headers})


@dataclass
class Served:
    server: LocalServer
    scheme: str
    tls: TLSPair | None

    @property
    def port(self) -> int:
        return self.server.port

    def url(self, host: str, path: str = "/") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def spki(self) -> tuple[str, ...]:
        """The certificate's key as Chromium's --ignore-certificate-errors-spki-list wants."""
        if self.tls is None:
            return ()
        cert = x509.load_pem_x509_certificate(self.tls.files[0].read_bytes())
        der = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return (base64.b64encode(hashlib.sha256(der).digest()).decode(),)


def resolver(*names: str, special: dict[str, str] | None = None) -> Callable[[str, int], list[str]]:
    """Every test name (and anything under them) to 127.0.0.1, the `special` ones to their
    own address; others do not resolve."""

    def resolve(host: str, port: int) -> list[str]:
        if special and host in special:
            return [special[host]]
        if any(host == n or host.endswith("." + n) for n in names):
            return ["127.0.0.1"]
        raise TargetUnreachable(f"cannot resolve {host}: not a test host")

    return resolve


@contextmanager
def running(
    web: Web, tls_names: tuple[str, ...] = (), workdir: Path | None = None, days: int = 90
) -> Iterator[Served]:
    """The web served over http, or over https with a certificate for `tls_names`."""
    pair = None
    if tls_names:
        assert workdir is not None
        pair = tls_pair(tls_names[0], workdir, tls_names[1:], days=days)
    with serve(web.respond, tls=pair.server if pair else None) as server:
        yield Served(server, "https" if pair else "http", pair)


# -- building blocks of the test sites -------------------------------------------------------


def page(body: str, lang: str = "nl", head: str = "", title: str = "Voorbeeld") -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f"{head}</head><body>{body}</body></html>"
    )


FOOTER = (
    "<footer><p>Voorbeeld B.V. - KvK 12345678 - "
    '<a href="/privacyverklaring">Privacyverklaring</a> - '
    '<a href="/contact">Contact</a></p></footer>'
)

POLICY_NL = """
<h1>Privacyverklaring</h1>
<p>Voorbeeld B.V. (Voorbeeldstraat 1, 1234 AB Amsterdam, privacy@voorbeeld.nl) is de
verwerkingsverantwoordelijke voor de verwerking van uw persoonsgegevens.</p>
<p>Onze functionaris gegevensbescherming is bereikbaar via fg@voorbeeld.nl.</p>
<h2>Doeleinden en grondslag</h2>
<p>Wij verwerken uw gegevens voor de volgende doeleinden: het beantwoorden van vragen en
het meten van het gebruik van de website. De grondslag is uw toestemming of ons
gerechtvaardigd belang.</p>
<h2>Ontvangers</h2><p>Wij delen gegevens alleen met verwerkers die voor ons werken.</p>
<h2>Bewaartermijn</h2><p>Wij bewaren uw gegevens niet langer dan twaalf maanden.</p>
<h2>Uw rechten</h2><p>U heeft recht op inzage, correctie en verwijdering van uw gegevens,
en u kunt bezwaar maken tegen de verwerking.</p>
<h2>Klacht</h2><p>U heeft het recht een klacht in te dienen bij de Autoriteit
Persoonsgegevens.</p>
"""
TRANSFERS_NL = """<h2>Doorgifte</h2><p>Sommige diensten zitten buiten de Europese Economische
Ruimte; wij gebruiken daarvoor de standaardcontractbepalingen van de Europese Commissie.</p>"""

BANNER_STYLE = (
    "<style>#cookiebanner{position:fixed;bottom:0;left:0;right:0;background:#eee;"
    "padding:20px;z-index:10000}#instellingen{display:none}</style>"
)


def banner(first_layer: str, settings: str = "") -> str:
    return (
        '<div id="cookiebanner"><p>Wij gebruiken cookies om onze website te verbeteren. Lees '
        'onze <a href="/privacyverklaring">privacyverklaring</a>.</p>'
        f"{first_layer}<div id=instellingen>{settings}</div></div>"
    )


def consent_script(on_accept: str = "", on_reject: str = "") -> str:
    """The banner's behaviour: the choice in a first-party cookie, the loaders per choice."""
    return f"""<script>
function setChoice(v) {{
  document.cookie = "consent=" + v + "; Max-Age=31536000; Path=/; Secure; SameSite=Lax";
  document.getElementById("cookiebanner").style.display = "none";
  run(v);
}}
function run(v) {{ if (v === "all") {{ {on_accept} }} else {{ {on_reject} }} }}
function openSettings() {{ document.getElementById("instellingen").style.display = "block"; }}
var m = document.cookie.match(/consent=(\\w+)/);
if (m) {{ document.getElementById("cookiebanner").style.display = "none"; run(m[1]); }}
</script>"""


def load(url: str) -> str:
    return f"var s=document.createElement('script');s.src='{url}';document.head.appendChild(s);"


ACCEPT_REJECT = (
    "<button onclick=\"setChoice('all')\">Alles accepteren</button>"
    "<button onclick=\"setChoice('necessary')\">Alles weigeren</button>"
)


def make_site(
    web: Web,
    host: str,
    url: Callable[[str, str], str],
    *,
    banner_html: str | None = ACCEPT_REJECT,
    settings_html: str = "",
    on_accept: str = "",
    on_reject: str = "",
    extra: str = "",
    policy: str = POLICY_NL,
    footer: str = FOOTER,
    headers: dict[str, str] | None = None,
) -> None:
    """A Dutch site over HTTPS with its security headers, a banner (unless None), a
    policy, a contact form, robots.txt and a sitemap; the keywords change one thing."""
    web.headers.update(SECURE_HEADERS if headers is None else headers)
    script = consent_script(on_accept, on_reject) if banner_html is not None else ""
    shown = banner(banner_html, settings_html) if banner_html is not None else ""
    home = page(
        '<h1>Welkom</h1><p>Wij maken voorbeelden.</p><a href="/diensten">Diensten</a>'
        + extra
        + shown
        + footer
        + script,
        head=BANNER_STYLE,
    )
    web.add(host, "/", home)
    web.add(host, "/diensten", page("<h1>Diensten</h1><p>Advies en ontwerp.</p>" + footer))
    web.add(host, "/privacyverklaring", page(policy + footer))
    web.add(
        host,
        "/contact",
        page(
            '<h1>Contact</h1><form action="/verzend" method="post"><label for=e>E-mail</label>'
            "<input id=e type=email name=email><label><input type=checkbox name=nieuwsbrief> "
            "Stuur mij de nieuwsbrief</label><button>Verstuur</button></form>" + footer
        ),
    )
    robots = "User-agent: *\nDisallow: /beheer\n"
    web.add(host, "/robots.txt", robots, {"Content-Type": "text/plain"})
    sitemap = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{url(host, '/diensten')}</loc></url>"
        f"<url><loc>{url(host, '/contact')}</loc></url></urlset>"
    )
    web.add(host, "/sitemap.xml", sitemap, {"Content-Type": "application/xml"})


JS = {"Content-Type": "application/javascript"}
THIRD_PARTIES = (
    "voorbeeld.containers.piwik.pro",
    "www.google-analytics.com",
    "www.facebook.com",
    "connect.facebook.net",
)


def third_parties(web: Web) -> None:
    """The trackers the test sites use, as their real hosts would answer."""
    web.add(
        "voorbeeld.containers.piwik.pro",
        "/ppms.js",
        'document.cookie = "_pk_id.1.abcd=xyz; Max-Age=34128000; Path=/; Secure; SameSite=Lax";',
        JS,
    )
    web.add(
        "www.google-analytics.com",
        "/analytics.js",
        'document.cookie = "_ga=GA1.1.1234.5678; Max-Age=63072000; Path=/; Secure";'
        "new Image().src = location.protocol + '//www.google-analytics.com:' + "
        "(document.currentScript ? new URL(document.currentScript.src).port : '') + '/collect';",
        JS,
    )
    web.add("www.google-analytics.com", "/collect", b"GIF89a", {"Content-Type": "image/gif"})
    web.add("www.facebook.com", "/tr", b"GIF89a", {"Content-Type": "image/gif"})
    web.add(
        "connect.facebook.net",
        "/fbevents.js",
        'document.cookie = "_fbp=fb.1.123.456; Max-Age=7776000; Path=/; Secure";',
        JS,
    )


def compliant_site(web: Web, host: str, url: Callable[[str, str], str]) -> None:
    """Everything right: equal choices on the first layer, nothing before consent, EU
    analytics (Piwik PRO, Poland) only after "accept", a complete policy, the KvK number."""
    third_parties(web)
    make_site(web, host, url, on_accept=load(url("voorbeeld.containers.piwik.pro", "/ppms.js")))


def tracking_site(web: Web, host: str, url: Callable[[str, str], str]) -> None:
    """No banner; Google Analytics sets _ga by script and the Meta pixel loads before any
    consent."""
    third_parties(web)
    extra = (
        f'<script src="{url("www.google-analytics.com", "/analytics.js")}"></script>'
        f'<img src="{url("www.facebook.com", "/tr?id=1&ev=PageView")}" width=1 height=1 alt="">'
    )
    make_site(web, host, url, banner_html=None, extra=extra, policy=POLICY_NL + TRANSFERS_NL)


def reject_leaks_site(web: Web, host: str, url: Callable[[str, str], str]) -> None:
    """Equal choices, but "reject" still loads the Meta pixel."""
    third_parties(web)
    fb = load(url("connect.facebook.net", "/fbevents.js"))
    make_site(web, host, url, on_accept=fb, on_reject=fb, policy=POLICY_NL + TRANSFERS_NL)


def reject_deep_site(web: Web, host: str, url: Callable[[str, str], str]) -> None:
    """Accept on the first layer; reject only behind "Instellingen" (two clicks)."""
    third_parties(web)
    first = (
        "<button onclick=\"setChoice('all')\">Alles accepteren</button>"
        '<button onclick="openSettings()">Instellingen</button>'
    )
    settings = "<button onclick=\"setChoice('necessary')\">Alles weigeren</button>"
    make_site(web, host, url, banner_html=first, settings_html=settings)


COMPLIANZ = """
<div id="cmplz-cookiebanner-container"><div class="cmplz-cookiebanner cmplz-show banner-1"
 role="dialog" aria-live="polite" aria-labelledby="cmplz-header-1-optin"
 style="position:fixed;bottom:0;left:0;right:0;background:#fff;padding:16px;z-index:99999">
 <div class="cmplz-header"><div class="cmplz-title" id="cmplz-header-1-optin">Beheer
 toestemming</div></div>
 <div class="cmplz-body"><div class="cmplz-message"><p>Om de beste ervaring te bieden,
 gebruiken wij technologie zoals cookies.</p></div></div>
 <div class="cmplz-buttons">
  <button class="cmplz-btn cmplz-accept" onclick="cmplzChoose('allow')">Accepteren</button>
  <button class="cmplz-btn cmplz-deny" onclick="cmplzChoose('deny')">Weigeren</button>
  <button class="cmplz-btn cmplz-view-preferences">Voorkeuren</button>
 </div></div></div>
<script>
function cmplzChoose(v) {
  document.cookie = "cmplz_banner-status=dismissed; Max-Age=31536000; Path=/; Secure";
  document.cookie = "cmplz_marketing=" + v + "; Max-Age=31536000; Path=/; Secure";
  document.querySelector(".cmplz-cookiebanner").style.display = "none";
}
if (document.cookie.indexOf("cmplz_banner-status=dismissed") >= 0)
  document.querySelector(".cmplz-cookiebanner").style.display = "none";
</script>
"""


def complianz_site(web: Web, host: str, url: Callable[[str, str], str]) -> None:
    """A banner with the markup of Complianz (a consent plugin common on Dutch WordPress
    sites), which autoconsent's rules know."""
    make_site(web, host, url, banner_html=None, extra=COMPLIANZ)


POLICY_WITHOUT_COMPLAINT = POLICY_NL.split("<h2>Klacht</h2>")[0]


def policy_gaps_site(web: Web, host: str, url: Callable[[str, str], str]) -> None:
    """A Dutch site whose policy does not mention the complaint right, without a KvK number."""
    footer = FOOTER.replace("KvK 12345678 - ", "")
    make_site(web, host, url, policy=POLICY_WITHOUT_COMPLAINT, footer=footer)


def trickle(seconds_per_byte: float, total: int) -> Route:
    """A server that sends a byte at a time, slowly."""

    def respond(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(total))
        handler.end_headers()
        try:
            for _ in range(total):
                handler.wfile.write(b"<")
                handler.wfile.flush()
                time.sleep(seconds_per_byte)
        except OSError:
            return

    return respond


def endless(chunk: int = 1 << 16) -> Route:
    """An HTML answer that never ends (until the client hangs up): 1 GB and more."""

    def respond(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(1 << 30))
        handler.end_headers()
        block = b"<p>" + b"x" * chunk + b"</p>"
        try:
            for _ in range((1 << 30) // len(block) + 1):
                handler.wfile.write(block)
        except OSError:
            return

    return respond


def hanging(seconds: float) -> Route:
    """Headers, then nothing for `seconds` (a resource that never finishes loading)."""

    def respond(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        time.sleep(seconds)

    return respond
