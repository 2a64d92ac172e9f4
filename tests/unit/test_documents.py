"""Text extraction for every document format (dgp.documents).

All documents are generated at test time by tests/docfixtures.py.
"""

from __future__ import annotations

import logging
import sys
import zipfile
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # `import tests.docfixtures` and `import dgp` from the repo root
    sys.path.insert(0, str(_ROOT))

from dgp.documents import ocr, registry  # noqa: E402
from dgp.documents.base import ExtractionError, ExtractLimits, Segment  # noqa: E402
from dgp.documents.common import cell_ref, cell_text, column_letters  # noqa: E402
from dgp.documents.htmltext import html_to_text  # noqa: E402
from dgp.documents.registry import SUPPORTED_EXTENSIONS, extract, is_supported  # noqa: E402
from tests import docfixtures as fx  # noqa: E402

META = {"section": "metadata"}


def run(path: Path, display: str | None = None, **limits: int) -> list[Segment]:
    return list(extract(path, display or path.name, ExtractLimits(**limits)))


def rows(segments: list[Segment]) -> list[tuple[str, str | None, str, dict]]:
    """(kind, field, text, location without path) for exact comparisons."""
    return [
        (s.kind, s.field, s.text, {k: v for k, v in s.location.to_dict().items() if k != "path"})
        for s in segments
    ]


def text_rows(segments: list[Segment]) -> list[tuple[str, dict]]:
    return [(text, loc) for kind, _, text, loc in rows(segments) if kind == "text"]


def metadata(segments: list[Segment]) -> dict[str, str]:
    return {s.field or "": s.text for s in segments if s.kind == "metadata"}


def failure(path: Path, **limits: int) -> ExtractionError:
    with pytest.raises(ExtractionError) as caught:
        run(path, **limits)
    return caught.value


OOXML_META = {
    "author": fx.AUTHOR,
    "last_modified_by": fx.EDITOR,
    "company": fx.COMPANY,
    "manager": fx.MANAGER,
}


# -- registry and helpers --------------------------------------------------------------


def test_supported_extensions_are_case_insensitive() -> None:
    spec = ".pdf .docx .xlsx .xlsm .pptx .ods .odt .csv .tsv .rtf .txt .md .log .json .xml"
    for extension in (spec + " .yaml .yml .eml .msg").split():
        assert extension in SUPPORTED_EXTENSIONS
        assert is_supported(Path(f"a/B{extension.upper()}"))
    assert not is_supported(Path("setup.exe"))
    assert not is_supported(Path("README"))


def test_unsupported_and_missing_files_raise_extraction_error(tmp_path: Path) -> None:
    assert failure(fx.write_bytes(tmp_path, "x.exe", b"MZ")).reason == "unsupported file type .exe"
    assert failure(tmp_path / "weg.docx").reason == "DOCX file not found"


def test_column_letters_and_cell_refs() -> None:
    numbers = (1, 2, 26, 27, 52, 702, 703, 16384)
    assert [column_letters(n) for n in numbers] == "A B Z AA AZ ZZ AAA XFD".split()
    assert cell_ref(7, 2) == "B7"
    with pytest.raises(ValueError):
        column_letters(0)


def test_cell_text_reads_like_a_person() -> None:
    assert cell_text(612345678.0) == "612345678"
    assert cell_text(1.5) == "1.5"
    assert cell_text(None) == ""
    assert cell_text(True) == "TRUE"


def test_html_to_text_drops_scripts_and_keeps_blocks() -> None:
    html = "<p>Hallo&nbsp;<b>Jan</b></p><script>var bsn=1;</script><div>BSN &amp; mail</div>"
    assert html_to_text(html) == "Hallo Jan\n\nBSN & mail"


# -- PDF -------------------------------------------------------------------------------


def make_two_page_pdf(folder: Path) -> Path:
    return fx.make_pdf(folder, [["Eerste pagina", fx.SENTENCE], [f"Tweede pagina BSN {fx.BSN}"]])


def test_pdf_text_per_page_and_metadata(tmp_path: Path) -> None:
    segments = run(make_two_page_pdf(tmp_path), "archief/doc.pdf")
    assert rows(segments) == [
        ("metadata", "author", fx.AUTHOR, META),
        ("metadata", "creator", "Writer", META),
        ("text", None, f"Eerste pagina\n{fx.SENTENCE}\n", {"page": 1}),
        ("text", None, f"Tweede pagina BSN {fx.BSN}\n", {"page": 2}),
    ]
    assert {s.location.path for s in segments} == {"archief/doc.pdf"}


