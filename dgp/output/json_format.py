"""The JSON report: the scan and its findings exactly as the domain models dump them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from dgp.domain.finding import Finding
from dgp.domain.scan import Scan
from dgp.output._common import json_escaped

MAX_SHARED = 4096  # rules' shared parts kept written (a finding's own description makes one)


class JsonWriter:
    """`{"findings": [...], "scan": ...}`, findings in the given order, written as they come.

    Indented by two, with each finding on one line of its own: a report of a
    large tree holds hundreds of thousands of them, and Python's JSON encoder
    writes indented JSON a hundred times slower than single lines. A finding's
    own fields come first, then those of its rule, each part with its keys
    sorted. `jq` and `Finding.from_dict` read it back unchanged. The scan comes
    last, so it is written finished. The tool version is not part of this format
    (the scan and findings are the whole document).
    """

    def __init__(self, out: TextIO, *, tool_version: str) -> None:
        del tool_version  # accepted for a uniform signature across formats
        self._out = out
        self._shared: dict[tuple[Any, ...], str] = {}  # a rule's fields, written once per rule
        self._first = True  # nothing is written before the first page or the end

    def write(self, findings: Sequence[Finding]) -> None:
        if not findings:
            return
        if len(self._shared) > MAX_SHARED:
            self._shared.clear()
        lines = ",\n    ".join(_finding(f, self._shared) for f in findings)
        start = '{\n  "findings": [\n    ' if self._first else ",\n    "
        self._out.write(json_escaped(start + lines))
        self._first = False

    def close(self, scan: Scan) -> None:
        scan_text = _dumps(scan.to_dict(), indent=2).replace("\n", "\n  ")
        end = '{\n  "findings": []' if self._first else "\n  ]"
        self._out.write(json_escaped(f'{end},\n  "scan": {scan_text}\n}}\n'))


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
