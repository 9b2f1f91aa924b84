"""Batched data augmentation: a different random distortion for every image, in one call.

Augmenting inside the batch iterator keeps training fast: ``affine_grid``/``grid_sample`` move all
images of a batch at once (on the GPU too), where per-sample PIL transforms would dominate the
epoch time. Both functions take and return float images ``[B, 1, 28, 28]`` in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torchvision.transforms.v2.functional import gaussian_blur


def random_affine(
    images: torch.Tensor,
    degrees: float = 10.0,
    translate: float = 0.1,
    scale: tuple[float, float] = (0.9, 1.1),
    shear: float = 10.0,
) -> torch.Tensor:
    """Rotate, shift, zoom and shear each image by its own random amount (like RandomAffine)."""
    count, device = len(images), images.device

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.empty(count, device=device).uniform_(low, high)

    angle = uniform(-degrees, degrees) * math.pi / 180
    shear_x = uniform(-shear, shear) * math.pi / 180
    zoom = uniform(*scale)
    cos, sin, tan = torch.cos(angle), torch.sin(angle), torch.tan(shear_x)
    # affine_grid maps output to input coordinates, so build the inverse of the wanted motion
    theta = torch.zeros(count, 2, 3, device=device)
    theta[:, 0, 0], theta[:, 0, 1] = cos / zoom, (sin + cos * tan) / zoom
    theta[:, 1, 0], theta[:, 1, 1] = -sin / zoom, (cos - sin * tan) / zoom
    theta[:, :, 2] = torch.empty(count, 2, device=device).uniform_(-2 * translate, 2 * translate)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, align_corners=False, padding_mode="zeros")


def elastic(images: torch.Tensor, alpha: float = 34.0, sigma: float = 4.0) -> torch.Tensor:
    """Elastic distortion (Simard et al., 2003): smooth random displacement per image.

    ``alpha`` is the displacement strength in pixels, ``sigma`` how smooth the field is.
    """
    count, _, height, width = images.shape
    noise = torch.rand(count, 2, height, width, device=images.device) * 2 - 1
    kernel = int(4 * sigma) | 1
    field = gaussian_blur(noise, kernel_size=[kernel, kernel], sigma=[sigma, sigma]) * alpha
    field = field.permute(0, 2, 3, 1) * torch.tensor([2 / width, 2 / height], device=images.device)
    identity = F.affine_grid(
        torch.eye(2, 3, device=images.device).expand(count, 2, 3), list(images.shape),
        align_corners=False,
    )  # fmt: skip
    return F.grid_sample(images, identity + field, align_corners=False, padding_mode="zeros")


def stroke_width(images: torch.Tensor, thinner: int = 1, thicker: int = 2) -> torch.Tensor:
    """Each image's strokes made thinner or thicker by its own random amount, in pixels.

    People draw with every pen from a fine liner to a marker; MNIST's strokes are about two
    pixels wide. Greyscale dilation (a 3x3 max filter) thickens a stroke by about a pixel a step,
    erosion (a 3x3 min filter) thins it; each image gets between ``thinner`` steps of erosion and
    ``thicker`` steps of dilation, uniformly, all images in one batched pass.
    """
    steps = torch.randint(-thinner, thicker + 1, (len(images), 1, 1, 1), device=images.device)
    out, grown, shrunk = images.clone(), images, images
    for step in range(1, max(thinner, thicker) + 1):
        grown = F.max_pool2d(grown, 3, stride=1, padding=1)
        shrunk = -F.max_pool2d(-shrunk, 3, stride=1, padding=1)
        out = torch.where(steps == step, grown, out)
        out = torch.where(steps == -step, shrunk, out)
    return out


def pen_and_hand(images: torch.Tensor) -> torch.Tensor:
    """Any pen, any hand: stroke width, then a random affine motion, then elastic distortion."""
    return elastic(random_affine(stroke_width(images), degrees=12, shear=15), alpha=20.0)


AUGMENTATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "affine": random_affine,
    "elastic": elastic,
    "affine+elastic": lambda images: elastic(random_affine(images)),
    "pen+hand": pen_and_hand,
}
