"""`find_hits_in`: a batch of texts, their chunks detected together, gives each text the
hits that `find_hits` gives it alone, with the time checked between the batches."""

from __future__ import annotations

import random

import pytest

from dgp.domain.evidence import ValueHasher
from dgp.domain.finding import Location
from dgp.scanners import session
from dgp.scanners.session import detector_for, find_hits, find_hits_in
from tests.corpus import CorpusGenerator


def texts(count: int) -> list[str]:
    gen = CorpusGenerator(5)
    rng = random.Random(5)
    kinds = (gen.positive_line, gen.negative_line, gen.filler_line)
    return [
        "\n".join(rng.choice(kinds)().text for _ in range(rng.randrange(0, 120)))
        for _ in range(count)
    ]


@pytest.mark.parametrize("chunk_chars", [session.CHUNK_CHARS, 1500])
def test_a_batch_gives_each_text_the_hits_it_gets_alone(
    monkeypatch: pytest.MonkeyPatch, chunk_chars: int
) -> None:
    """With small chunks, long texts span several and a batch holds pieces of several
    texts; a context ("bsn") and a filter (`keep`) apply to every text alike."""
    monkeypatch.setattr(session, "CHUNK_CHARS", chunk_chars)
    detector = detector_for(0.5, ())
    hasher = ValueHasher(b"k" * 32)
    batch = [(text, Location(path=f"f{i}.txt")) for i, text in enumerate(texts(80))]
    batch.append(("111222333", Location(path="bare.txt")))

    def keep(d: object) -> bool:
        return getattr(d, "rule_id", "") != "pii.email"

    alone = [
        find_hits(detector, hasher, text, where, context="bsn", keep=keep) for text, where in batch
    ]
    assert sum(map(len, alone)) > 150
    assert any(h.rule_id == "pii.bsn" for h in alone[-1])  # the context counts
    assert not any(h.rule_id == "pii.email" for hits in alone for h in hits)
    assert find_hits_in(detector, hasher, batch, context="bsn", keep=keep) == alone


def test_the_time_is_checked_between_batches_of_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session, "CHUNK_CHARS", 1000)
    detector = detector_for(0.5, ())
    batch = [(text, Location(path="f.txt")) for text in texts(30)]
    size = sum(len(text) for text, _ in batch)
    checks: list[int] = []
    find_hits_in(detector, ValueHasher(b"k" * 32), batch, check_time=lambda: checks.append(1))
    assert size // 1000 - 1 <= len(checks) <= 2 * (size // 1000) + len(batch)

    class OutOfTime(Exception):
        pass

    def out_of_time() -> None:
        raise OutOfTime

    with pytest.raises(OutOfTime):
        find_hits_in(detector, ValueHasher(b"k" * 32), batch, check_time=out_of_time)