def test_pdf_page_limit_gives_truncated_notice(tmp_path: Path) -> None:
    segments = run(make_two_page_pdf(tmp_path), max_pages=1)
    assert rows(segments)[2:] == [
        ("text", None, f"Eerste pagina\n{fx.SENTENCE}\n", {"page": 1}),
        ("notice", "truncated", "", {"page": 2}),
    ]


def test_pdf_with_user_password_is_encrypted(tmp_path: Path) -> None:
    locked = fx.make_encrypted_pdf(make_two_page_pdf(tmp_path), "locked.pdf", "geheim")
    error = failure(locked)
    assert error.encrypted
    assert error.reason == "PDF is encrypted (password protected)"


def test_pdf_with_only_owner_password_is_read(tmp_path: Path) -> None:
    restricted = fx.make_encrypted_pdf(make_two_page_pdf(tmp_path), "restricted.pdf", "")
    assert [t for t, _ in text_rows(run(restricted))][1] == f"Tweede pagina BSN {fx.BSN}\n"


def test_pdf_garbage_and_truncated_are_corrupt(tmp_path: Path) -> None:
    garbage = failure(fx.write_bytes(tmp_path, "nep.pdf", b"dit is geen pdf"))
    assert garbage.reason == "PDF is corrupt: no PDF header (not a PDF file)"
    assert not garbage.encrypted
    truncated = failure(fx.truncated_copy(make_two_page_pdf(tmp_path), "half.pdf"))
    assert truncated.reason.startswith("PDF is corrupt: ")
    assert not truncated.encrypted


@pytest.mark.skipif(not fx.tesseract_present(), reason="tesseract binary not installed")
def test_scanned_pdf_page_is_read_by_ocr(tmp_path: Path) -> None:
    scan = fx.make_scanned_pdf(tmp_path, [fx.NAME, f"BSN {fx.BSN}", "Utrecht"])
    (segment,) = [s for s in run(scan) if s.kind == "text"]
    assert segment.location.page == 1
    assert segment.location.section == "ocr"
    for word in ("Jan", "Jansen", "BSN", fx.BSN, "Utrecht"):
        assert word in segment.text.split()


