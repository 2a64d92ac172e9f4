"""Default TCP addresses: web 5000, each scanner kind the port in its spec (the seed's
plan: code 5001, website 5002, ai_model 5003, document 5004, database 5005, image
5006, dpia 5007, soc2 5008, api 5009, report 5010).

Used only when a process is not socket-activated; under systemd the socket units
own the addresses.
"""

from __future__ import annotations

from dgp import kinds

WEB_PORT = 5000
HOST = "127.0.0.1"  # development default: never listen beyond this machine by accident


def web_bind() -> str:
    return f"{HOST}:{WEB_PORT}"


def scanner_port(kind: str) -> int:
    return kinds.get(kind).port


def scanner_bind(instance: str) -> str:
    """The kind's own port; an extra consumer (`website-2`) has none and must be given one."""
    try:
        return f"{HOST}:{kinds.get(instance).port}"
    except kinds.UnknownKind:
        raise ValueError(
            f"no default port for scanner instance {instance!r}; pass --bind"
        ) from None
