"""The image kind on generated images: exact findings, boxes over the drawn text, the
redacted copy, and hostile files refused with a reason in bounded time.

OCR runs in a few tests only (Tesseract costs about a second a page); everything
else turns OCR off and checks faces, barcodes, metadata and the file handling.
"""

from __future__ import annotations

import hashlib
import io
import struct
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from dgp.documents import ocr
from dgp.domain.finding import Finding
from dgp.domain.job import ScanInputs, ScanJob, ScanResult
from dgp.domain.options import OptionsError
from dgp.scanners.image import scanner
from dgp.scanners.image.options import IMAGE_LIMITS, ImageOptions
from tests import imagefixtures as f

KEY = b"k" * 32
NO_OCR = {"ocr": False}
needs_ocr = pytest.mark.skipif(not ocr.ocr_available(), reason="tesseract nld+eng not installed")


def scan(target: Path, **options: Any) -> ScanResult:
    job = ScanJob("image", str(target), ImageOptions.from_dict(options, IMAGE_LIMITS))
    return scanner.scan(job, ScanInputs(hash_key=KEY))


def rules(result: ScanResult) -> list[str]:
    return sorted(f.rule_id for f in result.findings)


def by_rule(result: ScanResult, rule: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule]


def ocr_text(data: bytes) -> str:
    return ocr.ocr_image(Image.open(io.BytesIO(data)))


# -- OCR ---------------------------------------------------------------------------------


@needs_ocr
@pytest.mark.parametrize(("points", "dpi", "angle"), [(12, 300, 0.0), (10, 200, 3.0)])
def test_text_in_an_image_gives_each_entity_with_a_box_over_its_words(
    tmp_path: Path, points: int, dpi: int, angle: float
) -> None:
    drawn = f.text_page(points=points, dpi=dpi)
    image = drawn.image.rotate(angle, expand=False, fillcolor="white") if angle else drawn.image
    result = scan(f.save(image, tmp_path / "brief.png"), faces=False, redact=True)
    assert rules(result) == sorted(f.LINE_RULES)
    for finding in result.findings:
        assert finding.location.page == 1 and finding.location.section == "ocr"
        assert finding.location.bbox is not None
        if not angle:  # turned text: its drawn boxes turned too, only the redaction checks
            line = next(t for t in f.LINES if finding.rule_id.split(".")[1] in _KIND_OF[t])
            assert f.overlaps(finding.location.bbox, drawn.boxes[line])
    (copy,) = result.artefacts
    assert copy.name == "redacted-brief.png" and copy.media_type == "image/png"
    left = ocr_text(copy.data)
    assert not any(v in left for v in (f.BSN, f.IBAN, f.EMAIL, f.PHONE)), left


_KIND_OF = {f.LINES[0]: "bsn", f.LINES[1]: "iban", f.LINES[2]: "email", f.LINES[3]: "phone"}


@needs_ocr
def test_misread_identifiers_in_the_ocr_text_are_found_with_their_real_values(
    tmp_path: Path,
) -> None:
    """Printed as OCR misreads them (letter O for zero, l for one, a space inside the IBAN,
    an address split at "@"): the findings carry the real values' hashes and boxes."""
    iban, misread = f.IBAN, "NL9lABNA O417164300"
    lines = (f"IBAN: {misread}", "Telefoon: O6 12345678", f"E-mail: jan @ {f.EMAIL.split('@')[1]}")
    drawn = f.text_page(lines, points=12)
    result = scan(f.save(drawn.image, tmp_path / "misread.png"), faces=False)
    hasher = ScanInputs(hash_key=KEY).hasher()
    found = {(x.rule_id, x.value_hash) for x in result.findings}
    for rule, value, line in (
        ("pii.iban", iban, lines[0]),
        ("pii.phone", "06 12345678", lines[1]),
        ("pii.email", "jan@" + f.EMAIL.split("@")[1], lines[2]),
    ):
        assert (rule, hasher(value, rule)) in found, (rule, [x.evidence for x in result.findings])
        (finding,) = by_rule(result, rule)
        assert finding.location.bbox is not None
        assert f.overlaps(finding.location.bbox, drawn.boxes[line])


@needs_ocr
def test_a_passport_mrz_is_an_identity_document_with_its_bsn(tmp_path: Path) -> None:
    page = f.text_page(f.td3(), points=10, font=f.MONO)
    valid = scan(f.save(page.image, tmp_path / "scan.png"), faces=False)
    assert rules(valid) == ["image.id_document.mrz", "pii.bsn"]
    (zone,) = by_rule(valid, "image.id_document.mrz")
    assert "SPECI2014" not in zone.evidence and "TD3 passport issued by NLD" in zone.evidence
    assert f.overlaps(zone.location.bbox, page.boxes[f.td3()[1]])  # type: ignore[arg-type]


@needs_ocr
def test_a_wrong_check_digit_is_an_unverified_identity_document(tmp_path: Path) -> None:
    top, bottom = f.td3()
    page = f.text_page((top, f.broken(bottom, 19)), points=10, font=f.MONO)
    result = scan(f.save(page.image, tmp_path / "scan.png"), faces=False)
    assert rules(result) == ["image.id_document.mrz_unverified", "pii.bsn"]
    (zone,) = by_rule(result, "image.id_document.mrz_unverified")
    assert "date of birth" in zone.description


