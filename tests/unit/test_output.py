"""The report formats of `dgp scan`: JSON, SARIF 2.1.0, CSV and text."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from dgp.domain.finding import Finding, FindingStatus, LegalRef, Location
from dgp.domain.scan import Scan, ScanStats, ScanStatus
from dgp.domain.score import band, score_findings
from dgp.domain.severity import Severity
from dgp.output import FORMATS, render
from dgp.output._common import clean_text
from dgp.output.csv_format import COLUMNS

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "sarif-schema-2.1.0.json"
VERSION = "0.1.0"

ESC = "\x1b"
INJECTION = "=cmd|' /C calc'!A0"
UNICODE_PATH = "klanten data/Ünïcödé résumé #1.txt"


def _finding(n: int, severity: Severity, rule_id: str, location: Location, **kw) -> Finding:
    values = {
        "id": f"f-{n}",
        "scan_id": "scan-1",
        "scanner": "document",
        "rule_id": rule_id,
        "category": "pii",
        "severity": severity,
        "confidence": 0.9,
        "title": f"Title {rule_id}",
        "description": f"Description of {rule_id}.",
        "location": location,
        "evidence": "12*****89",
        "value_hash": f"hash{n}",
        "legal_refs": [LegalRef("GDPR", "9"), LegalRef("UAVG", "22")],
        "remediation": "Remove it or pseudonymise it.",
        "fingerprint": f"fp{n:04d}",
    }
    values.update(kw)
    return Finding(**values)


@pytest.fixture
def scan() -> Scan:
    return Scan(
        id="scan-1",
        kind="document",
        target="./shared drive",
        status=ScanStatus.DONE,
        created_at=datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
        started_at=datetime(2024, 5, 1, 9, 0, 1, tzinfo=UTC),
        finished_at=datetime(2024, 5, 1, 9, 0, 30, tzinfo=UTC),
        stats=ScanStats(items_scanned=3, bytes_scanned=1234),
        score=61.5,
    )


@pytest.fixture
def findings() -> list[Finding]:
    # Deliberately not ordered by severity: reports keep the order given (they stream).
    return [
        _finding(
            1,
            Severity.MEDIUM,
            "pii.email",
            Location(path="src/app.py", line=3, column=5, end_column=22),
            evidence="j***@example.com",
            legal_refs=[LegalRef("GDPR", "6")],
        ),
        _finding(
            2,
            Severity.HIGH,
            "pii.bsn",
            Location(path=UNICODE_PATH, line=12, column=1),
            evidence=f"{INJECTION} {ESC}[31mred{ESC}[0m",
        ),
        _finding(
            3,
            Severity.CRITICAL,
            "pii.health",
            Location(path="reports/q1.xlsx", sheet="=Patients", cell="B7", page=2),
        ),
        _finding(
            4,
            Severity.LOW,
            "pii.bsn",
            Location(path="notes.txt"),
            evidence="+31 6 ****",
            status=FindingStatus.FALSE_POSITIVE,
            value_hash=None,
        ),
        _finding(5, Severity.INFO, "meta.author", Location(), evidence="@author ***"),
    ]


# -- dispatch ---------------------------------------------------------------------------


def test_formats_and_unknown_format(scan, findings):
    assert FORMATS == ("text", "json", "sarif", "csv")
    for fmt in FORMATS:
        assert render(fmt, scan, findings, tool_version=VERSION)
    with pytest.raises(ValueError, match="unknown output format"):
        render("xml", scan, findings, tool_version=VERSION)


# -- JSON -------------------------------------------------------------------------------


def test_json_round_trips(scan, findings):
    out = render("json", scan, findings, tool_version=VERSION)
    doc = json.loads(out)
    assert set(doc) == {"scan", "findings"}
    assert doc["scan"] == json.loads(json.dumps(scan.to_dict()))
    assert [Finding.from_dict(d) for d in doc["findings"]] == findings
    assert [d["id"] for d in doc["findings"]] == [f.id for f in findings]  # order kept


def test_json_is_deterministic_utf8_indented(scan, findings):
    out = render("json", scan, findings, tool_version=VERSION)
    assert out == render("json", scan, findings, tool_version=VERSION)
    assert UNICODE_PATH in out  # ensure_ascii=False
    assert '\n  "findings": [' in out  # indent 2, keys sorted
    assert out.index('"findings"') < out.index('"scan"')


# -- SARIF ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_shipped_schema_is_sarif_2_1_0(sarif_schema):
    assert (
        sarif_schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    )
    schema_id = sarif_schema.get("$id") or sarif_schema.get("id")
    assert schema_id.endswith("/sarif-schema-2.1.0.json")
    assert sarif_schema["properties"]["version"]["enum"] == ["2.1.0"]


def _validate(document: dict, schema: dict) -> None:
    # Draft 7, as asked; and the draft the schema itself declares (draft-04). All
    # "$ref"s in the schema are "#/definitions/..." and resolve within the file.
    for cls in (jsonschema.Draft7Validator, jsonschema.validators.validator_for(schema)):
        cls.check_schema(schema)
        errors = sorted(cls(schema).iter_errors(document), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_sarif_validates_against_schema(scan, findings, sarif_schema):
    doc = json.loads(render("sarif", scan, findings, tool_version=VERSION))
    _validate(doc, sarif_schema)


def test_sarif_validates_with_no_findings_and_failed_scan(scan, sarif_schema):
    scan.status = ScanStatus.FAILED
    scan.error = f"extractor crashed {ESC}]0;pwned\x07"
    scan.score = None
    doc = json.loads(render("sarif", scan, [], tool_version=VERSION))
    _validate(doc, sarif_schema)
    run = doc["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert ESC not in invocation["toolExecutionNotifications"][0]["message"]["text"]
    assert run["properties"]["score"] == 100.0 and run["properties"]["band"] == "good"


def test_sarif_rejects_what_the_schema_forbids(scan, findings, sarif_schema):
    # The schema check is not vacuous: a bad level is caught.
    doc = json.loads(render("sarif", scan, findings, tool_version=VERSION))
    doc["runs"][0]["results"][0]["level"] = "critical"
    with pytest.raises(AssertionError):
        _validate(doc, sarif_schema)


def test_sarif_structure(scan, findings):
    doc = json.loads(render("sarif", scan, findings, tool_version=VERSION))
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "DataGuardian Pro"
    assert driver["version"] == VERSION

    rules = driver["rules"]
    rule_ids = [r["id"] for r in rules]
    assert rule_ids == sorted({f.rule_id for f in findings})
    by_id = {r["id"]: r for r in rules}
    bsn = by_id["pii.bsn"]
    assert bsn["shortDescription"]["text"] == "Title pii.bsn"
    assert bsn["fullDescription"]["text"] == "Description of pii.bsn."
    assert "Remove it or pseudonymise it." in bsn["help"]["text"]
    assert "GDPR art. 9; UAVG art. 22" in bsn["help"]["text"]
    assert bsn["properties"]["category"] == "pii"
    assert bsn["properties"]["legal_refs"] == ["GDPR art. 9", "UAVG art. 22"]
    # pii.bsn has a high and a low finding: the rule takes the higher.
    assert bsn["properties"]["security-severity"] == "8.0"
    assert bsn["defaultConfiguration"]["level"] == "error"
    assert by_id["pii.health"]["properties"]["security-severity"] == "9.5"
    assert by_id["pii.email"]["properties"]["security-severity"] == "5.5"
    assert by_id["meta.author"]["properties"]["security-severity"] == "0.0"

    results = run["results"]
    assert len(results) == len(findings)
    expected_levels = {
        "critical": "error",
        "high": "error",
        "medium": "warning",
        "low": "note",
        "info": "note",
    }
    for finding, result in zip(findings, results, strict=True):
        assert result["ruleId"] == finding.rule_id
        assert rule_ids[result["ruleIndex"]] == finding.rule_id
        assert result["level"] == expected_levels[finding.severity.value]
        assert result["partialFingerprints"] == {"dgp/v1": finding.fingerprint}
        assert result["message"]["text"].startswith(finding.title)
        assert result["properties"]["confidence"] == 0.9
        assert result["properties"]["category"] == "pii"
        assert result["properties"]["status"] == finding.status.value
        assert result["properties"].get("value_hash") == finding.value_hash

    props = run["properties"]
    assert props["scanId"] == "scan-1"
    assert props["score"] == 61.5 and props["band"] == band(61.5) == "poor"
    assert run["invocations"] == [
        {
            "executionSuccessful": True,
            "startTimeUtc": "2024-05-01T09:00:01.000Z",
            "endTimeUtc": "2024-05-01T09:00:30.000Z",
        }
    ]


def test_sarif_locations(scan, findings):
    results = json.loads(render("sarif", scan, findings, tool_version=VERSION))["runs"][0][
        "results"
    ]
    email, bsn, health, fp, author = results

    physical = email["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "src/app.py", "uriBaseId": "SRCROOT"}
    assert physical["region"] == {"startLine": 3, "startColumn": 5, "endColumn": 22}

    artifact = bsn["locations"][0]["physicalLocation"]["artifactLocation"]
    uri = artifact["uri"]
    assert uri == "klanten%20data/%C3%9Cn%C3%AFc%C3%B6d%C3%A9%20r%C3%A9sum%C3%A9%20%231.txt"
    assert uri.isascii() and " " not in uri and "#" not in uri
    assert unquote(uri) == UNICODE_PATH
    assert bsn["locations"][0]["physicalLocation"]["region"] == {"startLine": 12, "startColumn": 1}

    location = health["locations"][0]
    assert "region" not in location["physicalLocation"]  # no line: no region
    assert location["properties"] == {"page": 2, "sheet": "=Patients", "cell": "B7"}

    assert "region" not in fp["locations"][0]["physicalLocation"]
    assert fp["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "false positive"}
    ]
    assert "suppressions" not in bsn

    assert "locations" not in author  # nothing to point at


def test_sarif_message_is_title_and_evidence_only(scan, findings):
    results = json.loads(render("sarif", scan, findings, tool_version=VERSION))["runs"][0][
        "results"
    ]
    assert results[0]["message"]["text"] == "Title pii.email: j***@example.com"
    bsn = results[1]["message"]["text"]
    assert bsn == f"Title pii.bsn: {INJECTION} red"
    assert ESC not in bsn


# -- CSV --------------------------------------------------------------------------------


def _csv_rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out, newline="")))


def test_csv_parses_back(scan, findings):
    out = render("csv", scan, findings, tool_version=VERSION)
    header = next(csv.reader(io.StringIO(out, newline="")))
    assert tuple(header) == COLUMNS
    rows = _csv_rows(out)
    assert [r["id"] for r in rows] == [f.id for f in findings]
    email, bsn, health, fp, author = rows
    assert email == {
        "id": "f-1",
        "severity": "medium",
        "rule_id": "pii.email",
        "category": "pii",
        "title": "Title pii.email",
        "path": "src/app.py",
        "line": "3",
        "column": "5",
        "page": "",
        "sheet": "",
        "cell": "",
        "evidence": "j***@example.com",
        "confidence": "0.9",
        "legal_refs": "GDPR art. 6",
        "remediation": "Remove it or pseudonymise it.",
        "status": "open",
        "fingerprint": "fp0001",
    }
    assert bsn["path"] == UNICODE_PATH
    assert bsn["legal_refs"] == "GDPR art. 9; UAVG art. 22"
    assert (health["page"], health["cell"]) == ("2", "B7")
    assert fp["status"] == "false_positive"
    assert author["path"] == "" and author["line"] == ""


def test_csv_neutralises_formula_injection(scan, findings):
    rows = _csv_rows(render("csv", scan, findings, tool_version=VERSION))
    _, bsn, health, fp, author = rows
    assert bsn["evidence"] == f"'{INJECTION} red"
    assert ESC not in bsn["evidence"]
    assert health["sheet"] == "'=Patients"
    assert fp["evidence"] == "'+31 6 ****"
    assert author["evidence"] == "'@author ***"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("text", ["-2+3", "\t=1+1", "\r=1", "  =HYPERLINK(1)", "@SUM(A1)"])
def test_csv_neutralises_each_prefix(scan, text):
    finding = _finding(1, Severity.LOW, "x", Location(path=text), evidence=text, title=text)
    (row,) = _csv_rows(render("csv", scan, [finding], tool_version=VERSION))
    for column in ("evidence", "title", "path"):
        assert row[column].startswith("'"), (column, row[column])


# -- text -------------------------------------------------------------------------------


def test_text_has_no_control_characters(scan, findings):
    scan.target = f"{ESC}]0;evil title\x07./drive\r\nfake line"
    out = render("text", scan, findings, tool_version=VERSION)
    assert ESC not in out
    assert "\r" not in out and "\x07" not in out
    assert all(ch == "\n" or ch.isprintable() for ch in out)
    assert "[31m" not in out  # the escape goes whole, not just its ESC
    assert f"{INJECTION} red" in out


def test_text_lists_findings_as_they_come(scan, findings):
    out = render("text", scan, findings, tool_version=VERSION)
    lines = out.splitlines()
    finding_lines = [line.strip() for line in lines if line.strip().startswith("[")]
    severities = [line[1 : line.index("]")] for line in finding_lines]
    assert severities == ["MEDIUM", "HIGH", "CRITICAL", "LOW", "INFO"]  # printed as given
    assert finding_lines[1] == (
        f"[HIGH] pii.bsn  {UNICODE_PATH}:12:1  Title pii.bsn  {INJECTION} red"
    )
    assert finding_lines[2].startswith("[CRITICAL] pii.health  reports/q1.xlsx, page 2, ")
    assert "(false positive)" in finding_lines[3]
    # legal references follow their finding
    assert lines[lines.index("  " + finding_lines[1]) + 1].strip() == "GDPR art. 9; UAVG art. 22"


def test_text_header_and_totals(scan, findings):
    out = render("text", scan, findings, tool_version=VERSION)
    assert out.startswith("DataGuardian Pro 0.1.0")
    assert "Target:   ./shared drive" in out
    assert "status done" in out
    assert "Score:    61.5/100 (poor)" in out
    counts = "1 critical, 1 high, 1 medium, 1 low, 1 info"
    assert f"Findings: {counts}" in out
    assert out.rstrip().splitlines()[-1] == f"Total: 5 findings ({counts}); score 61.5 (poor)"


def test_text_computes_score_when_scan_has_none(scan, findings):
    scan.score = None
    expected = score_findings(findings)
    out = render("text", scan, findings, tool_version=VERSION)
    assert f"Score:    {expected:.1f}/100 ({band(expected)})" in out


def test_text_without_findings(scan):
    out = render("text", scan, [], tool_version=VERSION)
    assert "No findings." in out
    assert "Total: 0 findings" in out


# -- sanitising -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"a{ESC}[1;31mb{ESC}[0mc", "abc"),
        (f"a{ESC}]8;;http://x{ESC}\\link{ESC}]8;;{ESC}\\b", "alinkb"),
        (f"a{ESC}]0;title\x07b", "ab"),
        ("a\x9b31mb", "ab"),
        ("a\tb\nc\r\nd", "a b c  d"),
        ("a\x00\x08\x7fb", "ab"),
        ("a\u202eevil\u202cb", "aevilb"),
        (f"{ESC}c{ESC}(Bok", "ok"),
        ("Ünïcödé résumé", "Ünïcödé résumé"),
        (None, ""),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean
