import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from mnist_course import BlankImageError, to_mnist_style
from mnist_course.errors import DataError
from mnist_course.predict import load_image
from tests.drawing import draw_digit, ink_box


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(image.shape)
    mass = image.astype(float).sum()
    return (ys * image).sum() / mass, (xs * image).sum() / mass


@pytest.mark.parametrize("digit", ["1", "7", "0", "L"])
def test_mnist_recipe_box_and_centre_of_mass(digit):
    out = to_mnist_style(draw_digit(digit))
    assert out.shape == (28, 28) and out.dtype == np.uint8 and out.max() == 255
    assert max(ink_box(out)) == 20, "the longer side is scaled to 20 pixels"
    row, col = _centre_of_mass(out)
    assert abs(row - 13.5) <= 0.5 and abs(col - 13.5) <= 0.5


def test_aspect_ratio_is_kept():
    height, width = ink_box(to_mnist_style(draw_digit("1")))
    assert height == 20 and width < 10, "a thin 1 stays thin"


def _difference_up_to_one_pixel(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference after the best shift of at most one pixel each way.

    Centring moves by whole pixels, so the same shape can land one pixel apart.
    """
    a, b = a.astype(float), b.astype(float)
    return min(
        np.abs(np.roll(a, (dy, dx), axis=(0, 1)) - b).mean()
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )


SAME_SHAPE = 8
"""Largest mean difference (0..255 scale) between two drawings of one digit; measured at most 7.0
across these digits, boxes and canvases, while different digits differ by 24 or more."""


@pytest.mark.parametrize("digit", ["1", "7", "0", "L"])
@pytest.mark.parametrize(
    "box", [(0.05, 0.05, 0.45, 0.45), (0.55, 0.5, 0.95, 0.9), (0.3, 0.2, 0.6, 0.5)]
)
def test_where_and_how_big_the_digit_was_drawn_does_not_matter(digit, box):
    reference = to_mnist_style(draw_digit(digit))
    moved = to_mnist_style(draw_digit(digit, box=box))
    assert _difference_up_to_one_pixel(moved, reference) < SAME_SHAPE


@pytest.mark.parametrize("canvas", [64, 600])
def test_any_canvas_size(canvas):
    reference = to_mnist_style(draw_digit("0"))
    resized = to_mnist_style(draw_digit("0", canvas=canvas))
    assert _difference_up_to_one_pixel(resized, reference) < SAME_SHAPE


@pytest.mark.parametrize("other", ["1", "0"])
def test_a_different_digit_is_far_outside_that_tolerance(other):
    seven = to_mnist_style(draw_digit("7"))
    assert _difference_up_to_one_pixel(seven, to_mnist_style(draw_digit(other))) > 3 * SAME_SHAPE


@pytest.mark.parametrize("paper", [0, 255, 128])
def test_blank_image_is_an_error_not_a_guess(paper):
    with pytest.raises(BlankImageError, match="blank"):
        to_mnist_style(Image.new("L", (100, 100), paper))


# Pictures as cameras and editors save them.


def _photo(mnist_image: np.ndarray, lighting: str, size: int = 280) -> Image.Image:
    """An MNIST-style digit as dark ink on paper (reflectance 0.9 / 0.1), photographed in light
    that falls off across the page: ``flat``, ``left-right`` (to 30 %), ``corner`` (to 40 %),
    ``dim`` (50 % everywhere)."""
    ink = np.asarray(
        Image.fromarray(mnist_image).resize((size, size), Image.Resampling.BILINEAR), np.float32
    )
    reflectance = 0.9 - 0.8 * ink / 255
    ys, xs = np.mgrid[0:size, 0:size] / (size - 1)
    light = {
        "flat": np.ones_like(xs),
        "left-right": 1.0 - 0.7 * xs,
        "corner": 1.0 - 0.6 * (xs + ys) / 2,
        "dim": np.full_like(xs, 0.5),
    }[lighting]
    return Image.fromarray(np.round(reflectance * light * 255).astype(np.uint8))


@pytest.mark.parametrize("lighting", ["left-right", "corner", "dim"])
@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_uneven_lighting_is_evened_out(digits, lighting, index):
    mnist_image = digits.test.images[index].numpy()
    clean = to_mnist_style(_photo(mnist_image, "flat"))
    assert _difference_up_to_one_pixel(clean, mnist_image) < SAME_SHAPE, "the rendering is fair"
    shaded = to_mnist_style(_photo(mnist_image, lighting))
    assert _difference_up_to_one_pixel(shaded, clean) < SAME_SHAPE


def _seven_on_paper(**kwargs) -> np.ndarray:
    return np.asarray(draw_digit("7", ink=0, paper=255, **kwargs))


@pytest.mark.parametrize(
    ("mode", "ink", "paper"),
    [("I;16", 20_000, 60_000), ("I", 20_000, 60_000), ("F", 0.0, 1.0), ("F", 2e4, 6e4)],
)
def test_16_and_32_bit_greyscale_are_read_in_full(tmp_path, mode, ink, paper):
    """A scan's grey levels above 255 (or floats in 0..1) are read, not clipped to 8 bits."""
    pixels = ink + _seven_on_paper().astype(np.float64) / 255 * (paper - ink)
    dtype = {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]
    picture = Image.fromarray(pixels.astype(dtype))
    assert picture.mode == mode
    reference = to_mnist_style(draw_digit("7"))
    assert _difference_up_to_one_pixel(to_mnist_style(picture), reference) < SAME_SHAPE
    if mode == "I;16":  # as an editor saves it: a 16-bit PNG
        picture.save(tmp_path / "seven16.png")
        loaded = load_image(tmp_path / "seven16.png")
        assert _difference_up_to_one_pixel(to_mnist_style(loaded), reference) < SAME_SHAPE


@pytest.mark.parametrize(
    ("orientation", "stored_as"),
    [
        (6, Image.Transpose.ROTATE_90),
        (3, Image.Transpose.ROTATE_180),
        (8, Image.Transpose.ROTATE_270),
    ],
)
def test_exif_orientation_is_honoured(tmp_path, orientation, stored_as):
    upright = draw_digit("7", ink=0, paper=255)
    exif = Image.Exif()
    exif[0x0112] = orientation  # what a phone writes instead of turning the pixels
    upright.transpose(stored_as).save(tmp_path / "photo.jpg", exif=exif, quality=95)
    reference = to_mnist_style(upright)
    seen = to_mnist_style(load_image(tmp_path / "photo.jpg"))
    assert _difference_up_to_one_pixel(seen, reference) < SAME_SHAPE


def _png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width`` x ``height`` grey pixels, with a token of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(1000)))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (10_000, 10_000, r"10000x10000 pixels \(100 megapixels\), more than the 40 read here"),
        (30_000, 30_000, r"refused, far too many pixels to decode \(.*900000000 pixels"),
    ],
    ids=["100-megapixels", "decompression-bomb"],
)
def test_huge_pictures_are_refused_before_decoding(tmp_path, width, height, message):
    path = tmp_path / "tiny.png"
    path.write_bytes(_png_claiming(width, height))
    assert path.stat().st_size < 2000
    with pytest.raises(DataError, match=message) as info:
        load_image(path)  # the data is truncated: decoding it would fail differently
    assert str(info.value).startswith(f"{path}: ") and "Pillow" not in str(info.value)


def test_an_image_path_that_is_a_folder(tmp_path):
    with pytest.raises(DataError, match="is a folder, not an image file"):
        load_image(tmp_path)
