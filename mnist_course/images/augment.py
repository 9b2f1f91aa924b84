"""Batched data augmentation: a different random distortion for every image, in one call.

Augmenting inside the batch iterator keeps training fast: ``affine_grid``/``grid_sample`` move all
images of a batch at once (on the GPU too), where per-sample PIL transforms would dominate the
epoch time. Both functions take and return float images ``[B, 1, 28, 28]`` in [0, 1].
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from .preprocess import BOX


def _affine_grid(
    images: torch.Tensor,
    degrees: float,
    translate: float,
    scale: tuple[float, float],
    shear: float,
    zoom: torch.Tensor | float = 1.0,
) -> torch.Tensor:
    """Sampling grid of a random rotation, shift, zoom and shear per image; ``zoom`` (one factor
    per image, or one for all) multiplies the random zoom."""
    count, device = len(images), images.device

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.empty(count, device=device).uniform_(low, high)

    angle = uniform(-degrees, degrees) * math.pi / 180
    shear_x = uniform(-shear, shear) * math.pi / 180
    zoom = uniform(*scale) * zoom
    cos, sin, tan = torch.cos(angle), torch.sin(angle), torch.tan(shear_x)
    # affine_grid maps output to input coordinates, so build the inverse of the wanted motion
    theta = torch.zeros(count, 2, 3, device=device)
    theta[:, 0, 0], theta[:, 0, 1] = cos / zoom, (sin + cos * tan) / zoom
    theta[:, 1, 0], theta[:, 1, 1] = -sin / zoom, (cos - sin * tan) / zoom
    theta[:, :, 2] = torch.empty(count, 2, device=device).uniform_(-2 * translate, 2 * translate)
    return F.affine_grid(theta, list(images.shape), align_corners=False)


def _gaussian_blur(noise: torch.Tensor, sigma: float) -> torch.Tensor:
    """torchvision's ``gaussian_blur`` (kernel ``int(4 * sigma) | 1``, reflected edges), done as
    two products with a banded matrix (each row blurred, then each column): the same numbers,
    several times faster on a CPU than its 2-D convolution."""
    half = (int(4 * sigma) | 1) // 2
    height, width = noise.shape[-2:]
    rows, columns = (_band(n, sigma, noise.device, noise.dtype) for n in (height, width))
    padded = F.pad(noise, [half, half, half, half], mode="reflect")
    return rows.T @ (padded @ columns)


@functools.lru_cache(maxsize=16)
def _band(length: int, sigma: float, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """The blur of ``_gaussian_blur`` along one axis of ``length`` (plus its reflected edges) as a
    matrix: column j holds the kernel at rows j .. j + size - 1. Made once per shape."""
    size = int(4 * sigma) | 1
    half = size // 2
    x = torch.arange(-half, half + 1, device=device, dtype=dtype)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    kernel = kernel / kernel.sum()
    matrix = torch.zeros(length + 2 * half, length, device=device, dtype=dtype)
    for j in range(length):
        matrix[j : j + size, j] = kernel
    return matrix


def _elastic_field(images: torch.Tensor, alpha: float, sigma: float) -> torch.Tensor:
    """A smooth random displacement per image, in ``grid_sample``'s coordinates ``[B, H, W, 2]``."""
    count, _, height, width = images.shape
    noise = torch.rand(count, 2, height, width, device=images.device) * 2 - 1
    field = _gaussian_blur(noise, sigma) * alpha
    return field.permute(0, 2, 3, 1) * torch.tensor([2 / width, 2 / height], device=images.device)


def _sample(images: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    return F.grid_sample(images, grid, align_corners=False, padding_mode="zeros")


def random_affine(
    images: torch.Tensor,
    degrees: float = 10.0,
    translate: float = 0.1,
    scale: tuple[float, float] = (0.9, 1.1),
    shear: float = 10.0,
) -> torch.Tensor:
    """Rotate, shift, zoom and shear each image by its own random amount (like RandomAffine)."""
    return _sample(images, _affine_grid(images, degrees, translate, scale, shear))


def elastic(images: torch.Tensor, alpha: float = 34.0, sigma: float = 4.0) -> torch.Tensor:
    """Elastic distortion (Simard et al., 2003): smooth random displacement per image.

    ``alpha`` is the displacement strength in pixels, ``sigma`` how smooth the field is.
    """
    identity = F.affine_grid(
        torch.eye(2, 3, device=images.device).expand(len(images), 2, 3),
        list(images.shape),
        align_corners=False,
    )
    return _sample(images, identity + _elastic_field(images, alpha, sigma))


def _extreme3x3(images: torch.Tensor, pick: Callable, edge: float) -> torch.Tensor:
    """The maximum (or minimum) of every 3x3 neighbourhood, beyond the border ``edge``: nine
    shifted views compared in place, many times faster on a CPU than a stride-1 max-pool."""
    padded = F.pad(images, [1, 1, 1, 1], value=edge)
    rows = pick(pick(padded[..., :, :-2], padded[..., :, 1:-1]), padded[..., :, 2:])
    return pick(pick(rows[..., :-2, :], rows[..., 1:-1, :]), rows[..., 2:, :])


def stroke_width(images: torch.Tensor, thinner: int = 1, thicker: int = 2) -> torch.Tensor:
    """Each image's strokes made thinner or thicker by its own random amount, in pixels.

    People draw with every pen from a fine liner to a marker; MNIST's strokes are about two
    pixels wide. Greyscale dilation (a 3x3 maximum) thickens a stroke by about a pixel a step,
    erosion (a 3x3 minimum) thins it; each image gets between ``thinner`` steps of erosion and
    ``thicker`` steps of dilation, uniformly, all images in one batched pass.
    """
    return _stroke_steps(images, thinner, thicker)[0]


def _stroke_steps(
    images: torch.Tensor, thinner: int, thicker: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """``stroke_width``, and the steps each image got (``[B]``, negative: thinner)."""
    steps = torch.randint(-thinner, thicker + 1, (len(images), 1, 1, 1), device=images.device)
    out, grown, shrunk = images.clone(), images, images
    for step in range(1, max(thinner, thicker) + 1):
        if step <= thicker:
            grown = _extreme3x3(grown, torch.maximum, 0.0)
            out = torch.where(steps == step, grown, out)
        if step <= thinner:
            shrunk = _extreme3x3(shrunk, torch.minimum, 1.0)
            out = torch.where(steps == -step, shrunk, out)
    return out, steps.view(-1)


def pen_and_hand(
    images: torch.Tensor,
    share: float = 0.5,
    *,
    thinner: int = 1,
    thicker: int = 3,
    degrees: float = 12.0,
    translate: float = 0.1,
    scale: tuple[float, float] = (0.9, 1.1),
    shear: float = 15.0,
    alpha: float = 20.0,
) -> torch.Tensor:
    """Any pen, any hand: a random share of the images redrawn as the pad would see them.

    Each chosen image gets its own pen (``stroke_width``: ``thinner`` to ``thicker`` steps), then
    a random affine motion (``degrees``, ``translate``, ``scale``, ``shear``) and an elastic
    distortion (``alpha``), all in one resampling (one interpolation blurs less than two). A
    pen one step wider makes the digit about two pixels bigger, but the pad fits every drawing
    into MNIST's 20-pixel box (``preprocess.to_mnist_style``), whatever the pen: so the thicker
    digit is shrunk back to its size (and a thinner one grown), and the network sees thick pens
    the way the pad will show them to it.

    Only a random ``share`` of the images is distorted (and only they cost time); the rest stay
    as MNIST wrote them, which keeps a small network as accurate on MNIST itself while it learns
    to read any pen.
    """
    chosen = torch.rand(len(images), device=images.device) < share
    if not chosen.any():
        return images
    picked, steps = _stroke_steps(images[chosen], thinner, thicker)
    fit = BOX / (BOX + 2 * steps.to(picked.dtype))
    grid = _affine_grid(picked, degrees, translate, scale, shear, zoom=fit)
    out = images.clone()
    out[chosen] = _sample(picked, grid + _elastic_field(picked, alpha=alpha, sigma=4.0))
    return out


AUGMENTATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "affine": random_affine,
    "elastic": elastic,
    "affine+elastic": lambda images: elastic(random_affine(images)),
    "pen+hand": pen_and_hand,
}
