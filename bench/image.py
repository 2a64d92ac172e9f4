"""The image scanner's speed and OCR quality, on images generated here (tests/imagefixtures).

    python bench/image.py [--quick]

Everything runs pinned to one core (Tesseract with one thread, as the unit runs it).
(a) Images per second: a folder of photo-sized images (JPEG with EXIF, QR codes, a face)
    scanned without OCR, against a same-run baseline of only decoding the same files.
(b) Seconds per page for OCR at 300 dpi: an A4 page (2480x3508) of 10-pt text scanned
    with OCR (faces and barcodes on), against bare Tesseract on the same page.
    Target: < 3 s.
(c) Faces per second: the face detector on the test photo at 1280 px.
(e) The OCR re-read's cost where it is dearest: a page of addresses each after a word.
(d) Entity recall (BSN, IBAN, e-mail, phone) through the scanner: a value counts when a
    finding of its rule carries its hash. On text rendered at 8-14 pt, 96-300 dpi, straight
    and turned 2 degrees, with and without preprocessing: the fixtures' lines and varied
    generated people; false positives (personal-data findings of values not on the page)
    there and on pages with numbers but no personal data. --misses prints each miss with
    the OCR text. Target: >= 0.95 at 10 pt and up on clean renders.
"""

from __future__ import annotations

import _bench_path  # noqa: F401  (first: keeps bench/ off the import path)

import argparse
import os
import resource
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from dgp.documents.ocr import ocr_words
from dgp.domain.evidence import ValueHasher
from dgp.domain.job import ScanInputs, ScanJob
from dgp.scanners.image import faces, reread, scanner
from dgp.scanners.image.options import IMAGE_LIMITS, ImageOptions
from dgp.scanners.image.scanner import read_page
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


