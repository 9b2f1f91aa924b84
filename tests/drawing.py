"""Synthetic handwriting for tests: digits drawn as strokes, at any size and place."""

from __future__ import annotations

import random
from dataclasses import dataclass
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
            picture = draw_digit(
                template, box=(left, top, left + size, top + size), width=rng.uniform(*widths)
            )
            ImageOps.invert(picture).save(folder / label / f"{index:03}.png")
    return folder


# Every digit, as many people write them (added for the fine-tuning benchmark's learners). A
# point given twice in a row is a corner: ``draw_in_style`` smooths strokes through their points.
TEMPLATES |= {
    "1-stick": [[(0.5, 0.08), (0.5, 0.92)]],
    "1-flag-short": [[(0.4, 0.19), (0.58, 0.06), (0.58, 0.94)]],  # read as a 1 or a 7
    "2": [
        [
            (0.26, 0.3), (0.36, 0.13), (0.55, 0.08), (0.72, 0.18), (0.73, 0.36), (0.6, 0.55),
            (0.25, 0.9), (0.25, 0.9), (0.78, 0.9),
        ],
    ],
    "2-loop": [
        [
            (0.26, 0.28), (0.4, 0.1), (0.62, 0.1), (0.72, 0.3), (0.58, 0.55), (0.3, 0.85),
            (0.3, 0.92), (0.45, 0.82), (0.55, 0.86), (0.78, 0.9),
        ],
    ],
    "3": [
        [
            (0.26, 0.18), (0.48, 0.08), (0.7, 0.17), (0.7, 0.36), (0.46, 0.48), (0.46, 0.48),
            (0.72, 0.6), (0.74, 0.8), (0.52, 0.92), (0.26, 0.84),
        ],
    ],
    "3-flat": [
        [
            (0.25, 0.1), (0.25, 0.1), (0.72, 0.1), (0.72, 0.1), (0.45, 0.42), (0.45, 0.42),
            (0.72, 0.56), (0.74, 0.78), (0.52, 0.92), (0.26, 0.84),
        ],
    ],
    "4": [
        [(0.6, 0.08), (0.6, 0.08), (0.22, 0.64), (0.22, 0.64), (0.8, 0.64)],
        [(0.62, 0.35), (0.62, 0.94)],
    ],
    "4-open": [
        [(0.28, 0.08), (0.28, 0.08), (0.24, 0.56), (0.24, 0.56), (0.78, 0.54)],
        [(0.68, 0.1), (0.68, 0.94)],
    ],
    "4-closed": [
        [(0.62, 0.94), (0.62, 0.06), (0.62, 0.06), (0.2, 0.64), (0.2, 0.64), (0.82, 0.64)],
    ],
    "5": [
        [
            (0.3, 0.1), (0.3, 0.1), (0.27, 0.46), (0.27, 0.46), (0.5, 0.4), (0.7, 0.5),
            (0.73, 0.72), (0.55, 0.91), (0.26, 0.86),
        ],
        [(0.3, 0.1), (0.74, 0.1)],
    ],
    "6": [
        [
            (0.68, 0.1), (0.44, 0.24), (0.3, 0.5), (0.3, 0.78), (0.5, 0.92), (0.7, 0.8), (0.7, 0.6),
            (0.5, 0.5), (0.3, 0.62),
        ],
    ],
    "7-serif": [
        [
            (0.2, 0.26), (0.2, 0.26), (0.22, 0.12), (0.22, 0.12), (0.8, 0.12), (0.8, 0.12),
            (0.46, 0.92),
        ],
    ],
    "8": [
        [
            (0.66, 0.16), (0.5, 0.08), (0.32, 0.16), (0.34, 0.36), (0.5, 0.48), (0.7, 0.62),
            (0.68, 0.86), (0.5, 0.93), (0.31, 0.85), (0.31, 0.64), (0.5, 0.48), (0.66, 0.36),
            (0.66, 0.16),
        ],
    ],
    "9": [
        [
            (0.7, 0.28), (0.56, 0.1), (0.36, 0.12), (0.28, 0.3), (0.4, 0.45), (0.6, 0.42),
            (0.7, 0.28), (0.7, 0.28), (0.66, 0.6), (0.62, 0.93),
        ],
    ],
    "9-straight": [
        [
            (0.68, 0.3), (0.52, 0.12), (0.32, 0.16), (0.3, 0.36), (0.5, 0.46), (0.68, 0.3),
            (0.68, 0.3), (0.68, 0.94),
        ],
    ],
    "9-curl": [
        [
            (0.7, 0.28), (0.56, 0.1), (0.36, 0.12), (0.28, 0.3), (0.4, 0.45), (0.6, 0.42),
            (0.7, 0.28), (0.7, 0.28), (0.7, 0.66), (0.54, 0.9), (0.32, 0.86),
        ],
    ],
}  # fmt: skip


@dataclass(frozen=True)
class Style:
    """One learner's way of writing: the template of each digit and a fixed pen, slant and size.

    Every drawing differs a little (``jitter``): each point moves by up to about ``jitter`` of the
    digit's size, the size varies within ``sizes`` (a fraction of the canvas), the place is any,
    and the pen and slant vary by a tenth around their fixed values.
    """

    name: str
    templates: dict[str, str]
    pen: float = 0.1
    """Pen width as a fraction of the digit's height."""
    slant: float = 0.0
    """Forward lean: the top moves right by this fraction of the height (negative: backward)."""
    sizes: tuple[float, float] = (0.45, 0.7)
    jitter: float = 0.02


PLAIN = {str(d): str(d) for d in range(10)}
"""Each digit by its own plain template."""


def _smooth(points: list[tuple[float, float]], steps: int = 6) -> list[tuple[float, float]]:
    """A Catmull-Rom curve through ``points`` (a point repeated is a corner)."""
    if len(points) < 3:
        return points
    p = np.array([points[0], *points, points[-1]], dtype=float)
    t = np.linspace(0, 1, steps, endpoint=False)[:, None]
    curve = []
    for i in range(1, len(p) - 2):
        a, b, c, d = p[i - 1], p[i], p[i + 1], p[i + 2]
        curve += list(
            0.5
            * (
                2 * b
                + (c - a) * t
                + (2 * a - 5 * b + 4 * c - d) * t**2
                + (3 * b - a - 3 * c + d) * t**3
            )
        )
    return [tuple(q) for q in curve] + [points[-1]]


def draw_in_style(label: str, style: Style, rng: np.random.Generator, canvas: int = 280):
    """One drawing of ``label`` in ``style`` as the pad saves it: dark ink on white paper."""
    height = rng.uniform(*style.sizes) * canvas
    slant = style.slant * rng.uniform(0.9, 1.1)
    margin, lean = 0.02 * canvas, slant * height  # the top leans right by ``lean``
    top = rng.uniform(margin, canvas - margin - height)
    left = rng.uniform(margin + max(0, -lean), canvas - margin - height - max(0, lean))
    strokes = []
    for line in TEMPLATES[style.templates[label]]:
        noise = rng.normal(0, style.jitter / 2, (len(line), 2))
        for i in range(1, len(line)):
            if line[i] == line[i - 1]:
                noise[i] = noise[i - 1]  # a corner stays one point
        wobbly = np.array(line) + noise
        points = [
            (left + (x + slant * (1 - y)) * height, top + y * height)
            for x, y in _smooth([tuple(q) for q in wobbly])
        ]
        strokes.append(Stroke(max(1.0, style.pen * height * rng.uniform(0.9, 1.1)), points))
    return ImageOps.invert(rasterize(strokes, canvas))


def write_style(folder: Path, style: Style, per_label: int, seed: int = 0) -> Path:
    """``per_label`` drawings of each of ``style``'s labels in ``folder/<label>/NNN.png``."""
    rng = np.random.default_rng(seed)
    for label in style.templates:
        (folder / label).mkdir(parents=True, exist_ok=True)
        for index in range(per_label):
            draw_in_style(label, style, rng).save(folder / label / f"{index:03}.png")
    return folder
