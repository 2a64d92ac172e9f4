"""Builds every test image at test time (Pillow with Debian's DejaVu fonts), so the only
binary in the repository is the one real photo the face tests need (tests/images).

Each function returns a Pillow image or writes a file and returns its path, with the
known personal data below and, where a test checks them, the boxes it drew.
"""

from __future__ import annotations

import io
import random
import struct
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
SERIF = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
FACE_PHOTO = Path(__file__).parent / "images" / "astronaut.jpg"

BSN = "111222333"
IBAN = "NL91ABNA0417164300"
EMAIL = "jan.jansen@voorbeeld.nl"
PHONE = "06 12345678"
NAME = "Jan Jansen"
LINES = (
    f"BSN: {BSN}",
    f"IBAN: {IBAN}",
    f"E-mail: {EMAIL}",
    f"Telefoon: {PHONE}",
)
# the rules the lines above give, read by the engine
LINE_RULES = {"pii.bsn", "pii.iban", "pii.email", "pii.phone"}

Box = tuple[int, int, int, int]


@dataclass
class Drawn:
    image: Image.Image
    boxes: dict[str, Box]  # each line of text: where it was drawn


def points_to_pixels(points: float, dpi: int) -> int:
    return round(points * dpi / 72)


def text_page(
    lines: tuple[str, ...] = LINES,
    points: float = 12,
    dpi: int = 300,
    size: tuple[int, int] | None = None,
    angle: float = 0.0,
    font: str = FONT,
) -> Drawn:
    """Black text on white at `points` size for `dpi`; turned by `angle` degrees."""
    pixels = points_to_pixels(points, dpi)
    face = ImageFont.truetype(font, pixels)
    margin = pixels * 2
    width = size[0] if size else margin * 2 + max(int(face.getlength(t)) for t in lines)
    height = size[1] if size else margin * 2 + len(lines) * pixels * 2
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    boxes = {}
    for i, line in enumerate(lines):
        xy = (margin, margin + i * pixels * 2)
        draw.text(xy, line, fill="black", font=face)
        boxes[line] = draw.textbbox(xy, line, font=face)
    if angle:
        image = image.rotate(
            angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white"
        )
    return Drawn(image, boxes)


def overlaps(a: Box, b: Box) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


# -- machine-readable zones (ICAO 9303) ---------------------------------------------------


def _value(c: str) -> int:
    return int(c) if c.isdigit() else 0 if c == "<" else ord(c) - 55


def check(field: str) -> str:
    return str(sum(_value(c) * (7, 3, 1)[i % 3] for i, c in enumerate(field)) % 10)


def td3(
    surname: str = "DE<BRUIJN",
    given: str = "WILLEKE<LISELOTTE",
    number: str = "SPECI2014",
    issuer: str = "NLD",
    birth: str = "650310",
    sex: str = "F",
    expiry: str = "240309",
    personal: str = BSN,
) -> tuple[str, str]:
    """A passport's two MRZ lines with correct check digits (Dutch specimen style)."""
    top = f"P<{issuer}{surname}<<{given}".ljust(44, "<")[:44]
    number = number.ljust(9, "<")
    personal = personal.ljust(14, "<")
    bottom = (
        f"{number}{check(number)}{issuer}{birth}{check(birth)}{sex}{expiry}{check(expiry)}"
        f"{personal}{check(personal)}"
    )
    composite = bottom[0:10] + bottom[13:20] + bottom[21:43]
    return top, bottom + check(composite)


def td1(
    number: str = "SPECI2021",
    issuer: str = "NLD",
    birth: str = "850101",
    sex: str = "M",
    expiry: str = "310101",
    optional: str = BSN,
    names: str = "DE<JONG<<PIETER",
) -> tuple[str, str, str]:
    """An ID card's three MRZ lines with correct check digits."""
    number = number.ljust(9, "<")
    top = f"I<{issuer}{number}{check(number)}{optional}".ljust(30, "<")
    middle = f"{birth}{check(birth)}{sex}{expiry}{check(expiry)}{issuer}".ljust(29, "<")
    composite = top[5:30] + middle[0:7] + middle[8:15] + middle[18:29]
    return top, middle + check(composite), names.ljust(30, "<")


def broken(line: str, at: int) -> str:
    """The line with the digit at `at` changed (a check digit then fails)."""
    digit = line[at]
    other = str((int(digit) + 1) % 10) if digit.isdigit() else "1"
    return line[:at] + other + line[at + 1 :]


# -- files with metadata -------------------------------------------------------------------

GPS_AMSTERDAM = (52.3731, 4.8922)
SERIAL = "SN-48213377"
ARTIST = "Jan Jansen"


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def exif_jpeg(path: Path, gps: tuple[float, float] | None = GPS_AMSTERDAM) -> Path:
    """A JPEG with EXIF: GPS position, camera serial number, artist, software, date."""
    image = Image.new("RGB", (320, 240), (90, 140, 200))
    exif = Image.Exif()
    exif[0x013B] = ARTIST
    exif[0x0131] = "Camera Firmware 1.2"
    exif[0x0132] = "2024:05:01 10:00:00"
    exif.get_ifd(0x8769)[0xA431] = SERIAL
    exif.get_ifd(0x8769)[0x9003] = "2024:05:01 10:00:00"
    if gps is not None:
        lat, lon = gps
        exif.get_ifd(0x8825).update(
            {
                1: "N" if lat >= 0 else "S",
                2: _dms(abs(lat)),
                3: "E" if lon >= 0 else "W",
                4: _dms(abs(lon)),
            }
        )
    image.save(path, "JPEG", exif=exif.tobytes())
    return path


def jpeg_with_thumbnail(path: Path, thumbnail: Image.Image, image: Image.Image) -> Path:
    """A JPEG whose EXIF carries `thumbnail` (IFD1), as cameras write it."""
    thumb = io.BytesIO()
    thumbnail.save(thumb, "JPEG", quality=80)
    data = thumb.getvalue()
    # a little-endian TIFF: IFD0 with no entries, IFD1 with the thumbnail's offset/length
    ifd0_offset = 8
    ifd1_offset = ifd0_offset + 2 + 4
    thumb_offset = ifd1_offset + 2 + 2 * 12 + 4
    tiff = b"II*\x00" + struct.pack("<I", ifd0_offset)
    tiff += struct.pack("<H", 0) + struct.pack("<I", ifd1_offset)
    tiff += struct.pack("<H", 2)
    tiff += struct.pack("<HHII", 0x0201, 4, 1, thumb_offset)
    tiff += struct.pack("<HHII", 0x0202, 4, 1, len(data))
    tiff += struct.pack("<I", 0)
    tiff += data
    image.save(path, "JPEG", exif=b"Exif\x00\x00" + tiff)
    return path


def xmp_iptc_png(path: Path) -> Path:
    """A PNG with an XMP packet naming its creator and owner."""
    from PIL import PngImagePlugin

    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        '22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/" xmpRights:Owner="Marie de Vries">'
        "<dc:creator><rdf:Seq><rdf:li>Piet Pietersen</rdf:li></rdf:Seq></dc:creator>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    Image.new("RGB", (64, 64), "white").save(path, "PNG", pnginfo=info)
    return path


def qr_code(text: str, scale: int = 6) -> Image.Image:
    """A QR code holding `text`, on a white margin."""
    import zxingcpp

    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    code = Image.fromarray(__import__("numpy").asarray(symbol.to_image(scale=scale)))
    canvas = Image.new("RGB", (code.width + 80, code.height + 80), "white")
    canvas.paste(code.convert("RGB"), (40, 40))
    return canvas


def face_photo() -> Image.Image:
    return Image.open(FACE_PHOTO).convert("RGB")


def save(image: Image.Image, path: Path, **kwargs: object) -> Path:
    image.save(path, **kwargs)
    return path


# -- generated personal data: many values, written as letters and forms write them ----------

