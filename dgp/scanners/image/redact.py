"""The redacted copy: boxes over every finding with a place and every face, no metadata.

Written from the decoded pixels into a new image, so nothing of the original file
(EXIF, XMP, IPTC, ICC profile, thumbnails, appended data) comes along. One page
gives a PNG, several a multi-page TIFF. The original file is never written to.
"""

from __future__ import annotations

import io
import re

from PIL import Image, ImageDraw

from dgp.domain.job import MAX_ARTEFACT_NAME_BYTES, Artefact
from dgp.scanners.image.ocrtext import Box

PADDING = 3  # pixels around each box, for antialiased edges of the text


def redacted_page(image: Image.Image, boxes: list[Box]) -> Image.Image:
    """A new image with the pixels of `image` and black boxes over `boxes`."""
    copy = Image.new("RGB", image.size)
    copy.paste(image.convert("RGB"))
    draw = ImageDraw.Draw(copy)
    for left, top, right, bottom in boxes:
        draw.rectangle(
            (
                max(0, left - PADDING),
                max(0, top - PADDING),
                min(image.width, right + PADDING),
                min(image.height, bottom + PADDING),
            ),
            fill=(0, 0, 0),
        )
    return copy


def artefact_name(shown: str, taken: set[str]) -> str:
    """`redacted-<the file's path with / as _>.png|.tiff`, unique among `taken`."""
    stem = re.sub(r"[^\w.-]+", "_", shown).strip("._") or "image"
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = stem.encode("utf-8")[: MAX_ARTEFACT_NAME_BYTES - 40].decode("utf-8", "ignore")
    name, n = f"redacted-{stem}", 1
    candidate = name
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    taken.add(candidate)
    return candidate


def artefact(pages: list[Image.Image], name: str) -> Artefact:
    out = io.BytesIO()
    if len(pages) == 1:
        pages[0].save(out, format="PNG", optimize=False)
        return Artefact(f"{name}.png", "image/png", out.getvalue())
    pages[0].save(
        out, format="TIFF", save_all=True, append_images=pages[1:], compression="tiff_deflate"
    )
    return Artefact(f"{name}.tiff", "image/tiff", out.getvalue())
