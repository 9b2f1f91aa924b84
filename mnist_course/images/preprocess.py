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

import io
import os
import warnings
from math import ceil
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..core.errors import DataError

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
MIN_SIDE = 8
"""Smallest picture read, on its longer side: scikit-learn's digits are 8x8."""
MAX_ASPECT = 20
"""Most a picture of one digit may be longer one way than the other (a tight crop of a 1: 5-10)."""
MIN_INK = 6.0
"""Least ink a digit has, in fully dark pixels (scikit-learn's faintest 8x8 digit has 12)."""
MIN_INK_SIDE = 0.03
"""Least a digit spans, as a share of the picture's longer side: 8 pixels of the pad's 280 (a
14-pixel 1 drawn with the thinnest brush spans 5.7 %); a speck of dust or one stray dark pixel
spans less."""
_OPAQUE = 0.5
"""Pixels at least this opaque (alpha 0..1) are the opaque part of a picture with transparency."""
_CONTRAST = 0.25
"""An opaque pixel this far (0..1) from the opaque part's median brightness is ink on paper."""
_PICTURE_INSIDE = 0.001
"""When this share of the opaque part is ink on paper, the opaque part is a picture (a cut-out
photo of a card); otherwise it is all one colour, and the transparency is the ink (the pad)."""


class BlankImageError(DataError):
    """The picture has no ink, or too little for a digit: there is nothing to recognise."""


class ImageShapeError(DataError):
    """The picture is too small, or far too long one way, to be a picture of one digit."""


def check_picture_shape(width: int, height: int) -> None:
    """Refuse a picture that cannot hold one digit: too small, or a strip (``MAX_ASPECT``)."""
    if max(width, height) < MIN_SIDE:
        raise ImageShapeError(
            f"{width}x{height} pixels is too small to hold a digit: expected at least "
            f"{MIN_SIDE} pixels on the longer side (scikit-learn's digits are 8x8)"
        )
    if max(width, height) > MAX_ASPECT * max(min(width, height), 1):
        ratio = max(width, height) / max(min(width, height), 1)
        raise ImageShapeError(
            f"{width}x{height} pixels is a strip, {ratio:.0f} times longer one way than the "
            f"other; a picture of one digit is expected to be at most {MAX_ASPECT} times "
            "longer: crop it to the digit"
        )


def load_image(path: str | os.PathLike[str]) -> Image.Image:
    """Open a PNG/JPEG/... with Pillow upright (EXIF orientation applied), or say why not.

    Pictures above ``MAX_PIXELS`` are refused from their header, before anything is decoded, and
    so are pictures that cannot hold one digit (``check_picture_shape``).
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not an image file")
    if not path.is_file():
        raise DataError(f"{path}: no such image file")
    return _decode(path, str(path))


def image_from_bytes(content: bytes, name: str) -> Image.Image:
    """``load_image`` for a file's content (an upload), its errors naming the file ``name``."""
    return _decode(io.BytesIO(content), name)


def _decode(source: Path | io.BytesIO, name: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below
            image = Image.open(source)
        with image:
            image.draft(image.mode, _JPEG_DRAFT)  # JPEG only: decode at 1/2..1/8 scale
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise DataError(
                    f"{name}: {width}x{height} pixels ({width * height / 1e6:.0f} megapixels), "
                    f"more than the {MAX_PIXELS / 1e6:.0f} read here; scale the picture down"
                )
            check_picture_shape(width, height)
            image.load()
            return ImageOps.exif_transpose(image)
    except ImageShapeError as exc:
        raise ImageShapeError(f"{name}: {exc}") from exc
    except DataError:
        raise
    except Image.DecompressionBombError as exc:
        raise DataError(f"{name}: refused, far too many pixels to decode ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise DataError(
            f"{name}: not an image Pillow can read (no PNG, JPEG or other picture format it "
            "knows); choose a picture file"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataError(f"{name}: not an image Pillow can read ({exc})") from exc


def _grey_and_alpha(image: Image.Image | np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Brightness in [0, 1], and opacity in [0, 1] when the picture has any, from any picture."""
    if isinstance(image, Image.Image) and image.mode in _WIDE_MODES:
        image = np.asarray(image)  # read the full range below instead of clipping to 8 bits
    if isinstance(image, Image.Image):
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            opacity = np.asarray(rgba, dtype=np.float32)[..., 3] / 255.0
            return np.asarray(rgba.convert("L"), dtype=np.float32) / 255.0, opacity
        return np.asarray(image.convert("L"), dtype=np.float32) / 255.0, None
    pixels = np.asarray(image)
    alpha: np.ndarray | None = None
    if pixels.ndim == 3 and pixels.shape[-1] == 4:
        alpha = pixels[..., 3].astype(np.float32)
        alpha /= 255.0 if pixels.dtype == np.uint8 else max(float(alpha.max()), 1.0)
        pixels = pixels[..., :3]
    if pixels.ndim == 3:
        pixels = pixels[..., :3].mean(axis=-1)
    if pixels.ndim != 2:
        raise DataError(f"expected a 2-D grey or 3-D colour image, got shape {pixels.shape}")
    is_bytes = pixels.dtype == np.uint8
    pixels = pixels.astype(np.float32)
    return pixels / (255.0 if is_bytes else max(float(pixels.max()), 1.0)), alpha


def _ink_map(image: Image.Image | np.ndarray) -> np.ndarray:
    """Float ink intensities in [0, 1] (ink high, background 0) from a grey, RGB or RGBA picture."""
    grey, alpha = _grey_and_alpha(image)
    if alpha is not None and alpha.min() != alpha.max():
        return _ink_with_transparency(grey, alpha)
    return _ink_high(grey)


def _ink_with_transparency(grey: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The ink of a picture with transparent parts, whichever kind it is.

    On the pad's kind (and a digit cut out of its paper) the opaque part is all one colour, the
    ink, and the opacity is the ink. On a cut-out photo (a white card with a transparent margin)
    the opaque part holds ink and paper: it is laid onto its own paper colour (the opaque part's
    median), so the margin becomes paper, and read as any picture.
    """
    opaque = grey[alpha >= _OPAQUE]
    if opaque.size:
        paper = float(np.median(opaque))
        if float(np.mean(np.abs(opaque - paper) > _CONTRAST)) >= _PICTURE_INSIDE:
            return _ink_high(grey * alpha + paper * (1.0 - alpha))
    return alpha


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


def _picture_size(image: Image.Image | np.ndarray) -> tuple[int, int]:
    if isinstance(image, Image.Image):
        return image.size
    shape = np.shape(image)
    if len(shape) < 2:
        raise DataError(f"expected a 2-D grey or 3-D colour image, got shape {shape}")
    return shape[1], shape[0]


def _digit_crop(ink: np.ndarray) -> np.ndarray:
    """The ink's bounding box, scaled to a maximum of 1; ``BlankImageError`` if there is none.

    Too little ink to be a digit (less than ``MIN_INK``, or spanning less than ``MIN_INK_SIDE``
    of the picture: one dark pixel, a speck of dust) counts as none: scaled up to 20 pixels it
    would become a blob that the model reads as some digit, sure of itself.
    """
    mask = ink > INK_THRESHOLD
    if not mask.any():
        raise BlankImageError("the image is blank: no ink found, so there is no digit to recognise")
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    amount, side, longest = float(ink[mask].sum()), max(crop.shape), max(ink.shape)
    if amount < MIN_INK or side < MIN_INK_SIDE * longest:
        raise BlankImageError(
            f"the image is as good as blank: its ink spans {crop.shape[1]}x{crop.shape[0]} "
            f"pixels and amounts to {amount:.1f} dark pixels, too little for a digit; expected "
            f"ink spanning at least {MIN_INK_SIDE:.0%} of the picture's longer side "
            f"({max(1, ceil(MIN_INK_SIDE * longest))} of its {longest} pixels) and amounting to "
            f"at least {MIN_INK:.0f} dark pixels: write the digit bigger, or crop the picture to it"
        )
    return crop / crop.max()


def to_mnist_style(image: Image.Image | np.ndarray) -> np.ndarray:
    """Return a 28x28 uint8 array, MNIST-style, from a picture of one digit of any size.

    Accepts a PIL image or an array: grey or RGB(A), uint8 0..255 or floats, dark-on-light or
    light-on-dark. Raises ``BlankImageError`` when there is no ink (or too little for a digit)
    and ``ImageShapeError`` for a picture that cannot hold one (``check_picture_shape``).
    """
    check_picture_shape(*_picture_size(image))
    crop = _digit_crop(_ink_map(image))
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