def test_scanned_pdf_without_ocr_gives_notice(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(ocr, "ocr_available", lambda: False)
    scan = fx.make_scanned_pdf(tmp_path, [fx.NAME])
    assert rows(run(scan)) == [("notice", "ocr_unavailable", "", {"page": 1})]


# -- DOCX ------------------------------------------------------------------------------


def test_docx_paragraphs_tables_headers_footers_comments(tmp_path: Path) -> None:
    table = {"section": "table", "table": "1"}
    assert rows(run(fx.make_docx(tmp_path))) == [
        ("metadata", "author", fx.AUTHOR, META),
        ("metadata", "last_modified_by", fx.EDITOR, META),
        ("metadata", "company", fx.COMPANY, META),
        ("metadata", "manager", fx.MANAGER, META),
        ("text", None, "Beste klant,", {"paragraph": 1}),
        ("text", None, fx.SENTENCE, {"paragraph": 3}),
        ("text", None, "Naam", {**table, "cell": "A1"}),
        ("text", None, "BSN", {**table, "cell": "B1"}),
        ("text", None, fx.NAME, {**table, "cell": "A2"}),
        ("text", None, fx.BSN, {**table, "cell": "B2"}),
        ("text", None, "Met vriendelijke groet", {"paragraph": 4}),
        ("text", None, f"Vertrouwelijk - {fx.NAME}", {"paragraph": 1, "section": "header"}),
        ("text", None, fx.EMAIL, {"paragraph": 1, "section": "footer"}),
        ("text", None, f"Klopt BSN {fx.BSN}?", {"paragraph": 1, "section": "comment"}),
        ("metadata", "comment_author", fx.REVIEWER, META),
    ]


def test_docx_truncated_is_corrupt(tmp_path: Path) -> None:
    error = failure(fx.truncated_copy(fx.make_docx(tmp_path), "half.docx"))
    assert error.reason == "DOCX is corrupt: not a valid zip archive (truncated or damaged)"
    assert not error.encrypted


@pytest.mark.parametrize("name", ["geheim.docx", "geheim.xlsx", "geheim.pptx", "GEHEIM.XLSM"])
def test_ooxml_in_ole_container_is_encrypted(tmp_path: Path, name: str) -> None:
    error = failure(fx.ole_header_file(tmp_path, name))
    assert error.encrypted
    label = Path(name).suffix[1:].upper()
    assert error.reason == f"{label} is encrypted (an OLE container, not a zip)"


@pytest.mark.parametrize("name", ["leeg.docx", "leeg.xlsx", "leeg.pptx", "leeg.odt"])
def test_zip_that_is_not_an_office_file_is_corrupt(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hallo.txt", "hallo")
    error = failure(path)
    assert error.reason.startswith(f"{Path(name).suffix[1:].upper()} is corrupt: ")
    assert error.__cause__ is not None  # the library's exception, kept for logs


# -- XLSX ------------------------------------------------------------------------------


def test_xlsx_every_sheet_every_cell(tmp_path: Path) -> None:
    segments = run(fx.make_xlsx(tmp_path))
    assert metadata(segments) == OOXML_META
    assert text_rows(segments) == [
        ("Naam", {"sheet": "Klanten", "cell": "A1"}),
        ("BSN", {"sheet": "Klanten", "cell": "B1"}),
        ("E-mail", {"sheet": "Klanten", "cell": "C1"}),
        (fx.NAME, {"sheet": "Klanten", "cell": "A2"}),
        (fx.BSN, {"sheet": "Klanten", "cell": "B2"}),
        (fx.EMAIL, {"sheet": "Klanten", "cell": "C2"}),
        (f"BSN {fx.BSN}", {"sheet": "Klanten", "cell": "B7"}),
        (fx.SENTENCE, {"sheet": "Notities", "cell": "A1"}),
        ("612345678", {"sheet": "Notities", "cell": "A2"}),
    ]


def test_xlsm_is_read_like_xlsx(tmp_path: Path) -> None:
    path = fx.make_xlsx(tmp_path, "macro.xlsm")
    assert (fx.BSN, {"sheet": "Klanten", "cell": "B2"}) in text_rows(run(path))


def test_xlsx_cell_limit_gives_truncated_notice(tmp_path: Path) -> None:
    segments = run(fx.make_xlsx(tmp_path), max_cells=2)
    assert rows(segments)[4:] == [
        ("text", None, "Naam", {"sheet": "Klanten", "cell": "A1"}),
        ("text", None, "BSN", {"sheet": "Klanten", "cell": "B1"}),
        ("notice", "truncated", "", {"sheet": "Klanten", "cell": "C1"}),
    ]


def test_xlsx_garbage_is_corrupt(tmp_path: Path) -> None:
    error = failure(fx.write_bytes(tmp_path, "kapot.xlsx", b"geen spreadsheet"))
    assert error.reason == "XLSX is corrupt: not a valid zip archive (truncated or damaged)"


# -- PPTX ------------------------------------------------------------------------------


def test_pptx_text_frames_tables_notes_groups(tmp_path: Path) -> None:
    segments = run(fx.make_pptx(tmp_path))
    assert metadata(segments) == OOXML_META
    table = {"page": 1, "section": "table", "table": "1"}
    assert text_rows(segments) == [
        ("Klantgegevens", {"page": 1}),
        (fx.SENTENCE, {"page": 1}),
        ("Naam", {**table, "cell": "A1"}),
        ("BSN", {**table, "cell": "B1"}),
        (fx.NAME, {**table, "cell": "A2"}),
        (fx.BSN, {**table, "cell": "B2"}),
        (f"Bel {fx.NAME} over {fx.EMAIL}", {"page": 1, "section": "notes"}),
        (f"BSN {fx.BSN}", {"page": 2}),
    ]


def test_pptx_truncated_is_corrupt(tmp_path: Path) -> None:
    error = failure(fx.truncated_copy(fx.make_pptx(tmp_path), "half.pptx"))
    assert error.reason == "PPTX is corrupt: not a valid zip archive (truncated or damaged)"


# -- OpenDocument ----------------------------------------------------------------------


def test_odt_paragraphs_tables_headers_comments(tmp_path: Path) -> None:
    table = {"section": "table", "table": "1"}
    assert rows(run(fx.make_odt(tmp_path))) == [
        ("metadata", "author", fx.AUTHOR, META),
        ("metadata", "last_modified_by", fx.EDITOR, META),
        ("text", None, "Klantgegevens", {"paragraph": 1}),
        ("text", None, fx.SENTENCE, {"paragraph": 2}),  # the comment is not in it
        ("text", None, f"Naam:   {fx.NAME}", {"paragraph": 3}),
        ("text", None, f"Telefoon van {fx.NAME}", {"paragraph": 4}),
        ("text", None, "Naam", {**table, "cell": "A1"}),
        ("text", None, "BSN", {**table, "cell": "B1"}),
        ("text", None, fx.NAME, {**table, "cell": "A2"}),
        ("text", None, fx.BSN, {**table, "cell": "B2"}),
        ("text", None, f"Vertrouwelijk - {fx.NAME}", {"paragraph": 1, "section": "header"}),
        ("text", None, fx.EMAIL, {"paragraph": 1, "section": "footer"}),
        ("text", None, f"Klopt BSN {fx.BSN}?", {"paragraph": 1, "section": "comment"}),
        ("metadata", "comment_author", fx.REVIEWER, META),
    ]


def test_ods_cells_with_repeats_and_number_values(tmp_path: Path) -> None:
    segments = run(fx.make_ods(tmp_path))
    assert metadata(segments) == {
        "author": fx.AUTHOR,
        "last_modified_by": fx.EDITOR,
        "comment_author": fx.REVIEWER,
    }
    assert text_rows(segments) == [
        ("Naam", {"sheet": "Klanten", "cell": "A1"}),
        (fx.BSN, {"sheet": "Klanten", "cell": "B1"}),  # office:value, not "1,11E+08"
        (fx.EMAIL, {"sheet": "Klanten", "cell": "C1"}),
        (f"BSN {fx.BSN}", {"sheet": "Klanten", "cell": "C5"}),
        ("x", {"sheet": "Klanten", "cell": "A6"}),
        ("x", {"sheet": "Klanten", "cell": "B6"}),
        (fx.SENTENCE, {"sheet": "Notities", "cell": "A1"}),
        ("Privé adres?", {"paragraph": 1, "section": "comment"}),
    ]


def test_ods_cell_limit_gives_truncated_notice(tmp_path: Path) -> None:
    segments = run(fx.make_ods(tmp_path), max_cells=4)
    assert rows(segments)[-2:] == [
        ("text", None, f"BSN {fx.BSN}", {"sheet": "Klanten", "cell": "C5"}),
        ("notice", "truncated", "", {"sheet": "Klanten", "cell": "A6"}),
    ]


def test_odf_with_encrypted_parts_is_encrypted(tmp_path: Path) -> None:
    plain = fx.make_odt(tmp_path)
    locked = tmp_path / "geheim.odt"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(locked, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "META-INF/manifest.xml":
                data = data.replace(
                    b"</manifest:manifest>", b"<manifest:encryption-data/></manifest:manifest>"
                )
            target.writestr(info, data)
    error = failure(locked)
    assert error.encrypted
    assert error.reason == "ODT is encrypted (password protected)"


# -- CSV, TSV, RTF, plain text ---------------------------------------------------------


def test_csv_semicolons_cp1252_rows_and_cells(tmp_path: Path) -> None:
    assert text_rows(run(fx.make_csv(tmp_path))) == [
        ("naam", {"line": 1, "cell": "A1"}),
        ("bsn", {"line": 1, "cell": "B1"}),
        ("email", {"line": 1, "cell": "C1"}),
        (fx.NAME, {"line": 2, "cell": "A2"}),
        (fx.BSN, {"line": 2, "cell": "B2"}),
        (fx.EMAIL, {"line": 2, "cell": "C2"}),
        ("Renée de Vries", {"line": 3, "cell": "A3"}),
        ("renee@example.nl", {"line": 3, "cell": "C3"}),
        (fx.SENTENCE, {"line": 4, "cell": "C4"}),
    ]


def test_tsv_tabs(tmp_path: Path) -> None:
    assert text_rows(run(fx.make_tsv(tmp_path)))[2:] == [
        (fx.NAME, {"line": 2, "cell": "A2"}),
        (fx.BSN, {"line": 2, "cell": "B2"}),
    ]


def test_csv_cell_limit(tmp_path: Path) -> None:
    assert rows(run(fx.make_csv(tmp_path), max_cells=3))[-1] == (
        "notice",
        "truncated",
        "",
        {"line": 2, "cell": "A2"},
    )


def test_rtf_text_and_info_authors(tmp_path: Path) -> None:
    assert rows(run(fx.make_rtf(tmp_path))) == [
        ("metadata", "author", fx.AUTHOR, META),
        ("metadata", "last_modified_by", fx.EDITOR, META),
        ("text", None, f"Beste {fx.NAME},\n{fx.SENTENCE}\nCafé Utrecht\n", {"line": 1}),
    ]


def test_rtf_without_header_is_corrupt(tmp_path: Path) -> None:
    error = failure(fx.write_bytes(tmp_path, "brief.rtf", b"hallo"))
    assert error.reason == "RTF is corrupt: it does not start with {\\rtf"


@pytest.mark.parametrize(
    "name",
    ["notitie.txt", "LEESMIJ.MD", "app.log", "data.json", "data.xml", "config.yaml", "config.yml"],
)
def test_plain_text_is_one_segment_from_line_one(tmp_path: Path, name: str) -> None:
    content = f"regel 1\n  bsn: {fx.BSN}\n  email: {fx.EMAIL}\n"
    path = fx.write_bytes(tmp_path, name, content.encode())
    assert rows(run(path)) == [("text", None, content, {"line": 1})]


def test_plain_text_encodings(tmp_path: Path) -> None:
    text = f"Renée {fx.BSN}\n"
    for name, data in (
        ("cp1252.txt", text.encode("cp1252")),
        ("bom.txt", b"\xef\xbb\xbf" + text.encode()),
        ("utf16.txt", text.encode("utf-16")),
        ("latin1.txt", text.encode("latin-1") + b"\x81"),  # 0x81 is not cp1252
    ):
        (segment,) = run(fx.write_bytes(tmp_path, name, data))
        assert segment.text.rstrip("\x81") == text, name


def test_binary_file_named_txt_is_refused(tmp_path: Path) -> None:
    error = failure(fx.write_bytes(tmp_path, "foto.txt", bytes(range(256)) * 4))
    assert error.reason == "TXT looks binary, not text"


def test_text_limit_trims_and_gives_truncated_notice(tmp_path: Path) -> None:
    path = fx.write_bytes(tmp_path, "lang.txt", (fx.SENTENCE + "\n").encode() * 100)
    assert rows(run(path, max_text_chars=11)) == [
        ("text", None, fx.SENTENCE[:11], {"line": 1}),
        ("notice", "truncated", "", {"line": 1}),
    ]


# -- mail ------------------------------------------------------------------------------


def test_eml_headers_bodies_and_attachments(tmp_path: Path) -> None:
    segments = run(fx.make_eml(tmp_path), "postvak/mail.eml")
    csv = "postvak/mail.eml!klanten.csv"
    forwarded = "postvak/mail.eml!message.eml"
    assert [(s.location.path, *row) for s, row in zip(segments, rows(segments), strict=True)] == [
        (
            "postvak/mail.eml",
            "text",
            "from",
            f"{fx.EDITOR} <piet@example.nl>",
            {"section": "header:From"},
        ),
        ("postvak/mail.eml", "text", "to", f"{fx.NAME} <{fx.EMAIL}>", {"section": "header:To"}),
        (
            "postvak/mail.eml",
            "text",
            "cc",
            "Marie de Vries <marie@example.nl>",
            {"section": "header:Cc"},
        ),
        ("postvak/mail.eml", "text", "subject", f"Uw BSN {fx.BSN}", {"section": "header:Subject"}),
        (
            "postvak/mail.eml",
            "text",
            None,
            f"Beste {fx.NAME},\n\n{fx.SENTENCE}\n",
            {"line": 1, "section": "body"},
        ),
        (
            "postvak/mail.eml",
            "text",
            None,
            f"Beste {fx.NAME},\n\nUw IBAN is NL91 ABNA 0417 1643 00.",
            {"line": 1, "section": "body_html"},
        ),
        (csv, "text", None, "naam", {"line": 1, "cell": "A1"}),
        (csv, "text", None, "bsn", {"line": 1, "cell": "B1"}),
        (csv, "text", None, fx.NAME, {"line": 2, "cell": "A2"}),
        (csv, "text", None, fx.BSN, {"line": 2, "cell": "B2"}),
        (
            "postvak/mail.eml!foto.png",
            "notice",
            "attachment_not_scanned",
            "attachment of a type not read (.png)",
            {},
        ),
        (
            "postvak/mail.eml!kapot.pdf",
            "notice",
            "attachment_unreadable",
            "PDF is corrupt: no PDF header (not a PDF file)",
            {},
        ),
        (forwarded, "text", "from", f"{fx.MANAGER} <marie@example.nl>", {"section": "header:From"}),
        (forwarded, "text", "subject", "Doorgestuurd", {"section": "header:Subject"}),
        (forwarded, "text", None, f"E-mail van Jan: {fx.EMAIL}\n", {"line": 1, "section": "body"}),
    ]


def test_eml_html_body_that_repeats_the_plain_body_is_skipped(tmp_path: Path) -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = "Hallo"
    message.set_content(fx.SENTENCE)
    message.add_alternative(f"<p>{fx.SENTENCE}</p>", subtype="html")
    path = fx.write_bytes(tmp_path, "dubbel.eml", bytes(message))
    assert [loc.get("section") for _, loc in text_rows(run(path))] == ["header:Subject", "body"]


def test_eml_text_limit_covers_attachments(tmp_path: Path) -> None:
    segments = run(fx.make_eml(tmp_path), max_text_chars=200)
    assert segments[-1].kind == "notice"
    assert segments[-1].field == "truncated"
    assert sum(len(s.text) for s in segments if s.kind != "notice") == 200


def test_msg_headers_body_and_attachment(tmp_path: Path) -> None:
    segments = run(fx.make_msg(tmp_path))
    csv = "mail.msg!klanten.csv"
    assert [(s.location.path, *row) for s, row in zip(segments, rows(segments), strict=True)] == [
        ("mail.msg", "text", "from", f"{fx.EDITOR} <piet@example.nl>", {"section": "header:From"}),
        ("mail.msg", "text", "to", f"{fx.NAME} <{fx.EMAIL}>", {"section": "header:To"}),
        ("mail.msg", "text", "subject", f"Afspraak BSN {fx.BSN}", {"section": "header:Subject"}),
        (
            "mail.msg",
            "text",
            None,
            f"Beste {fx.NAME},\n{fx.SENTENCE}\n",
            {"line": 1, "section": "body"},
        ),
        (csv, "text", None, "naam", {"line": 1, "cell": "A1"}),
        (csv, "text", None, "bsn", {"line": 1, "cell": "B1"}),
        (csv, "text", None, fx.NAME, {"line": 2, "cell": "A2"}),
        (csv, "text", None, fx.BSN, {"line": 2, "cell": "B2"}),
    ]


def test_msg_that_is_not_ole_is_corrupt(tmp_path: Path) -> None:
    error = failure(fx.write_bytes(tmp_path, "mail.msg", b"From: x\n\nhallo"))
    assert error.reason == "MSG is corrupt: not an Outlook message (no OLE header)"
    assert failure(fx.ole_header_file(tmp_path, "leeg.msg")).reason.startswith("MSG is corrupt: ")


# -- hostile documents: nothing of their content leaks, nothing blows up --------------


def test_reasons_and_logs_never_quote_the_file(tmp_path: Path, caplog) -> None:
    broken = tmp_path / "kapot.pdf"
    broken.write_bytes(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Kids [3 0 R] } BSN 111222333 Jan de Vries >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF"
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ExtractionError) as caught:
        list(registry.extract(broken, "kapot.pdf"))
    assert "111222333" not in caught.value.reason
    assert "111222333" not in caplog.text and "Vries" not in caplog.text


def test_odt_space_bomb_is_bounded(tmp_path: Path) -> None:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:text><text:p>a<text:s text:c="1500000000"/>b</text:p>'
        "</office:text></office:body></office:document-content>"
    )
    path = tmp_path / "bom.odt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", content)
        zf.writestr(
            "META-INF/manifest.xml",
            "<manifest:manifest xmlns:manifest="
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
    texts = [s.text for s in registry.extract(path, "bom.odt") if s.kind == "text"]
    assert texts and all(len(t) < 2000 for t in texts)


def test_office_part_compressed_like_a_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bom.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"<w:t>" + b" " * (50 * 1024 * 1024) + b"</w:t>")
    with pytest.raises(ExtractionError, match="zip bomb"):
        list(registry.extract(path, "bom.docx"))
