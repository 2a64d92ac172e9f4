"""The JSON report: the scan and its findings exactly as the domain models dump them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dgp.domain.finding import Finding
from dgp.domain.scan import Scan
from dgp.output._common import json_escaped


def render(scan: Scan, findings: Sequence[Finding], *, tool_version: str) -> str:
    """`{"findings": [...], "scan": ...}`, findings in the given order.

    Indented by two, with each finding on one line of its own: a report of a
    large tree holds hundreds of thousands of them, and Python's JSON encoder
    writes indented JSON a hundred times slower than single lines. A finding's
    own fields come first, then those of its rule, each part with its keys
    sorted. `jq` and `Finding.from_dict` read it back unchanged. The tool version
    is not part of this format (the scan and findings are the whole document).
    """
    del tool_version  # accepted for a uniform signature across formats
    shared: dict[tuple[Any, ...], str] = {}  # a rule's fields, written once per rule
    lines = ",\n".join("    " + _finding(f, shared) for f in findings)
    listed = f"[\n{lines}\n  ]" if findings else "[]"
    scan_text = _dumps(scan.to_dict(), indent=2).replace("\n", "\n  ")
    return json_escaped(f'{{\n  "findings": {listed},\n  "scan": {scan_text}\n}}\n')


def _finding(finding: Finding, shared: dict[tuple[Any, ...], str]) -> str:
    key = finding.shared_key()
    tail = shared.get(key)
    if tail is None:
        tail = shared[key] = _dumps(finding.shared_dict())[1:]
    return _dumps(finding.own_dict())[:-1] + ", " + tail


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
# The C encoder behind it, made once: JSONEncoder.encode makes one per call, which is a
# third of the time a finding takes to write when a report holds hundreds of thousands.
_C_ENCODE = (
    json.encoder.c_make_encoder(  # type: ignore[attr-defined]
        None, _ENCODER.default, json.encoder.encode_basestring, None, ": ", ", ", True, False, True
    )
    if getattr(json.encoder, "c_make_encoder", None) is not None
    else None
)


def _dumps(data: Any, indent: int | None = None) -> str:
    if indent is not None:
        return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=indent)
    if _C_ENCODE is not None:
        return "".join(_C_ENCODE(data, 0))
    return _ENCODER.encode(data)
