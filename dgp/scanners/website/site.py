"""Which hosts belong to the scanned site: the same registrable domain ("site") by the
Public Suffix List, so www.voorbeeld.nl and shop.voorbeeld.nl are one site while
a.github.io and b.github.io are two. The list is the one bundled with
`publicsuffixlist` (refreshed with the package); nothing is downloaded at run time.
"""

from __future__ import annotations

import ipaddress
import threading
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

_psl: PublicSuffixList | None = None
_lock = threading.Lock()


def _list() -> PublicSuffixList:
    global _psl
    if _psl is None:
        with _lock:
            if _psl is None:
                _psl = PublicSuffixList()  # the bundled list; about 0.1 s to load
    return _psl


@lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """example.co.uk for www.example.co.uk; an address or a bare name stands for itself."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    return _list().privatesuffix(host) or host


def same_site(host: str, other: str) -> bool:
    return registrable_domain(host) == registrable_domain(other)


def host_matches(host: str, domain: str) -> bool:
    """Whether `host` is `domain` or under it (a cookie's or a list's domain)."""
    host, domain = host.lower().rstrip("."), domain.lower().lstrip(".").rstrip(".")
    return host == domain or host.endswith("." + domain)


class Site:
    """The scanned site: the registrable domains of the start URL and of where it led."""

    def __init__(self, *hosts: str) -> None:
        self.domains: set[str] = {registrable_domain(h) for h in hosts}

    def add(self, host: str) -> None:
        self.domains.add(registrable_domain(host))

    def contains(self, host: str) -> bool:
        return registrable_domain(host) in self.domains

    def is_dutch_domain(self) -> bool:
        return any(d.endswith(".nl") for d in self.domains)
