"""Consent, transfer and cookie-lifetime findings from what each state showed.

One finding per cookie (name and domain), per storage key or per tracker vendor and
rule, located at the first page it was seen on, so a tracker on every page is one
finding, not five hundred.
"""

from __future__ import annotations

from collections.abc import Iterable

from dgp.domain.finding import Location
from dgp.scanners.session import ScanSession
from dgp.scanners.website import rules
from dgp.scanners.website.observations import ACCEPT, AFTER, NONE, REJECT, Banner, Observation
from dgp.scanners.website.site import Site
from dgp.scanners.website.trackers import ANALYTICS, TRACKING, TrackerDB, Vendor

MAX_LIFETIME = 396 * 86_400  # 13 months


class Findings:
    def __init__(self, session: ScanSession, db: TrackerDB, site: Site) -> None:
        self.session = session
        self.db = db
        self.site = site
        self._done: set[tuple[str, str]] = set()

    def _once(self, rule: str, key: str) -> bool:
        if (rule, key) in self._done:
            return False
        self._done.add((rule, key))
        return True

    # -- consent ---------------------------------------------------------------------------

    def consent(self, observations: dict[str, Observation]) -> None:
        none = observations.get(NONE)
        needing = 0
        if none is not None:
            needing = self._needing_consent(none, phases=None, states="before any choice")
        reject = observations.get(REJECT)
        if reject is not None and reject.banner.chosen:
            self._needing_consent(reject, phases={AFTER}, states="after 'reject all'")
        banner = _banner_of(observations)
        if needing and not banner.found:
            where = Location(url=none.pages[0] if none and none.pages else None)
            self.session.add(
                rules.NO_BANNER,
                where,
                value="no-banner",
                evidence=f"{needing} cookies or services that need consent, no consent banner",
                confidence=0.9 if none and none.method == "browser" else 0.7,
            )
        if banner.found:
            self._banner(observations, banner)

    def _needing_consent(self, obs: Observation, phases: set[str] | None, states: str) -> int:
        after_reject = phases is not None
        count = 0
        confidence = 1.0 if obs.method == "browser" else 0.8
        for seen in obs.cookies:
            if phases is not None and seen.phase not in phases:
                continue
            c = self.db.classify_cookie(seen.cookie, self.site)
            if not c.needs_consent:
                continue
            count += 1
            rule = _rule(c.purpose, after_reject, cookie=True)
            cookie = seen.cookie
            if not self._once(rule, f"cookie:{cookie.name}@{cookie.domain}"):
                continue
            product = c.platform or (c.vendor.name if c.vendor else "an unknown third party")
            self.session.add(
                rule,
                Location(url=seen.page, section=f"cookie {cookie.name}"),
                value=f"{cookie.name}@{cookie.domain}",
                evidence=f"{cookie.name} ({product}; {cookie.domain}; set by {cookie.source})",
                confidence=confidence,
                description=f"The cookie {cookie.name} of {product} ({c.purpose}) is set "
                f"{states}, on {cookie.domain} by {cookie.source}.",
            )
        for key in obs.storage:
            if phases is not None and key.phase not in phases:
                continue
            host = key.origin.split("://", 1)[-1].split(":", 1)[0].strip("[]")
            c = self.db.classify_name(key.key, host, self.site)
            if not c.needs_consent or (c.vendor is None and not c.platform):
                continue  # unknown keys of the site's own are not judged
            count += 1
            rule = _rule(c.purpose, after_reject, cookie=True)
            if self._once(rule, f"storage:{key.area}:{key.key}@{key.origin}"):
                self.session.add(
                    rule,
                    Location(url=key.page, section=f"{key.area} {key.key}"),
                    value=f"{key.area}:{key.key}@{key.origin}",
                    evidence=f"{key.area} key {key.key} ({c.platform or c.purpose})",
                    confidence=confidence,
                )
        for request in obs.requests:
            if phases is not None and request.phase not in phases:
                continue
            if self.site.contains(request.host):
                continue
            vendor = self.db.vendor_for_host(request.host)
            if vendor is None or vendor.purpose not in (TRACKING, ANALYTICS):
                continue
            count += 1
            rule = _rule(vendor.purpose, after_reject, cookie=False)
            if self._once(rule, f"vendor:{vendor.id}"):
                how = "referenced in the HTML" if request.from_html else "requested"
                self.session.add(
                    rule,
                    Location(url=request.page, section=f"request {request.host}"),
                    value=f"vendor:{vendor.id}",
                    evidence=f"{vendor.name}: {request.kind} {request.url[:160]} ({how})",
                    confidence=0.8 if request.from_html else confidence,
                    description=f"{vendor.name} ({vendor.company}) is contacted {states}: "
                    f"{request.kind} {request.url[:160]}.",
                )
        return count

    def _banner(self, observations: dict[str, Observation], first: Banner) -> None:
        """First layer and click counts (AP, EDPB taskforce): reject on the first layer,
        no more clicks than accept; no reject at all is a cookie wall when the banner
        blocks the page."""
        accept, reject = observations.get(ACCEPT), observations.get(REJECT)
        start = next((o.pages[0] for o in observations.values() if o.pages), None)
        where = Location(url=start, section="consent banner")
        accept_clicks = accept.banner.clicks if accept and accept.banner.chosen else None
        reject_clicks = reject.banner.clicks if reject and reject.banner.chosen else None
        shown = "first layer: " + "; ".join(
            f"{role} [{', '.join(first.first_layer.get(role, [])[:3])}]"
            for role in ("accept", "reject", "settings")
        )
        shown += f"; clicks to accept: {_count(accept_clicks)}, to reject: {_count(reject_clicks)}"
        if first.preticked:
            self.session.add(
                rules.PRETICKED,
                where,
                value="banner-preticked",
                evidence="ticked in advance: " + ", ".join(first.preticked[:5]),
            )
        if not first.offers("accept") and accept_clicks is None:
            return  # no accept choice seen: nothing to compare
        if not first.offers("reject"):
            if reject is None or reject_clicks is not None:
                rule = rules.NO_REJECT_FIRST_LAYER
            else:
                rule = rules.COOKIE_WALL if first.modal else rules.NO_REJECT_OPTION
            self.session.add(rule, where, value="banner", evidence=shown)
        elif accept_clicks is not None and (reject_clicks or 0) > accept_clicks:
            self.session.add(rules.REJECT_HARDER, where, value="banner", evidence=shown)

    # -- transfers and lifetimes -----------------------------------------------------------

    def transfers(self, observations: Iterable[Observation]) -> list[Vendor]:
        """A finding per vendor outside the EU/EEA that visitors' browsers contact; returns
        those vendors (the privacy policy must then mention transfers)."""
        found: dict[str, Vendor] = {}
        for obs in observations:
            for request in obs.requests:
                if self.site.contains(request.host):
                    continue
                vendor = self.db.vendor_for_host(request.host)
                if vendor is None or vendor.in_eea or vendor.id in found:
                    continue
                found[vendor.id] = vendor
                self.session.add(
                    rules.OUTSIDE_EEA,
                    Location(url=request.page, section=f"request {request.host}"),
                    value=f"vendor:{vendor.id}",
                    evidence=f"{vendor.name} ({vendor.company}, {vendor.country_name()}) "
                    f"via {request.host}",
                    description=f"Visitors' browsers contact {vendor.name} of {vendor.company} "
                    f"in {vendor.country_name()} ({request.host}) in the '{obs.state}' state: "
                    "their IP address and the page visited leave the EU/EEA.",
                )
        return list(found.values())

    def lifetimes(self, observations: Iterable[Observation]) -> None:
        for obs in observations:
            for seen in obs.cookies:
                cookie = seen.cookie
                life = cookie.lifetime_seconds
                if life is None or life <= MAX_LIFETIME:
                    continue
                if not self._once(rules.LONG_LIFETIME, f"{cookie.name}@{cookie.domain}"):
                    continue
                days = int(life // 86_400)
                self.session.add(
                    rules.LONG_LIFETIME,
                    Location(url=seen.page, section=f"cookie {cookie.name}"),
                    value=f"{cookie.name}@{cookie.domain}",
                    evidence=f"{cookie.name} ({cookie.domain}) kept {days} days",
                )


def _rule(purpose: str, after_reject: bool, cookie: bool) -> str:
    if after_reject:
        return rules.TRACKER_AFTER_REJECT
    if purpose == ANALYTICS:
        return rules.ANALYTICS_BEFORE_CONSENT
    return rules.COOKIE_BEFORE_CONSENT if cookie else rules.TRACKER_BEFORE_CONSENT


def _count(clicks: int | None) -> str:
    return "not possible" if clicks is None else str(clicks)


def _banner_of(observations: dict[str, Observation]) -> Banner:
    """The banner as first found: in the no-interaction state, else in another."""
    for state in (NONE, ACCEPT, REJECT):
        obs = observations.get(state)
        if obs is not None and obs.banner.found:
            return obs.banner
    return Banner()
