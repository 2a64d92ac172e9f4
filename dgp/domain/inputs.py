"""What a scan is given besides a target or a file: a questionnaire, or earlier scans.

A questionnaire (DPIA, the AI Act) is a JSON object; a report takes the ids of
earlier scans. Both are checked where they enter (the API, the command line) with
the same limits, before anything is stored: bounded size and depth, so a request
cannot make the database or a scanner hold more than a questionnaire needs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from dgp.domain.job import ScanInputError

MAX_QUESTIONNAIRE_BYTES = 256 * 1024  # as compact UTF-8 JSON
MAX_QUESTIONNAIRE_DEPTH = 32  # nested objects and arrays
MAX_SCAN_IDS = 100


def check_questionnaire(value: object) -> dict[str, Any]:
    """`value` if it is a JSON object within the limits; else ScanInputError."""
    if not isinstance(value, dict):
        raise ScanInputError("a questionnaire must be a JSON object")
    if _depth(value) > MAX_QUESTIONNAIRE_DEPTH:
        raise ScanInputError(f"a questionnaire may nest at most {MAX_QUESTIONNAIRE_DEPTH} deep")
    try:
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    except (TypeError, ValueError):
        raise ScanInputError("a questionnaire must be plain JSON") from None
    if size > MAX_QUESTIONNAIRE_BYTES:
        raise ScanInputError(
            f"the questionnaire is {size} bytes as JSON; at most {MAX_QUESTIONNAIRE_BYTES}"
        )
    return value


def check_scan_ids(values: object) -> tuple[str, ...]:
    """Scan ids as canonical UUIDs, each once, in the order given; ScanInputError for an
    empty or too long list or anything that is not a scan id."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ScanInputError("scan_ids must be a list of scan ids")
    if not 1 <= len(values) <= MAX_SCAN_IDS:
        raise ScanInputError(f"scan_ids must name 1 to {MAX_SCAN_IDS} scans")
    checked: dict[str, None] = {}
    for value in values:
        try:
            checked[str(uuid.UUID(value))] = None
        except (TypeError, ValueError, AttributeError):
            raise ScanInputError(f"not a scan id: {str(value)[:40]!r}") from None
    return tuple(checked)


def describe(kind: str, questionnaire: dict[str, Any] | None, scan_ids: Sequence[str]) -> str:
    """The target text of a scan that has no target: what it was given, never its content."""
    if not scan_ids:
        return "questionnaire" if questionnaire is not None else kind
    scans = f"{len(scan_ids)} scan" + ("" if len(scan_ids) == 1 else "s")
    return f"{kind} of {scans}" + (" and a questionnaire" if questionnaire is not None else "")


def _depth(value: object) -> int:
    """How deep objects and arrays nest in `value` (without recursion: any depth is safe)."""
    deepest = 0
    todo: list[tuple[object, int]] = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_QUESTIONNAIRE_DEPTH:
            return deepest
        todo.extend((child, depth + 1) for child in children)
    return deepest
