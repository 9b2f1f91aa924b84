"""Lesson 09's exercises: a torchvision transform, and a model's probabilities for one image."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torchvision import transforms

from mnist_course.data import DataSplits, Normalization
from mnist_course.models import build_model
from mnist_course.models.classifier import Classifier
from tests.exercises.checking import (
    ExerciseContract,
    From,
    Wrong,
    lesson_ids,
)

IDS = lesson_ids("09")
NORMALIZE = transforms.Normalize((0.1307,), (0.3081,))
WRONG: Wrong = {
    "09.1": [
        (transforms.ToTensor(), "still in [0, 1]"),
        (transforms.Compose([NORMALIZE, transforms.ToTensor()]), "ToTensor comes first"),
        (
            transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]),
            "mean 0.1307",
        ),
        (transforms.PILToTensor(), "float32"),
    ],
    "09.2": [
        (From(lambda c: c["model"](c["image"][None]).detach()[0]), "log-probabilities"),
        (np.full(10, 0.1), "not the model's probabilities"),
        (np.ones(10), "add up to"),
    ],
}


@pytest.fixture(scope="module")
def context(digits: DataSplits) -> dict[str, Any]:
    """Lesson 09's model (an untrained MLP) and one test image, from scikit-learn's digits."""
    torch.manual_seed(0)
    model = Classifier(build_model("mlp"), Normalization(0.1307, 0.3081), digits.classes)
    return {"model": model, "image": digits.test.images[0]}


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG
