"""Synthetic handwriting for tests: digits drawn as strokes with Pillow, at any size and place."""

from __future__ import annotations

from PIL import Image, ImageDraw

# Strokes of a few digits on a unit square (x right, y down), roughly as a person draws them.
STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "1": [[(0.45, 0.2), (0.55, 0.1), (0.55, 0.9)]],
    "7": [[(0.2, 0.15), (0.8, 0.15), (0.45, 0.9)]],
    "0": [[(0.5, 0.1), (0.25, 0.3), (0.25, 0.7), (0.5, 0.9), (0.75, 0.7), (0.75, 0.3), (0.5, 0.1)]],
    "L": [[(0.3, 0.1), (0.3, 0.9), (0.6, 0.9)]],
}


def draw_digit(
    digit: str,
    canvas: int = 280,
    box: tuple[float, float, float, float] = (0.1, 0.1, 0.9, 0.9),
    width: float = 0.08,
    ink: int = 255,
    paper: int = 0,
    mode: str = "L",
) -> Image.Image:
    """Draw ``digit`` inside ``box`` (fractions of the canvas) with strokes ``width`` of the box."""
    background = (0, 0, 0, 0) if mode == "RGBA" else paper
    colour = (20, 20, 20, 255) if mode == "RGBA" else ink
    image = Image.new(mode, (canvas, canvas), background)
    pen = ImageDraw.Draw(image)
    left, top, right, bottom = (v * canvas for v in box)
    stroke = max(1, round(width * (right - left)))
    for line in STROKES[digit]:
        points = [(left + x * (right - left), top + y * (bottom - top)) for x, y in line]
        pen.line(points, fill=colour, width=stroke, joint="curve")
        for x, y in points:
            pen.ellipse(
                [x - stroke / 2, y - stroke / 2, x + stroke / 2, y + stroke / 2], fill=colour
            )
    return image
