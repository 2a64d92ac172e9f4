"""The privacy policy and the imprint, in Dutch and English.

The policy is found by its links (text or address: privacyverklaring, privacy policy,
...; the start page's links first) or at a usual address (/privacy, /privacyverklaring,
...), fetched when the crawl did not read it, and read for each element GDPR art.
13/14 requires. For a Dutch site (a .nl domain, or a page in Dutch) the KvK number is
looked for on the home page, the contact/imprint pages and the policy with the
engine's KvK rule (8 digits near KvK words); a number labelled KvK that is not 8
digits is reported as invalid.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from dgp.domain.finding import Location
from dgp.net import NetError, TargetURL
from dgp.scanners.session import ScanSession
from dgp.scanners.website import rules
from dgp.scanners.website.crawl import Crawler, page_key, parse_link
from dgp.scanners.website.page import Page

POLICY_LINK = re.compile(
    r"(?i)privacy|gegevensbescherming|data[\s_-]?protection|persoonsgegevens|datenschutz"
)
POLICY_PATHS = (
    "/privacy",
    "/privacyverklaring",
    "/privacybeleid",
    "/privacy-policy",
    "/privacy-statement",
    "/privacyverklaring/",
    "/privacy/",
    "/nl/privacy",
    "/en/privacy",
    "/privacy.html",
)
IMPRINT_LINK = re.compile(
    r"(?i)contact|colofon|impressum|imprint|over[\s_-]?ons|about|disclaimer|juridisch|legal|"
    r"voorwaarden"
)
MAX_CANDIDATES = 6  # policy addresses tried
MAX_IMPRINT_FETCHES = 3
_POLICY_TEXT = re.compile(r"(?i)persoonsgegevens|personal (?:data|information)|privacy")
_KVK_LABELLED = re.compile(
    r"(?i)\b(?:kvk|kamer van koophandel|chamber of commerce|handelsregister)"
    r"(?:[\s-]*(?:nummer|nr|number|no|registratie))?\.?[\s:#]*(\d[\d .]{2,16}\d)"
)


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(patterns), re.IGNORECASE)


# each element: the words that show a policy says it (Dutch and English)
ELEMENTS: dict[str, re.Pattern[str]] = {
    "controller": _any(
        r"verwerkingsverantwoordelijke",
        r"\bverantwoordelijk",
        r"\bcontroller\b",
        r"wie (?:zijn|is) wij",
        r"who we are",
        r"contactgegevens",
        r"contact (?:details|us)",
    ),
    "dpo": _any(
        r"functionaris (?:voor de )?gegevensbescherming",
        r"data protection officer",
        r"\bDPO\b",
        r"\bFG\b",
    ),
    "purposes": _any(r"\bdoel(?:en|einden|einde)?\b", r"waarvoor", r"\bpurposes?\b"),
    "legal_basis": _any(
        r"grondslag",
        r"rechtsgrond",
        r"legal basis",
        r"lawful basis",
        r"legitimate interest",
        r"gerechtvaardigd(?:e)? belang",
        r"uitvoering van (?:een|de) overeenkomst",
        r"wettelijke verplichting",
        r"performance of a contract",
        r"legal obligation",
        r"art(?:ikel|icle)?\.?\s*6",
    ),
    "recipients": _any(
        r"ontvanger",
        r"\bderden\b",
        r"verwerker",
        r"delen wij",
        r"recipient",
        r"third part",
        r"processor",
        r"share (?:your|personal)",
    ),
    "transfers": _any(
        r"buiten de (?:europese economische ruimte|eer|eu|europese unie)",
        r"derde(?:n)? land",
        r"outside (?:the )?(?:european economic area|eea|eu|european union)",
        r"third countr",
        r"standard contractual clauses",
        r"modelcontractbepalingen",
        r"standaardcontractbepalingen",
        r"adequa(?:cy|te)",
        r"passend beschermingsniveau",
        r"data privacy framework",
    ),
    "retention": _any(
        r"bewaartermijn", r"bewaren", r"bewaard", r"retention", r"retain", r"keep (?:your|it|them)"
    ),
    "complaint_authority": _any(
        r"autoriteit persoonsgegevens",
        r"toezichthoud",
        r"supervisory authority",
        r"data protection authority",
    ),
    "complaint_verb": _any(r"klacht", r"complain"),
}
RIGHTS = (
    _any(r"\binzage", r"\baccess\b"),
    _any(r"rectific", r"correct", r"verbeter", r"aanpass"),
    _any(r"verwijder", r"wissen", r"erasure", r"\bdelet", r"vergetelheid", r"forgotten"),
    _any(r"bezwaar", r"\bobject"),
    _any(r"overdraagbaarheid", r"overdragen", r"portability"),
    _any(r"beperking", r"restrict"),
)


@dataclass
class PolicyResult:
    url: str | None = None  # the policy's address (redacted), when found
    text: str = ""
    missing: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # the imprint pages read


def missing_elements(text: str, transfers_needed: bool) -> list[str]:
    """The art. 13 elements the policy's text does not mention."""
    text = " ".join(text.split())
    missing = []
    for element in ("controller", "dpo", "purposes", "legal_basis", "recipients", "retention"):
        if not ELEMENTS[element].search(text):
            missing.append(element)
    if transfers_needed and not ELEMENTS["transfers"].search(text):
        missing.append("transfers")
    if sum(1 for right in RIGHTS if right.search(text)) < 2:
        missing.append("rights")
    if not (
        ELEMENTS["complaint_authority"].search(text) and ELEMENTS["complaint_verb"].search(text)
    ):
        missing.append("complaint")
    return missing


