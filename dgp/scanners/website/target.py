"""The site a scan starts from: a web URL, or a bare host name read as https://host/.

Light (standard library and dgp.net only): the web app checks targets with it before a
scan is queued.
"""

from __future__ import annotations

from dgp.net import WEB_SCHEMES, TargetRefused, TargetURL, parse_url, refuse_credentials


def site_url(text: str) -> TargetURL:
    """The start URL; TargetRefused (a ValueError) says why a target is not one."""
    text = text.strip()
    if "://" not in text:
        text = "https://" + text
    refuse_credentials(text)
    target = parse_url(text, WEB_SCHEMES)
    if target.has_userinfo:
        raise TargetRefused("credentials in the URL are not accepted")
    return target


def check_site_url(text: str) -> None:
    site_url(text)


def site_endpoint(text: str) -> str | None:
    try:
        return site_url(text).endpoint
    except TargetRefused:
        return None
