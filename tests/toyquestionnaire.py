"""A kind that takes a questionnaire instead of a target: registered by tests only.

Like a DPIA, it is given answers as JSON; it scans every answer that is text for
personal data, located by the question's key, so the tests can see the answers
reached the scanner through the API, the queue and a worker.
"""

from __future__ import annotations

from dgp.domain.finding import Location
from dgp.domain.job import ScanInputError, ScanInputs, ScanJob, ScanResult
from dgp.kinds import Input, KindSpec
from dgp.scanners.session import ScanSession


def scan(job: ScanJob, inputs: ScanInputs) -> ScanResult:
    if job.questionnaire is None:
        raise ScanInputError("the toy questionnaire kind needs a questionnaire")
    session = ScanSession(job, inputs.hasher(), inputs.progress)
    for question, answer in sorted(job.questionnaire.items()):
        if isinstance(answer, str):
            session.admit(len(answer.encode()))
            session.scan_text(answer, Location(path=f"questionnaire/{question}"))
    return session.finish()


SPEC = KindSpec(
    name="toyquestionnaire",
    summary="scans the answers of its questionnaire (tests only)",
    port=5998,
    implementation_module=__name__,
    inputs=frozenset({Input.QUESTIONNAIRE}),
)
