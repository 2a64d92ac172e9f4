"""Face detection with the Haar cascades that ship inside opencv-python-headless.

No model is downloaded: the cascade files are part of the wheel (cv2.data). A
frontal-face cascade with strict neighbour counts keeps text pages and patterns
from passing as faces; a second cascade (alt2) must agree, which removes most of
the remaining false detections at little cost.
"""

from __future__ import annotations

import threading
from functools import cache

import numpy as np
from PIL import Image

from dgp.scanners.image.ocrtext import Box

DETECT_SIDE = 800  # faces are looked for on a copy at most this size
MIN_FACE_SHARE = 0.04  # of the shorter side: smaller blobs are texture, not faces
_lock = threading.Lock()


@cache
def _cascades() -> tuple[object, object]:
    import cv2

    root = cv2.data.haarcascades
    default = cv2.CascadeClassifier(root + "haarcascade_frontalface_default.xml")
    alt2 = cv2.CascadeClassifier(root + "haarcascade_frontalface_alt2.xml")
    if default.empty() or alt2.empty():
        raise RuntimeError("OpenCV's face cascades are missing from its package")
    return default, alt2


def warm_up() -> None:
    _cascades()


def detect_faces(image: Image.Image) -> list[Box]:
    """Boxes of the faces in `image`, in its pixels."""
    import cv2

    gray = image.convert("L")
    scale = min(1.0, DETECT_SIDE / max(gray.size))
    if scale < 1.0:
        gray = gray.resize((max(1, int(gray.width * scale)), max(1, int(gray.height * scale))))
    pixels = cv2.equalizeHist(np.asarray(gray))
    side = max(24, int(min(gray.size) * MIN_FACE_SHARE))
    default, alt2 = _cascades()
    with _lock:  # a CascadeClassifier is not safe across threads
        found = default.detectMultiScale(  # type: ignore[attr-defined]
            pixels, scaleFactor=1.15, minNeighbors=6, minSize=(side, side)
        )
        confirm = alt2.detectMultiScale(  # type: ignore[attr-defined]
            pixels, scaleFactor=1.15, minNeighbors=3, minSize=(side, side)
        )
    boxes = [_box(f, scale) for f in found]
    confirmed = [_box(f, scale) for f in confirm]
    return sorted(b for b in boxes if any(_overlap(b, c) > 0.3 for c in confirmed))


def _box(found: np.ndarray, scale: float) -> Box:
    x, y, w, h = (int(v) for v in found)
    return (int(x / scale), int(y / scale), int((x + w) / scale), int((y + h) / scale))


def _overlap(a: Box, b: Box) -> float:
    """Intersection over union."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area
