"""EXIF, XMP and IPTC metadata that identifies people: where, with which camera, by whom.

Read from what Pillow already parsed (no second parser of hostile bytes): the EXIF
directories, the XMP packet as text, and IPTC records. XMP is read with patterns,
never with an XML parser that could resolve entities.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import ExifTags, Image, IptcImagePlugin

GPS_DECIMALS = 2  # the place is reported rounded to about a kilometre
THUMBNAIL_SIDE = 16
THUMBNAIL_DIFFERENCE = 40.0  # mean absolute difference (0..255) that counts as different
MAX_FIELD = 200


@dataclass(frozen=True)
class MetaItem:
    rule_id: str
    field: str  # "EXIF Artist", "XMP dc:creator", ...
    value: str  # the full value: hashed and masked by the session, never stored
    evidence: str | None = None  # shown instead of the masked value (a rounded place)


_IFD = ExifTags.IFD
_BASE_NAMES = {0x013B: "Artist", 0x8298: "Copyright", 0x9C9D: "XPAuthor", 0xC62F: "CameraSerial"}
_EXIF_NAMES = {
    0xA430: "CameraOwnerName",
    0xA431: "BodySerialNumber",
    0xA435: "LensSerialNumber",
}
_CAMERA_SERIAL, _PERSON_NAME = "image.metadata.camera_serial", "image.metadata.person_name"
_SERIALS = {"CameraSerial", "BodySerialNumber", "LensSerialNumber"}
_XMP_FIELDS = {
    "dc:creator": "image.metadata.person_name",
    "dc:rights": "image.metadata.person_name",
    "xmpRights:Owner": "image.metadata.person_name",
    "photoshop:AuthorsPosition": "image.metadata.person_name",
    "aux:SerialNumber": "image.metadata.camera_serial",
    "exifEX:BodySerialNumber": "image.metadata.camera_serial",
    "exifEX:CameraOwnerName": "image.metadata.person_name",
}
_IPTC_FIELDS = {
    (2, 80): ("IPTC By-line", "image.metadata.person_name"),
    (2, 116): ("IPTC Copyright", "image.metadata.person_name"),
    (2, 122): ("IPTC Writer", "image.metadata.person_name"),
}
_NOT_A_PERSON = re.compile(r"(?i)^(?:|unknown|none|n/?a|-|copyright|all rights reserved|\W+)$")


def _text(value: object) -> str:
    if isinstance(value, bytes):
        raw = value
        if raw.endswith(b"\x00\x00") or b"\x00" in raw[1::2]:  # Windows XP* tags: UTF-16LE
            try:
                return raw.decode("utf-16-le").strip("\x00 ").strip()
            except UnicodeDecodeError:
                pass
        return raw.decode("utf-8", "replace").strip("\x00 ").strip()
    return str(value).strip("\x00 ").strip()


def read(image: Image.Image) -> list[MetaItem]:
    """What the file's metadata says about people (the first frame's)."""
    items: list[MetaItem] = []
    try:
        exif = image.getexif()
    except Exception:  # a broken EXIF block must not cost us the pixels
        exif = Image.Exif()
    items += _exif(exif)
    items += _xmp(image)
    items += _iptc(image)
    return items


def _exif(exif: Image.Exif) -> list[MetaItem]:
    items: list[MetaItem] = []
    try:
        sub = exif.get_ifd(_IFD.Exif)
    except Exception:
        sub = {}
    for tags, names in ((exif, _BASE_NAMES), (sub, _EXIF_NAMES)):
        for tag, name in names.items():
            value = _text(tags.get(tag, ""))[:MAX_FIELD]
            if _NOT_A_PERSON.match(value):
                continue
            rule = _CAMERA_SERIAL if name in _SERIALS else _PERSON_NAME
            items.append(MetaItem(rule, f"EXIF {name}", value))
    details = []
    software = _text(exif.get(0x0131, ""))[:MAX_FIELD]
    if software:
        details.append(f"software {software}")
    taken = _text(sub.get(0x9003, "") or exif.get(0x0132, ""))[:MAX_FIELD]
    if taken:
        details.append(f"taken {taken}")
    if details:
        text = "; ".join(details)
        items.append(MetaItem("image.metadata.capture_details", "EXIF", text, text))
    place = gps_position(exif)
    if place is not None:
        lat, lon = place
        shown = (
            f"{abs(round(lat, GPS_DECIMALS)):.{GPS_DECIMALS}f}°{'N' if lat >= 0 else 'S'}, "
            f"{abs(round(lon, GPS_DECIMALS)):.{GPS_DECIMALS}f}°{'E' if lon >= 0 else 'W'} "
            "(rounded)"
        )
        items.append(MetaItem("image.metadata.gps", "EXIF GPS", f"{lat:.6f},{lon:.6f}", shown))
    return items


def gps_position(exif: Image.Exif) -> tuple[float, float] | None:
    """Latitude and longitude in degrees, or None when absent or implausible."""
    try:
        gps = exif.get_ifd(_IFD.GPSInfo)
        lat = _degrees(gps[2], gps.get(1, "N"))
        lon = _degrees(gps[4], gps.get(3, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    except Exception:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lat, lon


def _degrees(value: object, ref: object) -> float:
    d, m, s = (float(v) for v in value)  # type: ignore[attr-defined]
    degrees = d + m / 60 + s / 3600
    return -degrees if _text(ref).upper() in ("S", "W") else degrees


def _xmp_packet(image: Image.Image) -> str:
    raw = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
    if not raw and hasattr(image, "tag_v2"):
        raw = image.tag_v2.get(700, b"")  # TIFF's XMP tag
    if isinstance(raw, bytes):
        return raw[:1_000_000].decode("utf-8", "replace")
    return str(raw)[:1_000_000]


def _xmp(image: Image.Image) -> list[MetaItem]:
    packet = _xmp_packet(image)
    if not packet:
        return []
    items = []
    for name, rule in _XMP_FIELDS.items():
        quoted = re.escape(name)
        element = re.search(rf"<{quoted}\b[^>]*>(.*?)</{quoted}>", packet, re.S)
        attribute = re.search(rf"\b{quoted}=\"([^\"]*)\"", packet)
        raw = element.group(1) if element else attribute.group(1) if attribute else ""
        listed = re.findall(r"<rdf:li\b[^>]*>(.*?)</rdf:li>", raw, re.S)
        for value in listed or [raw]:
            value = re.sub(r"<[^>]+>", "", value).strip()[:MAX_FIELD]
            if not _NOT_A_PERSON.match(value):
                items.append(MetaItem(rule, f"XMP {name}", value))
    return items


def _iptc(image: Image.Image) -> list[MetaItem]:
    try:
        info = IptcImagePlugin.getiptcinfo(image) or {}
    except Exception:
        return []
    items = []
    for key, (label, rule) in _IPTC_FIELDS.items():
        raw = info.get(key)
        values = raw if isinstance(raw, list) else [raw] if raw else []
        for value in values:
            text = _text(value)[:MAX_FIELD]
            if not _NOT_A_PERSON.match(text):
                items.append(MetaItem(rule, label, text))
    return items


def thumbnail_differs(image: Image.Image, shown: Image.Image) -> bool:
    """True when the EXIF thumbnail does not show what the image shows (cropped, edited
    or blacked out after the thumbnail was made)."""
    try:
        exif = image.getexif()
        ifd1 = exif.get_ifd(_IFD.IFD1)
        offset, length = int(ifd1[0x0201]), int(ifd1[0x0202])
        raw = image.info.get("exif", b"")
        tiff = raw[6:] if raw.startswith(b"Exif\x00\x00") else raw
        data = tiff[offset : offset + length]
        if not data or length > len(tiff):
            return False
        with Image.open(io.BytesIO(data)) as thumb:
            if thumb.width * thumb.height > 1_000_000:
                return False
            small = thumb.convert("L").resize((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    except Exception:  # no thumbnail, or one we cannot read
        return False
    ratio_thumb = thumb.width / max(thumb.height, 1)
    ratio_image = shown.width / max(shown.height, 1)
    if abs(ratio_thumb - ratio_image) > 0.1 * ratio_image:
        return True
    big = shown.convert("L").resize((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    a, b = small.tobytes(), big.tobytes()
    difference = sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)
    return difference > THUMBNAIL_DIFFERENCE
