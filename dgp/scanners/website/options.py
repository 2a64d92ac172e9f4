"""Options of a website scan: how far to crawl, how politely, and in which consent states.

Light on purpose (the kind's spec imports it in every process). The crawl's page,
byte and time limits are the common `Limits` (max_items pages, max_bytes read,
max_file_bytes per response, timeout_seconds for the scan); the fields here are the
website's own. Defaults are the server's; those in LOWER_ONLY are also the most a
request may ask for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dgp.domain.options import Limits, MiB, OptionsError, ScanOptions

MODES = ("auto", "http", "browser")
STATES = ("none", "accept", "reject")  # no interaction, after "accept all", after "reject all"

# what one website scan may use at most (the kind's limits: a request can only lower them)
WEBSITE_LIMITS = Limits(
    max_items=500,  # pages crawled over HTTP
    max_bytes=256 * MiB,  # bytes read in all (pages, robots.txt, sitemaps, the policy)
    max_file_bytes=8 * MiB,  # one response; a larger one is not analysed
    timeout_seconds=900.0,
)


@dataclass(frozen=True)
class WebsiteOptions(ScanOptions):
    LOWER_ONLY: ClassVar[tuple[str, ...]] = (
        "max_depth",
        "browser_pages",
        "requests_per_host",
        "page_seconds",
    )

    mode: str = "auto"  # auto: the browser when Chromium is installed, else HTTP only
    max_depth: int = 5  # links followed from the start page
    browser_pages: int = 3  # pages visited in the browser per consent state (start page first)
    states: tuple[str, ...] = STATES
    obey_robots: bool = True  # robots.txt rules for our user agent (or *)
    use_sitemap: bool = True  # start from the URLs in sitemap.xml too
    requests_per_host: int = 2  # concurrent requests to one host
    delay_seconds: float = 0.25  # between two requests to one host (at least)
    page_seconds: float = 20.0  # one page: its fetch, or its load and checks in the browser
    screenshots: bool = True  # the first view of each state, as scan artefacts

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise OptionsError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        states = tuple(self.states)
        unknown = sorted(set(states) - set(STATES))
        if unknown or not states:
            raise OptionsError(f"states are some of {', '.join(STATES)}; not {unknown or '[]'}")
        object.__setattr__(self, "states", tuple(s for s in STATES if s in states))
        for name in ("max_depth", "browser_pages", "requests_per_host"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise OptionsError(f"{name} must be a whole number of at least 0")
        if self.requests_per_host < 1 or self.browser_pages < 1:
            raise OptionsError("requests_per_host and browser_pages must be at least 1")
        for name, low, high in (("delay_seconds", 0.0, 60.0), ("page_seconds", 1.0, 300.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise OptionsError(f"{name} must be a number")
            if not low <= value <= high:
                raise OptionsError(f"{name} must be between {low:g} and {high:g}")
