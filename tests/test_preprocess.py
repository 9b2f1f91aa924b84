import io
import re
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits

from mnist_course import BlankImageError, to_mnist_style
from mnist_course.core.errors import DataError
from mnist_course.images.preprocess import MIN_INK, ImageShapeError, image_from_bytes
from mnist_course.images.strokes import Stroke, rasterize
from mnist_course.inference.predict import load_image
from mnist_course.training import get_recipe, train
from tests.cli import run_cli
from tests.drawing import digit_strokes, draw_digit, ink_box


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


# Transparency: the pad's drawings (the ink opaque) and cut-out photos (a card opaque).


def _cut_out_card(ink: int, paper: int, hidden: tuple[int, int, int]) -> Image.Image:
    """A 7 on a card of ``paper`` grey, cut out: a transparent margin (its hidden colour
    ``hidden``) around the opaque card, as a photo editor saves a cut-out."""
    card = draw_digit("7", ink=ink, paper=paper, canvas=200).convert("RGBA")
    picture = Image.new("RGBA", (300, 300), (*hidden, 0))
    picture.paste(card, (60, 40))
    return picture


@pytest.mark.parametrize("hidden", [(0, 0, 0), (255, 255, 255)], ids=["black", "white"])
@pytest.mark.parametrize(
    ("ink", "paper"),
    [(0, 255), (20, 200), (250, 30)],
    ids=["white-card", "grey-card", "chalk-board"],
)
def test_a_cut_out_card_is_read_by_its_ink_not_its_outline(tmp_path, hidden, ink, paper):
    reference = to_mnist_style(draw_digit("7"))
    picture = _cut_out_card(ink, paper, hidden)
    assert _difference_up_to_one_pixel(to_mnist_style(picture), reference) < SAME_SHAPE
    as_array = np.asarray(picture)  # RGBA uint8, as an array
    assert _difference_up_to_one_pixel(to_mnist_style(as_array), reference) < SAME_SHAPE
    picture.save(tmp_path / "cut-out.png")
    loaded = to_mnist_style(load_image(tmp_path / "cut-out.png"))
    assert _difference_up_to_one_pixel(loaded, reference) < SAME_SHAPE


def test_the_card_would_be_a_blob_if_opacity_were_ink():
    """What the fix is for: the card's outline is a filled square, far from any 7."""
    outline = to_mnist_style(np.asarray(_cut_out_card(0, 255, (0, 0, 0)))[..., 3])
    reference = to_mnist_style(draw_digit("7"))
    assert _difference_up_to_one_pixel(outline, reference) > 3 * SAME_SHAPE


@pytest.mark.parametrize("colour", [(20, 20, 20), (255, 255, 255), (30, 60, 200)])
@pytest.mark.parametrize("digit", ["1", "7", "0"])
def test_ink_on_a_transparent_canvas_is_read_from_its_opacity(digit, colour):
    """The pad's kind of picture: the ink opaque (any colour), everything else transparent."""
    mask = draw_digit(digit)
    picture = Image.new("RGBA", mask.size, (*colour, 255))
    picture.putalpha(mask)
    expected = to_mnist_style(mask)
    assert (to_mnist_style(picture) == expected).all()
    assert (to_mnist_style(np.asarray(picture)) == expected).all()


# Too little ink, and pictures that cannot hold a digit.


@pytest.mark.parametrize(
    ("size", "speck", "paper"),
    [(100, 1, 255), (28, 1, 255), (1000, 1, 255), (600, 3, 255), (100, 1, 0), (64, 2, 180)],
)
def test_a_speck_is_blank_not_a_digit(size, speck, paper):
    """One dark pixel on white read as a digit (39 %): too little ink is no digit at all."""
    pixels = np.full((size, size), paper, dtype=np.uint8)
    pixels[size // 2 : size // 2 + speck, size // 3 : size // 3 + speck] = 0 if paper else 255
    with pytest.raises(BlankImageError, match="as good as blank: its ink spans") as info:
        to_mnist_style(pixels)
    assert f"{speck}x{speck} pixels" in str(info.value) and "at least 6 dark pixels" in str(
        info.value
    )


@pytest.mark.parametrize("digit", ["1", "7", "0", "L", "1-flag", "7-bar"])
@pytest.mark.parametrize("brush", [4, 18, 40])
@pytest.mark.parametrize("size", [0.05, 0.1, 0.9])
def test_the_pads_drawings_have_ink_enough_thin_small_or_bold(digit, brush, size):
    """The pad's thinnest brush (4) and smallest drawing (14 of 280 pixels) still read."""
    strokes = digit_strokes(digit, box=(0.1, 0.1, 0.1 + size, 0.1 + size))
    picture = rasterize([Stroke(brush, stroke.points) for stroke in strokes], 280)
    out = to_mnist_style(picture)
    assert max(ink_box(out)) == 20


def test_every_scikit_learn_digit_has_ink_enough():
    """The 1,797 8x8 digits of scikit-learn (the offline source) all pass, faint 1s included."""
    images = load_digits().images
    assert all(max(ink_box(to_mnist_style(image))) == 20 for image in images)
    faintest = min(images, key=lambda image: (image / image.max()).sum())
    assert (faintest / faintest.max()).sum() > 2 * MIN_INK, "the bar is well below real digits"


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (20000, 20, "20000x20 pixels is a strip, 1000 times longer one way than the other"),
        (20, 20000, "20x20000 pixels is a strip, 1000 times longer"),
        (300, 10, "300x10 pixels is a strip, 30 times longer"),
        (5, 5, "5x5 pixels is too small to hold a digit: expected at least 8 pixels"),
    ],
)
def test_strips_and_tiny_pictures_are_refused(tmp_path, width, height, message):
    pixels = np.full((height, width), 255, dtype=np.uint8)
    pixels[: max(1, height // 2), : max(1, width // 2)] = 0  # ink enough, were it a digit
    for picture in (pixels, Image.fromarray(pixels)):
        with pytest.raises(ImageShapeError, match=message):
            to_mnist_style(picture)
    Image.fromarray(pixels).save(tmp_path / "strip.png")
    with pytest.raises(ImageShapeError, match=f"^{re.escape(str(tmp_path))}.strip.png: {message}"):
        load_image(tmp_path / "strip.png")


def test_a_tight_crop_of_a_one_is_not_a_strip():
    one = np.asarray(draw_digit("1", ink=0, paper=255))
    rows, cols = np.flatnonzero((one < 128).any(axis=1)), np.flatnonzero((one < 128).any(axis=0))
    tight = one[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    assert tight.shape[0] > 4 * tight.shape[1], "a tall, narrow picture"
    assert max(ink_box(to_mnist_style(tight))) == 20


def test_an_upload_that_is_not_a_picture_names_the_file():
    with pytest.raises(DataError, match=r"^notes\.txt: not an image Pillow can read"):
        image_from_bytes(b"dear diary", "notes.txt")
    buffer = io.BytesIO()
    draw_digit("7").save(buffer, format="PNG")
    assert image_from_bytes(buffer.getvalue(), "seven.png").size == (280, 280)


def test_predict_refuses_a_speck_and_a_strip_with_one_error_line(digits, tmp_path):
    checkpoint = tmp_path / "tiny.pt"
    train(
        get_recipe("fast").replace(epochs=1),
        digits.train.head(200),
        checkpoint=checkpoint,
        progress=False,
    )
    speck = np.full((100, 100), 255, dtype=np.uint8)
    speck[50, 50] = 0
    Image.fromarray(speck).save(tmp_path / "speck.png")
    Image.new("L", (20000, 20), 255).save(tmp_path / "strip.png")
    for name, fragment in [("speck.png", "as good as blank"), ("strip.png", "is a strip")]:
        result = run_cli("predict", "--checkpoint", str(checkpoint), str(tmp_path / name))
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.startswith(f"error: {tmp_path / name}: "), result.stderr
        assert fragment in result.stderr and len(result.stderr.strip().splitlines()) == 1
