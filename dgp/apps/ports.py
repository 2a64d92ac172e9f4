"""Default TCP ports, in one place: the seed's plan (web 5000, scanners 5001..5010).

Used only when a process is not socket-activated; under systemd the socket units
own the addresses.
"""

from __future__ import annotations

WEB_PORT = 5000
SCANNER_PORTS: dict[str, int] = {
    "code": 5001,
    "website": 5002,
    "ai_model": 5003,
    "document": 5004,
    "database": 5005,
    "image": 5006,
    "dpia": 5007,
    "soc2": 5008,
    "api": 5009,
    "report": 5010,
}
HOST = "127.0.0.1"  # development default: never listen beyond this machine by accident


def web_bind() -> str:
    return f"{HOST}:{WEB_PORT}"


def scanner_bind(kind: str) -> str:
    try:
        return f"{HOST}:{SCANNER_PORTS[kind]}"
    except KeyError:
        raise ValueError(f"no default port for scanner kind {kind!r}; pass --bind") from None
