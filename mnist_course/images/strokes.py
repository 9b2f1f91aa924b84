"""Strokes, as a pen or mouse makes them, turned into a picture in the kernel.

The drawing widget predicts from these strokes rather than from the canvas image the browser could
send back: that image arrives late (after the mouse-up handler has run) and needs a browser at
all. Rasterising the same strokes with Pillow is instant, exact and testable anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

Point = tuple[float, float]


@dataclass
class Stroke:
    """One pen-down-to-pen-up movement: its width in pixels and the points it passed through."""

    width: float
    points: list[Point] = field(default_factory=list)


def rasterize(strokes: Sequence[Stroke], size: int | tuple[int, int]) -> Image.Image:
    """Draw ``strokes`` white on black (ink high, as MNIST stores it) with round ends and joints."""
    width, height = (size, size) if isinstance(size, int) else size
    picture = Image.new("L", (width, height), 0)
    pen = ImageDraw.Draw(picture)
    for stroke in strokes:
        radius = stroke.width / 2
        if len(stroke.points) > 1:
            pen.line(stroke.points, fill=255, width=max(1, round(stroke.width)), joint="curve")
        for x, y in stroke.points:  # round caps, and a dot for a single click
            pen.ellipse([x - radius, y - radius, x + radius, y + radius], fill=255)
    return picture