@needs_ocr
def test_ocr_past_its_time_limit_is_stopped_and_said(tmp_path: Path) -> None:
    noise = np.random.default_rng(7).integers(0, 256, (4000, 4000), dtype=np.uint8)
    path = f.save(Image.fromarray(noise).convert("RGB"), tmp_path / "noise.png")
    started = time.monotonic()
    result = scan(path, faces=False, barcodes=False, ocr_seconds=1, preprocess=False)
    (failed,) = by_rule(result, "image.ocr.failed")
    assert "time limit of 1 s" in failed.evidence
    assert time.monotonic() - started < 60


# -- metadata ----------------------------------------------------------------------------


def test_exif_gps_serial_artist_software_and_date(tmp_path: Path) -> None:
    result = scan(f.exif_jpeg(tmp_path / "foto.jpg"), **NO_OCR)
    assert rules(result) == [
        "image.metadata.camera_serial",
        "image.metadata.capture_details",
        "image.metadata.gps",
        "image.metadata.person_name",
    ]
    (gps,) = by_rule(result, "image.metadata.gps")
    assert gps.evidence == "52.37°N, 4.89°E (rounded)" and gps.value_hash
    (serial,) = by_rule(result, "image.metadata.camera_serial")
    assert f.SERIAL not in serial.evidence and "BodySerialNumber" in serial.description
    assert all(f.ARTIST not in x.evidence for x in by_rule(result, "image.metadata.person_name"))


def test_a_photo_without_gps_has_no_gps_finding(tmp_path: Path) -> None:
    result = scan(f.exif_jpeg(tmp_path / "foto.jpg", gps=None), **NO_OCR)
    assert "image.metadata.gps" not in rules(result)


def test_xmp_names_creator_and_owner(tmp_path: Path) -> None:
    result = scan(f.xmp_iptc_png(tmp_path / "logo.png"), **NO_OCR)
    assert rules(result) == ["image.metadata.person_name"] * 2
    fields = sorted(x.description.rsplit("Field: ", 1)[1] for x in result.findings)
    assert fields == ["XMP dc:creator.", "XMP xmpRights:Owner."]


@pytest.mark.parametrize(("thumbnail", "differs"), [("black", True), ("white", False)])
def test_an_embedded_thumbnail_that_shows_something_else(
    tmp_path: Path, thumbnail: str, differs: bool
) -> None:
    image = Image.new("RGB", (320, 240), "white")
    path = f.jpeg_with_thumbnail(tmp_path / "a.jpg", Image.new("RGB", (160, 120), thumbnail), image)
    found = "image.metadata.thumbnail_differs" in rules(scan(path, **NO_OCR))
    assert found is differs


def test_the_redacted_copy_has_no_metadata_and_the_original_is_untouched(tmp_path: Path) -> None:
    path = f.exif_jpeg(tmp_path / "foto.jpg")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    (copy,) = scan(path, redact=True, **NO_OCR).artefacts
    with Image.open(io.BytesIO(copy.data)) as redacted:
        assert not redacted.getexif() and not redacted.info
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


# -- faces and barcodes --------------------------------------------------------------------


def test_a_photo_of_a_person_gives_one_face_with_its_box(tmp_path: Path) -> None:
    result = scan(f.save(f.face_photo(), tmp_path / "portret.jpg"), redact=True, **NO_OCR)
    (face,) = result.findings
    assert face.rule_id == "image.face.person" and "art. 9" in face.description
    left, top, right, bottom = face.location.bbox  # type: ignore[misc]
    assert 60 < left < right < 170 and 10 < top < bottom < 110  # the head in the 256 px photo
    (copy,) = result.artefacts
    with Image.open(io.BytesIO(copy.data)) as redacted:
        assert redacted.getpixel(((left + right) // 2, (top + bottom) // 2)) == (0, 0, 0)


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", (400, 300), "white"),
        Image.fromarray(np.random.default_rng(1).integers(0, 256, (300, 400, 3), dtype=np.uint8)),
        f.text_page().image,
        f.qr_code("https://example.org/"),
    ],
    ids=["blank", "noise", "text", "qr"],
)
def test_images_without_people_have_no_faces(tmp_path: Path, image: Image.Image) -> None:
    result = scan(f.save(image, tmp_path / "x.png"), **NO_OCR)
    assert "image.face.person" not in rules(result)


@pytest.mark.parametrize(
    ("suffix", "save"),
    [
        (".png", {}),
        (".jpg", {"quality": 95}),
        (".bmp", {}),
        (".gif", {}),
        (".webp", {"lossless": True}),
        (".tiff", {}),
        (".pdf", {"resolution": 150}),
        (".heic", {"quality": 95}),  # pillow-heif registers the format
    ],
)
def test_a_qr_code_with_an_email_in_every_format(
    tmp_path: Path, suffix: str, save: dict[str, Any]
) -> None:
    path = f.save(f.qr_code(f"mailto:{f.EMAIL}"), tmp_path / f"code{suffix}", **save)
    (found,) = scan(path, **NO_OCR, faces=False).findings
    assert found.rule_id == "pii.email" and found.location.page == 1
    assert found.location.section == "barcode QR Code" and found.location.bbox is not None


