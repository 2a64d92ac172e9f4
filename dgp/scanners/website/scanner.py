"""Website scanner (SPEC 3.2): scan(job, inputs) -> ScanResult.

1. The HTTP crawl (crawl.py): every same-site page a first visitor receives, with its
   headers, Set-Cookie cookies and HTML, politely and within the scan's limits.
2. Transport security (transport.py): HTTPS, certificate, HSTS, headers, mixed content,
   cookie flags, forms.
3. Browser mode (browser.py, the default when Chromium is installed): the start page
   and the next pages in a fresh Chromium profile per consent state: no interaction,
   after "accept all", after "reject all"; the banner found and clicked with
   DuckDuckGo's autoconsent rules and our own Dutch/English heuristics (consent.py).
4. Findings from what each state showed (findings.py): consent, transfers, lifetimes.
5. The privacy policy and imprint (policy.py); personal data in page text (the
   engine, masked; the site's own published contact details excepted).
6. Artefacts: a screenshot of the first view of each state, and the inventory of
   cookies, storage keys and requests per state (inventory.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from dgp.domain.finding import Location
from dgp.domain.job import Artefact, ScanInputError, ScanInputs, ScanJob, ScanResult
from dgp.domain.options import ScanOptions
from dgp.engine.detector import Detection
from dgp.net import NetPolicy, TargetRefused
from dgp.net.fetch import NetRuntime
from dgp.scanners.common_rules import ITEM_NOT_SCANNED
from dgp.scanners.session import ScanSession, StopScan
from dgp.scanners.session import warm_up as session_warm_up
from dgp.scanners.website import inventory, rules
from dgp.scanners.website.cookies import parse_set_cookie
from dgp.scanners.website.crawl import Crawl, Crawler
from dgp.scanners.website.findings import Findings
from dgp.scanners.website.observations import NONE, Observation, Request, Seen
from dgp.scanners.website.options import WEBSITE_LIMITS, WebsiteOptions
from dgp.scanners.website.policy import IMPRINT_LINK, PolicyCheck
from dgp.scanners.website.site import Site, registrable_domain
from dgp.scanners.website.target import site_url
from dgp.scanners.website.trackers import database
from dgp.scanners.website.transport import check_https, transport_findings

log = logging.getLogger(__name__)
# the site's own business identifiers: the imprint must show them
NOT_REPORTED_IN_TEXT = frozenset({"pii.kvk", "pii.vat"})
# published contact details of the organisation (GDPR art. 13(1)(a) asks for them)
CONTACT_RULES = frozenset({"pii.phone", "pii.postcode", "pii.email", "pii.name"})
# a consent banner in the HTML alone (HTTP mode): it talks about cookies and asks
BANNER_WORDS = re.compile(r"(?i)\bcookies?\b|toestemming|consent")
CHOICE_WORDS = re.compile(
    r"(?i)\baccepte|\bakkoord|\bweiger|\breject|\baccept|\bagree|\btoestaan|\ballow all"
)


@dataclass(frozen=True)
class Runtime(NetRuntime):
    """The shared network surroundings, and the browser's."""

    chromium: str | None = None  # the browser binary; None: Debian's /usr/bin/chromium
    trusted_spki: tuple[str, ...] = ()  # extra certificate keys Chromium accepts (tests)


def warm_up() -> None:
    session_warm_up()
    database()


def scan(job: ScanJob, inputs: ScanInputs, runtime: Runtime | None = None) -> ScanResult:
    runtime = runtime or Runtime()
    options = website_options(job.options)
    job = replace(job, options=options)
    try:
        start = site_url(job.target)
    except TargetRefused as e:
        raise ScanInputError(e.reason) from None
    session = ScanSession(job, inputs.hasher(), inputs.progress)
    session.scan.target = start.display
    policy = NetPolicy(allow_private=options.allow_private_hosts)
    artefacts: list[Artefact] = []
    fetch = runtime.fetcher(policy, options.limits.max_file_bytes, options.page_seconds, 10)
    with fetch as fetcher:
        session.progress(2, f"crawling {start.display}")
        crawler = Crawler(session, fetcher, options, start, options.limits.max_items)
        crawl = crawler.run()
        if crawl.tls_failure is not None:
            session.add(
                rules.TLS_INVALID,
                Location(url=start.display),
                value=f"tls:{start.endpoint}",
                evidence=crawl.tls_failure,
            )
            session.scan.stats.truncated = True
            session.scan.progress_message = "the certificate does not verify: nothing read"
            return session.finish()
        first = crawl.pages[0]
        if not any(p.html is not None for p in crawl.pages):
            reason = first.error or f"answered {first.status} with no HTML page"
            raise ScanInputError(f"no page of {start.display} could be read: {reason}")
        site = crawler.site
        _not_scanned(session, crawl)
        session.progress(40, f"{len(crawl.pages)} pages crawled; checking transport security")
        transport_findings(session, crawl, check_https(fetcher, start, first))

        observations = {NONE: http_observation(crawl)}
        if use_browser(options, runtime):
            from dgp.scanners.website import browser

            session.progress(50, "visiting the site in Chromium")
            pages = [p.url for p in crawl.pages if p.html is not None and p.url is not None]
            visited = browser.run_states(session, options, pages, runtime, policy)
            _not_visited(session, visited)
            observations = _merge(observations, visited)
            artefacts += [
                Artefact(f"screenshot-{o.state}.png", "image/png", o.screenshot)
                for o in visited.values()
                if o.screenshot and options.screenshots
            ]
        db = database()
        findings = Findings(session, db, site)
        findings.consent(observations)
        third_countries = findings.transfers(observations.values())
        findings.lifetimes(observations.values())

        session.progress(85, "reading the privacy policy and imprint")
        first_page = first.html
        dutch = site.is_dutch_domain() or bool(first_page and first_page.lang.startswith("nl"))
        result = PolicyCheck(session, crawler).run(start, bool(third_countries), dutch)
        with_contact = {result.url, *result.pages} - {None}
        _personal_data(session, crawl, site, with_contact)
    artefacts.append(inventory.artefact(start, crawl, observations, result, db, site))
    if crawl.stopped:  # said last: the progress messages above would hide it
        session.scan.stats.truncated = True
        session.scan.progress_message = f"stopped early: {crawl.stopped}"
    scan_result = session.finish()
    scan_result.artefacts = artefacts
    return scan_result


def website_options(options: ScanOptions) -> WebsiteOptions:
    """The job's options as WebsiteOptions, its limits never above the kind's."""
    return WebsiteOptions.of_job(options, WEBSITE_LIMITS)


def use_browser(options: WebsiteOptions, runtime: Runtime) -> bool:
    if options.mode == "http":
        return False
    from dgp.scanners.website import chromium

    available = chromium.available(runtime.chromium)
    if options.mode == "browser" and available is not None:
        raise ScanInputError(f"browser mode asked for, but {available}")
    return available is None


def http_observation(crawl: Crawl) -> Observation:
    """The "none" state as the HTTP crawl shows it: cookies from Set-Cookie headers, what
    the HTML makes a browser load, and whether the start page has a consent banner (a
    consent platform's markers, or cookie words with a choice to make)."""
    obs = Observation(NONE, "http")
    first = crawl.pages[0].html if crawl.pages else None
    if first is not None:
        cmps = sorted(database().cmps_in(first.html))
        if cmps or (BANNER_WORDS.search(first.text) and CHOICE_WORDS.search(first.text)):
            obs.banner.found, obs.banner.method = True, "html"
            obs.banner.cmp = cmps[0] if cmps else None
    seen: set[tuple[str, str, str]] = set()
    for fetched in crawl.pages:
        if fetched.url is None:
            continue
        page = fetched.url.display
        obs.pages.append(page)
        for header in fetched.set_cookies:
            cookie = parse_set_cookie(header, fetched.url.host, url=page)
            if cookie is not None and cookie.key not in seen:
                seen.add(cookie.key)
                obs.cookies.append(Seen(cookie, page))
        if fetched.html is None:
            continue
        for resource in fetched.html.resources:
            host = _host(resource.url)
            if host:
                obs.requests.append(
                    Request(resource.url[:300], host, resource.kind, page, from_html=True)
                )
    return obs


def _merge(http: dict[str, Observation], browser: dict[str, Observation]) -> dict[str, Observation]:
    """The browser's states, the HTTP crawl's cookies added to "none", and what the HTML
    of the pages the browser did not visit would load."""
    merged = dict(browser)
    seen = browser.get(NONE)
    crawl = http[NONE]
    if seen is None:
        merged[NONE] = crawl
        return merged
    visited = set(seen.pages)
    known = {s.cookie.key for s in seen.cookies}
    seen.cookies += [s for s in crawl.cookies if s.cookie.key not in known]
    seen.requests += [r for r in crawl.requests if r.page not in visited]
    return merged


def _host(url: str) -> str:
    try:
        return site_url(url).host
    except TargetRefused:
        return ""


def _not_scanned(session: ScanSession, crawl: Crawl) -> None:
    for fetched in crawl.pages:
        if fetched.error is not None:
            session.add(
                ITEM_NOT_SCANNED,
                Location(url=fetched.requested),
                value=f"page:{fetched.requested}",
                evidence=fetched.error[:300],
            )


def _not_visited(session: ScanSession, visited: Mapping[str, Observation]) -> None:
    """Pages (and requests) the browser could not complete, per consent state: said in
    the report, which would otherwise look complete with the HTTP crawl's view alone."""
    for state, obs in visited.items():
        for page, why in obs.failed_pages.items():
            url = page if page.startswith(("http://", "https://")) else None
            section = f"browser, state {state}" + ("" if url else f": {page}")
            session.add(
                ITEM_NOT_SCANNED,
                Location(url=url, section=section),
                value=f"browser:{state}:{page}",
                evidence=f"{state}: {why}"[:300],
                description=f"Not visited in the browser (consent state {state}): {why}.",
            )


def _personal_data(session: ScanSession, crawl: Crawl, site: Site, contact: set[str]) -> None:
    """Personal data visible in page text (the engine, masked). Not reported: the site's
    KvK and VAT numbers, e-mail addresses at the site's own domain, and the contact
    details on the policy, contact and imprint pages (the law asks to publish them)."""

    for fetched in crawl.pages:
        if fetched.html is None or fetched.url is None or not fetched.html.text:
            continue
        url = fetched.url.display
        contact_page = url in contact or bool(IMPRINT_LINK.search(fetched.url.path))

        def keep(d: Detection, contact_page: bool = contact_page) -> bool:
            if d.rule_id == "pii.email":
                domain = d.value.rsplit("@", 1)[-1].lower()
                if site.contains(domain) or registrable_domain(domain) in site.domains:
                    return False
            return not (contact_page and d.rule_id in CONTACT_RULES)

        try:
            session.scan_text(
                fetched.html.text, Location(url=url), exclude=NOT_REPORTED_IN_TEXT, keep=keep
            )
        except StopScan:
            return
