"""The compiled-database cache (dgp/engine/compiled.py): used when it can be trusted,
ignored (a fresh compile) when it cannot, never an error."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import hyperscan
import pytest

from dgp.engine import compiled

DIGITS = (["[0-9]{4}"], [1], [0])
WORDS = (["[a-z]{4}"], [1], [0])
SAMPLE = b"abcd 1234"  # DIGITS end at 9, WORDS at 4


def ends(db: hyperscan.Database, data: bytes) -> list[int]:
    found: list[int] = []
    db.scan(
        data,
        match_event_handler=lambda pid, start, end, flags, ctx: found.append(end),
        scratch=hyperscan.Scratch(db),  # a loaded database has none of its own
    )
    return found


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("DGP_CACHE_DIR", str(path))
    return path


def test_a_second_compile_loads_the_kept_database(folder: Path) -> None:
    first = compiled.compile_database(*DIGITS)
    (kept,) = folder.glob("*.hsdb")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert compiled._load(kept) is not None
    second = compiled.compile_database(*DIGITS)
    assert ends(second, SAMPLE) == ends(first, SAMPLE) == [9]


def test_the_key_changes_with_every_part_of_the_pattern_set() -> None:
    keys = {
        compiled._key([b"[0-9]{4}"], [1], [0]),
        compiled._key([b"[0-9]{5}"], [1], [0]),
        compiled._key([b"[0-9]{4}"], [2], [0]),
        compiled._key([b"[0-9]{4}"], [1], [hyperscan.HS_FLAG_CASELESS]),
        compiled._key([b"[0-9]{4}", b"x"], [1, 2], [0, 0]),
    }
    assert len(keys) == 5


def plant(folder: Path, wrong: tuple[list[str], list[int], list[int]]) -> Path:
    """A valid database of other patterns, under the file name of DIGITS' key."""
    folder.mkdir(mode=0o700, exist_ok=True)
    other = compiled.compile_database(*wrong)
    for kept in folder.glob("*.hsdb"):
        kept.unlink()
    body = hyperscan.dumpb(other)
    key = compiled._key([e.encode() for e in DIGITS[0]], DIGITS[1], DIGITS[2])
    path = folder / f"{key}.hsdb"
    path.write_bytes(body + hashlib.sha256(body).digest())
    return path


def test_a_kept_file_is_what_is_loaded(folder: Path) -> None:
    """The test below relies on this: a planted file is used when the folder is private."""
    plant(folder, WORDS)
    assert ends(compiled.compile_database(*DIGITS), SAMPLE) == [4]


def test_a_folder_others_may_write_to_is_not_trusted(folder: Path) -> None:
    plant(folder, WORDS)
    folder.chmod(0o777)
    assert ends(compiled.compile_database(*DIGITS), SAMPLE) == [9]


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage"])
def test_a_damaged_file_is_compiled_again_and_replaced(folder: Path, damage: str) -> None:
    compiled.compile_database(*DIGITS)
    (kept,) = folder.glob("*.hsdb")
    data = kept.read_bytes()
    damaged = {
        "flip": data[:100] + bytes([data[100] ^ 0xFF]) + data[101:],
        "truncate": data[: len(data) // 2],
        "empty": b"",
        "garbage": os.urandom(len(data)),
    }[damage]
    kept.write_bytes(damaged)
    assert compiled._load(kept) is None
    assert ends(compiled.compile_database(*DIGITS), SAMPLE) == [9]
    assert compiled._load(kept) is not None  # written anew


def test_a_digest_that_matches_but_a_body_hyperscan_refuses(folder: Path) -> None:
    compiled.compile_database(*DIGITS)
    (kept,) = folder.glob("*.hsdb")
    body = b"not a database" * 10
    kept.write_bytes(body + hashlib.sha256(body).digest())
    assert compiled._load(kept) is None
    assert ends(compiled.compile_database(*DIGITS), SAMPLE) == [9]


def test_a_folder_that_cannot_be_made_still_compiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("DGP_CACHE_DIR", str(blocker / "cache"))
    assert ends(compiled.compile_database(*DIGITS), b"1234") == [4]


def test_off_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DGP_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    assert compiled.cache_folder() is None
    compiled.compile_database(*DIGITS)
    assert list(tmp_path.rglob("*.hsdb")) == []


def test_where_the_cache_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DGP_CACHE_DIR", raising=False)
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compiled.cache_folder() == tmp_path / "dataguardian" / "hyperscan"
    monkeypatch.setenv("CACHE_DIRECTORY", "/var/cache/dataguardian:/elsewhere")
    assert compiled.cache_folder() == Path("/var/cache/dataguardian/hyperscan")


def test_only_the_most_recently_used_files_are_kept(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiled, "MAX_FILES", 2)
    written = []
    for n, width in enumerate((4, 5, 6)):
        before = set(folder.glob("*.hsdb"))
        compiled.compile_database([f"[0-9]{{{width}}}"], [1], [0])
        (new,) = set(folder.glob("*.hsdb")) - before
        os.utime(new, (1000 + n, 1000 + n))  # the first written is the least recently used
        written.append(new)
    assert set(folder.glob("*.hsdb")) == set(written[1:])


def test_a_detector_from_kept_databases_finds_what_a_compiled_one_does(folder: Path) -> None:
    from dgp.engine.detector import Detector
    from tests.corpus import generate

    text = "\n".join(line.text for line in generate(400, seed=7))
    fresh = Detector().detect(text)
    assert len(list(folder.glob("*.hsdb"))) > 1
    loaded = Detector().detect(text)
    assert loaded == fresh and len(fresh) > 20
