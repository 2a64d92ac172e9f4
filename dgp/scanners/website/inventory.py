"""The inventory artefact: what the scan saw, per consent state, as an inspector's
evidence file (website-inventory.json): pages, cookies (name, domain, lifetime, flags,
who set them and what they are for), storage keys, requests by host with vendor and
country, the banner and the clicks, the privacy policy found, and the tracker
database's version. Cookie values are never recorded.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from dgp.domain.job import Artefact
from dgp.net import TargetURL
from dgp.scanners.website.crawl import Crawl
from dgp.scanners.website.observations import Observation
from dgp.scanners.website.policy import PolicyResult
from dgp.scanners.website.site import Site
from dgp.scanners.website.trackers import TrackerDB

NAME = "website-inventory.json"
MAX_HOSTS = 500


def build(
    start: TargetURL,
    crawl: Crawl,
    observations: dict[str, Observation],
    policy: PolicyResult,
    db: TrackerDB,
    site: Site,
) -> dict[str, Any]:
    states = {}
    for state, obs in observations.items():
        hosts: Counter[str] = Counter(r.host for r in obs.requests)
        states[state] = {
            "method": obs.method,
            "pages": obs.pages[:50],
            "failed_pages": obs.failed_pages,
            "banner": {
                "found": obs.banner.found,
                "cmp": obs.banner.cmp,
                "method": obs.banner.method,
                "modal": obs.banner.modal,
                "first_layer": obs.banner.first_layer,
                "preticked": obs.banner.preticked,
                "chosen": obs.banner.chosen,
                "clicks": obs.banner.clicks,
                "note": obs.banner.note,
            },
            "cookies": [
                {
                    "name": s.cookie.name,
                    "domain": s.cookie.domain,
                    "path": s.cookie.path,
                    "lifetime_days": None
                    if s.cookie.lifetime_seconds is None
                    else round(s.cookie.lifetime_seconds / 86_400, 1),
                    "secure": s.cookie.secure,
                    "http_only": s.cookie.http_only,
                    "same_site": s.cookie.same_site,
                    "set_by": s.cookie.source,
                    "phase": s.phase,
                    "page": s.page,
                    "purpose": (c := db.classify_cookie(s.cookie, site)).purpose,
                    "product": c.platform or (c.vendor.name if c.vendor else None),
                    "first_party": site.contains(s.cookie.domain),
                }
                for s in obs.cookies
            ],
            "storage": [
                {"origin": k.origin, "area": k.area, "key": k.key, "phase": k.phase}
                for k in obs.storage
            ],
            "hosts": [_host(db, site, host, count) for host, count in hosts.most_common(MAX_HOSTS)],
        }
    return {
        "site": start.display,
        "registrable_domains": sorted(site.domains),
        "crawl": {
            "pages": len([p for p in crawl.pages if p.html is not None]),
            "not_read": len([p for p in crawl.pages if p.error is not None]),
            "sitemap_urls": crawl.sitemap_urls,
            "disallowed_by_robots": crawl.disallowed,
            "stopped": crawl.stopped,
        },
        "states": states,
        "privacy_policy": {"url": policy.url, "missing": policy.missing},
        "imprint_pages": policy.pages,
        "tracker_database": {"version": db.version, "sources": db.sources},
    }


def _host(db: TrackerDB, site: Site, host: str, count: int) -> dict[str, Any]:
    vendor = db.vendor_for_host(host)
    return {
        "host": host,
        "requests": count,
        "first_party": site.contains(host),
        "vendor": vendor.name if vendor else None,
        "company": vendor.company if vendor else None,
        "country": vendor.country if vendor else None,
        "category": vendor.category if vendor else None,
        "in_eea": vendor.in_eea if vendor else None,
    }


def artefact(
    start: TargetURL,
    crawl: Crawl,
    observations: dict[str, Observation],
    policy: PolicyResult,
    db: TrackerDB,
    site: Site,
) -> Artefact:
    data = build(start, crawl, observations, policy, db, site)
    return Artefact(NAME, "application/json", json.dumps(data, indent=1).encode())
