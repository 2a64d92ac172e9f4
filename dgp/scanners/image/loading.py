"""Opening untrusted image files: pages and frames, bounded in pixels, frames and time.

Pillow's decompression-bomb limit is set explicitly from the scan's `max_pixels` and
its warning is an error here, so an image past the limit is refused before its pixels
are decoded. Truncated and corrupt files raise `ImageUnreadable` with a reason a user
understands; no reason ever quotes the file's bytes.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

IMAGE_SUFFIXES = frozenset(
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".tif", ".tiff", ".webp", ".gif",
        ".bmp", ".dib", ".heic", ".heif", ".avif",
    }
)  # fmt: skip
PDF_SUFFIX = ".pdf"
MIN_PDF_IMAGE_SIDE = 200  # smaller images on a PDF page are logos and rules, not scans
ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is an error, never half read


class ImageUnreadable(Exception):
    """The file is not an image we can read (truncated, corrupt, another format)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ImageRefused(ImageUnreadable):
    """The image is larger than the scan allows; it was not decoded."""


@dataclass
class Page:
    """One page of a file (a frame of a GIF, a page of a TIFF or PDF), upright, RGB."""

    number: int  # 1-based
    image: Image.Image


def is_scannable(path: Path) -> bool:
    suffix = path.suffix.lower()
    return suffix in IMAGE_SUFFIXES or suffix == PDF_SUFFIX


def _register_heif() -> None:
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # HEIC/HEIF then reads as "not an image we can read"
        pass


_register_heif()


@contextmanager
def bomb_limit(max_pixels: int) -> Iterator[None]:
    """Pillow refuses images over `max_pixels` (its warning made an error) while open."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _cause(e: BaseException) -> str:
    """A short reason without the file's own bytes (Pillow's messages hold none)."""
    text = str(e).split("\n")[0][:120]
    return text or type(e).__name__


def _check_size(image: Image.Image, max_pixels: int) -> None:
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRefused(
            f"{width}x{height} pixels is more than the {max_pixels} this scan decodes "
            "(a decompression bomb or a huge scan)"
        )


def open_image(path: Path, max_pixels: int) -> Image.Image:
    """The file opened lazily (pixels not decoded yet), its size checked."""
    try:
        image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageRefused(f"too many pixels: {_cause(e)}") from None
    except UnidentifiedImageError:
        raise ImageUnreadable(
            f"not an image (the content is no image format its name {path.suffix} suggests)"
        ) from None
    except (OSError, ValueError, SyntaxError) as e:
        raise ImageUnreadable(f"corrupt image: {_cause(e)}") from None
    _check_size(image, max_pixels)
    return image


def frames(image: Image.Image, max_frames: int, max_pixels: int) -> Iterator[Page]:
    """Each frame (page) upright as RGB, at most `max_frames` of them, each decoded in
    full: a truncated frame raises ImageUnreadable."""
    transpose = ImageOps.exif_transpose  # EXIF orientation, as a viewer shows it
    for index in range(max_frames):
        try:
            image.seek(index)
        except EOFError:
            return
        except (OSError, ValueError, SyntaxError) as e:
            raise ImageUnreadable(f"corrupt frame {index + 1}: {_cause(e)}") from None
        _check_size(image, max_pixels)
        try:
            image.load()
            frame = image.copy()
            if index == 0:
                frame = transpose(frame) or frame
            yield Page(index + 1, frame.convert("RGB"))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise ImageRefused(f"too many pixels: {_cause(e)}") from None
        except (OSError, ValueError, SyntaxError, EOFError) as e:
            raise ImageUnreadable(f"truncated or corrupt image: {_cause(e)}") from None


def has_more_frames(image: Image.Image, seen: int) -> bool:
    """True when the file has a frame after the first `seen` (which were scanned)."""
    try:
        image.seek(seen)
    except (EOFError, OSError, ValueError, SyntaxError):
        return False
    return True


def pdf_pages(path: Path, max_frames: int, max_pixels: int) -> Iterator[Page]:
    """A scanned PDF's pages: the largest image of each page (the scan), upright RGB.

    Pages without a scan (text only, or small images) are passed over; their text is
    the document kind's.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ImageUnreadable("PDF is encrypted (password protected)")
        pages = list(reader.pages[:max_frames])
    except ImageUnreadable:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as e:
        raise ImageUnreadable(f"corrupt PDF: {_cause(e)}") from None
    for number, page in enumerate(pages, start=1):
        try:
            images = list(page.images)
            candidates = [im.image for im in images if im.image is not None]
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise ImageRefused(f"page {number}: too many pixels: {_cause(e)}") from None
        except Exception as e:  # pypdf raises many kinds on broken image streams
            raise ImageUnreadable(f"page {number}: unreadable image: {_cause(e)}") from None
        scans = [im for im in candidates if min(im.size) >= MIN_PDF_IMAGE_SIDE]
        if scans:
            largest = max(scans, key=lambda im: im.width * im.height)
            _check_size(largest, max_pixels)
            yield Page(number, largest.convert("RGB"))


def pdf_page_count(path: Path) -> int:
    from pypdf import PdfReader

    try:
        return len(PdfReader(path, strict=False).pages)
    except Exception:
        return 0


# Where each format's data ends, to find bytes appended after it (polyglots).
_JPEG_END = b"\xff\xd9"
_PNG_END = b"IEND"


def trailing_bytes(path: Path, format_name: str | None) -> int:
    """Bytes after the end of a JPEG or PNG image (0 when none, or another format)."""
    data = path.read_bytes()
    if format_name == "PNG":
        end = data.rfind(_PNG_END)
        return max(0, len(data) - (end + 8)) if end >= 0 else 0
    if format_name == "JPEG":
        end = data.rfind(_JPEG_END)
        return max(0, len(data) - (end + 2)) if end >= 0 else 0
    return 0
