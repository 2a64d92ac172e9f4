"""What the shipped tracker database (data/trackers.json) knows about a host or a cookie.

Hosts map to vendors by domain suffix (www.google-analytics.com is Google Analytics);
cookie names by exact name, then by the longest known prefix (_ga_ABC123, _hjSession_42).
A cookie or request is "tracking" (needs consent, high), "analytics" (needs consent,
unless it qualifies for the Dutch analytics exemption), or neither.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dgp.scanners.website.cookies import Cookie
from dgp.scanners.website.site import Site

DATA = Path(__file__).resolve().parent / "data"
TRACKERS_FILE = DATA / "trackers.json"

# the EU member states and the other EEA countries (Iceland, Liechtenstein, Norway)
EEA = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK "
    "IS LI NO".split()
)
# countries with an adequacy decision (GDPR art. 45); for the US it covers only
# organisations certified under the EU-US Data Privacy Framework
ADEQUATE = frozenset("AD AR CA CH FO GB GG IL IM JE JP KR NZ UY US".split())
COUNTRY_NAMES = {
    "US": "the United States", "GB": "the United Kingdom", "CN": "China", "RU": "Russia",
    "IN": "India", "NZ": "New Zealand", "CA": "Canada", "CH": "Switzerland", "JP": "Japan",
    "IL": "Israel", "KR": "South Korea", "SG": "Singapore", "AU": "Australia",
}  # fmt: skip
TRACKING, ANALYTICS, FUNCTIONAL, UNKNOWN = "tracking", "analytics", "functional", "unknown"


@dataclass(frozen=True)
class Vendor:
    id: str
    name: str
    company: str
    country: str
    category: str
    consent: bool
    all_cookies_tracking: bool

    @property
    def in_eea(self) -> bool:
        return self.country in EEA

    @property
    def purpose(self) -> str:
        """What loading it before consent is: TRACKING, ANALYTICS or FUNCTIONAL."""
        if not self.consent:
            return FUNCTIONAL
        return ANALYTICS if self.category == "analytics" else TRACKING

    def country_name(self) -> str:
        return COUNTRY_NAMES.get(self.country, self.country)


@dataclass(frozen=True)
class CookieInfo:
    platform: str
    vendor: str | None
    controller: str
    category: str  # functional, preferences, analytics, marketing
    retention: str


@dataclass(frozen=True)
class Classified:
    """A cookie (or storage key) with what it is for."""

    purpose: str  # TRACKING, ANALYTICS, FUNCTIONAL or UNKNOWN
    vendor: Vendor | None
    platform: str  # the product that sets it, when known

    @property
    def needs_consent(self) -> bool:
        return self.purpose in (TRACKING, ANALYTICS)


class TrackerDB:
    def __init__(self, data: dict[str, object]) -> None:
        self.version = str(data["version"])
        self.sources = list(data["sources"])  # type: ignore[call-overload]
        self.vendors = {
            vid: Vendor(vid, **v)  # type: ignore[arg-type]
            for vid, v in data["vendors"].items()  # type: ignore[attr-defined]
        }
        self._domains: dict[str, str] = dict(data["domains"])  # type: ignore[call-overload]
        self._cookies = {
            n: CookieInfo(**c)
            for n, c in data["cookies"].items()  # type: ignore[attr-defined]
        }
        prefixes = data["cookie_prefixes"].items()  # type: ignore[attr-defined]
        self._prefixes = sorted(
            ((p, CookieInfo(**c)) for p, c in prefixes), key=lambda pc: -len(pc[0])
        )
        self.cmp_markers: dict[str, list[str]] = dict(data["cmp_markers"])  # type: ignore[call-overload]
        markers = {m: cmp for cmp, ms in self.cmp_markers.items() for m in ms}
        self._marker_cmp = markers
        self._markers = re.compile("|".join(re.escape(m) for m in sorted(markers, key=len)[::-1]))

    @classmethod
    def load(cls, path: Path = TRACKERS_FILE) -> TrackerDB:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def vendor_for_host(self, host: str) -> Vendor | None:
        labels = host.lower().rstrip(".").split(".")
        for i in range(len(labels) - 1):
            vid = self._domains.get(".".join(labels[i:]))
            if vid is not None:
                return self.vendors[vid]
        return None

    def cookie_info(self, name: str) -> CookieInfo | None:
        info = self._cookies.get(name)
        if info is not None:
            return info
        for prefix, candidate in self._prefixes:
            if name.startswith(prefix):
                return candidate
        return None

    def classify_cookie(self, cookie: Cookie, site: Site) -> Classified:
        return self.classify_name(cookie.name, cookie.domain, site)

    def classify_name(self, name: str, domain: str, site: Site) -> Classified:
        """A cookie or storage key by its name, and by who set it when the name is unknown:
        an unknown cookie of another site is taken for tracking (third-party cookies
        almost always are), an unknown one of the site itself for the site's own."""
        info = self.cookie_info(name)
        host_vendor = self.vendor_for_host(domain) if domain else None
        if info is not None:
            vendor = self.vendors.get(info.vendor) if info.vendor else host_vendor
            if info.category == "marketing":
                purpose = TRACKING
            elif info.category == "analytics":
                purpose = ANALYTICS
            elif vendor is not None and vendor.all_cookies_tracking and vendor.consent:
                purpose = vendor.purpose if vendor.purpose != ANALYTICS else TRACKING
            else:
                purpose = FUNCTIONAL
            return Classified(purpose, vendor, info.platform)
        if domain and not site.contains(domain):
            if host_vendor is not None and not host_vendor.consent:
                return Classified(FUNCTIONAL, host_vendor, host_vendor.name)
            name_of = host_vendor.name if host_vendor else ""
            return Classified(TRACKING, host_vendor, name_of)
        return Classified(UNKNOWN, None, "")

    def cmps_in(self, text: str) -> set[str]:
        """Consent platforms whose markers (element ids, script addresses) are in text."""
        return {self._marker_cmp[m.group(0)] for m in self._markers.finditer(text)}


@cache
def database() -> TrackerDB:
    return TrackerDB.load()
