"""Pixel normalisation, computed from the training images rather than quoted from a blog.

MNIST's famous 0.1307 / 0.3081 are simply the mean and standard deviation of every training pixel
scaled to [0, 1]; ``compute_normalization`` derives them exactly (from a 256-bin histogram, so it
is fast and needs no float copy of the data). ``Normalization.symmetric()`` is the other common
choice, mean 0.5 / std 0.5, which maps [0, 1] to [-1, 1].
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..core.errors import DataError


@dataclass(frozen=True)
class Normalization:
    """``(x - mean) / std`` for pixels already scaled to [0, 1]."""

    mean: float
    std: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and math.isfinite(self.std) and self.std > 0):
            raise DataError(
                f"normalisation needs a finite mean and a std above 0, got mean={self.mean}, "
                f"std={self.std} (a std of 0 means every pixel has the same value)"
            )

    @classmethod
    def symmetric(cls) -> Normalization:
        """The [-1, 1] variant: mean 0.5, std 0.5."""
        return cls(mean=0.5, std=0.5)

    @classmethod
    def identity(cls) -> Normalization:
        """Leave pixels in [0, 1]."""
        return cls(mean=0.0, std=1.0)

    def apply(self, pixels01: torch.Tensor) -> torch.Tensor:
        """Normalise a float tensor of pixels in [0, 1]."""
        return (pixels01 - self.mean) / self.std

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


MNIST_NORMALIZATION = Normalization(mean=0.1307, std=0.3081)
"""The values every MNIST tutorial quotes; ``compute_normalization`` reproduces them."""


def compute_normalization(images: torch.Tensor) -> Normalization:
    """Mean and std of all pixels of uint8 ``images`` scaled to [0, 1], computed exactly.

    >>> compute_normalization(torch.tensor([[0, 255]], dtype=torch.uint8))
    Normalization(mean=0.5, std=0.5)
    """
    if images.numel() == 0:
        raise DataError("cannot compute normalisation statistics of an empty image set")
    counts = np.bincount(images.reshape(-1).numpy(), minlength=256).astype(np.float64)
    values = np.arange(256, dtype=np.float64) / 255.0
    total = counts.sum()
    mean = float((counts * values).sum() / total)
    variance = float((counts * (values - mean) ** 2).sum() / total)
    return Normalization(mean=mean, std=variance**0.5)
