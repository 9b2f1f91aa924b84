"""Turn any picture of a digit into what an MNIST model expects.

MNIST's own recipe (from the dataset's page): ink as high values on a zero background, cropped to
its bounding box, the longer side scaled to 20 pixels keeping the aspect ratio (with
anti-aliasing), then placed in a 28x28 field so that its centre of mass sits at the centre. The
drawing widget, ``predict`` on image files and the scikit-learn digits source all go through this
one function, so a model sees drawings exactly as it saw its training data.

Before that, a photo is read as it was meant: upright (EXIF orientation), in full bit depth, and
with a shadow or a lighting gradient across the paper evened out; clean pictures are untouched.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DataError

FIELD = 28
BOX = 20
INK_THRESHOLD = 0.05
"""Pixels fainter than this (on a 0..1 ink scale, background removed) do not count as ink."""
MAX_PIXELS = 40_000_000
"""Largest picture ``load_image`` decodes (a 40-megapixel photo); bigger ones are refused before
decoding, from the size in the file's header: a few kilobytes can claim gigabytes of pixels."""
_JPEG_DRAFT = (4096, 4096)
"""JPEGs are decoded at a reduced scale (1/2 .. 1/8) down to about this size: enough for a digit."""
_WIDE_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")
"""16-bit, 32-bit and float greyscale, which ``convert("L")`` would clip at 255."""
_BACKGROUND_SIDE = 64
"""The paper's brightness is estimated on a copy this size: lighting varies slowly."""
_INK_BELOW_PAPER = 0.08
"""Pixels this much darker (0..1) than the paper around them are ink, not paper in a shadow."""
_PAPER_TOLERANCE = 0.05
"""Evened-out paper within this fraction of the paper's estimated brightness counts as paper."""
UNEVEN_LIGHTING = 0.1
"""Paper whose estimated brightness varies by more than this (0..1) is evened out first."""


class BlankImageError(DataError):
    """The picture has no ink: there is nothing to recognise, so no guess is made."""


def load_image(path: str | os.PathLike[str]) -> Image.Image:
    """Open a PNG/JPEG/... with Pillow upright (EXIF orientation applied), or say why not.

    Pictures above ``MAX_PIXELS`` are refused from their header, before anything is decoded.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not an image file")
    if not path.is_file():
        raise DataError(f"{path}: no such image file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below
            image = Image.open(path)
        with image:
            image.draft(image.mode, _JPEG_DRAFT)  # JPEG only: decode at 1/2..1/8 scale
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise DataError(
                    f"{path}: {width}x{height} pixels ({width * height / 1e6:.0f} megapixels), "
                    f"more than the {MAX_PIXELS / 1e6:.0f} read here; scale the picture down"
                )
            image.load()
            return ImageOps.exif_transpose(image)
    except DataError:
        raise
    except Image.DecompressionBombError as exc:
        raise DataError(f"{path}: refused, far too many pixels to decode ({exc})") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"{path}: not an image Pillow can read ({exc})") from exc


def _ink_map(image: Image.Image | np.ndarray) -> np.ndarray:
    """Float ink intensities in [0, 1] (ink high, background 0) from a grey, RGB or RGBA picture."""
    if isinstance(image, Image.Image) and image.mode in _WIDE_MODES:
        image = np.asarray(image)  # read the full range below instead of clipping to 8 bits
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


def _paper_brightness(small: np.ndarray) -> np.ndarray:
    """The paper's brightness under the picture's lighting, as a smooth surface.

    A cubic surface is fitted to the pixels by least squares, then again without the pixels well
    below it (``_INK_BELOW_PAPER``: the ink), a few times: what stays is the paper, and the
    surface follows a shadow or
    a lighting gradient right up to the edges, where a window-based estimate would be biased.
    """
    height, width = small.shape
    ys, xs = np.mgrid[-1 : 1 : height * 1j, -1 : 1 : width * 1j]
    terms = np.stack([(xs**i * ys**j).reshape(-1) for i in range(5) for j in range(5 - i)], axis=-1)
    values = small.reshape(-1)
    paper = np.ones(values.shape, dtype=bool)
    for _ in range(5):
        coefficients = np.linalg.lstsq(terms[paper], values[paper], rcond=None)[0]
        fit = terms @ coefficients
        paper = values > fit - _INK_BELOW_PAPER
    return fit.reshape(height, width).astype(np.float32)


def _even_out_lighting(pixels: np.ndarray, border: np.ndarray) -> np.ndarray:
    """Remove a shadow or a lighting gradient from a picture of light paper; even paper is kept.

    Paper is taken as evenly lit when its edges are (``border``, the outermost pixels): paper
    brighter inside than at the edges does no harm. Otherwise the paper's brightness is estimated
    on a small copy (lighting varies slowly) and the picture divided by it, as light falls on
    paper and ink alike.
    """
    if float(np.percentile(border, 90) - np.percentile(border, 25)) < UNEVEN_LIGHTING:
        return pixels
    height, width = pixels.shape
    scale = min(1.0, _BACKGROUND_SIDE / max(height, width))
    small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = np.asarray(Image.fromarray(pixels).resize(small_size, Image.Resampling.BOX))
    paper = _paper_brightness(small)
    if float(paper.max() - paper.min()) < UNEVEN_LIGHTING:
        return pixels
    paper = np.asarray(Image.fromarray(paper).resize((width, height), Image.Resampling.BILINEAR))
    # paper is now about 1 everywhere; what the estimate misses by a few percent stays paper
    return np.clip(pixels / np.maximum(paper, 1e-3) / (1.0 - _PAPER_TOLERANCE), 0.0, 1.0)


def _ink_high(pixels: np.ndarray) -> np.ndarray:
    """Make ink the high values and the background zero, whichever way round the picture was.

    The background is the median of the picture's edges. The paper is light when that median
    is, or when the ink departs from it towards dark more than towards light (dim paper in a
    poor photo); otherwise the ink is light (chalk, the drawing pad, MNIST itself).
    """
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    background = float(np.median(border))
    step = max(1, min(pixels.shape) // _BACKGROUND_SIDE)  # a sample is enough to tell
    sample = pixels[::step, ::step] - background
    darker, lighter = (
        float(np.clip(-sample, 0.0, None).sum()),
        float(np.clip(sample, 0.0, None).sum()),
    )
    if background > 0.5 or darker > lighter:  # dark ink on light paper
        pixels = _even_out_lighting(pixels.astype(np.float32), border)  # a shadow, say
        border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
        pixels = 1.0 - pixels
        background = 1.0 - float(np.median(border))
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
