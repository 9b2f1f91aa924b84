"""Lesson 01's exercises: the mean pixel value and the rarest digit's count, from its images."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from mnist_course.data import DataSplits
from tests.exercises.checking import (
    From,
    Wrong,
    assert_malformed_answers_fail,
    assert_reference_passes,
    assert_wrong_answers_fail,
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


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_reference_solution_passes(exercise_id, context, capsys):
    assert_reference_passes(exercise_id, context, capsys)


@pytest.mark.parametrize("exercise_id", IDS)
def test_wrong_answers_fail_and_say_why(exercise_id, context, capsys):
    assert_wrong_answers_fail(exercise_id, WRONG, context, capsys)


@pytest.mark.parametrize("exercise_id", IDS)
def test_malformed_answers_fail_without_raising(exercise_id, context, capsys):
    assert_malformed_answers_fail(exercise_id, context, capsys)
