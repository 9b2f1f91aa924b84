"""Lesson 08's exercises: the most confused pair, and recall, from a confusion matrix."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.exercises.checking import (
    ExerciseContract,
    From,
    Wrong,
    lesson_ids,
)


def precision_of(matrix: np.ndarray) -> np.ndarray:
    return np.diag(matrix) / matrix.sum(axis=0)


IDS = lesson_ids("08")
WRONG: Wrong = {
    "08.1": [((7, 2), "single cell"), ((3, 3), "diagonal"), ((1, 2, 3), "two digits")],
    "08.2": [
        (From(lambda c: precision_of(c["matrix"])), "precision"),
        (From(lambda c: 100 * np.diag(c["matrix"]) / c["matrix"].sum(1)), "percentages"),
        (np.ones(9), "expected 10 values"),
    ],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """Lesson 08's confusion matrix: 4 and 9 the most confused pair, 7 as 2 the largest cell."""
    matrix = np.diag(np.full(10, 100))
    matrix[4, 9], matrix[9, 4] = 7, 6  # 13 in both directions: the most confused pair
    matrix[7, 2] = 10  # the largest single cell, but only one direction
    return {"matrix": matrix}


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG
