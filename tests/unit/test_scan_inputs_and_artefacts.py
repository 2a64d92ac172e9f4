"""What a scan is given besides files (questionnaire, earlier scans) and what it makes
besides findings (artefacts): checked in the domain, the same for the API and the CLI."""

from __future__ import annotations

import uuid

import pytest

from dgp.domain import inputs
from dgp.domain.job import Artefact, ArtefactsTooLarge, ScanInputError, check_artefacts


def test_a_questionnaire_is_a_bounded_json_object() -> None:
    answers = {"purpose": "payroll", "staff": 12, "systems": [{"name": "hr"}]}
    assert inputs.check_questionnaire(answers) is answers
    for wrong in (["a"], "a", None, 3):
        with pytest.raises(ScanInputError, match="must be a JSON object"):
            inputs.check_questionnaire(wrong)
    just_fits = {"a": "x" * (inputs.MAX_QUESTIONNAIRE_BYTES - len('{"a":""}'))}
    assert inputs.check_questionnaire(just_fits) is just_fits
    with pytest.raises(ScanInputError, match="at most 262144"):
        inputs.check_questionnaire({"a": "x" * inputs.MAX_QUESTIONNAIRE_BYTES})
    with pytest.raises(ScanInputError, match="at most 262144"):  # counted as UTF-8
        inputs.check_questionnaire({"a": "é" * (inputs.MAX_QUESTIONNAIRE_BYTES // 2)})
    deep: object = "leaf"
    for _ in range(inputs.MAX_QUESTIONNAIRE_DEPTH):
        deep = [deep]
    assert inputs.check_questionnaire({"a": deep[0]})  # type: ignore[index]
    with pytest.raises(ScanInputError, match="nest at most 32"):
        inputs.check_questionnaire({"a": deep})
    very_deep: object = 1
    for _ in range(100_000):  # no recursion in the check: any depth is refused calmly
        very_deep = {"a": very_deep}
    with pytest.raises(ScanInputError, match="nest at most"):
        inputs.check_questionnaire(very_deep)


def test_scan_ids_are_canonical_distinct_and_bounded() -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    assert inputs.check_scan_ids([a, b.upper(), a]) == (a, b)
    for wrong, message in (
        ([], "1 to 100"),
        ([str(uuid.uuid4()) for _ in range(101)], "1 to 100"),
        (a, "a list"),
        ({"id": a}, "a list"),
        ([a, 7], "not a scan id: '7'"),
        ([a, "x" * 1000], "not a scan id"),
    ):
        with pytest.raises(ScanInputError, match=message):
            inputs.check_scan_ids(wrong)


def test_a_scan_without_a_target_says_what_it_was_given() -> None:
    assert inputs.describe("dpia", {"a": 1}, ()) == "questionnaire"
    assert inputs.describe("report", None, ("a", "b", "c")) == "report of 3 scans"
    assert inputs.describe("report", None, ("a",)) == "report of 1 scan"
    assert inputs.describe("x", {}, ("a", "b")) == "x of 2 scans and a questionnaire"


@pytest.mark.parametrize(
    "name", ["", ".", "..", "a/b", "a\\b", "a\nb", "a\x00b", "a\udc80", "x" * 201, "é" * 101]
)
def test_an_artefact_name_is_a_plain_printable_file_name(name: str) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        Artefact(name, "text/plain", b"")


@pytest.mark.parametrize("media_type", ["", "text", "text/html\r\nSet-Cookie: a=b", 'a/b; c="d"'])
def test_an_artefact_media_type_is_one_header_value(media_type: str) -> None:
    with pytest.raises(ValueError, match="not a media type"):
        Artefact("a.txt", media_type, b"")


def test_artefacts_are_checked_against_the_servers_limits() -> None:
    made = [
        Artefact("a.txt", "text/plain; charset=utf-8", b"x" * 10),
        Artefact("b.png", "image/png", b"y" * 10),
    ]
    check_artefacts(made, max_each=10, max_total=20)
    with pytest.raises(
        ArtefactsTooLarge, match=r"artefact a\.txt is 10 bytes; .* at most 9 bytes per artefact"
    ):
        check_artefacts(made, max_each=9, max_total=20)
    with pytest.raises(
        ArtefactsTooLarge, match=r"2 artefacts are 20 bytes together; .* 19 bytes per scan"
    ):
        check_artefacts(made, max_each=10, max_total=19)
    with pytest.raises(ValueError, match=r"two artefacts named a\.txt"):
        check_artefacts([made[0], made[0]], max_each=10, max_total=100)
