"""From a picture to probabilities, the same way for image files and for the drawing widget."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from ..images.preprocess import BlankImageError, load_image, to_mnist_style
from ..models.classifier import Classifier, in_mode


@dataclass
class Prediction:
    """The model's answer for one picture, with the 28x28 image it actually saw."""

    index: int
    label: str
    probabilities: list[float]
    model_input: np.ndarray

    @property
    def confidence(self) -> float:
        return self.probabilities[self.index]


@torch.no_grad()
def predict_prepared(model: Classifier, mnist_image: np.ndarray) -> Prediction:
    """The model's answer for an image already in MNIST form (28x28 uint8, ink high)."""
    batch = torch.from_numpy(np.ascontiguousarray(mnist_image)).reshape(1, 28, 28)
    with in_mode(model):
        probabilities = model(batch.to(model.device)).float().exp()[0].cpu()
    index = int(probabilities.argmax())
    return Prediction(index, model.classes[index], probabilities.tolist(), mnist_image)


def predict_image(model: Classifier, image: Image.Image | np.ndarray) -> Prediction:
    """MNIST-style preprocessing, then the model's probabilities.

    Raises ``BlankImageError`` for a picture with no ink: no guess is better than a random one.
    """
    return predict_prepared(model, to_mnist_style(image))


def predict_file(model: Classifier, path: str | os.PathLike[str]) -> Prediction:
    """``predict_image`` on an image file; errors name the file."""
    try:
        return predict_image(model, load_image(path))
    except BlankImageError as exc:
        raise BlankImageError(f"{path}: {exc}") from exc
