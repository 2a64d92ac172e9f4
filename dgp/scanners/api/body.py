"""Personal data in a response body: JSON walked field by field through the shared
engine, each finding located by its field path (`$.users[0].bsn`), evidence masked.

The field's own name is given to the engine as context (a bare nine-digit number is a
BSN only next to a word such as "bsn"), and field names that mean personal data
(Dutch and English, dgp.engine.fieldnames) count even when the value's form says
nothing (a name, a diagnosis). Bodies that are not JSON are read as text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dgp.domain.finding import Location
from dgp.engine.fieldnames import Category, category_of
from dgp.scanners.session import ScanSession

MAX_LEAVES = 5000  # values read per response
MAX_ARRAY_ITEMS = 50  # elements read per array (a list of records is a sample)
MAX_VALUE_CHARS = 20_000  # of one value given to the engine


@dataclass
class BodyReport:
    """What one response held: personal-data fields (paths with array indexes as [*])
    and the engine's detections."""

    json: bool = False
    parsed: Any = None
    fields: dict[str, Category] = field(default_factory=dict)  # "$[*].bsn" -> category
    detections: int = 0
    rule_ids: set[str] = field(default_factory=set)

    @property
    def personal(self) -> bool:
        return bool(self.fields) or self.detections > 0

    def categories(self) -> set[str]:
        return {c.name for c in self.fields.values()}


def read_body(
    session: ScanSession, body: bytes, content_type: str, url: str, *, report_fields: bool
) -> BodyReport:
    """Scan one body; findings go to the session (engine rules, and, when
    `report_fields`, the personal-field rules once per generic path)."""
    from dgp.scanners.api import rules

    report = BodyReport()
    if not body:
        return report
    text = body.decode("utf-8", "replace")
    parsed: Any = None
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            parsed = json.loads(text)
            report.json = True
        except (ValueError, RecursionError):
            parsed = None
    if not report.json:
        with session.recording() as found:
            report.detections = session.scan_text(text, Location(url=url))
        report.rule_ids = {f.rule_id for f in found}
        return report
    report.parsed = parsed
    with session.recording() as found:
        for path, generic, name, value in leaves(parsed):
            if isinstance(value, bool) or value is None or value == "":
                continue
            value_text = str(value)[:MAX_VALUE_CHARS]
            category = category_of(name) if name else None
            if category is not None:
                if generic not in report.fields and report_fields:
                    rule = rules.SPECIAL_FIELD if category.special else rules.PERSONAL_FIELD
                    session.add(
                        rule,
                        Location(url=url, selector=generic),
                        value=f"{generic}={value_text}" if category.special else None,
                        evidence=f"{generic}: {category.label}",
                        description=(
                            f"The response field {generic} ({category.label}) holds a value."
                        ),
                    )
                report.fields.setdefault(generic, category)
            report.detections += session.scan_text(
                value_text, Location(url=url, selector=path), context=name
            )
    report.rule_ids = {f.rule_id for f in found}
    return report


def leaves(data: Any) -> list[tuple[str, str, str, Any]]:
    """(path, generic path, field name, value) of the scalar values, depth first, within
    the limits; the generic path writes array indexes as [*]."""
    found: list[tuple[str, str, str, Any]] = []
    todo: list[tuple[Any, str, str, str]] = [(data, "$", "$", "")]
    while todo and len(found) < MAX_LEAVES:
        node, path, generic, name = todo.pop()
        if isinstance(node, dict):
            todo.extend(
                (v, f"{path}.{k}", f"{generic}.{k}", str(k)) for k, v in reversed(node.items())
            )
        elif isinstance(node, list):
            todo.extend(
                (v, f"{path}[{i}]", f"{generic}[*]", name)
                for i, v in reversed(list(enumerate(node[:MAX_ARRAY_ITEMS])))
            )
        else:
            found.append((path, generic, name, node))
    return found


def field_names(data: Any) -> set[str]:
    """Every key in a JSON value (the exposure check compares them with the schema)."""
    names: set[str] = set()
    for _, _, name, _ in leaves(data):
        if name:
            names.add(name)
    return names
