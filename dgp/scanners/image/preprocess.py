"""Preparing a page for OCR where it measurably helps (bench/image.py reports the effect):
grayscale, upscaling small text, and straightening a skewed scan.

Tesseract reads text best at a line height of about 25-40 pixels; a photo of a
screen or a 150-dpi scan gives less, so pages with small text are enlarged. A skewed scan
is turned upright by the angle whose row profile is sharpest (text lines line up
with rows). Every step is recorded, so a word box in the prepared image maps back
to the original's pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from dgp.scanners.image.ocrtext import Box

SMALL_TEXT = 22  # text lines lower than this (pixels) are enlarged ...
TARGET_TEXT = 26  # ... to about this height (bench/image.py: best recall)
MAX_UPSCALE = 4.0
UPSCALE_MAX_PIXELS = 12_000_000  # never past this by upscaling
MAX_SKEW_DEGREES = 10.0
SKEW_STEP = 0.5
PROBE_SIDE = 600  # the skew is measured on a copy this size
MIN_SKEW = 0.4  # straighten only past this


@dataclass(frozen=True)
class Prepared:
    """The page as OCR gets it, and how to map its boxes back."""

    image: Image.Image
    original_size: tuple[int, int]
    angle: float = 0.0  # degrees the original was turned (counter-clockwise)
    scale: float = 1.0  # then enlarged by

    def to_original(self, box: Box) -> Box:
        """A box in the prepared image's pixels as a box in the original's."""
        if self.angle == 0.0 and self.scale == 1.0:
            return box
        left, top, right, bottom = (v / self.scale for v in box)
        if self.angle == 0.0:
            return _clip((int(left), int(top), math.ceil(right), math.ceil(bottom)), self)
        # the prepared image is the original turned about its centre, with the canvas grown
        width, height = self.original_size
        turned_w, turned_h = self.image.width / self.scale, self.image.height / self.scale
        theta = math.radians(self.angle)
        cos, sin = math.cos(theta), math.sin(theta)
        xs, ys = [], []
        for x, y in ((left, top), (right, top), (left, bottom), (right, bottom)):
            dx, dy = x - turned_w / 2, y - turned_h / 2
            # PIL turns counter-clockwise on screen (y down): undo it
            xs.append(width / 2 + dx * cos - dy * sin)
            ys.append(height / 2 + dx * sin + dy * cos)
        return _clip((int(min(xs)), int(min(ys)), math.ceil(max(xs)), math.ceil(max(ys))), self)


def _clip(box: Box, prepared: Prepared) -> Box:
    width, height = prepared.original_size
    return (
        max(0, min(box[0], width)),
        max(0, min(box[1], height)),
        max(0, min(box[2], width)),
        max(0, min(box[3], height)),
    )


def prepare(image: Image.Image, enabled: bool = True) -> Prepared:
    """The page ready for OCR (the original, as grayscale, when not `enabled`)."""
    gray = image.convert("L")
    if not enabled:
        return Prepared(gray, image.size)
    angle = skew_angle(gray)
    turned = gray
    if abs(angle) >= MIN_SKEW:
        turned = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    else:
        angle = 0.0
    scale = 1.0
    height = line_height(turned)
    if 0 < height < SMALL_TEXT:
        scale = min(TARGET_TEXT / height, MAX_UPSCALE)
        if turned.width * turned.height * scale * scale > UPSCALE_MAX_PIXELS:
            scale = (UPSCALE_MAX_PIXELS / (turned.width * turned.height)) ** 0.5
        if scale > 1.05:
            size = (round(turned.width * scale), round(turned.height * scale))
            turned = turned.resize(size, Image.Resampling.LANCZOS)
        else:
            scale = 1.0
    return Prepared(ImageOps.autocontrast(turned), image.size, angle, scale)


def line_height(gray: Image.Image) -> int:
    """The median height in pixels of the text lines (runs of rows with ink); 0 when
    the page has no clear lines (a photo)."""
    ink = np.asarray(gray) < 128
    rows = ink.sum(axis=1) > max(1, gray.width // 400)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], rows.astype(np.int8), [0]))))
    runs = edges[1::2] - edges[0::2]
    runs = runs[runs >= 4]
    if len(runs) < 1:
        return 0
    return int(np.median(runs))


def skew_angle(gray: Image.Image) -> float:
    """The angle (degrees) that turns the text lines level: the one whose dark-pixel row
    profile varies most. 0 for a page without enough ink to tell."""
    probe = gray.copy()
    probe.thumbnail((PROBE_SIDE, PROBE_SIDE))
    ink = np.asarray(probe) < 128
    if ink.mean() < 0.002 or ink.mean() > 0.5:
        return 0.0
    mask = Image.fromarray((ink * 255).astype(np.uint8))
    best, best_score = 0.0, -1.0
    steps = int(MAX_SKEW_DEGREES / SKEW_STEP)
    for i in range(-steps, steps + 1):
        angle = i * SKEW_STEP
        rows = np.asarray(mask.rotate(angle, expand=True), dtype=np.float32).sum(axis=1)
        score = float(np.var(rows))
        if score > best_score:
            best, best_score = angle, score
    return best
