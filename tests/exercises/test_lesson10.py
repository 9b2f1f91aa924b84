"""Lesson 10's exercises: batch normalisation by hand, and the best augmentation of a table."""

from __future__ import annotations

from typing import Any

import pytest

from tests.exercises.checking import (
    ExerciseContract,
    Wrong,
    lesson_ids,
)

IDS = lesson_ids("10")
WRONG: Wrong = {
    "10.1": [
        (lambda x: (x - x.mean()) / x.std(unbiased=False), "all channels together"),
        (
            lambda x: (x - x.mean((0, 2, 3), True)) / x.std((0, 2, 3), keepdim=True),
            "biased variance",
        ),
        (lambda x: (x - x.mean((1, 2, 3), True)) / x.std((1, 2, 3), False, True), "each image"),
        (lambda x: x[0], "shape of x"),
    ],
    "10.2": [("affine", "normal test set"), ("none", "another"), ("elastic", "one of")],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """Lesson 10's augmentation table: affine+elastic best on the distorted test set."""
    return {
        "rows": [
            {"augmentation": "none", "test": 0.990, "distorted test": 0.80},
            {"augmentation": "affine", "test": 0.992, "distorted test": 0.95},
            {"augmentation": "affine+elastic", "test": 0.989, "distorted test": 0.96},
        ],
    }


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG
