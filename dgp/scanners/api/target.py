"""The API a scan talks to: its base URL (scheme, host, port and path prefix).

Light (standard library and dgp.net only): the web app checks targets with it before
a scan is queued. Requests of the scan go to this origin only, whatever servers an
OpenAPI document lists: the user named this host, no other.
"""

from __future__ import annotations

from dgp.net import TargetRefused, TargetURL, web_target


def api_url(text: str) -> TargetURL:
    """The base URL; TargetRefused (a ValueError) says why a target is not one."""
    return web_target(text, " (use a stored credential)")


def check_api_url(text: str) -> None:
    api_url(text)


def api_endpoint(text: str) -> str | None:
    try:
        return api_url(text).endpoint
    except TargetRefused:
        return None
