"""Batched augmentation: one random distortion per image, the library's numbers, and no worse."""

import pytest
import torch
import torch.nn.functional as F
from torchvision.transforms.v2.functional import gaussian_blur

from mnist_course.images.augment import (
    AUGMENTATIONS,
    _extreme3x3,
    _gaussian_blur,
    elastic,
    pen_and_hand,
    random_affine,
    stroke_width,
)
from tests.drawing import ink_box


def test_augmentations_are_per_image_and_keep_shape(digits):
    images = digits.train.images[:1].float().div(255).unsqueeze(1).repeat(8, 1, 1, 1)
    for augment in (*AUGMENTATIONS.values(), lambda x: pen_and_hand(x, share=1.0)):
        if augment is pen_and_hand:
            continue  # distorts only a share of the batch: the next test
        out = augment(images)
        assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1
        assert len({tuple(o.flatten().tolist()) for o in out}) == 8, "each image its own distortion"


def test_augmentations_with_zero_strength_change_nothing(digits):
    images = digits.train.images[:4].float().div(255).unsqueeze(1)
    still = random_affine(images, degrees=0, translate=0, scale=(1, 1), shear=0)
    torch.testing.assert_close(still, images, atol=1e-5, rtol=0)
    torch.testing.assert_close(elastic(images, alpha=0), images, atol=1e-5, rtol=0)


@pytest.mark.parametrize("sigma", [1.0, 3.0, 4.0, 6.0])
def test_the_blur_is_torchvisions_gaussian_blur(sigma):
    noise = torch.rand(5, 2, 28, 20) * 2 - 1
    size = int(4 * sigma) | 1
    expected = gaussian_blur(noise, kernel_size=[size, size], sigma=[sigma, sigma])
    torch.testing.assert_close(_gaussian_blur(noise, sigma), expected, atol=1e-6, rtol=0)


def test_the_3x3_extremes_are_max_pooling(digits):
    images = digits.train.images[:6].float().div(255).unsqueeze(1)
    assert torch.equal(_extreme3x3(images, torch.maximum, 0.0), F.max_pool2d(images, 3, 1, 1))
    eroded = -F.max_pool2d(-images, 3, 1, 1)
    assert torch.equal(_extreme3x3(images, torch.minimum, 1.0), eroded)


def test_stroke_width_thickens_and_thins_each_image_by_its_own_steps(digits):
    images = digits.train.images[:1].float().div(255).unsqueeze(1).repeat(64, 1, 1, 1)
    ink = images[0].sum()
    out = stroke_width(images, thinner=1, thicker=2)
    inks = out.flatten(1).sum(1)
    assert (inks < ink).any() and (inks > ink).any() and (inks == ink).any()
    assert len(set(inks.tolist())) == 4, "one of four widths per image: -1, 0, +1, +2 steps"
    assert torch.equal(stroke_width(images, thinner=0, thicker=0), images)


def test_pen_and_hand_distorts_only_its_share_of_the_batch(digits):
    images = digits.train.images[:1].float().div(255).unsqueeze(1).repeat(200, 1, 1, 1)
    changed = (pen_and_hand(images) != images).flatten(1).any(1)
    assert 60 < changed.sum() < 140, "about half of 200 images distorted"
    assert torch.equal(pen_and_hand(images, share=0.0), images)
    assert (pen_and_hand(images, share=1.0) != images).flatten(1).any(1).all()


def _box_sides(images: torch.Tensor) -> torch.Tensor:
    """The longer side of each image's ink bounding box, in pixels."""
    return torch.tensor([max(ink_box(image[0].numpy() > 0.3)) for image in images])


def test_a_thicker_pen_keeps_the_digit_its_size_as_the_pad_would(digits):
    """The pad fits every drawing into a 20-pixel box, so pen_and_hand shrinks a thickened
    digit back to its size: the ink grows, the box does not (stroke_width alone grows both)."""
    images = digits.train.images[:1].float().div(255).unsqueeze(1).repeat(32, 1, 1, 1)
    side, ink = _box_sides(images[:1]).item(), images[0].sum()
    still = {"degrees": 0.0, "translate": 0.0, "scale": (1.0, 1.0), "shear": 0.0, "alpha": 0.0}
    torch.manual_seed(0)
    thick = pen_and_hand(images, share=1.0, thinner=0, thicker=3, **still)
    grown = stroke_width(images, thinner=0, thicker=3)
    assert (thick.flatten(1).sum(1) > ink).sum() > 16, "most images drawn with a thicker pen"
    assert (_box_sides(thick) - side).abs().max() <= 1, "the box keeps its size"
    assert (_box_sides(grown) - side).max() >= 5, "stroke_width alone makes the digit bigger"
