"""Prometheus text exposition (format 0.0.4), written by hand: a few gauges and counters
do not need a client library, and the values are read fresh on every scrape."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import falcon

from dgp.apps.web.converters import plain_template

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Exposition:
    """Collects metric families and renders them; each family's HELP and TYPE once."""

    def __init__(self) -> None:
        self._families: dict[str, tuple[str, str, list[str]]] = {}

    def add(
        self,
        name: str,
        metric_type: str,
        help_text: str,
        value: float,
        labels: dict[str, str] | None = None,
    ) -> None:
        family = self._families.setdefault(name, (metric_type, help_text, []))
        family[2].append(f"{name}{_labels(labels or {})} {_number(value)}")

    def render(self) -> str:
        lines = []
        for name, (metric_type, help_text, samples) in self._families.items():
            lines.append(f"# HELP {name} {_escape_help(help_text)}")
            lines.append(f"# TYPE {name} {metric_type}")
            lines.extend(samples)
        return "\n".join(lines) + "\n"


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestCounter:
    """Falcon middleware counting answered requests by method, route and status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str, str]] = Counter()

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        # the route's template, never the raw path: ids would explode the labels
        route = plain_template(req.uri_template) if req.uri_template else "unmatched"
        method = req.method if req.method in KNOWN_METHODS else "other"  # bounded labels
        key = (method, route, str(resp.status_code))
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[tuple[str, str, str], int]:
        with self._lock:
            return dict(self._counts)


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{_escape_label(v)}"' for k, v in labels.items())
    return "{" + inner + "}"


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(float(value)) if isinstance(value, float) else str(int(value))
