"""A kind that takes earlier scans instead of a target: registered by tests only.

Like a report, it is given the ids of earlier scans of the same organisation; the
worker hands it those scans (ScanInputs.scans), and it writes what it read of
them as its artefact, so the tests can see which scans reached it.
"""

from __future__ import annotations

import json

from dgp.domain.job import Artefact, ScanInputs, ScanJob, ScanResult
from dgp.kinds import Input, KindSpec
from dgp.scanners.session import ScanSession


def scan(job: ScanJob, inputs: ScanInputs) -> ScanResult:
    session = ScanSession(job, inputs.hasher(), inputs.progress)
    for _ in inputs.scans:
        session.admit(0)
    result = session.finish()
    summary = [
        {"id": s.id, "kind": s.kind, "status": s.status.value, "score": s.score}
        for s in inputs.scans
    ]
    data = json.dumps({"asked": list(job.scan_ids), "scans": summary}, indent=2).encode()
    result.artefacts.append(Artefact("report.json", "application/json", data))
    return result


SPEC = KindSpec(
    name="toyreport",
    summary="lists the earlier scans it is given (tests only)",
    port=5997,
    implementation_module=__name__,
    inputs=frozenset({Input.SCANS}),
)
