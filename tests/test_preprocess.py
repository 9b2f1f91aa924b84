import numpy as np
import pytest
from PIL import Image

from mnist_course import BlankImageError, to_mnist_style
from tests.drawing import draw_digit


def _ink_box(image: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(image.shape)
    mass = image.astype(float).sum()
    return (ys * image).sum() / mass, (xs * image).sum() / mass


@pytest.mark.parametrize("digit", ["1", "7", "0", "L"])
def test_mnist_recipe_box_and_centre_of_mass(digit):
    out = to_mnist_style(draw_digit(digit))
    assert out.shape == (28, 28) and out.dtype == np.uint8 and out.max() == 255
    assert max(_ink_box(out)) == 20, "the longer side is scaled to 20 pixels"
    row, col = _centre_of_mass(out)
    assert abs(row - 13.5) <= 0.5 and abs(col - 13.5) <= 0.5


def test_aspect_ratio_is_kept():
    height, width = _ink_box(to_mnist_style(draw_digit("1")))
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