def test_a_multi_page_tiff_is_read_page_by_page(tmp_path: Path) -> None:
    pages = [Image.new("RGB", (300, 300), "white"), f.qr_code(f"mailto:{f.EMAIL}")]
    path = tmp_path / "scan.tiff"
    pages[0].save(path, save_all=True, append_images=pages[1:])
    (found,) = scan(path, **NO_OCR, faces=False, redact=True).findings
    assert found.location.page == 2
    (copy,) = scan(path, **NO_OCR, faces=False, redact=True).artefacts
    assert copy.name == "redacted-scan.tiff" and copy.media_type == "image/tiff"


def test_exif_orientation_is_applied_before_boxes(tmp_path: Path) -> None:
    code = f.qr_code(f"mailto:{f.EMAIL}")
    canvas = Image.new("RGB", (code.width + 300, code.height), "white")
    canvas.paste(code, (300, 0))  # the code on the right of a wide image
    stored = canvas.transpose(Image.Transpose.ROTATE_90)  # as a camera held sideways writes it
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to show"
    path = tmp_path / "sideways.jpg"
    stored.save(path, quality=95, exif=exif.tobytes())
    (found,) = scan(path, **NO_OCR, faces=False, metadata=False).findings
    assert found.location.bbox[0] > 250  # type: ignore[index]  # right side, shown upright


def test_an_archive_of_images_is_scanned_inside(tmp_path: Path) -> None:
    qr = io.BytesIO()
    f.qr_code(f"mailto:{f.EMAIL}").save(qr, "PNG")
    with zipfile.ZipFile(tmp_path / "scans.zip", "w") as z:
        z.writestr("map/code.png", qr.getvalue())
        z.writestr("notes.txt", "not an image")
    (found,) = scan(tmp_path / "scans.zip", **NO_OCR, faces=False).findings
    assert found.location.path == "map/code.png"


# -- hostile files -------------------------------------------------------------------------


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


def _one(result: ScanResult, rule: str) -> Finding:
    (finding,) = by_rule(result, rule)
    return finding


def test_30000_by_30000_pixels_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    path.write_bytes(_png_header_only(30_000, 30_000))
    found = _one(scan(path), "image.file.refused")
    assert "30000x30000" in found.evidence or "pixels" in found.evidence


def test_a_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    Image.new("1", (6000, 6000)).save(path)  # 36 Mpx in a few KiB
    assert path.stat().st_size < 100_000
    result = scan(path, max_pixels=1_000_000)
    assert rules(result) == ["image.file.refused"]


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_truncated_image_is_unreadable_with_the_reason(
    tmp_path: Path, fmt: str, keep: float
) -> None:
    data = io.BytesIO()
    f.text_page().image.save(data, fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data.getvalue()[: int(len(data.getvalue()) * keep)])
    found = _one(scan(path, **NO_OCR), "image.file.unreadable")
    assert "truncated" in found.evidence or "corrupt" in found.evidence


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.jpg", b"%PDF-1.4 not really"),
        ("photo.png", b"MZ\x90\x00 an executable"),
        ("photo.gif", b""),
        ("photo.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40),
        ("scan.pdf", b"%PDF-1.7\n garbage"),
    ],
)
def test_a_file_named_as_an_image_that_is_none(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = scan(path)
    assert rules(result) == ["image.file.unreadable"]


def test_an_animated_gif_of_10000_frames_is_read_up_to_max_frames(tmp_path: Path) -> None:
    frames = []
    for i in range(10_000):  # each frame differs from the one before (Pillow merges equal ones)
        frame = Image.new("L", (16, 16), 0)
        frame.putpixel((i % 16, (i // 16) % 16), 255)
        frames.append(frame)
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=10)
    started = time.monotonic()
    result = scan(path, **NO_OCR, faces=False)
    assert Image.open(path).n_frames == 10_000
    (note,) = result.findings
    assert note.rule_id == "scan.item_not_scanned" and "first 50" in note.evidence
    assert time.monotonic() - started < 60


def test_a_png_with_an_archive_appended_is_a_polyglot(tmp_path: Path) -> None:
    image, archive = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(image, "PNG")
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.txt", "hidden")
    path = tmp_path / "poly.png"
    path.write_bytes(image.getvalue() + archive.getvalue())
    assert rules(scan(path, **NO_OCR)) == ["image.file.trailing_data"]


def test_other_files_in_a_folder_are_skipped_quietly(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text(f"BSN {f.BSN}")
    result = scan(tmp_path)
    assert result.findings == [] and result.scan.stats.items_skipped == 1


@pytest.mark.parametrize(
    "options",
    [{"max_frames": 0}, {"max_pixels": -1}, {"ocr_seconds": 0}, {"ocr_seconds": 10_000},
     {"redact": "yes"}, {"faces": 1}],
)  # fmt: skip
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(OptionsError):
        ImageOptions.from_dict(options)
