"""Builds every test document at test time, so no binary fixtures live in the repo.

Each `make_*` function writes one file into the given folder and returns its
path. The documents hold the same known personal data (see the constants), so
tests can assert exact text and locations.
"""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
from email.message import EmailMessage
from pathlib import Path

BSN = "111222333"
EMAIL = "jan.jansen@example.nl"
NAME = "Jan Jansen"
SENTENCE = f"Mijn BSN is {BSN} en mijn e-mail is {EMAIL}."
AUTHOR = "Jan Jansen"
EDITOR = "Piet Pietersen"
COMPANY = "Gemeente Utrecht"
MANAGER = "Marie de Vries"
REVIEWER = "Klaas Klaassen"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_APP_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>DataGuardian tests</Application>"
    "<Company>{company}</Company><Manager>{manager}</Manager></Properties>"
)


# -- helpers ---------------------------------------------------------------------------


def set_app_properties(path: Path, company: str = COMPANY, manager: str = MANAGER) -> None:
    """Put Company and Manager into docProps/app.xml (the libraries cannot write them)."""
    original = path.with_suffix(path.suffix + ".orig")
    path.rename(original)
    with zipfile.ZipFile(original) as source, zipfile.ZipFile(path, "w") as target:
        names = source.namelist()
        if "docProps/app.xml" not in names:
            raise AssertionError(f"{path.name} has no docProps/app.xml to replace")
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/app.xml":
                data = _APP_XML.format(company=company, manager=manager).encode()
            target.writestr(info, data)
    original.unlink()


def truncated_copy(path: Path, name: str, keep: float = 0.5) -> Path:
    """The first part of a file only, as a broken download would leave it."""
    data = path.read_bytes()
    target = path.with_name(name)
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def write_bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def ole_header_file(folder: Path, name: str) -> Path:
    """What Office writes for a password protected .docx: an OLE container (here: its header)."""
    return write_bytes(folder, name, OLE_MAGIC + bytes(504))


def font_path() -> Path | None:
    for candidate in sorted(Path("/usr/share/fonts").rglob("DejaVuSans.ttf")):
        return candidate
    return None


# -- PDF -------------------------------------------------------------------------------


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def make_pdf(
    folder: Path,
    pages: list[list[str]],
    name: str = "doc.pdf",
    author: str | None = AUTHOR,
    creator: str | None = "Writer",
) -> Path:
    """A minimal valid PDF written by hand: one Helvetica text line per list item."""
    count = len(pages)
    page_ids = [4 + 2 * i for i in range(count)]
    info_id = 4 + 2 * count
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] "
        f"/Count {count} >>".encode(),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    for page_id, lines in zip(page_ids, pages, strict=True):
        shown = " ".join(f"{_pdf_string(line)} Tj T*" for line in lines)
        stream = f"BT /F1 12 Tf 16 TL 72 720 Td {shown} ET".encode("latin-1")
        objects[page_id] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {page_id + 1} 0 R >>"
        ).encode()
        objects[page_id + 1] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
    info = [
        f"/{key} {_pdf_string(value)}"
        for key, value in (("Author", author), ("Creator", creator))
        if value
    ]
    objects[info_id] = f"<< {' '.join(info)} >>".encode("latin-1")
    return write_bytes(folder, name, pdf_bytes(objects, info_id))


def pdf_bytes(objects: dict[int, bytes], info_id: int | None = None) -> bytes:
    """A PDF file of numbered objects (1 is the catalog), with its cross-reference table."""
    size = max(objects) + 1
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets.get(number, 0)
    info = b" /Info %d 0 R" % info_id if info_id is not None else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (size, info, xref)
    return bytes(out)


def make_empty_pages_pdf(
    folder: Path, pages: int, stream_bytes: int, name: str = "empty.pdf"
) -> Path:
    """`pages` pages without text that share one content stream of drawing operators
    (paths that are never painted): costly to read, and nothing to show for it."""
    unit = b"0 0 m 1 1 l n\n"
    stream = unit * (stream_bytes // len(unit))
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        3: b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        4 + pages: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for i in range(pages):
        objects[4 + i] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + pages)
        )
    return write_bytes(folder, name, pdf_bytes(objects))


