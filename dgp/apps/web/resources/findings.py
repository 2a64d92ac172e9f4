"""Reading a scan's findings and triaging them (open, accepted_risk, false_positive, fixed)."""

from __future__ import annotations

from typing import ClassVar

import falcon

from dgp.apps.web.openapi import LIMIT, OFFSET, Op, Param
from dgp.apps.web.resources.common import (
    Api,
    Resource,
    Scopes,
    audit,
    field,
    found,
    invalid,
    organisation,
    page,
    paged,
    read_json,
)
from dgp.domain.severity import Severity

TAGS = ("findings",)
DEFAULT_FINDINGS_PAGE = 100
FILTERS = (
    Param(
        "severity",
        "only these severities (repeat or comma-separate)",
        {"type": "string", "enum": [s.value for s in Severity]},
        array=True,
    ),
    Param(
        "rule_id",
        "only these rules, e.g. pii.nl.bsn",
        {"type": "string", "minLength": 1, "pattern": "^[^\\x00]*$"},
        array=True,
    ),
    Param(
        "status",
        "only these triage states",
        {"$ref": "#/components/schemas/FindingStatus"},
        array=True,
    ),
)


class ScanFindings(Resource):
    scopes: ClassVar[Scopes] = {"GET": "findings:read"}
    api: ClassVar[Api] = {
        "GET": Op(
            "A scan's findings in the scanner's order, filtered and paginated",
            returns="FindingPage",
            query=(*FILTERS, LIMIT, OFFSET),
            tags=TAGS,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, scan_id: str) -> None:
        org = organisation(req)
        found(self.services.db(self.services.store.get_scan, org, scan_id), "scan")
        limit, offset = page(req, DEFAULT_FINDINGS_PAGE)
        filters = {f.name: req.get_param_as_list(f.name, delimiter=",") for f in FILTERS}
        findings, total = invalid(
            lambda: self.services.db(
                self.services.store.list_findings,
                org,
                scan_id,
                limit=limit,
                offset=offset,
                **filters,
            )
        )
        resp.media = paged([f.to_dict() for f in findings], total, limit, offset)


class Finding(Resource):
    scopes: ClassVar[Scopes] = {"GET": "findings:read", "PATCH": "findings:write"}
    api: ClassVar[Api] = {
        "GET": Op("One finding", returns="Finding", tags=TAGS),
        "PATCH": Op(
            "Triage a finding; the scan's score is recomputed",
            returns="Finding",
            body="Triage",
            example={"status": "false_positive"},
            tags=TAGS,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, finding_id: str) -> None:
        finding = self.services.db(self.services.store.get_finding, organisation(req), finding_id)
        resp.media = found(finding, "finding").to_dict()

    def on_patch(self, req: falcon.Request, resp: falcon.Response, finding_id: str) -> None:
        status = field(read_json(req), "status", str)
        store = self.services.store
        finding = invalid(
            lambda: self.services.db(
                store.set_finding_status, organisation(req), finding_id, status
            )
        )
        finding = found(finding, "finding")
        details = {"status": finding.status.value, "scan_id": finding.scan_id}
        audit(self.services, req, "finding.triaged", "finding", finding.id, details)
        resp.media = finding.to_dict()
