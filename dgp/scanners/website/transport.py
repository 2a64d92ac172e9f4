"""Transport security of the crawled pages: HTTPS and its redirect, the certificate,
HSTS (and preload readiness), the other security headers, mixed content, cookie flags
and forms that send personal data.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace

from dgp.domain.finding import Location
from dgp.net import NetError, TargetURL
from dgp.net.fetch import Fetcher
from dgp.scanners.session import ScanSession
from dgp.scanners.website import rules
from dgp.scanners.website.cookies import parse_set_cookie
from dgp.scanners.website.crawl import Crawl, Fetched
from dgp.scanners.website.page import Page

ONE_YEAR = 31_536_000
EXPIRY_WARNING = 21 * 86_400
WEAK_REFERRER = frozenset({"unsafe-url", "no-referrer-when-downgrade", "origin-when-cross-origin"})
PRIVACY_LINK = re.compile(
    r"(?i)privacy|privacyverklaring|privacybeleid|gegevensbescherming|data[ -]?protection|"
    r"persoonsgegevens|datenschutz"
)


@dataclass
class HttpsState:
    """What the http:// and https:// forms of the start host do."""

    https: bool  # the site answers over HTTPS
    http_redirects: bool | None  # http:// redirects to https:// (None: not known)
    note: str = ""


def check_https(fetcher: Fetcher, start: TargetURL, first: Fetched) -> HttpsState:
    """Try the start host's other scheme. With a port of its own in the URL the other
    scheme's port is unknown, so the other side is not tried."""
    final = first.url or start
    if start.scheme == "http":
        if final.scheme == "https":
            return HttpsState(True, True)
        if start.explicit_port:
            return HttpsState(False, None, "a non-default port: HTTPS not tried")
        try:
            secure = replace(start, scheme="https", port=443, path="/", query="", fragment="")
            with fetcher.open(secure) as answer:
                return HttpsState(answer.status < 500, False)
        except NetError:
            return HttpsState(False, False)
    if start.explicit_port:
        return HttpsState(True, None, "a non-default port: HTTP not tried")
    plain = TargetURL(scheme="http", host=final.host, port=80, path="/")
    try:
        with fetcher.open(plain) as answer:
            return HttpsState(True, answer.url.scheme == "https")
    except NetError:
        return HttpsState(True, None, "no answer over HTTP")


def transport_findings(session: ScanSession, crawl: Crawl, https: HttpsState) -> None:
    html_pages = [p for p in crawl.pages if p.html is not None and p.url is not None]
    start = crawl.pages[0] if crawl.pages else None
    where = Location(url=(start.url.display if start and start.url else None))
    if not https.https:
        session.add(rules.NO_HTTPS, where, value="no-https", evidence="no answer over HTTPS")
    elif https.http_redirects is False:
        session.add(
            rules.NO_HTTPS_REDIRECT, where, value="no-redirect", evidence="http:// answered 2xx"
        )
    if start is not None and start.tls is not None:
        left = start.tls.not_after - time.time()
        if left < EXPIRY_WARNING:
            days = max(0, int(left // 86_400))
            session.add(
                rules.TLS_EXPIRING,
                where,
                value=f"expiry:{int(start.tls.not_after)}",
                evidence=f"certificate for {start.tls.subject} expires in {days} days",
            )
    seen_origins: set[tuple[str, str, int]] = set()
    for fetched in html_pages:
        assert fetched.url is not None
        if fetched.url.scheme == "https" and fetched.url.origin not in seen_origins:
            seen_origins.add(fetched.url.origin)
            _headers(session, fetched, https)
        assert fetched.html is not None
        _mixed_content(session, fetched.url, fetched.html)
        _forms(session, fetched.url, fetched.html)
    _cookie_flags(session, crawl)


def _headers(session: ScanSession, fetched: Fetched, https: HttpsState) -> None:
    assert fetched.headers is not None and fetched.url is not None
    headers = fetched.headers
    where = Location(url=fetched.url.display, section="response headers")
    origin = fetched.url.endpoint

    def add(rule: str, evidence: str) -> None:
        session.add(rule, where, value=f"{rule}:{origin}", evidence=evidence)

    hsts = headers.get("strict-transport-security")
    if not hsts:
        add(rules.HSTS_MISSING, "no Strict-Transport-Security header")
    else:
        missing = _preload_gaps(hsts, https)
        if missing:
            add(rules.HSTS_NOT_PRELOAD_READY, f"{hsts.strip()[:120]}: {'; '.join(missing)}")
    if not headers.get("content-security-policy"):
        add(rules.CSP_MISSING, "no Content-Security-Policy header")
    referrer = (headers.get("referrer-policy") or "").split(",")[-1].strip().lower()
    if not referrer or referrer in WEAK_REFERRER:
        add(rules.REFERRER_POLICY, f"Referrer-Policy: {referrer or '(none)'}")
    if (headers.get("x-content-type-options") or "").strip().lower() != "nosniff":
        add(rules.NOSNIFF, "no X-Content-Type-Options: nosniff")
    if not headers.get("permissions-policy"):
        add(rules.PERMISSIONS_POLICY, "no Permissions-Policy header")


def _preload_gaps(hsts: str, https: HttpsState) -> list[str]:
    """What the HSTS preload list's requirements (hstspreload.org) still miss."""
    directives = {}
    for part in hsts.split(";"):
        key, _, value = part.strip().partition("=")
        directives[key.strip().lower()] = value.strip().strip('"')
    gaps = []
    try:
        max_age = int(directives.get("max-age", "0"))
    except ValueError:
        max_age = 0
    if max_age < ONE_YEAR:
        gaps.append(f"max-age {max_age} is below {ONE_YEAR}")
    if "includesubdomains" not in directives:
        gaps.append("no includeSubDomains")
    if "preload" not in directives:
        gaps.append("no preload")
    if https.http_redirects is False:
        gaps.append("http:// does not redirect to https://")
    return gaps


def _mixed_content(session: ScanSession, url: TargetURL, page: Page) -> None:
    if url.scheme != "https":
        return
    plain = [r for r in page.resources if r.url.startswith("http://")]
    if plain:
        more = f" and {len(plain) - 1} more" if len(plain) > 1 else ""
        session.add(
            rules.MIXED_CONTENT,
            Location(url=url.display),
            value=f"mixed:{url.url}",
            evidence=f"{plain[0].kind} {plain[0].url[:150]}{more}",
        )


def has_privacy_link(page: Page) -> bool:
    return any(PRIVACY_LINK.search(f"{link.text} {link.url}") for link in page.links)


def _forms(session: ScanSession, url: TargetURL, page: Page) -> None:
    for index, form in enumerate(page.forms, 1):
        where = Location(url=url.display, selector=f"form:nth-of-type({index})")
        fields = ", ".join(form.fields[:8])
        if form.personal and (url.scheme == "http" or form.action.startswith("http://")):
            session.add(
                rules.FORM_INSECURE,
                where,
                value=f"form:{form.action}",
                evidence=f"{form.method.upper()} {form.action[:150]} ({fields})",
            )
        if form.personal and not has_privacy_link(page):
            session.add(
                rules.FORM_NO_PRIVACY_LINK, where, value=f"form:{form.action}", evidence=fields
            )
        for box in form.checkboxes:
            if box.checked and box.gives_consent:
                session.add(
                    rules.PRETICKED,
                    where,
                    value=f"box:{box.name}",
                    evidence=f"checked: {box.label or box.name}"[:200],
                )


def _cookie_flags(session: ScanSession, crawl: Crawl) -> None:
    seen: set[tuple[str, str]] = set()
    for fetched in crawl.pages:
        if fetched.url is None:
            continue
        for header in fetched.set_cookies:
            cookie = parse_set_cookie(header, fetched.url.host, url=fetched.url.display)
            if cookie is None or (cookie.name, cookie.domain) in seen:
                continue
            seen.add((cookie.name, cookie.domain))
            where = Location(url=fetched.url.display, section=f"cookie {cookie.name}")
            value = f"{cookie.name}@{cookie.domain}"
            if fetched.url.scheme == "https" and not cookie.secure:
                session.add(rules.COOKIE_NOT_SECURE, where, value=value, evidence=value)
            if cookie.looks_like_session and (not cookie.http_only or not cookie.same_site):
                missing = [
                    flag
                    for flag, present in (
                        ("HttpOnly", cookie.http_only),
                        ("SameSite", cookie.same_site),
                    )
                    if not present
                ]
                session.add(
                    rules.SESSION_COOKIE_FLAGS,
                    where,
                    value=value,
                    evidence=f"{value}: no {' and no '.join(missing)}",
                )