def make_images_pdf(folder: Path, jpegs: list[bytes], name: str = "images.pdf") -> Path:
    """One page without text that shows each JPEG (a scanned page in several strips)."""
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    }
    names, drawing = [], []
    for i, jpeg in enumerate(jpegs):
        from PIL import Image

        with Image.open(io.BytesIO(jpeg)) as image:
            width, height = image.size
            colours = "/DeviceGray" if image.mode == "L" else "/DeviceRGB"
        number = 5 + i
        objects[number] = (
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d "
            % (
                width,
                height,
            )
            + b"/ColorSpace %s /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\n"
            % (
                colours.encode(),
                len(jpeg),
            )
            + b"stream\n"
            + jpeg
            + b"\nendstream"
        )
        names.append(f"/Im{i} {number} 0 R")
        drawing.append(f"q 612 0 0 792 0 0 cm /Im{i} Do Q")
    content = " ".join(drawing).encode()
    objects[3] = (
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        f"/Resources << /XObject << {' '.join(names)} >> >> /Contents 4 0 R >>"
    ).encode()
    objects[4] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
    return write_bytes(folder, name, pdf_bytes(objects))


def make_encrypted_pdf(
    source: Path, name: str, user_password: str, owner_password: str = "eigenaar"
) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=user_password, owner_password=owner_password)
    target = source.with_name(name)
    with target.open("wb") as handle:
        writer.write(handle)
    return target


