"""What a scan saw in one consent state: cookies, requests, storage keys and the banner.

The HTTP crawl gives the "none" state's view from Set-Cookie headers and the
resources in the HTML; the browser gives each state's view as it happened, split at
the moment the visitor's choice was clicked ("before" and "after"). The findings are
computed from these (findings.py), and the inventory artefact lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dgp.scanners.website.cookies import Cookie

NONE, ACCEPT, REJECT = "none", "accept", "reject"
BEFORE, AFTER = "before", "after"  # before or after the consent choice was clicked


@dataclass(frozen=True)
class Request:
    url: str  # redacted
    host: str
    kind: str  # script, image, xhr, iframe, ... (the browser's resource type, or the tag)
    page: str  # the page that made it (redacted)
    phase: str = BEFORE
    from_html: bool = False  # seen in the HTML only (HTTP mode), not made by a browser


@dataclass(frozen=True)
class StorageKey:
    origin: str
    area: str  # localStorage or sessionStorage
    key: str
    page: str
    phase: str = BEFORE


@dataclass(frozen=True)
class Seen:
    """A cookie as first seen in a state."""

    cookie: Cookie
    page: str
    phase: str = BEFORE


@dataclass
class Banner:
    """The consent banner as found on the start page, and what choosing did."""

    found: bool = False
    cmp: str | None = None  # the consent platform, when autoconsent or a marker knows it
    method: str = ""  # "autoconsent" or "heuristic": what found and clicked it
    modal: bool = False  # it covers the page or blocks scrolling
    first_layer: dict[str, list[str]] = field(default_factory=dict)  # role -> button labels
    preticked: list[str] = field(default_factory=list)  # consent boxes ticked in advance
    clicks: int | None = None  # clicks the choice took (accept or reject state)
    chosen: bool = False  # the choice of this state was made
    note: str = ""  # what went wrong, safe to show

    def offers(self, role: str) -> bool:
        return bool(self.first_layer.get(role))


@dataclass
class Observation:
    state: str
    method: str  # "browser" or "http"
    pages: list[str] = field(default_factory=list)  # pages visited (redacted)
    failed_pages: dict[str, str] = field(default_factory=dict)  # page -> why
    cookies: list[Seen] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    storage: list[StorageKey] = field(default_factory=list)
    banner: Banner = field(default_factory=Banner)
    screenshot: bytes | None = None
