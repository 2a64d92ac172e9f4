"""Report formats for `dgp scan`: text for a terminal, JSON, SARIF 2.1.0 and CSV.

    render("sarif", scan, findings, tool_version=dgp.__version__) -> str

Each format lives in a module of its own with a `render(scan, findings, *,
tool_version)` function; this module picks one by name. Findings are rendered
in the order given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dgp.domain.finding import Finding
from dgp.domain.scan import Scan
from dgp.output import csv_format, json_format, sarif, text

FORMATS: tuple[str, ...] = ("text", "json", "sarif", "csv")

Renderer = Callable[..., str]

_RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "csv": csv_format.render,
}


def render(fmt: str, scan: Scan, findings: Sequence[Finding], *, tool_version: str) -> str:
    """The report for `scan` and its `findings` in format `fmt` (one of FORMATS)."""
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown output format {fmt!r} (one of: {', '.join(FORMATS)})") from None
    return renderer(scan, list(findings), tool_version=tool_version)


__all__ = ["FORMATS", "render"]
