"""The image scanner's speed and OCR quality, on images generated here (tests/imagefixtures).

    python bench/image.py [--quick]

Everything runs pinned to one core (Tesseract with one thread, as the unit runs it).
(a) Images per second: a folder of photo-sized images (JPEG with EXIF, QR codes, a face)
    scanned without OCR, against a same-run baseline of only decoding the same files.
(b) Seconds per page for OCR at 300 dpi: an A4 page (2480x3508) of 10-pt text scanned
    with OCR (faces and barcodes on), against bare Tesseract on the same page.
    Target: < 3 s.
(c) Faces per second: the face detector on the test photo at 1280 px.
(d) Entity recall (BSN, IBAN, e-mail, phone) on text rendered at 8-14 pt, 96-300 dpi,
    straight and turned 2 degrees, with and without preprocessing.
    Target: >= 0.95 at 10 pt and up on clean renders.
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (first: keeps bench/ off the import path)

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from dgp.documents.ocr import ocr_words
from dgp.domain.job import ScanInputs, ScanJob
from dgp.scanners.image import faces, preprocess, scanner
from dgp.scanners.image.ocrtext import layout
from dgp.scanners.image.options import IMAGE_LIMITS, ImageOptions
from tests import imagefixtures as f

KEY = b"b" * 32
VALUES = {"BSN": f.BSN, "IBAN": f.IBAN, "e-mail": f.EMAIL, "phone": f.PHONE}


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (Tesseract): on a shared,
    busy machine the fair measure of work, where wall time counts the others' load."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def scan(path: Path, **options: object) -> object:
    job = ScanJob("image", str(path), ImageOptions.from_dict(dict(options), IMAGE_LIMITS))
    return scanner.scan(job, ScanInputs(hash_key=KEY))


def images_per_second(folder: Path, count: int) -> None:
    for i in range(count):
        kind = i % 3
        if kind == 0:
            f.exif_jpeg(folder / f"photo{i}.jpg")
        elif kind == 1:
            f.qr_code(f"mailto:{f.EMAIL}").save(folder / f"qr{i}.png")
        else:
            f.face_photo().resize((1024, 1024)).save(folder / f"face{i}.jpg")
    started = time.perf_counter()
    for path in folder.iterdir():
        with Image.open(path) as image:
            image.convert("RGB")
    baseline = time.perf_counter() - started
    started, cpu = time.perf_counter(), cpu_seconds()
    result = scan(folder, ocr=False)
    took, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    found = len(result.findings)  # type: ignore[attr-defined]
    print(
        f"(a) {count} images without OCR: {count / took:.1f} images/s wall, "
        f"{count / cpu:.1f} images/s of CPU ({found} findings); "
        f"decoding alone {count / baseline:.0f} images/s (scan = {took / baseline:.1f}x decoding)"
    )


def a4_page(points: float = 10) -> Image.Image:
    page = Image.new("RGB", (2480, 3508), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(f.FONT, f.points_to_pixels(points, 300))
    step = f.points_to_pixels(points, 300) * 2
    text = (
        "Geachte heer Jansen, hierbij ontvangt u het overzicht van uw gegevens.",
        *f.LINES,
        "With kind regards, the records office of the municipality.",
    )
    y = 200
    while y < 3300:
        for line in text:
            draw.text((200, y), line, fill="black", font=font)
            y += step
    return page


def seconds_per_page(folder: Path, rounds: int) -> None:
    path = folder / "a4.png"
    a4_page().save(path)
    timings, bare, cpu_scan, cpu_bare = [], [], [], []
    for _ in range(rounds):
        started, cpu = time.perf_counter(), cpu_seconds()
        result = scan(path)
        timings.append(time.perf_counter() - started)
        cpu_scan.append(cpu_seconds() - cpu)
        started, cpu = time.perf_counter(), cpu_seconds()
        ocr_words(Image.open(path).convert("L"))
        bare.append(time.perf_counter() - started)
        cpu_bare.append(cpu_seconds() - cpu)
    found = len(result.findings)  # type: ignore[attr-defined]
    median = statistics.median
    print(
        f"(b) A4 at 300 dpi, 10 pt, full scan (OCR, faces, barcodes): "
        f"{median(timings):.2f} s/page wall, {median(cpu_scan):.2f} CPU s/page "
        f"({found} findings); bare Tesseract {median(bare):.2f} s wall, "
        f"{median(cpu_bare):.2f} CPU s. Target < 3 s."
    )


def faces_per_second(rounds: int) -> None:
    photo = f.face_photo().resize((1280, 1280))
    started, cpu = time.perf_counter(), cpu_seconds()
    found = 0
    for _ in range(rounds):
        found += len(faces.detect_faces(photo))
    took, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    print(
        f"(c) face detection on a 1280x1280 photo: {rounds / took:.1f} images/s wall, "
        f"{rounds / cpu:.1f} images/s of CPU ({found / cpu:.1f} faces per CPU second)"
    )


def recall(quick: bool) -> None:
    sizes = (8, 10, 12, 14)
    dpis = (150, 300) if quick else (96, 150, 200, 300)
    angles = (0.0, 2.0)
    print("(d) entity recall (BSN, IBAN, e-mail, phone found in the OCR text):")
    print(f"    {'pt':>4} {'dpi':>4} {'angle':>5}  {'plain':>6} {'prepared':>8}")
    totals: dict[tuple[bool, bool], list[int]] = {}
    for points in sizes:
        for dpi in dpis:
            for angle in angles:
                image = f.text_page(points=points, dpi=dpi, angle=angle).image
                row = []
                for enabled in (False, True):
                    prepared = preprocess.prepare(image, enabled)
                    text = layout(ocr_words(prepared.image)).text
                    hits = sum(v in text for v in VALUES.values())
                    row.append(hits)
                    bucket = totals.setdefault((enabled, points >= 10), [0, 0])
                    bucket[0] += hits
                    bucket[1] += len(VALUES)
                print(f"    {points:>4} {dpi:>4} {angle:>5.1f}  {row[0]:>4}/4 {row[1]:>6}/4")
    for big in (True, False):
        plain, prepared = totals[(False, big)], totals[(True, big)]
        label = ">= 10 pt" if big else "8 pt"
        print(
            f"    {label}: recall {plain[0] / plain[1]:.3f} without preprocessing, "
            f"{prepared[0] / prepared[1]:.3f} with (target >= 0.95 at 10 pt and up)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and renders")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    os.environ["OMP_THREAD_LIMIT"] = "1"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; pinned to one core")
    faces.warm_up()
    scanner.warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a").mkdir()
        images_per_second(Path(tmp) / "a", 15 if args.quick else 60)
        seconds_per_page(Path(tmp), 1 if args.quick else 3)
    faces_per_second(5 if args.quick else 20)
    recall(args.quick)


if __name__ == "__main__":
    main()
