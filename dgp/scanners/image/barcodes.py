"""Barcodes and QR codes, decoded with zxing-cpp (a wheel with no system library)."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from dgp.scanners.image.ocrtext import Box

MAX_BARCODES = 64  # per page


@dataclass(frozen=True)
class Barcode:
    format: str
    text: str
    box: Box


def available() -> bool:
    try:
        import zxingcpp  # noqa: F401
    except ImportError:
        return False
    return True


def decode(image: Image.Image) -> list[Barcode]:
    import zxingcpp

    found = []
    for result in zxingcpp.read_barcodes(image)[:MAX_BARCODES]:
        p = result.position
        corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
        xs, ys = [c.x for c in corners], [c.y for c in corners]
        box = (max(0, min(xs)), max(0, min(ys)), max(xs) + 1, max(ys) + 1)
        found.append(Barcode(str(result.format), str(result.text), box))
    return found
