"""Cookies as a scan sees them: parsed from Set-Cookie (RFC 6265, leniently, as browsers
parse them) or read from the browser, with their lifetime and flags. Values are never
kept: a cookie is known by its name, domain and attributes.
"""

from __future__ import annotations

import http.cookiejar
import re
import time
from dataclasses import dataclass, field, replace

from dgp.scanners.website.site import host_matches

# names of cookies that carry a login or session: they need HttpOnly and SameSite
_SESSION_NAME = re.compile(
    r"(?i)(?:^|[_.-])(?:sess(?:ion)?(?:id)?|sid|auth|login|token|jwt|remember)(?:$|[_.-])"
    r"|^(?:phpsessid|jsessionid|asp\.net_sessionid|connect\.sid|laravel_session|"
    r"ci_session|wordpress_logged_in_\w*|wordpress_sec_\w*|_session_id|sessionid)$"
)
MAX_COOKIES_PER_RESPONSE = 200


@dataclass(frozen=True)
class Cookie:
    name: str
    domain: str  # the host it was set for, or the Domain attribute (without the dot)
    path: str = "/"
    lifetime_seconds: float | None = None  # None: a session cookie
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None  # "Strict", "Lax", "None", or None when not set
    host_only: bool = True
    source: str = "http"  # "http" (Set-Cookie) or "script" (document.cookie, CookieStore)
    set_on: str = ""  # the page (or request) URL it came with, redacted

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, self.domain, self.path)

    @property
    def looks_like_session(self) -> bool:
        return bool(_SESSION_NAME.search(self.name))

    def for_host(self, host: str) -> bool:
        return host == self.domain if self.host_only else host_matches(host, self.domain)

    def with_source(self, source: str) -> Cookie:
        return replace(self, source=source)


@dataclass
class CookieJarView:
    """Cookies seen in one context (a crawl, a browser state), first sighting kept."""

    cookies: dict[tuple[str, str, str], Cookie] = field(default_factory=dict)

    def add(self, cookie: Cookie) -> None:
        self.cookies.setdefault(cookie.key, cookie)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.cookies.values())

    def __len__(self) -> int:
        return len(self.cookies)


def parse_set_cookie(
    header: str, host: str, now: float | None = None, url: str = ""
) -> Cookie | None:
    """One Set-Cookie header value as the browser would store it; None if it would
    ignore it (no name and value pair, a Domain the host is not in)."""
    now = time.time() if now is None else now
    parts = header.split(";")
    pair = parts[0]
    if "=" not in pair:
        return None
    name = pair.split("=", 1)[0].strip()
    if not name or len(name) > 256:
        return None
    domain, host_only, path = host.lower(), True, "/"
    lifetime: float | None = None
    max_age_seen = False
    secure = http_only = False
    same_site: str | None = None
    for attribute in parts[1:]:
        key, _, value = attribute.partition("=")
        key, value = key.strip().lower(), value.strip()
        if key == "domain" and value:
            wanted = value.lstrip(".").lower()
            if not host_matches(host, wanted):
                return None  # a browser rejects a cookie for another site
            domain, host_only = wanted, False
        elif key == "path" and value.startswith("/"):
            path = value
        elif key == "max-age":
            try:
                lifetime = float(int(value))
                max_age_seen = True
            except ValueError:
                continue
        elif key == "expires" and not max_age_seen:
            when = http.cookiejar.http2time(value)
            if when is not None:
                lifetime = when - now
        elif key == "secure":
            secure = True
        elif key == "httponly":
            http_only = True
        elif key == "samesite":
            same_site = value.capitalize() if value.lower() in ("strict", "lax", "none") else None
    return Cookie(
        name, domain, path, lifetime, secure, http_only, same_site, host_only, "http", url
    )


def from_browser(data: dict[str, object], source: str, url: str = "") -> Cookie:
    """A cookie as Playwright's context.cookies() gives it (expires: epoch seconds, -1 for
    a session cookie)."""
    expires = float(data.get("expires", -1) or -1)  # type: ignore[arg-type]
    domain = str(data.get("domain", ""))
    same_site = str(data.get("sameSite") or "") or None
    return Cookie(
        name=str(data.get("name", "")),
        domain=domain.lstrip("."),
        path=str(data.get("path", "/")),
        lifetime_seconds=None if expires < 0 else expires - time.time(),
        secure=bool(data.get("secure")),
        http_only=bool(data.get("httpOnly")),
        same_site=same_site,
        host_only=not domain.startswith("."),
        source=source,
        set_on=url,
    )
