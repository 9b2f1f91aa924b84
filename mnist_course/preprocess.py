"""Turn any picture of a digit into what an MNIST model expects.

MNIST's own recipe (from the dataset's page): ink as high values on a zero background, cropped to
its bounding box, the longer side scaled to 20 pixels keeping the aspect ratio (with
anti-aliasing), then placed in a 28x28 field so that its centre of mass sits at the centre. The
drawing widget, ``predict`` on image files and the scikit-learn digits source all go through this
one function, so a model sees drawings exactly as it saw its training data.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .errors import DataError

FIELD = 28
BOX = 20
INK_THRESHOLD = 0.05
"""Pixels fainter than this (on a 0..1 ink scale, background removed) do not count as ink."""


class BlankImageError(DataError):
    """The picture has no ink: there is nothing to recognise, so no guess is made."""


def _ink_map(image: Image.Image | np.ndarray) -> np.ndarray:
    """Float ink intensities in [0, 1] (ink high, background 0) from a grey, RGB or RGBA picture."""
    if isinstance(image, Image.Image):
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = np.asarray(image.convert("RGBA"))
            alpha = rgba[..., 3]
            if alpha.min() != alpha.max():  # drawn on a transparent canvas: alpha is the ink
                return alpha.astype(np.float32) / 255.0
        pixels = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    else:
        pixels = np.asarray(image)
        if (
            pixels.ndim == 3
            and pixels.shape[-1] == 4
            and pixels[..., 3].min() != pixels[..., 3].max()
        ):
            alpha = pixels[..., 3].astype(np.float32)
            return alpha / (255.0 if pixels.dtype == np.uint8 else max(float(alpha.max()), 1.0))
        if pixels.ndim == 3:
            pixels = pixels[..., :3].mean(axis=-1)
        if pixels.ndim != 2:
            raise DataError(f"expected a 2-D grey or 3-D colour image, got shape {pixels.shape}")
        is_bytes = pixels.dtype == np.uint8
        pixels = pixels.astype(np.float32)
        scale = 255.0 if is_bytes else max(float(pixels.max()), 1.0)
        pixels = pixels / scale
    return _ink_high(pixels)


def _ink_high(pixels: np.ndarray) -> np.ndarray:
    """Make ink the high values and the background zero, whichever way round the picture was."""
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    background = float(np.median(border))
    if background > 0.5:  # dark ink on light paper
        pixels = 1.0 - pixels
        background = 1.0 - background
    return np.clip((pixels - background) / max(1.0 - background, 1e-6), 0.0, 1.0)


def to_mnist_style(image: Image.Image | np.ndarray) -> np.ndarray:
    """Return a 28x28 uint8 array, MNIST-style, from a picture of one digit of any size.

    Accepts a PIL image or an array: grey or RGB(A), uint8 0..255 or floats, dark-on-light or
    light-on-dark. Raises ``BlankImageError`` when there is no ink.
    """
    ink = _ink_map(image)
    mask = ink > INK_THRESHOLD
    if not mask.any():
        raise BlankImageError("the image is blank: no ink found, so there is no digit to recognise")
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    crop = crop / crop.max()

    height, width = crop.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(crop.astype(np.float32), mode="F").resize(
        size, Image.Resampling.LANCZOS
    )
    box = np.clip(np.asarray(resized), 0.0, 1.0)

    mass = box.sum()
    ys, xs = np.indices(box.shape)
    centre = (FIELD - 1) / 2
    top = round(centre - (ys * box).sum() / mass)
    left = round(centre - (xs * box).sum() / mass)
    top = min(max(top, 0), FIELD - box.shape[0])  # never push ink out of the field
    left = min(max(left, 0), FIELD - box.shape[1])

    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    field[top : top + box.shape[0], left : left + box.shape[1]] = box
    return np.round(field * 255).astype(np.uint8)
