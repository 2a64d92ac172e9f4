"""The streamed report writers write what the writers that held every finding wrote.

tests/data/stream_reports/ holds the reports of the corpus (tests/streamcorpus.py) as
`dgp.output.render` wrote them before it streamed (commit 4a1e9c6). Here the same scans
run with a page sink: findings reach the writers page by page (pages of 7, so every
format meets many pages), and each report must equal its reference byte for byte.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from dgp.domain.finding import Finding, Location
from dgp.domain.job import ScanInputs, ScanJob
from dgp.domain.options import ScanOptions
from dgp.output import open_report
from dgp.scanners import session as session_module
from dgp.scanners.session import ScanSession
from tests import streamcorpus

VERSION = "0.0.0-corpus"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Path]]:
    return streamcorpus.build(tmp_path_factory.mktemp("corpus"))


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "PAGE_SIZE", 7)


@pytest.mark.parametrize("case", streamcorpus.CASES)
def test_streamed_reports_equal_the_reference(corpus, case: str, small_pages) -> None:
    kind, target = corpus[case]
    outs = {fmt: io.StringIO(newline="") for fmt in streamcorpus.FORMATS}
    writers = {fmt: open_report(fmt, outs[fmt], tool_version=VERSION) for fmt in outs}
    sizes: list[int] = []

    def pages(findings: list[Finding]) -> None:
        sizes.append(len(findings))
        for writer in writers.values():
            writer.write(findings)

    scan, kept = streamcorpus.run(kind, target, pages=pages)
    assert kept == []  # all handed on, none kept by the scan
    assert len(sizes) >= 2 and max(sizes) < 7 + 1000  # pages: a page and at most one item
    for fmt, writer in writers.items():
        writer.close(scan)
        expected = streamcorpus.report_path(case, fmt).read_bytes().decode("utf-8")
        assert outs[fmt].getvalue() == expected, f"{case}.{fmt} differs"


def test_streamed_scan_counts_and_scores_as_the_whole(corpus, small_pages) -> None:
    kind, target = corpus["fixture"]
    streamed: list[Finding] = []
    scan, _ = streamcorpus.run(kind, target, pages=streamed.extend)
    whole_scan, whole = streamcorpus.run(kind, target)
    assert [f.id for f in streamed] == [f.id for f in whole]
    assert scan.stats.to_dict() == whole_scan.stats.to_dict()
    assert scan.score == whole_scan.score
    reference = json.loads(streamcorpus.report_path("fixture", "json").read_text("utf-8"))
    assert reference["scan"]["score"] == scan.score


def test_a_recording_holds_what_was_reported_inside_it_across_handed_on_pages(
    small_pages,
) -> None:
    """A kind reads its own findings back (an image's boxes to black out) through
    `recording()`, also when items changed and pages were handed on meanwhile."""
    handed_on: list[Finding] = []
    job = ScanJob("document", "/nowhere", ScanOptions())
    session = ScanSession(job, ScanInputs(hash_key=b"k" * 32).hasher(), pages=handed_on.extend)
    text = "mail jan.jansen@voorbeeld.nl of bel 06-12345678"
    session.scan_text(text, Location(path="a.txt"))
    with session.recording() as outer:
        for n in range(12):  # items change: pages of 7 are handed on in between
            session.scan_text(text, Location(path=f"b{n:02}.txt"))
        with session.recording() as inner:
            session.scan_text(text, Location(path="c.txt"))
    assert len(handed_on) >= 7
    assert {f.location.path for f in inner} == {"c.txt"}
    assert {f.location.path for f in outer} == {f"b{n:02}.txt" for n in range(12)} | {"c.txt"}
    assert len(outer) == 13 * len(inner) and inner
    session.scan_text(text, Location(path="d.txt"))  # after the `with`: not recorded
    assert "d.txt" not in {f.location.path for f in outer}