def make_scanned_pdf(folder: Path, lines: list[str], name: str = "scan.pdf") -> Path:
    """A page that is only a picture of text, as a scanner makes it (no text layer)."""
    from PIL import Image, ImageDraw, ImageFont

    font_file = font_path()
    font = ImageFont.truetype(str(font_file), 64) if font_file else ImageFont.load_default(size=64)
    image = Image.new("RGB", (1800, 140 + 110 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((80, 70 + 110 * index), line, fill="black", font=font)
    path = folder / name
    image.save(path, "PDF", resolution=200.0)
    return path


# -- Office Open XML -------------------------------------------------------------------


def make_docx(folder: Path, name: str = "brief.docx") -> Path:
    """Paragraphs 1 and 3 (2 is empty), a 2x2 table, paragraph 4, header, footer, a comment."""
    import docx

    document = docx.Document()
    document.core_properties.author = AUTHOR
    document.core_properties.last_modified_by = EDITOR
    document.add_paragraph("Beste klant,")
    document.add_paragraph("")
    sentence = document.add_paragraph(SENTENCE)
    table = document.add_table(rows=2, cols=2)
    for (row, column), text in {
        (0, 0): "Naam",
        (0, 1): "BSN",
        (1, 0): NAME,
        (1, 1): BSN,
    }.items():
        table.cell(row, column).text = text
    document.add_paragraph("Met vriendelijke groet")
    section = document.sections[0]
    section.header.paragraphs[0].text = f"Vertrouwelijk - {NAME}"
    section.footer.paragraphs[0].text = EMAIL
    document.add_comment(sentence.runs, text=f"Klopt BSN {BSN}?", author=REVIEWER, initials="KK")
    path = folder / name
    document.save(str(path))
    set_app_properties(path)
    return path


def make_xlsx(folder: Path, name: str = "klanten.xlsx") -> Path:
    """Sheet "Klanten": A1..C2 and B7; sheet "Notities": A1 sentence, A2 a float number."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Klanten"
    sheet.append(["Naam", "BSN", "E-mail"])
    sheet.append([NAME, int(BSN), EMAIL])
    sheet["B7"] = f"BSN {BSN}"
    notes = workbook.create_sheet("Notities")
    notes["A1"] = SENTENCE
    notes["A2"] = 612345678.0
    workbook.properties.creator = AUTHOR
    workbook.properties.lastModifiedBy = EDITOR
    path = folder / name
    workbook.save(path)
    set_app_properties(path)
    return path


def make_pptx(folder: Path, name: str = "presentatie.pptx") -> Path:
    """Slide 1: two text boxes, a 2x2 table, notes. Slide 2: a text box inside a group."""
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    presentation.core_properties.author = AUTHOR
    presentation.core_properties.last_modified_by = EDITOR
    blank = presentation.slide_layouts[6]

    first = presentation.slides.add_slide(blank)
    first.shapes.add_textbox(
        Inches(1), Inches(0.5), Inches(6), Inches(1)
    ).text_frame.text = "Klantgegevens"
    first.shapes.add_textbox(
        Inches(1), Inches(1.5), Inches(8), Inches(1)
    ).text_frame.text = SENTENCE
    table = first.shapes.add_table(2, 2, Inches(1), Inches(3), Inches(6), Inches(1.5)).table
    for (row, column), text in {(0, 0): "Naam", (0, 1): "BSN", (1, 0): NAME, (1, 1): BSN}.items():
        table.cell(row, column).text = text
    first.notes_slide.notes_text_frame.text = f"Bel {NAME} over {EMAIL}"

    second = presentation.slides.add_slide(blank)
    group = second.shapes.add_group_shape()
    group.shapes.add_textbox(
        Inches(1), Inches(1), Inches(6), Inches(1)
    ).text_frame.text = f"BSN {BSN}"
    path = folder / name
    presentation.save(str(path))
    set_app_properties(path)
    return path


# -- OpenDocument ----------------------------------------------------------------------


def _odf_meta(document: object) -> None:
    from odf.dc import Creator
    from odf.meta import InitialCreator

    document.meta.addElement(InitialCreator(text=AUTHOR))  # type: ignore[attr-defined]
    document.meta.addElement(Creator(text=EDITOR))  # type: ignore[attr-defined]


def _odf_comment(text: str) -> object:
    from odf.dc import Creator
    from odf.office import Annotation
    from odf.text import P

    annotation = Annotation()
    annotation.addElement(Creator(text=REVIEWER))
    annotation.addElement(P(text=text))
    return annotation


def make_odt(folder: Path, name: str = "brief.odt") -> Path:
    """Heading, paragraph with a comment, list item, 2x2 table; header and footer."""
    from odf.opendocument import OpenDocumentText
    from odf.style import Footer, Header, MasterPage, PageLayout
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, List, ListItem, P, S

    document = OpenDocumentText()
    _odf_meta(document)
    layout = PageLayout(name="pagina")
    document.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    header = Header()
    header.addElement(P(text=f"Vertrouwelijk - {NAME}"))
    footer = Footer()
    footer.addElement(P(text=EMAIL))
    master.addElement(header)
    master.addElement(footer)
    document.masterstyles.addElement(master)

    document.text.addElement(H(outlinelevel=1, text="Klantgegevens"))  # paragraph 1
    paragraph = P(text=SENTENCE)  # paragraph 2, with a comment
    paragraph.addElement(_odf_comment(f"Klopt BSN {BSN}?"))
    document.text.addElement(paragraph)
    spaced = P(text="Naam:")  # paragraph 3: text:s is three spaces
    spaced.addElement(S(c=3))
    spaced.addText(NAME)
    document.text.addElement(spaced)
    items = List()
    item = ListItem()
    item.addElement(P(text=f"Telefoon van {NAME}"))  # paragraph 4
    items.addElement(item)
    document.text.addElement(items)
    table = Table(name="Tabel1")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for values in (("Naam", "BSN"), (NAME, BSN)):
        row = TableRow()
        for value in values:
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    document.text.addElement(table)
    path = folder / name
    document.save(str(path))
    return path


def make_ods(folder: Path, name: str = "klanten.ods") -> Path:
    """Sheet "Klanten": A1..C1 (B1 a number shown as 1,11E+08), 3 repeated empty rows,
    C5 after two empty cells, A6:B6 one repeated cell, a million empty rows; sheet "Notities".
    """
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    def cell(text: str | None = None, **attributes: object) -> TableCell:
        element = TableCell(**attributes)
        if text is not None:
            element.addElement(P(text=text))
        return element

    document = OpenDocumentSpreadsheet()
    _odf_meta(document)
    sheet = Table(name="Klanten")
    first = TableRow()
    first.addElement(cell("Naam", valuetype="string"))
    first.addElement(cell("1,11E+08", valuetype="float", value=BSN))
    commented = cell(EMAIL, valuetype="string")
    commented.addElement(_odf_comment("Privé adres?"))
    first.addElement(commented)
    sheet.addElement(first)
    empty = TableRow(numberrowsrepeated=3)
    empty.addElement(cell(numbercolumnsrepeated=3))
    sheet.addElement(empty)
    fifth = TableRow()
    fifth.addElement(cell(numbercolumnsrepeated=2))
    fifth.addElement(cell(f"BSN {BSN}", valuetype="string"))
    sheet.addElement(fifth)
    sixth = TableRow()
    sixth.addElement(cell("x", valuetype="string", numbercolumnsrepeated=2))
    sheet.addElement(sixth)
    tail = TableRow(numberrowsrepeated=1_048_000)
    tail.addElement(cell(numbercolumnsrepeated=1024))
    sheet.addElement(tail)
    document.spreadsheet.addElement(sheet)
    notes = Table(name="Notities")
    row = TableRow()
    row.addElement(cell(SENTENCE, valuetype="string"))
    notes.addElement(row)
    document.spreadsheet.addElement(notes)
    path = folder / name
    document.save(str(path))
    return path


# -- text formats ----------------------------------------------------------------------


def make_csv(folder: Path, name: str = "klanten.csv") -> Path:
    """Semicolon separated, Windows-1252 (Renée), as Dutch Excel saves it."""
    rows = [
        "naam;bsn;email",
        f"{NAME};{BSN};{EMAIL}",
        "Renée de Vries;;renee@example.nl",
        f';;"{SENTENCE}"',
    ]
    return write_bytes(folder, name, ("\r\n".join(rows) + "\r\n").encode("cp1252"))


def make_tsv(folder: Path, name: str = "klanten.tsv") -> Path:
    return write_bytes(folder, name, f"naam\tbsn\n{NAME}\t{BSN}\n".encode())


def make_rtf(folder: Path, name: str = "brief.rtf") -> Path:
    rtf = (
        r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}"
        r"{\info{\author " + AUTHOR + r"}{\operator " + EDITOR + r"}}"
        r"\f0 Beste " + NAME + r",\par " + SENTENCE + r"\par Caf\'e9 Utrecht\par}"
    )
    return write_bytes(folder, name, rtf.encode("ascii"))


# -- mail ------------------------------------------------------------------------------


def make_eml(folder: Path, name: str = "mail.eml") -> Path:
    """Headers, plain and (different) HTML body; attachments: a CSV, a PNG (unsupported),
    a broken PDF, and a forwarded message."""
    message = EmailMessage()
    message["From"] = f"{EDITOR} <piet@example.nl>"
    message["To"] = f"{NAME} <{EMAIL}>"
    message["Cc"] = "Marie de Vries <marie@example.nl>"
    message["Subject"] = f"Uw BSN {BSN}"
    message.set_content(f"Beste {NAME},\n\n{SENTENCE}\n")
    message.add_alternative(
        f"<html><head><style>p {{color: red}}</style></head><body><p>Beste {NAME},</p>"
        f"<p>Uw IBAN is NL91 ABNA 0417 1643 00.</p></body></html>",
        subtype="html",
    )
    message.add_attachment(
        f"naam,bsn\n{NAME},{BSN}\n".encode(),
        maintype="text",
        subtype="csv",
        filename="klanten.csv",
    )
    message.add_attachment(
        b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", filename="foto.png"
    )
    message.add_attachment(b"garbage", maintype="application", subtype="pdf", filename="kapot.pdf")
    forwarded = EmailMessage()
    forwarded["From"] = f"{MANAGER} <marie@example.nl>"
    forwarded["Subject"] = "Doorgestuurd"
    forwarded.set_content(f"E-mail van Jan: {EMAIL}\n")
    message.add_attachment(forwarded)
    return write_bytes(folder, name, bytes(message))


def _msg_properties(entries: list[tuple[int, int]], header: bytes) -> bytes:
    """A MAPI property stream: header, then 16 bytes per property (tag, flags, value/size)."""
    return header + b"".join(struct.pack("<IIQ", tag, 6, value) for tag, value in entries)


def make_msg(folder: Path, name: str = "mail.msg") -> Path:
    """A minimal Outlook message: subject, sender, one recipient, body, a CSV attachment."""
    from extract_msg.ole_writer import OleWriter

    writer = OleWriter()

    def strings(prefix: str, values: dict[int, str]) -> list[tuple[int, int]]:
        entries = []
        for property_id, value in values.items():
            tag = (property_id << 16) | 0x001F  # PT_UNICODE
            data = value.encode("utf-16-le")
            writer.addEntry(f"{prefix}__substg1.0_{tag:08X}", data)
            entries.append((tag, len(data) + 2))
        return entries

    top = strings(
        "",
        {
            0x001A: "IPM.Note",
            0x0037: f"Afspraak BSN {BSN}",
            0x1000: f"Beste {NAME},\r\n{SENTENCE}\r\n",
            0x0C1A: EDITOR,
            0x0C1F: "piet@example.nl",
            0x5D01: "piet@example.nl",
            0x0E04: NAME,
        },
    )
    attachment = f"naam;bsn\r\n{NAME};{BSN}\r\n".encode()
    att = "__attach_version1.0_#00000000/"
    att_entries = strings(att, {0x3707: "klanten.csv"})
    writer.addEntry(f"{att}__substg1.0_37010102", attachment)
    att_entries += [(0x37050003, 1), (0x37010102, len(attachment))]  # by value; data size
    writer.addEntry(f"{att}__properties_version1.0", _msg_properties(att_entries, bytes(8)))
    recipient = "__recip_version1.0_#00000000/"
    recipient_entries = strings(recipient, {0x3001: NAME, 0x39FE: EMAIL})
    recipient_entries.append((0x0C150003, 1))  # MAPI_TO
    writer.addEntry(
        f"{recipient}__properties_version1.0", _msg_properties(recipient_entries, bytes(8))
    )
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    header = struct.pack("<8sIIII8s", bytes(8), 1, 1, 1, 1, bytes(8))
    writer.addEntry("__properties_version1.0", _msg_properties(top, header))
    path = folder / name
    writer.write(str(path))
    return path


def tesseract_present() -> bool:
    return shutil.which("tesseract") is not None


# -- document sets for the scanner -----------------------------------------------------

LETTER_AUTHOR = "Jan de Vries"
PHONE = "06-12345678"
IBAN = "NL91ABNA0417164300"
GREETING = "Geachte klant,"
LETTER_BSN = f"Uw BSN is {BSN}."
HEADER_PHONE = f"Telefoon: {PHONE}"
COMMENT_IBAN = f"IBAN {IBAN} klopt niet"


def make_letter_docx(folder: Path, name: str = "dossier.docx") -> Path:
    """Paragraph 1 GREETING, 2 LETTER_BSN; a 1x2 table ("E-mail", EMAIL in B1); header
    HEADER_PHONE; a comment by REVIEWER saying COMMENT_IBAN; author LETTER_AUTHOR."""
    import docx

    document = docx.Document()
    document.core_properties.author = LETTER_AUTHOR
    document.add_paragraph(GREETING)
    paragraph = document.add_paragraph(LETTER_BSN)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "E-mail"
    table.cell(0, 1).text = EMAIL
    document.sections[0].header.paragraphs[0].text = HEADER_PHONE
    document.add_comment(paragraph.runs, text=COMMENT_IBAN, author=REVIEWER, initials="KK")
    path = folder / name
    document.save(str(path))
    return path


def make_plain_docx(folder: Path, paragraphs: list[str], name: str = "notitie.docx") -> Path:
    """Paragraphs only; the metadata is python-docx's own (author "python-docx")."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path = folder / name
    document.save(str(path))
    return path


def make_two_sheet_xlsx(folder: Path, name: str = "personen.xlsx") -> Path:
    """Sheet1: a BSN column (header row "Naam", "BSN"; row 2 NAME and BSN as a number, row 3
    EDITOR and "123456782" as text); Sheet2: EMAIL in C4. Metadata as openpyxl writes it."""
    import openpyxl

    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "Sheet1"
    first.append(["Naam", "BSN"])
    first.append([NAME, int(BSN)])
    first.append([EDITOR, "123456782"])
    second = workbook.create_sheet("Sheet2")
    second["C4"] = EMAIL
    path = folder / name
    workbook.save(path)
    return path


def zip_bytes(members: dict[str, bytes | str]) -> bytes:
    """A deflated zip archive holding `members` (name -> content), in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return buffer.getvalue()


def make_zip(folder: Path, name: str, members: dict[str, bytes | str]) -> Path:
    return write_bytes(folder, name, zip_bytes(members))


def make_nested_zip(
    folder: Path, name: str, levels: list[str], members: dict[str, bytes | str]
) -> Path:
    """`name` holds levels[0], which holds levels[1], ...; the innermost holds `members`."""
    data = zip_bytes(members)
    for level in reversed(levels):
        data = zip_bytes({level: data})
    return write_bytes(folder, name, data)


def make_zip_bomb(folder: Path, name: str = "bomb.zip", size: int = 5 * 1024 * 1024) -> Path:
    """One entry of `size` zero bytes: it compresses about 1000:1."""
    return make_zip(folder, name, {"nullen.txt": bytes(size)})


def make_eml_with_attachment(
    folder: Path, attachment: str, data: bytes, name: str = "bijlage.eml"
) -> Path:
    """A short mail without personal data and one attachment named `attachment`."""
    message = EmailMessage()
    message["Subject"] = "Bijlage"
    message.set_content("Zie de bijlage.\n")
    message.add_attachment(
        data, maintype="application", subtype="octet-stream", filename=attachment
    )
    return write_bytes(folder, name, bytes(message))
