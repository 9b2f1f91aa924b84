"""Lesson 01's exercises: the mean pixel value and the rarest digit's count, from its images."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from mnist_course.data import DataSplits
from tests.exercises.checking import (
    ExerciseContract,
    From,
    Wrong,
    lesson_ids,
)

IDS = lesson_ids("01")
WRONG: Wrong = {
    "01.1": [
        (From(lambda c: c["train"].images.float().mean().item()), "divide by 255"),
        (0.5, "expected 0."),
        (torch.zeros(28, 28), "one number"),
    ],
    "01.2": [
        (From(lambda c: int(np.argmin(c["train"].class_counts()))), "digit itself"),
        (From(lambda c: max(c["train"].class_counts())), "has fewer"),
        (3.5, "whole number"),
    ],
}


@pytest.fixture(scope="module")
def context(digits: DataSplits) -> dict[str, Any]:
    """Lesson 01's training images, here scikit-learn's digits."""
    return {"train": digits.train}


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG
