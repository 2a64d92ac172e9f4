"""Issue 11, document extraction gaps: DOCX text boxes, footnotes, endnotes and tracked
changes; XLSX cell comments; PPTX comments; mail address headers. Each place gets
generated values (names, BSNs, e-mail addresses) and must give them back, located."""

import random
import shutil
import sys
import zipfile
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

import pytest  # noqa: E402

from dgp.documents.mail import display_names  # noqa: E402
from dgp.documents.registry import extract  # noqa: E402
from tests.corpus import CorpusGenerator  # noqa: E402

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SEEDS = range(6)


def texts(path: Path) -> list[tuple[str, str | None, dict]]:
    rows = []
    for s in extract(path, path.name):
        loc = {k: v for k, v in s.location.to_dict().items() if k != "path"}
        rows.append((s.text, s.field, loc))
    return rows


def rewrite_zip(path: Path, changes: dict[str, bytes]) -> None:
    """Replace or add parts of an OOXML zip."""
    copy = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename not in changes:
                dst.writestr(item, src.read(item))
        for name, data in changes.items():
            dst.writestr(name, data)
    shutil.move(copy, path)


def _values(gen: CorpusGenerator) -> dict[str, str]:
    return {
        "name": gen.name(),
        "bsn": gen.bsn(),
        "email": gen.email(),
        "deleted": gen.name(),
        "inserted": gen.email(),
        "box": gen.name(),
        "foot": gen.bsn(),
        "end": gen.email(),
    }


def _run(text: str, *, tag: str = "t") -> str:
    return f'<w:r><w:{tag} xml:space="preserve">{text}</w:{tag}></w:r>'


def make_docx_with_hidden_places(folder: Path, v: dict[str, str]) -> Path:
    """A body paragraph with a tracked insertion and deletion and a text box drawn twice
    (DrawingML and VML fallback); one footnote and one endnote."""
    import docx

    document = docx.Document()
    document.add_paragraph("Intro")
    path = folder / "verborgen.docx"
    document.save(str(path))
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode()
        rels = z.read("word/_rels/document.xml.rels").decode()
        types = z.read("[Content_Types].xml").decode()
    box = "<w:txbxContent><w:p>" + _run(f"Tekstvak: {v['box']}") + "</w:p></w:txbxContent>"
    paragraph = (
        "<w:p>"
        + _run("Klant: ")
        + f'<w:del w:id="1" w:author="R"><w:r><w:delText>{v["deleted"]}</w:delText></w:r></w:del>'
        + f'<w:ins w:id="2" w:author="R">{_run(v["inserted"])}</w:ins>'
        + '<w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-'
        'compatibility/2006"><mc:Choice Requires="wps"><w:drawing>'
        f"{box}</w:drawing></mc:Choice><mc:Fallback><w:pict>{box}</w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
        + '<w:r><w:footnoteReference w:id="1"/></w:r><w:r><w:endnoteReference w:id="1"/></w:r>'
        + "</w:p>"
    )
    xml = xml.replace("<w:sectPr", paragraph + "<w:sectPr", 1)
    notes = {
        "footnote": f"BSN {v['foot']}",
        "endnote": f"Mail {v['end']}",
    }
    parts = {"word/document.xml": xml.encode()}
    for kind, text in notes.items():
        parts[f"word/{kind}s.xml"] = (
            f'<w:{kind}s xmlns:w="{W}">'
            f'<w:{kind} w:type="separator" w:id="-1"><w:p>{_run("-----")}</w:p></w:{kind}>'
            f'<w:{kind} w:id="1"><w:p>{_run(text)}</w:p></w:{kind}></w:{kind}s>'
        ).encode()
        rels = rels.replace(
            "</Relationships>",
            f'<Relationship Id="rId{kind}" Type="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships/{kind}s" Target="{kind}s.xml"/></Relationships>',
        )
        types = types.replace(
            "</Types>",
            f'<Override PartName="/word/{kind}s.xml" ContentType="application/vnd.'
            f'openxmlformats-officedocument.wordprocessingml.{kind}s+xml"/></Types>',
        )
    parts["word/_rels/document.xml.rels"] = rels.encode()
    parts["[Content_Types].xml"] = types.encode()
    rewrite_zip(path, parts)
    return path


@pytest.mark.parametrize("seed", SEEDS)
def test_docx_text_boxes_notes_and_tracked_changes(tmp_path: Path, seed: int) -> None:
    v = _values(CorpusGenerator(seed))
    rows = texts(make_docx_with_hidden_places(tmp_path, v))
    body = [r for r in rows if r[1] is None]
    assert (f"Klant: {v['inserted']}", None, {"paragraph": 2}) in body
    assert (v["deleted"], None, {"paragraph": 2, "section": "deleted"}) in body
    boxes = [r for r in body if r[2].get("section") == "textbox"]
    assert boxes == [(f"Tekstvak: {v['box']}", None, {"paragraph": 1, "section": "textbox"})]
    assert (f"BSN {v['foot']}", None, {"paragraph": 1, "section": "footnote"}) in body
    assert (f"Mail {v['end']}", None, {"paragraph": 1, "section": "endnote"}) in body
    assert not any("-----" in r[0] for r in body)  # the separator is no note


@pytest.mark.parametrize("seed", SEEDS)
def test_docx_hidden_places_give_findings(tmp_path: Path, seed: int) -> None:
    from dgp.engine.detector import Detector

    v = _values(CorpusGenerator(seed))
    path = make_docx_with_hidden_places(tmp_path, v)
    detector = Detector()
    found = {
        (d.rule_id, d.value, loc.get("section"))
        for text, _, loc in texts(path)
        for d in detector.detect(text)
    }
    assert ("pii.email", v["inserted"], None) in found
    assert ("pii.bsn", v["foot"], "footnote") in found
    assert ("pii.email", v["end"], "endnote") in found


@pytest.mark.parametrize("seed", SEEDS)
def test_xlsx_cell_comments(tmp_path: Path, seed: int) -> None:
    import openpyxl
    from openpyxl.comments import Comment

    gen = CorpusGenerator(seed)
    name, bsn, author = gen.name(), gen.bsn(), gen.name()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Klanten"
    sheet["C3"] = "zie notitie"
    sheet["C3"].comment = Comment(f"Bel {name} over BSN {bsn}", author)
    other = workbook.create_sheet("Leeg")
    other["A1"].comment = Comment("Nog invullen", author)
    path = tmp_path / "notities.xlsx"
    workbook.save(path)
    rows = texts(path)
    assert (
        f"Bel {name} over BSN {bsn}",
        None,
        {"sheet": "Klanten", "cell": "C3", "section": "comment"},
    ) in rows
    assert ("Nog invullen", None, {"sheet": "Leeg", "cell": "A1", "section": "comment"}) in rows
    assert [r for r in rows if r[1] == "comment_author"] == [
        (author, "comment_author", {"section": "metadata"})
    ]


def make_pptx_with_comments(folder: Path, legacy: str, modern: str, authors: tuple[str, str]):
    from pptx import Presentation

    presentation = Presentation()
    presentation.slides.add_slide(presentation.slide_layouts[5])
    presentation.slides.add_slide(presentation.slide_layouts[5])
    path = folder / "dia.pptx"
    presentation.save(str(path))
    p = "http://schemas.openxmlformats.org/presentationml/2006/main"
    p188 = "http://schemas.microsoft.com/office/powerpoint/2018/8/main"
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path) as z:
        types = z.read("[Content_Types].xml").decode()
        pres_rels = z.read("ppt/_rels/presentation.xml.rels").decode()
        slide_rels = [z.read(f"ppt/slides/_rels/slide{n}.xml.rels").decode() for n in (1, 2)]
    parts = {
        "ppt/commentAuthors.xml": (
            f'<p:cmAuthorLst xmlns:p="{p}"><p:cmAuthor id="0" name="{authors[0]}" '
            'initials="X" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>'
        ).encode(),
        "ppt/authors.xml": (
            f'<p188:authorLst xmlns:p188="{p188}"><p188:author id="{{A1}}" '
            f'name="{authors[1]}" initials="Y" userId="y" providerId="None"/></p188:authorLst>'
        ).encode(),
        "ppt/comments/comment1.xml": (
            f'<p:cmLst xmlns:p="{p}"><p:cm authorId="0" idx="1"><p:pos x="1" y="1"/>'
            f"<p:text>{legacy}</p:text></p:cm></p:cmLst>"
        ).encode(),
        "ppt/comments/modernComment_1.xml": (
            f'<p188:cmLst xmlns:p188="{p188}" xmlns:a="{a}"><p188:cm id="{{C1}}" '
            f'authorId="{{A1}}"><p188:txBody><a:bodyPr/><a:p><a:r><a:t>{modern}</a:t></a:r>'
            "</a:p></p188:txBody></p188:cm></p188:cmLst>"
        ).encode(),
    }
    parts["ppt/slides/_rels/slide1.xml.rels"] = (
        slide_rels[0]
        .replace(
            "</Relationships>",
            f'<Relationship Id="rIdC" Type="{rel}/comments" '
            'Target="../comments/comment1.xml"/></Relationships>',
        )
        .encode()
    )
    parts["ppt/slides/_rels/slide2.xml.rels"] = (
        slide_rels[1]
        .replace(
            "</Relationships>",
            '<Relationship Id="rIdM" Type="http://schemas.microsoft.com/office/2018/10/'
            'relationships/comments" Target="../comments/modernComment_1.xml"/></Relationships>',
        )
        .encode()
    )
    parts["ppt/_rels/presentation.xml.rels"] = pres_rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdA" Type="{rel}/commentAuthors" Target="commentAuthors.xml"/>'
        '<Relationship Id="rIdB" Type="http://schemas.microsoft.com/office/2018/10/'
        'relationships/authors" Target="authors.xml"/></Relationships>',
    ).encode()
    overrides = (
        ("/ppt/commentAuthors.xml", "presentationml.commentAuthors"),
        ("/ppt/comments/comment1.xml", "presentationml.comments"),
    )
    for name, kind in overrides:
        types = types.replace(
            "</Types>",
            f'<Override PartName="{name}" ContentType="application/vnd.openxmlformats-'
            f'officedocument.{kind}+xml"/></Types>',
        )
    types = types.replace(
        "</Types>",
        '<Override PartName="/ppt/authors.xml" ContentType="application/vnd.ms-powerpoint.'
        'authors+xml"/><Override PartName="/ppt/comments/modernComment_1.xml" '
        'ContentType="application/vnd.ms-powerpoint.comments+xml"/></Types>',
    )
    parts["[Content_Types].xml"] = types.encode()
    rewrite_zip(path, parts)
    return path


@pytest.mark.parametrize("seed", SEEDS)
def test_pptx_legacy_and_modern_comments(tmp_path: Path, seed: int) -> None:
    gen = CorpusGenerator(seed)
    legacy, modern = f"Klopt BSN {gen.bsn()}?", f"Vraag {gen.email()} om akkoord"
    authors = (gen.name(), gen.name())
    rows = texts(make_pptx_with_comments(tmp_path, legacy, modern, authors))
    assert (legacy, None, {"page": 1, "section": "comment"}) in rows
    assert (modern, None, {"page": 2, "section": "comment"}) in rows
    assert [r[0] for r in rows if r[1] == "comment_author"] == list(authors)


# -- mail --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_display_names_of_address_headers(seed: int) -> None:
    gen = CorpusGenerator(seed)
    rng = random.Random(seed)
    people = [gen.name() for _ in range(rng.randint(1, 3))]
    addresses = [gen.email() for _ in people]
    mailboxes = [f"{n} <{a}>" for n, a in zip(people, addresses, strict=True)]
    mailboxes.insert(rng.randint(0, len(mailboxes)), "Klantenservice <info@example.nl>")
    mailboxes.append(gen.email())  # a bare address names nobody
    value = ", ".join(mailboxes)
    assert [value[a:b] for a, b in display_names(value)] == people


def test_mail_display_names_are_found_whatever_the_name(tmp_path: Path) -> None:
    """A display name in From/To/Cc is a person's name even when no list knows it."""
    from email.message import EmailMessage

    from tests.unit.test_document_scanner import scan  # one way to run the scanner

    message = EmailMessage()
    message["From"] = "Gönül Yılmaz <gonul@example.nl>"
    message["To"] = "Nicodim Stoica <n.stoica@example.ro>, Helpdesk <help@example.nl>"
    message["Subject"] = "Offerte"
    message.set_content("Zie bijlage.")
    (tmp_path / "post.eml").write_bytes(bytes(message))
    result = scan(tmp_path)
    names = {
        (f.location.section, f.location.column, f.evidence)
        for f in result.findings
        if f.rule_id == "pii.name"
    }
    assert {section for section, _, _ in names} == {"header:From", "header:To"}
    assert len(names) == 2  # not the helpdesk
    emails = {f.location.section for f in result.findings if f.rule_id == "pii.email"}
    assert emails == {"header:From", "header:To"}
