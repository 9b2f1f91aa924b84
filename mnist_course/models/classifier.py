"""A trained model as one object: the network, the normalisation it was trained with, its classes.

A ``Classifier`` takes pixels as the data stores them (uint8 0-255, or floats already in [0, 1];
``[B, 28, 28]`` or ``[B, 1, 28, 28]``), normalises them itself and returns the network's
log-probabilities. So whatever holds a classifier (``train``'s result, a checkpoint, ``evaluate``,
``predict``, export, the drawing pad) can never pair a model with the wrong statistics, just as a
Keras model carries its normalisation layer.

>>> from mnist_course.models import build_model
>>> model = Classifier(build_model("mlp"), Normalization(0.1307, 0.3081), "0123456789", "mlp")
>>> model(torch.zeros(2, 28, 28, dtype=torch.uint8)).shape
torch.Size([2, 10])
>>> model.name                # no recipe in its card (train() records one): its architecture
'mlp'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from ..core.errors import CourseError
from ..core.runtime import model_device
from ..data.normalization import Normalization


class Classifier(nn.Module):
    """``network`` with its input normalisation in front and its class names beside it."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(
        self,
        network: nn.Module,
        normalization: Normalization,
        classes: Sequence[str],
        arch: str = "custom",
        card: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.network = network
        self.normalization = normalization
        self.classes = tuple(classes)
        self.arch = arch
        self.card = dict(card or {})
        """What a reader of the model wants to know: recipe, data it saw, scores (plain data)."""
        # Buffers so that .to(device) moves them and export bakes them in; not saved as weights.
        self.register_buffer("mean", torch.tensor(float(normalization.mean)), persistent=False)
        self.register_buffer("std", torch.tensor(float(normalization.std)), persistent=False)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def name(self) -> str:
        """What to call it: the recipe it was trained with, else its architecture."""
        return self.card.get("recipe", self.arch)

    @property
    def device(self) -> torch.device:
        return model_device(self)

    SCORES = ("epoch", "val_accuracy", "train_accuracy", "test_accuracy", "holdout_accuracy")
    """The card's figures about one set of weights: stale once the model trains further."""

    def forget_scores(self) -> None:
        """Drop the card's figures (before training further: they describe the old weights)."""
        for key in self.SCORES:
            self.card.pop(key, None)

    def require_classes(self, classes: Sequence[str], data: str, model: str = "the model") -> None:
        """Refuse data whose class names differ from the model's (not just their number)."""
        if tuple(classes) == self.classes:
            return

        def names(values: Sequence[str]) -> str:
            return ", ".join(values[:12]) + (", ..." if len(values) > 12 else "")

        raise CourseError(
            f"{model} reads {self.num_classes} classes ({names(self.classes)}) but {data} has "
            f"{len(classes)} ({names(tuple(classes))}); use the data it was trained for"
        )

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """Log-probabilities ``[B, classes]`` for pixels in 0-255 (uint8) or [0, 1] (float)."""
        if pixels.dim() == 3:
            pixels = pixels.unsqueeze(1)
        if not pixels.is_floating_point():
            pixels = pixels.float().div(255)
        return self.network((pixels - self.mean) / self.std)

    def extra_repr(self) -> str:
        mean, std = self.normalization.mean, self.normalization.std
        return f"arch={self.arch!r}, {self.num_classes} classes, mean={mean:.4f}, std={std:.4f}"


@contextmanager
def in_mode(model: nn.Module, training: bool = False) -> Iterator[nn.Module]:
    """``model`` in eval mode (``training=True``: train mode) inside the ``with`` block, then back
    in the mode it was in, also when the block raises.

    >>> dropout = nn.Dropout().train()
    >>> with in_mode(dropout) as model:
    ...     model.training
    False
    >>> dropout.training
    True
    """
    was_training = model.training
    model.train(training)
    try:
        yield model
    finally:
        model.train(was_training)
