"""Lesson 07's exercises: a torchvision transform, and a model's probabilities for one image."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torchvision import transforms

from mnist_course.classifier import Classifier
from mnist_course.data import DataSplits, Normalization
from mnist_course.models import build_model
from tests.exercises.checking import (
    From,
    Wrong,
    assert_malformed_answers_fail,
    assert_reference_passes,
    assert_wrong_answers_fail,
    lesson_ids,
)

IDS = lesson_ids("07")
NORMALIZE = transforms.Normalize((0.1307,), (0.3081,))
WRONG: Wrong = {
    "07.1": [
        (transforms.ToTensor(), "still in [0, 1]"),
        (transforms.Compose([NORMALIZE, transforms.ToTensor()]), "ToTensor comes first"),
        (
            transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]),
            "mean 0.1307",
        ),
        (transforms.PILToTensor(), "float32"),
    ],
    "07.2": [
        (From(lambda c: c["model"](c["image"][None]).detach()[0]), "log-probabilities"),
        (np.full(10, 0.1), "not the model's probabilities"),
        (np.ones(10), "add up to"),
    ],
}


@pytest.fixture(scope="module")
def context(digits: DataSplits) -> dict[str, Any]:
    """Lesson 07's model (an untrained MLP) and one test image, from scikit-learn's digits."""
    torch.manual_seed(0)
    model = Classifier(build_model("mlp"), Normalization(0.1307, 0.3081), digits.classes)
    return {"model": model, "image": digits.test.images[0]}


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_reference_solution_passes(exercise_id, context, capsys):
    assert_reference_passes(exercise_id, context, capsys)


@pytest.mark.parametrize("exercise_id", IDS)
def test_wrong_answers_fail_and_say_why(exercise_id, context, capsys):
    assert_wrong_answers_fail(exercise_id, WRONG, context, capsys)


@pytest.mark.parametrize("exercise_id", IDS)
def test_malformed_answers_fail_without_raising(exercise_id, context, capsys):
    assert_malformed_answers_fail(exercise_id, context, capsys)