def reread_cost() -> None:
    """The second look's cost where it is dearest: every address after a word."""
    lines = tuple(f"Stuur het naar {f.person(i).email} graag" for i in range(12))
    page = f.text_page(lines, points=10, dpi=300).image
    cpu = cpu_seconds()
    read_page(page)
    with_reread = cpu_seconds() - cpu
    improve = reread.improve
    reread.improve = lambda image, words, timeout: words  # type: ignore[assignment]
    try:
        cpu = cpu_seconds()
        read_page(page)
        without = cpu_seconds() - cpu
    finally:
        reread.improve = improve  # type: ignore[assignment]
    print(
        f"(e) re-read at its dearest (12 addresses after a word, {reread.MAX_REREADS} re-read): "
        f"{with_reread:.2f} CPU s with, {without:.2f} CPU s without"
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


ENTITY_RULES = ("pii.bsn", "pii.iban", "pii.email", "pii.phone")


@dataclass
class Case:
    """One rendered page and the entity values the scanner should report on it."""

    label: str
    image: Image.Image
    expected: dict[str, str]  # rule -> value
    points: float


@dataclass
class Tally:
    found: Counter[str] = field(default_factory=Counter)  # rule -> pages where it was found
    wanted: Counter[str] = field(default_factory=Counter)
    false: int = 0  # personal-data findings whose value is not on the page
    pages: int = 0


def recall_cases(quick: bool, seed: int = 0) -> list[tuple[str, Case]]:
    """The generated set: the fixtures' lines, varied generated people (seeded: BSN, NL/DE
    IBAN compact or grouped, e-mail and phone spellings, three fonts), and pages with
    numbers but no personal data; 8-14 pt, 96-300 dpi, straight and turned 2 degrees."""
    dpis = (150, 300) if quick else (96, 150, 200, 300)
    fonts = (f.FONT, f.SERIF, f.MONO)
    fixed = dict(zip(ENTITY_RULES, VALUES.values(), strict=True))
    out: list[tuple[str, Case]] = []
    n = 0
    for points in (8, 10, 12, 14):
        for dpi in dpis:
            for angle in (0.0, 2.0):
                where = f"{points} pt {dpi} dpi {angle:g} deg"
                image = f.text_page(points=points, dpi=dpi, angle=angle).image
                out.append(("fixtures", Case(where, image, fixed, points)))
                person = f.person(seed + n)
                font = fonts[n % len(fonts)]
                image = f.text_page(person.lines, points, dpi, angle=angle, font=font).image
                label = f"{where} {Path(font).stem} seed {seed + n}"
                out.append(("generated", Case(label, image, person.values(), points)))
                lines = f.PLAIN_LINES[n % 3 * 2 : n % 3 * 2 + 2] + f.PLAIN_LINES[:1]
                image = f.text_page(lines, points, dpi, angle=angle, font=font).image
                out.append(("no entities", Case(label, image, {}, points)))
                n += 1
    return out


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def recall(quick: bool, show_misses: bool, seed: int = 0) -> None:
    hasher = ValueHasher(KEY)
    totals: dict[tuple[str, bool, bool], Tally] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for name, case in recall_cases(quick, seed):
            path = Path(tmp) / "page.png"
            case.image.save(path)
            wanted = {(r, hasher(v, r)): r for r, v in case.expected.items()}
            for enabled in (False, True):
                result = scan(path, faces=False, barcodes=False, metadata=False, preprocess=enabled)
                findings = [x for x in result.findings if x.rule_id.startswith("pii.")]  # type: ignore[attr-defined]
                got = {(x.rule_id, x.value_hash) for x in findings}
                tally = totals.setdefault((name, enabled, case.points >= 10), Tally())
                tally.pages += 1
                tally.wanted.update(wanted.values())
                tally.found.update(r for key, r in wanted.items() if key in got)
                false = [x for x in findings if (x.rule_id, x.value_hash) not in wanted]
                tally.false += len(false)
                missed = [r for key, r in wanted.items() if key not in got]
                if show_misses and (missed or false):
                    text = read_page(case.image, enabled).text
                    print(
                        f"    MISS {name} {case.label} preprocess={enabled}: missed "
                        f"{[case.expected[r] for r in missed]}, false "
                        f"{[(x.rule_id, x.evidence) for x in false]}; OCR {text!r}"
                    )
    took = time.perf_counter() - started
    print(
        f"(d) entity recall through the scanner (findings with the value's hash), "
        f"{took:.0f} s, load average {os.getloadavg()[0]:.1f}:"
    )
    print(
        f"    {'set':<12} {'size':<8} {'preprocess':<10} "
        + " ".join(f"{r[4:]:>10}" for r in ENTITY_RULES)
        + f" {'BSN+IBAN+mail':>13} {'all':>6} {'false pos.':>10} {'pages':>6}"
    )
    for (name, enabled, big), t in sorted(
        totals.items(), key=lambda kv: (kv[0][0], not kv[0][2], kv[0][1])
    ):
        cells = [
            f"{t.found[r] / t.wanted[r]:>10.3f}" if t.wanted[r] else f"{'-':>10}"
            for r in ENTITY_RULES
        ]
        three = sum(t.found[r] for r in ENTITY_RULES[:3])
        three_of = sum(t.wanted[r] for r in ENTITY_RULES[:3])
        every, every_of = sum(t.found.values()), sum(t.wanted.values())
        print(
            f"    {name:<12} {'>= 10 pt' if big else '8 pt':<8} {'on' if enabled else 'off':<10} "
            + " ".join(cells)
            + f" {ratio(three, three_of):>13.3f} {ratio(every, every_of):>6.3f}"
            + f" {t.false:>10} {t.pages:>6}"
        )
    print("    target: BSN, IBAN and e-mail recall >= 0.95 at 10 pt and up (clean renders)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and renders")
    parser.add_argument("--misses", action="store_true", help="print each missed value")
    parser.add_argument("--only-recall", action="store_true", help="only part (d)")
    parser.add_argument("--no-recall", action="store_true", help="parts (a) to (c) only")
    parser.add_argument(
        "--seed", type=int, default=0, help="first seed of the generated people (a held-out set)"
    )
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    os.environ["OMP_THREAD_LIMIT"] = "1"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; pinned to one core")
    faces.warm_up()
    scanner.warm_up()
    if args.only_recall:
        recall(args.quick, args.misses, args.seed)
        return
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a").mkdir()
        images_per_second(Path(tmp) / "a", 15 if args.quick else 60)
        seconds_per_page(Path(tmp), 1 if args.quick else 3)
    faces_per_second(5 if args.quick else 20)
    reread_cost()
    if not args.no_recall:
        recall(args.quick, args.misses, args.seed)


if __name__ == "__main__":
    main()
