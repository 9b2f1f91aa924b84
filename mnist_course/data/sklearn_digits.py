"""scikit-learn's 1,797 handwritten digits, made to look like MNIST: the offline source.

They are real handwriting (8x8, 16 grey levels) and ship with scikit-learn, so the course and its
tests run with no download at all. Each image goes through the same MNIST-style preprocessing as a
drawing: cropped, scaled to a 20-pixel box, centred by mass in 28x28.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.datasets import load_digits

from ..images.preprocess import to_mnist_style
from .dataset import DIGIT_CLASSES, DataSplits, DigitDataset
from .split import stratified_split


def load_sklearn_digits(test_fraction: float = 0.2, seed: int = 0) -> DataSplits:
    """All 1,797 digits as 28x28 uint8, split into train and test stratified by class."""
    bunch = load_digits()
    images = np.stack([to_mnist_style(image) for image in bunch.images])
    dataset = DigitDataset(
        torch.from_numpy(images),
        torch.from_numpy(bunch.target.astype(np.int64)),
        DIGIT_CLASSES,
        source="scikit-learn digits",
    )
    train, test = stratified_split(dataset, validation=test_fraction, seed=seed)
    return DataSplits(
        train=DigitDataset(train.images, train.labels, DIGIT_CLASSES, "scikit-learn digits train"),
        test=DigitDataset(test.images, test.labels, DIGIT_CLASSES, "scikit-learn digits test"),
    )
