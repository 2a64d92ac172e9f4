"""The site a scan starts from: a web URL, or a bare host name read as https://host/.

Light (standard library and dgp.net only): the web app checks targets with it before a
scan is queued.
"""

from __future__ import annotations

from dgp.net import TargetRefused, TargetURL, web_target


def site_url(text: str) -> TargetURL:
    """The start URL; TargetRefused (a ValueError) says why a target is not one."""
    return web_target(text)


def check_site_url(text: str) -> None:
    site_url(text)


def site_endpoint(text: str) -> str | None:
    try:
        return site_url(text).endpoint
    except TargetRefused:
        return None
