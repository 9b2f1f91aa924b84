"""From a picture to probabilities, the same way for image files and for the drawing widget."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from PIL import Image

from .data.normalization import Normalization
from .preprocess import BlankImageError, load_image, to_mnist_style
from .training.evaluate import model_device


class Classifier(Protocol):
    """Anything with a model, its normalisation and class names: a Checkpoint or a TrainResult."""

    model: torch.nn.Module
    normalization: Normalization
    classes: tuple[str, ...]


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


def to_model_input(mnist_image: np.ndarray, normalization: Normalization) -> torch.Tensor:
    """A 28x28 uint8 image as the normalised ``[1, 1, 28, 28]`` float batch a model takes."""
    pixels = torch.from_numpy(mnist_image).float().div_(255).reshape(1, 1, 28, 28)
    return normalization.apply(pixels)


@torch.no_grad()
def predict_prepared(classifier: Classifier, mnist_image: np.ndarray) -> Prediction:
    """The model's answer for an image already in MNIST form (28x28 uint8, ink high)."""
    model = classifier.model.eval()
    batch = to_model_input(mnist_image, classifier.normalization).to(model_device(model))
    probabilities = model(batch).float().exp()[0].cpu()
    index = int(probabilities.argmax())
    return Prediction(index, classifier.classes[index], probabilities.tolist(), mnist_image)


def predict_image(classifier: Classifier, image: Image.Image | np.ndarray) -> Prediction:
    """MNIST-style preprocessing, the model's normalisation, then its probabilities.

    Raises ``BlankImageError`` for a picture with no ink: no guess is better than a random one.
    """
    return predict_prepared(classifier, to_mnist_style(image))


def predict_file(classifier: Classifier, path: str | os.PathLike[str]) -> Prediction:
    """``predict_image`` on an image file; errors name the file."""
    try:
        return predict_image(classifier, load_image(path))
    except BlankImageError as exc:
        raise BlankImageError(f"{path}: {exc}") from exc