_FIRST = ("jan", "marie", "pieter", "anouk", "sanne", "bram", "lotte", "daan", "emma", "willem")
_LAST = ("jansen", "de.vries", "bakker", "visser", "smit", "meijer", "mulder", "bos", "dekker")
_DOMAINS = ("voorbeeld.nl", "example.com", "gemeente-utrecht.nl", "mail.example.org", "kpn.nl")
_BANKS = ("ABNA", "RABO", "INGB", "TRIO", "SNSB", "ASNB", "KNAB", "BUNQ")


@dataclass(frozen=True)
class Person:
    """One person's BSN, IBAN, e-mail and phone number, and the lines that show them."""

    bsn: str
    iban: str
    email: str
    phone: str
    lines: tuple[str, ...]

    def values(self) -> dict[str, str]:
        """Each rule the lines give and the value it finds."""
        return {
            "pii.bsn": self.bsn,
            "pii.iban": self.iban,
            "pii.email": self.email,
            "pii.phone": self.phone,
        }


def _bsn(rng: random.Random) -> str:
    while True:
        body = [rng.randrange(10) for _ in range(8)]
        last = sum(d * w for d, w in zip(body, range(9, 1, -1), strict=True)) % 11
        if last < 10 and body[0] != 0:
            return "".join(map(str, body)) + str(last)


def _iban(rng: random.Random) -> str:
    from stdnum import iban

    if rng.random() < 0.75:
        bban = rng.choice(_BANKS) + "".join(str(rng.randrange(10)) for _ in range(10))
        country = "NL"
    else:
        bban = "".join(str(rng.randrange(10)) for _ in range(18))
        country = "DE"
    return country + iban.calc_check_digits(country + "00" + bban) + bban


def _email(rng: random.Random) -> str:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    local = rng.choice(
        (
            f"{first}.{last}",
            f"{first}_{last}",
            f"{first[0]}.{last}",
            f"{first}{rng.randrange(1, 99)}",
            f"{first}-{last}",
        )
    )
    return f"{local}@{rng.choice(_DOMAINS)}"


def _phone(rng: random.Random) -> str:
    digits = "".join(str(rng.randrange(10)) for _ in range(7))
    return rng.choice(
        (
            f"06 {rng.randrange(1, 6)}{digits}",
            f"06-{rng.randrange(1, 6)}{digits}",
            f"020 {rng.randrange(3, 8)}{digits[:6]}",
            f"+31 6 {rng.randrange(1, 6)}{digits}",
        )
    )


def grouped(iban: str) -> str:
    """The IBAN in groups of four, as banks print it."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def person(seed: int) -> Person:
    """A person with valid, varied values (seeded): Dutch or English labels, the IBAN
    compact or grouped."""
    rng = random.Random(seed)
    bsn, iban, email, phone = _bsn(rng), _iban(rng), _email(rng), _phone(rng)
    dutch = rng.random() < 0.5
    shown_iban = grouped(iban) if rng.random() < 0.5 else iban
    labels = (
        ("Burgerservicenummer", "Rekeningnummer", "E-mailadres", "Telefoon")
        if dutch
        else ("BSN", "IBAN", "E-mail", "Phone")
    )
    values = (bsn, shown_iban, email, phone)
    return Person(
        bsn, iban, email, phone, tuple(f"{k}: {v}" for k, v in zip(labels, values, strict=True))
    )


# text with numbers, codes and dates but no personal data (precision on clean pages)
PLAIN_LINES = (
    "Factuur 2024-0117 van 12-03-2024, totaal EUR 1.234,56 incl. btw.",
    "Order 48213377 is verzonden; pakket 3 van 4, gewicht 12,5 kg.",
    "Artikel SKU AB12CD34EF56 en onderdeel 0417-1643-00 zijn op voorraad.",
    "Meeting in room 101 on floor 3 at 10:30, agenda item 7.2 of 2024.",
    "Version 11.2.333 of the report, table 4, figure 12 and page 17 of 300.",
    "De vergadering van 14 mei begint om 09.00 uur in zaal O6 van gebouw l2.",
)
