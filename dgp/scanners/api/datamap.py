"""The OpenAPI document as a data map: which operations take or return which
personal-data categories, which have no security requirement, where personal data
goes into query strings, which examples look real. A result of its own: an artefact
(`openapi-datamap.json`, described by datamap.schema.json next to this module) and
findings.

What the scan saw is added per operation (`observed`): the status without and with
the credential, the personal-data fields that came back, the engine's rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dgp.domain.finding import Location
from dgp.domain.job import Artefact
from dgp.engine.detector import Detection
from dgp.scanners.api import rules
from dgp.scanners.api.document import Document
from dgp.scanners.api.operations import Operation
from dgp.scanners.session import ScanSession

ARTEFACT_NAME = "openapi-datamap.json"
SCHEMA_FILE = Path(__file__).with_name("datamap.schema.json")
FORMAT_VERSION = 1
# values an example may hold only if copied from real data: they pass a checksum or a
# strict validity check, or they are secrets
REAL_LOOKING = frozenset({"pii.bsn", "pii.iban", "pii.payment_card", "pii.id_document"})
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net", "example.nl", "voorbeeld.nl")


@dataclass
class Observed:
    """What the scan saw of one operation."""

    url: str | None = None
    status: int | None = None  # without the credential
    status_with_credential: int | None = None
    fields: dict[str, str] = field(default_factory=dict)  # field path -> category
    rules: set[str] = field(default_factory=set)
    note: str | None = None  # why it was not requested, or what failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "status_with_credential": self.status_with_credential,
            "personal_fields": [
                {"field": k, "category": v} for k, v in sorted(self.fields.items())
            ],
            "rules": sorted(self.rules),
            "note": self.note,
        }


def document_findings(
    session: ScanSession, document: Document, operations: Iterable[Operation], where: str
) -> None:
    """Findings about the document: validity, references, and per operation: personal
    data without a security requirement, in the query string, in examples."""
    location = Location(url=where)
    if document.errors:
        session.add(
            rules.OPENAPI_INVALID,
            location,
            value="invalid",
            evidence=document.errors[0][:300],
            description=f"{len(document.errors)} validation error(s); the first: "
            f"{document.errors[0][:300]}",
        )
    for ref, why in sorted(document.unresolved.items()):
        session.add(rules.OPENAPI_UNRESOLVED, location, value=ref, evidence=f"{ref[:200]}: {why}")
    for op in operations:
        here = Location(url=where, selector=op.key)
        personal = op.personal()
        if personal and op.secured is False:
            labels = sorted({f.category.label for f in personal if f.category})
            session.add(
                rules.DATAMAP_UNPROTECTED,
                here,
                value=op.key,
                evidence=f"{op.key}: {', '.join(labels)}",
            )
        for param in op.parameters:
            category = param.category
            if param.where == "query" and category is not None:
                session.add(
                    rules.DATAMAP_QUERY,
                    here,
                    value=f"{op.key}?{param.name}",
                    evidence=f"{op.key}: query parameter {param.name} ({category.label})",
                )
        for example_where, text in op.examples:
            for det in _real_looking(session, text):
                session.add(
                    rules.DATAMAP_EXAMPLE,
                    Location(url=where, selector=f"{op.key} {example_where}"),
                    value=det.value,
                    confidence=det.confidence,
                    description=f"{rules_title(det.rule_id)} in an example of {op.key} "
                    f"({example_where}).",
                )


def rules_title(rule_id: str) -> str:
    from dgp.engine.rules import RULES

    return RULES[rule_id].title


def _real_looking(session: ScanSession, text: str) -> list[Detection]:
    return [det for det in session.detector.detect(text[:100_000]) if _real(det)]


def _real(det: Detection) -> bool:
    if det.rule_id == "pii.email":
        return not det.value.lower().endswith(EXAMPLE_DOMAINS)
    return det.rule_id in REAL_LOOKING or det.rule_id.startswith("secret.")


def data_map(
    base: str,
    document: Document | None,
    operations: list[Operation],
    observed: dict[str, Observed],
) -> dict[str, Any]:
    ops = []
    by_category: dict[str, set[str]] = {}
    for op in operations:
        seen = observed.get(op.key, Observed())
        takes = [
            {"in": p.where, "name": p.name, "category": p.category.name}
            for p in op.parameters
            if p.category is not None
        ]
        takes += [{"in": "body", **f.to_dict()} for f in op.body_fields if f.category]
        returns = [f.to_dict() for f in op.response_fields if f.category]
        categories = {t["category"] for t in takes} | {r["category"] for r in returns}
        categories |= set(seen.fields.values())
        for category in categories:
            by_category.setdefault(category, set()).add(op.key)
        ops.append(
            {
                "method": op.method,
                "path": op.path,
                "operation_id": op.operation_id or None,
                "documented": op.documented,
                "security_required": op.secured,
                "takes": takes,
                "returns": returns,
                "categories": sorted(categories),
                "observed": seen.to_dict(),
            }
        )
    info = document.data.get("info", {}) if document is not None else {}
    return {
        "format": "dgp-openapi-datamap",
        "version": FORMAT_VERSION,
        "api": base,
        "openapi": {
            "source": document.source,
            "version": document.version,
            "title": str(info.get("title", "")) if isinstance(info, dict) else "",
            "valid": not document.errors and not document.unresolved,
        }
        if document is not None
        else None,
        "operations": ops,
        "categories": {k: sorted(v) for k, v in sorted(by_category.items())},
        "unprotected": sorted(
            o["method"] + " " + o["path"]
            for o in ops
            if o["categories"] and o["security_required"] is False
        ),
    }


def artefact(data: dict[str, Any]) -> Artefact:
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    return Artefact(ARTEFACT_NAME, "application/json", text.encode("utf-8"))