class PolicyCheck:
    def __init__(self, session: ScanSession, crawler: Crawler) -> None:
        self.session = session
        self.crawler = crawler
        self._read: dict[str, Page] = {
            page_key(f.url): f.html
            for f in crawler.result.pages
            if f.url is not None and f.html is not None
        }

    def _page(self, target: TargetURL) -> Page | None:
        key = page_key(target)
        if key in self._read:
            return self._read[key]
        try:
            if not self.crawler.allowed(target):
                return None
        except NetError:
            return None
        fetched = self.crawler.fetch(target, 0)
        if fetched.html is None or fetched.status >= 400 or fetched.url is None:
            return None
        self.session.scan.stats.bytes_scanned += fetched.size
        self._read[key] = fetched.html
        if fetched.url is not None:
            self._read[page_key(fetched.url)] = fetched.html
        return fetched.html

    def _links(self, pattern: re.Pattern[str]) -> Iterator[TargetURL]:
        seen: set[str] = set()
        for fetched in self.crawler.result.pages:  # the start page's links come first
            if fetched.html is None:
                continue
            for link in fetched.html.links:
                if pattern.search(link.text) or pattern.search(link.url.split("?", 1)[0]):
                    target = parse_link(link.url)
                    if target is not None and page_key(target) not in seen:
                        seen.add(page_key(target))
                        yield target

    def find_policy(self, start: TargetURL) -> tuple[TargetURL, Page] | None:
        candidates = list(self._links(POLICY_LINK))[:MAX_CANDIDATES]
        candidates += [start.with_path(path) for path in POLICY_PATHS]
        for target in candidates:
            page = self._page(target)
            if page is not None and len(page.text) > 300 and _POLICY_TEXT.search(page.text):
                return target, page
        return None

    def run(self, start: TargetURL, transfers_needed: bool, dutch: bool) -> PolicyResult:
        result = PolicyResult()
        found = self.find_policy(start)
        start_where = Location(url=start.display)
        if found is None:
            self.session.add(
                rules.POLICY_MISSING,
                start_where,
                value="policy",
                evidence="no privacy policy linked or at " + ", ".join(POLICY_PATHS[:4]),
            )
        else:
            target, page = found
            result.url, result.text = target.display, page.text
            result.missing = missing_elements(page.text, transfers_needed)
            for element in result.missing:
                self.session.add(
                    rules.POLICY_ELEMENT[element],
                    Location(url=target.display, section="privacy policy"),
                    value=f"policy:{element}",
                    evidence=f"{element.replace('_', ' ')}: not mentioned",
                )
        if dutch:
            self._kvk(start, result)
        return result

    def _imprint_pages(self, start: TargetURL, policy: PolicyResult) -> Iterator[tuple[str, str]]:
        first = self.crawler.result.pages[0] if self.crawler.result.pages else None
        if first is not None and first.html is not None and first.url is not None:
            yield first.url.display, first.html.text
        fetched = 0
        for target in self._links(IMPRINT_LINK):
            if fetched >= MAX_IMPRINT_FETCHES:
                break
            if page_key(target) not in self._read:
                fetched += 1
            page = self._page(target)
            if page is not None:
                yield target.display, page.text
        if policy.url:
            yield policy.url, policy.text

    def _kvk(self, start: TargetURL, policy: PolicyResult) -> None:
        invalid: tuple[str, str] | None = None
        for url, text in self._imprint_pages(start, policy):
            policy.pages.append(url)
            if any(d.rule_id == "pii.kvk" for d in self.session.detector.detect(text)):
                return
            for m in _KVK_LABELLED.finditer(text):
                digits = re.sub(r"\D", "", m.group(1))
                if len(digits) != 8 and invalid is None:
                    invalid = (url, digits)
        if invalid is not None:
            url, digits = invalid
            self.session.add(
                rules.KVK_INVALID,
                Location(url=url, section="imprint"),
                value=f"kvk:{digits}",
                evidence=f"KvK number of {len(digits)} digits",
            )
        else:
            self.session.add(
                rules.NO_KVK,
                Location(url=start.display, section="imprint"),
                value="kvk",
                evidence="no KvK number on " + ", ".join(policy.pages[:4]),
            )
