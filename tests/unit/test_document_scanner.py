"""The document scanner (SPEC 3.4) on a generated document set with known findings.

Every document is built at test time by tests/docfixtures.py. Expected findings
are derived from what the builders put where: the column of a value is its
position in the text the builder wrote, never a number copied from a scan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dgp.documents import ExtractLimits, ocr, registry
from dgp.domain.finding import Finding
from dgp.domain.job import ScanInputError, ScanInputs, ScanJob, ScanResult
from dgp.domain.options import Limits, ScanOptions
from dgp.scanners.document import scanner as document
from tests import docfixtures as fx

KEY = b"k" * 32
PASSWORD = "Xk9#mQ2v!Lp7zR4t"
INTL_PHONE = "+31 6 12345678"
SECOND_BSN = "123456782"  # passes the 11-proef
PRIVATE_KEY_HEADER = "-----BEGIN RSA PRIVATE KEY-----"
HTML_IBAN = "NL91 ABNA 0417 1643 00"  # as make_eml writes it in the HTML body

# Values that must never appear in full in any output.
FULL_VALUES = (
    fx.BSN,
    SECOND_BSN,
    fx.EMAIL,
    "piet@example.nl",
    "marie@example.nl",
    "renee@example.nl",
    fx.PHONE,
    INTL_PHONE,
    fx.IBAN,
    HTML_IBAN,
    fx.LETTER_AUTHOR,
    fx.NAME,
    fx.EDITOR,
    fx.MANAGER,
    fx.REVIEWER,
    PASSWORD,
    PRIVATE_KEY_HEADER,
)

# (rule_id, path, page, sheet, cell, paragraph, section, table, line, column, end_column)
Key = tuple[Any, ...]


def key(finding: Finding) -> Key:
    loc = finding.location
    return (
        finding.rule_id,
        loc.path,
        loc.page,
        loc.sheet,
        loc.cell,
        loc.paragraph,
        loc.section,
        loc.table,
        loc.line,
        loc.column,
        loc.end_column,
    )


def hit(
    rule: str,
    path: str,
    text: str,
    value: str,
    line: int = 1,
    *,
    page: int | None = None,
    sheet: str | None = None,
    cell: str | None = None,
    paragraph: int | None = None,
    section: str | None = None,
    table: str | None = None,
) -> Key:
    """A finding of `value`, which sits in `text`, the text of line `line` of its segment."""
    column = text.index(value) + 1
    return (
        rule,
        path,
        page,
        sheet,
        cell,
        paragraph,
        section,
        table,
        line,
        column,
        column + len(value),
    )


def whole(rule: str, path: str, page: int | None = None) -> Key:
    """A finding about a whole file (or one page of it) points at its start: 1:1."""
    return (rule, path, page, None, None, None, None, None, 1, 1, 1)


def person(path: str, name: str) -> list[Key]:
    """A metadata field naming a person: one finding, not also a pii.name for the same value."""
    return [hit("document.metadata_personal_data", path, name, name, section="metadata")]


def scan(target: Path, upload: Path | None = None, **limits: Any) -> ScanResult:
    job = ScanJob("document", str(target), ScanOptions(limits=Limits(**limits)))
    return document.scan(job, ScanInputs(hash_key=KEY, upload=upload))


def keys(result: ScanResult) -> Counter[Key]:
    return Counter(key(f) for f in result.findings)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


# -- the document set ------------------------------------------------------------------

ENV = f"DB_PASSWORD={PASSWORD}\n"
ID_RSA = (  # a marker only counts with key material after it
    f"{PRIVATE_KEY_HEADER}\nMIIEowIBAAKCAQEA7bq1Lw9XkR2pVz4mN8sTq6YcHf3GdJ0aUeBiOlKnWrZtPyxM"
    "\n-----END RSA PRIVATE KEY-----\n"
)
CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"
TEXT_FILES = {
    "notities.txt": f"Klant: {fx.EMAIL}\nTel: {INTL_PHONE}\n",
    "leesmij.md": f"# Dossier\n\nBSN: {fx.BSN}\n",
    "klant.json": f'{{\n  "naam": "{fx.NAME}",\n  "email": "{fx.EMAIL}"\n}}\n',
    "config.yaml": f"betaling:\n  iban: {fx.IBAN}\n",
    "export.xml": f"<klant>\n  <bsn>{fx.BSN}</bsn>\n</klant>\n",
}
PDF_PAGE_2 = f"Tweede pagina BSN {fx.BSN}"
VERSLAG = ["Verslag", f"BSN {fx.BSN}"]  # paragraphs of the plain DOCX in bundle.zip
CONTACT = f"Mail {fx.EMAIL}"
INNER = f"IBAN {fx.IBAN}"
TWEE = f"BSN {fx.BSN}"
# The DOCX corrupted by truncation, the garbage PDF and the OLE-wrapped DOCX.
GARBAGE = b"dit is geen pdf"
TABLE = {"section": "table", "table": "1"}  # the first table of a DOCX, PPTX or ODT body
BINARY = bytes(range(256)) * 4


def build_set(root: Path, staging: Path) -> Path:
    """Every format of SPEC 3.4, the high-risk names, bad files and archives, in `root`."""
    root.mkdir()
    staging.mkdir()
    fx.make_letter_docx(root)  # dossier.docx
    fx.make_two_sheet_xlsx(root)  # personen.xlsx
    pdf = fx.make_pdf(root, [["Eerste pagina"], [PDF_PAGE_2]], name="rapport.pdf")
    fx.make_encrypted_pdf(pdf, "geheim.pdf", "wachtwoord")
    fx.make_scanned_pdf(root, [fx.NAME, f"BSN {fx.BSN}"], name="scan.pdf")
    fx.make_pptx(root)  # presentatie.pptx
    fx.make_odt(root)  # brief.odt
    fx.make_ods(root)  # klanten.ods
    fx.make_csv(root)  # klanten.csv
    fx.make_rtf(root)  # brief.rtf
    for name, text in TEXT_FILES.items():
        fx.write_bytes(root, name, text.encode())
    fx.make_eml(root)  # mail.eml
    fx.write_bytes(root, ".env", ENV.encode())
    fx.write_bytes(root, "id_rsa", ID_RSA.encode())
    fx.write_bytes(root, "server.pem", CERTIFICATE.encode())
    fx.ole_header_file(root, "beveiligd.docx")
    plain = fx.make_plain_docx(staging, VERSLAG, name="verslag.docx")
    fx.write_bytes(root, "kapot.docx", fx.truncated_copy(plain, "half.docx").read_bytes())
    fx.write_bytes(root, "nep.pdf", GARBAGE)
    fx.make_zip(
        root,
        "bundle.zip",
        {
            "contact.txt": CONTACT + "\n",
            "verslag.docx": plain.read_bytes(),
            "inner.zip": fx.zip_bytes({"file.txt": INNER + "\n"}),
        },
    )
    # deep.zip (level 1) > l1.zip (2) > l2.zip (3) > l3.zip: one level too deep
    level2 = fx.zip_bytes({"l3.zip": fx.zip_bytes({"diep.txt": CONTACT}), "twee.txt": TWEE})
    fx.make_zip(root, "deep.zip", {"l1.zip": fx.zip_bytes({"l2.zip": level2})})
    fx.make_zip_bomb(root)  # bomb.zip
    fx.write_bytes(root, "blob.bin", BINARY)
    return root


def expected_ocr() -> list[Key]:
    if not ocr.ocr_available():
        return [whole("document.ocr_unavailable", "scan.pdf", page=1)]
    text = f"BSN {fx.BSN}"
    return [
        hit("pii.name", "scan.pdf", fx.NAME, fx.NAME, page=1, section="ocr"),
        hit("pii.bsn", "scan.pdf", text, fx.BSN, 2, page=1, section="ocr"),
    ]


def expected_findings() -> dict[str, list[Key]]:
    """Per top-level file, the findings the set must give."""
    s = fx.SENTENCE
    docx, xlsx, pptx, odt, ods = (
        "dossier.docx",
        "personen.xlsx",
        "presentatie.pptx",
        "brief.odt",
        "klanten.ods",
    )
    eml_from = f"{fx.EDITOR} <piet@example.nl>"
    eml_to = f"{fx.NAME} <{fx.EMAIL}>"
    eml_cc = "Marie de Vries <marie@example.nl>"
    forwarded = f"{fx.MANAGER} <marie@example.nl>"
    forwarded_body = f"E-mail van Jan: {fx.EMAIL}"
    greeting = f"Beste {fx.NAME},"
    notes = f"Bel {fx.NAME} over {fx.EMAIL}"
    html_iban = f"Uw IBAN is {HTML_IBAN}."
    header, body, html = {"section": "header"}, {"section": "body"}, {"section": "body_html"}
    return {
        docx: [
            *person(docx, fx.LETTER_AUTHOR),
            *person(docx, fx.REVIEWER),  # comment author
            hit("pii.bsn", docx, fx.LETTER_BSN, fx.BSN, paragraph=2),
            hit("pii.email", docx, fx.EMAIL, fx.EMAIL, cell="B1", **TABLE),
            hit("pii.phone", docx, fx.HEADER_PHONE, fx.PHONE, paragraph=1, section="header"),
            hit("pii.iban", docx, fx.COMMENT_IBAN, fx.IBAN, paragraph=1, section="comment"),
        ],
        # creator "openpyxl" is not a person; the BSN column is COLUMN_CONTEXT below
        xlsx: [
            hit("pii.name", xlsx, fx.NAME, fx.NAME, sheet="Sheet1", cell="A2"),
            hit("pii.name", xlsx, fx.EDITOR, fx.EDITOR, sheet="Sheet1", cell="A3"),
            hit("pii.email", xlsx, fx.EMAIL, fx.EMAIL, sheet="Sheet2", cell="C4"),
        ],
        # the creator "Writer" is an application, not a person
        "rapport.pdf": [
            *person("rapport.pdf", fx.AUTHOR),
            hit("pii.bsn", "rapport.pdf", PDF_PAGE_2, fx.BSN, page=2),
        ],
        "geheim.pdf": [whole("document.encrypted", "geheim.pdf")],
        "scan.pdf": expected_ocr(),
        # company "Gemeente Utrecht" is scanned as text, but it is not a person
        pptx: [
            *person(pptx, fx.AUTHOR),
            *person(pptx, fx.EDITOR),
            *person(pptx, fx.MANAGER),
            hit("pii.bsn", pptx, s, fx.BSN, page=1),
            hit("pii.email", pptx, s, fx.EMAIL, page=1),
            hit("pii.name", pptx, fx.NAME, fx.NAME, page=1, cell="A2", **TABLE),
            hit("pii.name", pptx, notes, fx.NAME, page=1, section="notes"),
            hit("pii.email", pptx, notes, fx.EMAIL, page=1, section="notes"),
            hit("pii.bsn", pptx, f"BSN {fx.BSN}", fx.BSN, page=2),
        ],
        odt: [
            *person(odt, fx.AUTHOR),
            *person(odt, fx.EDITOR),
            *person(odt, fx.REVIEWER),
            hit("pii.bsn", odt, s, fx.BSN, paragraph=2),
            hit("pii.email", odt, s, fx.EMAIL, paragraph=2),
            hit("pii.name", odt, f"Naam:   {fx.NAME}", fx.NAME, paragraph=3),
            hit("pii.name", odt, f"Telefoon van {fx.NAME}", fx.NAME, paragraph=4),
            hit("pii.name", odt, fx.NAME, fx.NAME, cell="A2", **TABLE),
            hit("pii.name", odt, f"Vertrouwelijk - {fx.NAME}", fx.NAME, paragraph=1, **header),
            hit("pii.email", odt, fx.EMAIL, fx.EMAIL, paragraph=1, section="footer"),
            hit("pii.bsn", odt, f"Klopt BSN {fx.BSN}?", fx.BSN, paragraph=1, section="comment"),
        ],
        ods: [
            *person(ods, fx.AUTHOR),
            *person(ods, fx.EDITOR),
            *person(ods, fx.REVIEWER),
            hit("pii.email", ods, fx.EMAIL, fx.EMAIL, sheet="Klanten", cell="C1"),
            hit("pii.bsn", ods, f"BSN {fx.BSN}", fx.BSN, sheet="Klanten", cell="C5"),
            hit("pii.bsn", ods, s, fx.BSN, sheet="Notities", cell="A1"),
            hit("pii.email", ods, s, fx.EMAIL, sheet="Notities", cell="A1"),
        ],
        "klanten.csv": [
            hit("pii.name", "klanten.csv", fx.NAME, fx.NAME, 2, cell="A2"),
            hit("pii.email", "klanten.csv", fx.EMAIL, fx.EMAIL, 2, cell="C2"),
            hit("pii.name", "klanten.csv", "Renée de Vries", "Renée de Vries", 3, cell="A3"),
            hit("pii.email", "klanten.csv", "renee@example.nl", "renee@example.nl", 3, cell="C3"),
            hit("pii.bsn", "klanten.csv", s, fx.BSN, 4, cell="C4"),
            hit("pii.email", "klanten.csv", s, fx.EMAIL, 4, cell="C4"),
        ],
        "brief.rtf": [
            *person("brief.rtf", fx.AUTHOR),
            *person("brief.rtf", fx.EDITOR),
            hit("pii.name", "brief.rtf", greeting, fx.NAME, 1),
            hit("pii.bsn", "brief.rtf", s, fx.BSN, 2),
            hit("pii.email", "brief.rtf", s, fx.EMAIL, 2),
        ],
        "notities.txt": [
            hit("pii.email", "notities.txt", f"Klant: {fx.EMAIL}", fx.EMAIL, 1),
            hit("pii.phone", "notities.txt", f"Tel: {INTL_PHONE}", INTL_PHONE, 2),
        ],
        "leesmij.md": [hit("pii.bsn", "leesmij.md", f"BSN: {fx.BSN}", fx.BSN, 3)],
        "klant.json": [
            hit("pii.name", "klant.json", f'  "naam": "{fx.NAME}",', fx.NAME, 2),
            hit("pii.email", "klant.json", f'  "email": "{fx.EMAIL}"', fx.EMAIL, 3),
        ],
        "config.yaml": [hit("pii.iban", "config.yaml", f"  iban: {fx.IBAN}", fx.IBAN, 2)],
        "export.xml": [hit("pii.bsn", "export.xml", f"  <bsn>{fx.BSN}</bsn>", fx.BSN, 2)],
        "mail.eml": [
            hit("pii.name", "mail.eml", eml_from, fx.EDITOR, section="header:From"),
            hit("pii.email", "mail.eml", eml_from, "piet@example.nl", section="header:From"),
            hit("pii.name", "mail.eml", eml_to, fx.NAME, section="header:To"),
            hit("pii.email", "mail.eml", eml_to, fx.EMAIL, section="header:To"),
            hit("pii.name", "mail.eml", eml_cc, "Marie de Vries", section="header:Cc"),
            hit("pii.email", "mail.eml", eml_cc, "marie@example.nl", section="header:Cc"),
            hit("pii.bsn", "mail.eml", f"Uw BSN {fx.BSN}", fx.BSN, section="header:Subject"),
            hit("pii.name", "mail.eml", greeting, fx.NAME, 1, **body),
            hit("pii.bsn", "mail.eml", s, fx.BSN, 3, **body),
            hit("pii.email", "mail.eml", s, fx.EMAIL, 3, **body),
            hit("pii.name", "mail.eml", greeting, fx.NAME, 1, **html),
            hit("pii.iban", "mail.eml", html_iban, HTML_IBAN, 3, **html),
            # the attachments: a CSV, a PNG (not a document: said so), a broken PDF,
            # and a forwarded message
            hit("pii.name", "mail.eml!klanten.csv", fx.NAME, fx.NAME, 2, cell="A2"),
            whole("scan.item_not_scanned", "mail.eml!foto.png"),
            whole("document.unreadable", "mail.eml!kapot.pdf"),
            hit("pii.name", "mail.eml!message.eml", forwarded, fx.MANAGER, section="header:From"),
            hit(
                "pii.email",
                "mail.eml!message.eml",
                forwarded,
                "marie@example.nl",
                section="header:From",
            ),
            hit("pii.email", "mail.eml!message.eml", forwarded_body, fx.EMAIL, 1, **body),
        ],
        ".env": [
            whole("document.high_risk_file", ".env"),
            hit("secret.password_assignment", ".env", ENV, PASSWORD),
        ],
        "id_rsa": [
            whole("document.high_risk_file", "id_rsa"),
            hit("secret.private_key", "id_rsa", ID_RSA, PRIVATE_KEY_HEADER),
        ],
        "server.pem": [whole("document.high_risk_file", "server.pem")],
        "beveiligd.docx": [whole("document.encrypted", "beveiligd.docx")],
        "kapot.docx": [whole("document.unreadable", "kapot.docx")],
        "nep.pdf": [whole("document.unreadable", "nep.pdf")],
        "bundle.zip": [
            hit("pii.email", "bundle.zip!/contact.txt", CONTACT, fx.EMAIL),
            hit("pii.bsn", "bundle.zip!/verslag.docx", VERSLAG[1], fx.BSN, paragraph=2),
            hit("pii.iban", "bundle.zip!/inner.zip!/file.txt", INNER, fx.IBAN),
        ],
        "deep.zip": [
            hit("pii.bsn", "deep.zip!/l1.zip!/l2.zip!/twee.txt", TWEE, fx.BSN),
            whole("scan.item_not_scanned", "deep.zip!/l1.zip!/l2.zip!/l3.zip"),
        ],
        "bomb.zip": [whole("scan.item_not_scanned", "bomb.zip")],
        "blob.bin": [],  # binary of no known type: skipped without a finding
    }


# A bare 9-digit number is a BSN only near a context word (SPEC 2); in a table the
# context word is the column header. See test_bsn_column_header_is_context.
COLUMN_CONTEXT = [
    hit("pii.bsn", "personen.xlsx", fx.BSN, fx.BSN, sheet="Sheet1", cell="B2"),
    hit("pii.bsn", "personen.xlsx", SECOND_BSN, SECOND_BSN, sheet="Sheet1", cell="B3"),
    hit("pii.bsn", "presentatie.pptx", fx.BSN, fx.BSN, page=1, cell="B2", **TABLE),
    hit("pii.bsn", "brief.odt", fx.BSN, fx.BSN, cell="B2", **TABLE),
    hit("pii.bsn", "klanten.csv", fx.BSN, fx.BSN, 2, cell="B2"),
    hit("pii.bsn", "mail.eml!klanten.csv", fx.BSN, fx.BSN, 2, cell="B2"),
]
TOP_LEVEL_FILES = 26
ARCHIVE_MEMBERS = 8  # bundle.zip: 3 + inner.zip's 1; deep.zip: l1.zip, l2.zip, twee.txt, l3.zip
SKIPPED = 3  # blob.bin, bomb.zip, deep.zip!/l1.zip!/l2.zip!/l3.zip


@pytest.fixture(scope="module")
def document_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("documents")
    return build_set(base / "set", base / "staging")


@pytest.fixture(scope="module")
def set_scan(document_set: Path) -> ScanResult:
    return scan(document_set)


def all_expected() -> Counter[Key]:
    return Counter(k for found in expected_findings().values() for k in found)


# -- the whole set ---------------------------------------------------------------------


def test_document_set_gives_exactly_the_known_findings(set_scan: ScanResult) -> None:
    found = keys(set_scan)
    expected = all_expected() + Counter(COLUMN_CONTEXT)
    assert sorted(found - expected, key=str) == []  # reported, not expected
    assert sorted(expected - found, key=str) == []  # expected, not reported
    assert found == expected


def test_document_set_covers_every_file(document_set: Path) -> None:
    on_disk = {p.name for p in document_set.iterdir()}
    assert on_disk == set(expected_findings())
    assert len(on_disk) == TOP_LEVEL_FILES


def test_bsn_column_header_is_context(set_scan: ScanResult) -> None:
    found = keys(set_scan)
    assert [k for k in COLUMN_CONTEXT if not found[k]] == []


def test_unreadable_files_say_why(set_scan: ScanResult) -> None:
    reasons = {
        f.location.path: (f.rule_id, f.evidence, f.description)
        for f in set_scan.findings
        if f.rule_id in ("document.unreadable", "document.encrypted", "scan.item_not_scanned")
    }

    def entry(rule: str, reason: str, prefix: str) -> tuple[str, str, str]:
        return rule, reason, f"{prefix}: {reason}."

    corrupt_pdf = "PDF is corrupt: no PDF header (not a PDF file)"
    assert reasons == {
        "geheim.pdf": entry(
            "document.encrypted", "PDF is encrypted (password protected)", "Could not read the file"
        ),
        "beveiligd.docx": entry(
            "document.encrypted",
            "DOCX is encrypted (an OLE container, not a zip)",
            "Could not read the file",
        ),
        "kapot.docx": entry(
            "document.unreadable",
            "DOCX is corrupt: not a valid zip archive (truncated or damaged)",
            "Could not read the file",
        ),
        "nep.pdf": entry("document.unreadable", corrupt_pdf, "Could not read the file"),
        "mail.eml!kapot.pdf": entry("document.unreadable", corrupt_pdf, "Could not read the file"),
        "mail.eml!foto.png": entry(
            "scan.item_not_scanned", "attachment of a type not read (.png)", "Not scanned"
        ),
        "bomb.zip": entry(
            "scan.item_not_scanned",
            "archive refused: compression ratio above 200:1 (zip bomb)",
            "Not scanned",
        ),
        "deep.zip!/l1.zip!/l2.zip!/l3.zip": entry(
            "scan.item_not_scanned", "archive nested deeper than 3 levels", "Not scanned"
        ),
    }


def test_evidence_never_holds_a_full_value(set_scan: ScanResult) -> None:
    leaks = [
        (f.rule_id, f.location.path, text)
        for f in set_scan.findings
        for text in strings(f.to_dict())
        for value in FULL_VALUES
        if value in text
    ]
    assert leaks == []
    masked = {f.evidence for f in set_scan.findings if f.rule_id == "pii.bsn"}
    assert masked == {"11******3", "12******2"}  # fx.BSN and SECOND_BSN


def test_value_findings_are_hashed_with_the_key(set_scan: ScanResult) -> None:
    for f in set_scan.findings:
        family = f.rule_id.split(".", 1)[0]
        if family in ("pii", "secret"):
            assert f.value_hash is not None and len(f.value_hash) == 64, f.rule_id
        if f.rule_id in ("document.unreadable", "document.encrypted", "scan.item_not_scanned"):
            assert f.value_hash is None
    bsn_hashes = {f.value_hash for f in set_scan.findings if f.rule_id == "pii.bsn"}
    # one hash per BSN, however often and wherever it stands: tracked across files
    assert len(bsn_hashes) == 2


def test_metadata_placeholders_are_not_people(tmp_path: Path) -> None:
    fx.make_plain_docx(tmp_path, ["Geen persoonsgegevens."])  # author "python-docx"
    fx.make_two_sheet_xlsx(tmp_path)  # creator "openpyxl"
    fx.make_pdf(tmp_path, [["Leeg"]], author="Microsoft Word", creator="Writer")
    assert [f for f in scan(tmp_path).findings if f.location.section == "metadata"] == []


def test_stats_count_skipped_items(set_scan: ScanResult) -> None:
    stats = set_scan.scan.stats
    assert stats.items_skipped == SKIPPED
    assert not stats.truncated
    assert set_scan.scan.status.value == "done"


def test_stats_count_each_item_once(set_scan: ScanResult) -> None:
    stats = set_scan.scan.stats
    assert (stats.items_scanned, stats.items_skipped) == (
        TOP_LEVEL_FILES + ARCHIVE_MEMBERS - SKIPPED,
        SKIPPED,
    )


def test_stats_of_a_set_without_skipped_items(tmp_path: Path) -> None:
    for name, text in TEXT_FILES.items():
        fx.write_bytes(tmp_path, name, text.encode())
    fx.make_zip(tmp_path, "bundle.zip", {"contact.txt": CONTACT, "sub/twee.txt": TWEE})
    stats = scan(tmp_path).scan.stats
    assert (stats.items_scanned, stats.items_skipped) == (len(TEXT_FILES) + 3, 0)
    size = sum(p.stat().st_size for p in tmp_path.iterdir()) + len(CONTACT) + len(TWEE)
    assert stats.bytes_scanned == size


def test_fingerprints_are_stable_across_scans(document_set: Path, set_scan: ScanResult) -> None:
    again = scan(document_set)
    assert again.scan.id != set_scan.scan.id

    def prints(result: ScanResult) -> list[tuple[Key, str]]:
        return sorted(((key(f), f.fingerprint) for f in result.findings), key=str)

    assert prints(again) == prints(set_scan)
    fingerprints = [f.fingerprint for f in set_scan.findings]
    assert len(set(fingerprints)) == len(fingerprints)


def test_max_items_stops_early_and_keeps_what_was_found(document_set: Path) -> None:
    result = scan(document_set, max_items=5)
    stats = result.scan.stats
    assert stats.truncated
    assert stats.items_scanned == 5
    assert result.scan.progress_message == "stopped early: item limit of 5 reached"
    # files are walked in name order; blob.bin and bomb.zip are read but skipped (binary,
    # refused), so they do not count towards the 5 items scanned
    names = sorted(p.name for p in document_set.iterdir())
    skipped = {"blob.bin", "bomb.zip"}
    first: list[str] = []
    for name in names:
        if len([n for n in first if n not in skipped]) == 5:
            break
        first.append(name)
    assert first[:5] == [".env", "beveiligd.docx", "blob.bin", "bomb.zip", "brief.odt"]
    expected = expected_findings()
    in_tables = [k for k in COLUMN_CONTEXT if k[1] in first]
    # the fifth item is bundle.zip itself: the limit stops the scan before its members
    assert first[-1] == "bundle.zip"
    reached = [k for name in first for k in expected[name] if "!/" not in k[1]]
    assert keys(result) == Counter(reached) + Counter(in_tables)


# -- targets ---------------------------------------------------------------------------


def test_a_single_file_target(document_set: Path) -> None:
    result = scan(document_set / "dossier.docx")
    assert keys(result) == Counter(expected_findings()["dossier.docx"])
    assert result.scan.stats.items_scanned == 1


def test_a_single_high_risk_file_target(document_set: Path) -> None:
    assert keys(scan(document_set / ".env")) == Counter(expected_findings()[".env"])


def test_an_uploaded_archive(document_set: Path, tmp_path: Path) -> None:
    result = scan(tmp_path / "upload-name-is-not-used", upload=document_set / "bundle.zip")
    inside = [
        hit("pii.email", "contact.txt", CONTACT, fx.EMAIL),
        hit("pii.bsn", "verslag.docx", VERSLAG[1], fx.BSN, paragraph=2),
        hit("pii.iban", "inner.zip!/file.txt", INNER, fx.IBAN),
    ]
    assert keys(result) == Counter(inside)


def test_an_archive_target_counts_as_the_first_archive_level(tmp_path: Path) -> None:
    """The depth limit is the same whether the archive is in a folder, the target, or uploaded."""
    folder = tmp_path / "folder"
    folder.mkdir()
    nest = fx.make_nested_zip(folder, "nest.zip", ["a.zip", "b.zip", "c.zip"], {"x.txt": CONTACT})
    in_folder = scan(folder)
    as_target = scan(nest)
    uploaded = scan(tmp_path / "ignored", upload=nest)
    refused = "scan.item_not_scanned"
    assert keys(in_folder) == Counter([whole(refused, "nest.zip!/a.zip!/b.zip!/c.zip")])
    assert keys(as_target) == Counter([whole(refused, "a.zip!/b.zip!/c.zip")])
    assert keys(uploaded) == keys(as_target)
    deeper = scan(nest, max_archive_depth=4)
    inner = hit("pii.email", "a.zip!/b.zip!/c.zip!/x.txt", CONTACT, fx.EMAIL)
    assert keys(deeper) == Counter([inner])


def test_a_refused_uploaded_archive_is_an_input_error(tmp_path: Path) -> None:
    bomb = fx.make_zip_bomb(tmp_path)
    with pytest.raises(ScanInputError, match="zip bomb"):
        scan(tmp_path / "ignored", upload=bomb)


# -- archive limits --------------------------------------------------------------------


def test_archive_over_the_byte_limit_is_not_scanned_and_the_rest_is(tmp_path: Path) -> None:
    fx.make_zip(tmp_path, "groot.zip", {"a.txt": CONTACT * 100})
    fx.write_bytes(tmp_path, "z.txt", CONTACT.encode())
    result = scan(tmp_path, max_archive_bytes=1000)
    assert keys(result) == Counter(
        [
            whole("scan.item_not_scanned", "groot.zip"),
            hit("pii.email", "z.txt", CONTACT, fx.EMAIL),
        ]
    )
    (refused,) = [f for f in result.findings if f.rule_id == "scan.item_not_scanned"]
    assert refused.evidence == "archive refused: unpacks to more than 1000 bytes"


def test_small_compression_ratio_limit_refuses_the_bomb(tmp_path: Path) -> None:
    fx.make_zip_bomb(tmp_path, size=2 * 1024 * 1024)
    fx.write_bytes(tmp_path, "z.txt", CONTACT.encode())
    result = scan(tmp_path, max_compression_ratio=10)
    (refused,) = [f for f in result.findings if f.rule_id == "scan.item_not_scanned"]
    assert refused.evidence == "archive refused: compression ratio above 10:1 (zip bomb)"
    assert hit("pii.email", "z.txt", CONTACT, fx.EMAIL) in keys(result)


# -- what extractors could not read inside a file --------------------------------------


def test_encrypted_attachment_is_reported(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    pdf = fx.make_pdf(staging, [[PDF_PAGE_2]])
    locked = fx.make_encrypted_pdf(pdf, "locked.pdf", "wachtwoord")
    folder = tmp_path / "mail"
    folder.mkdir()
    fx.make_eml_with_attachment(folder, "geheim.pdf", locked.read_bytes())
    result = scan(folder)
    assert keys(result) == Counter([whole("document.encrypted", "bijlage.eml!geheim.pdf")])
    assert result.findings[0].evidence == "PDF is encrypted (password protected)"


def test_failed_ocr_is_reported_per_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(image: object, timeout: float) -> str:
        raise ocr.OcrError("tesseract took longer than 120 s")

    monkeypatch.setattr(ocr, "ocr_available", lambda: True)
    monkeypatch.setattr(ocr, "ocr_image", broken)
    fx.make_scanned_pdf(tmp_path, [fx.NAME])
    result = scan(tmp_path)
    assert keys(result) == Counter([whole("document.unreadable", "scan.pdf", page=1)])
    assert result.findings[0].evidence == "OCR failed on a scanned page"


def test_no_ocr_is_reported_per_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "ocr_available", lambda: False)
    fx.make_scanned_pdf(tmp_path, [fx.NAME])
    assert keys(scan(tmp_path)) == Counter([whole("document.ocr_unavailable", "scan.pdf", page=1)])


def test_text_beyond_the_extraction_limit_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def one_page(path: Path, shown: str, deadline: float) -> Iterator[Any]:
        return registry.extract(path, shown, ExtractLimits(max_pages=1), deadline)

    monkeypatch.setattr(document, "extract", one_page)
    fx.make_pdf(tmp_path, [[PDF_PAGE_2], [PDF_PAGE_2]], author=None)
    result = scan(tmp_path)
    assert keys(result) == Counter(
        [
            hit("pii.bsn", "doc.pdf", PDF_PAGE_2, fx.BSN, page=1),
            whole("scan.item_not_scanned", "doc.pdf", page=2),
        ]
    )


# -- bad files never stop the scan -----------------------------------------------------

BAD_FILES = {
    "leeg.docx": b"",
    "leeg.pdf": b"",
    "ruis.xlsx": bytes(range(256)),
    "zip-maar-geen.pptx": fx.zip_bytes({"a.txt": "geen presentatie"}),
    "kapot.odt": b"PK\x03\x04" + bytes(100),
    "ruis.ods": b"\x00" * 64,
    "binair.csv": b"\x00\x01\x02" * 100,
    "binair.json": b"\x00{}" * 100,
    "kapot.rtf": b"geen rtf",
    "binair.eml": b"\x00\x01" * 100,
    "kapot.msg": b"geen outlook",
    "kapot.zip": b"PK\x03\x04 kapot",
}


def test_bad_files_give_findings_and_never_stop_the_scan(tmp_path: Path) -> None:
    for name, data in BAD_FILES.items():
        fx.write_bytes(tmp_path, name, data)
    fx.write_bytes(tmp_path, "zzz.txt", CONTACT.encode())  # walked last
    result = scan(tmp_path)
    bad = {f.location.path: f for f in result.findings if f.location.path != "zzz.txt"}
    assert set(bad) == set(BAD_FILES)
    for name, finding in bad.items():
        expected = "scan.item_not_scanned" if name.endswith(".zip") else "document.unreadable"
        assert finding.rule_id == expected, name
        assert finding.evidence and finding.evidence in finding.description, name
    assert keys(result)[hit("pii.email", "zzz.txt", CONTACT, fx.EMAIL)] == 1
