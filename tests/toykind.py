"""A scanner kind that only the tests know: registered from a test, never shipped.

It proves that the registry is the only list of kinds: registered with
`dgp.kinds.register`, it is accepted by the API, queued, consumed by a worker and
stored like the shipped kinds, without any other file naming it. It also makes an
artefact (a summary), stored and downloadable like a report.
"""

from __future__ import annotations

from dgp.domain.finding import Location
from dgp.domain.job import Artefact, ScanInputError, ScanInputs, ScanJob, ScanResult
from dgp.kinds import Input, KindSpec
from dgp.scanners.session import ScanSession

SUMMARY_TYPE = "text/plain; charset=utf-8"


def check_target(target: str) -> None:
    if target.startswith("refuse"):
        raise ScanInputError("the toy kind refuses this target")


def scan(job: ScanJob, inputs: ScanInputs) -> ScanResult:
    """The target text itself is what the toy scans; a summary of what it found, with
    the evidence masked as in the findings, is its artefact."""
    session = ScanSession(job, inputs.hasher(), inputs.progress)
    session.admit(len(job.target))
    session.scan_text(job.target, Location(path="target"))
    result = session.finish()
    lines = [f"{f.rule_id} at column {f.location.column}: {f.evidence}\n" for f in result.findings]
    summary = "".join(lines) or "nothing found\n"
    result.artefacts.append(Artefact("summary.txt", SUMMARY_TYPE, summary.encode()))
    return result


SPEC = KindSpec(
    name="toy",
    summary="scans its target text (tests only)",
    port=5999,
    implementation_module=__name__,
    inputs=frozenset({Input.TARGET}),
    check_target=check_target,
    endpoint=lambda target: "toy.invalid:1",
)
