"""Synthetic handwriting for tests: digits drawn as strokes, at any size and place."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from mnist_course.images.strokes import Stroke, rasterize


def ink_box(image: np.ndarray) -> tuple[int, int]:
    """Height and width of the bounding box of an image's nonzero (or True) pixels."""
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


# Strokes of a few digits on a unit square (x right, y down), roughly as a person draws them.
TEMPLATES: dict[str, list[list[tuple[float, float]]]] = {
    "1": [[(0.45, 0.2), (0.55, 0.1), (0.55, 0.9)]],
    "7": [[(0.2, 0.15), (0.8, 0.15), (0.45, 0.9)]],
    "0": [[(0.5, 0.1), (0.25, 0.3), (0.25, 0.7), (0.5, 0.9), (0.75, 0.7), (0.75, 0.3), (0.5, 0.1)]],
    "L": [[(0.3, 0.1), (0.3, 0.9), (0.6, 0.9)]],
    # As many Europeans write them: a 1 with a long flag (MNIST models read it as a 7), a crossed 7.
    "1-flag": [[(0.2, 0.4), (0.65, 0.05), (0.65, 0.95)]],
    "7-bar": [[(0.2, 0.1), (0.8, 0.1), (0.4, 0.95)], [(0.3, 0.5), (0.75, 0.5)]],
}


def digit_strokes(
    digit: str,
    canvas: int = 280,
    box: tuple[float, float, float, float] = (0.1, 0.1, 0.9, 0.9),
    width: float = 0.08,
) -> list[Stroke]:
    """The template of ``digit`` placed in ``box`` (fractions of the canvas), as strokes."""
    left, top, right, bottom = (v * canvas for v in box)
    stroke_width = max(1, round(width * (right - left)))
    return [
        Stroke(
            stroke_width, [(left + x * (right - left), top + y * (bottom - top)) for x, y in line]
        )
        for line in TEMPLATES[digit]
    ]


def draw_digit(
    digit: str,
    canvas: int = 280,
    box: tuple[float, float, float, float] = (0.1, 0.1, 0.9, 0.9),
    width: float = 0.08,
    ink: int = 255,
    paper: int = 0,
    mode: str = "L",
) -> Image.Image:
    """A picture of ``digit``: light on dark by default, ``ink``/``paper`` to change, or RGBA."""
    mask = rasterize(digit_strokes(digit, canvas, box, width), canvas)
    if mode == "RGBA":
        picture = Image.new("RGBA", mask.size, (20, 20, 20, 255))
        picture.putalpha(mask)  # dark ink on a transparent canvas
        return picture
    return ImageOps.colorize(mask, black=(paper,) * 3, white=(ink,) * 3).convert("L")


def write_own_digits(
    folder: Path,
    style: dict[str, str],
    per_label: int,
    seed: int = 0,
    sizes: tuple[float, float] = (0.35, 0.8),
    widths: tuple[float, float] = (0.05, 0.18),
) -> Path:
    """A learner's drawings as the pad saves them: ``folder/<label>/NNN.png``, dark ink on white.

    ``style`` maps each label to the template its learner draws; every drawing has its own size
    (a fraction of the canvas, within ``sizes``), place and pen width (within ``widths``).
    """
    rng = random.Random(seed)
    for label, template in style.items():
        (folder / label).mkdir(parents=True, exist_ok=True)
        for index in range(per_label):
            size = rng.uniform(*sizes)
            left, top = rng.uniform(0, 1 - size), rng.uniform(0, 1 - size)
            picture = draw_digit(template, box=(left, top, left + size, top + size),
                                 width=rng.uniform(*widths))  # fmt: skip
            ImageOps.invert(picture).save(folder / label / f"{index:03}.png")
    return folder
