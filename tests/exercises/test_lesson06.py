"""Lesson 06's exercises: the smallest diverging rate, one SGD step by hand, a prediction of the
best rate, and the closing questionnaire."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from tests.exercises.checking import (
    ExerciseContract,
    Wrong,
    fake_study,
    lesson_ids,
    passes,
)


def sgd_up(params: list[torch.Tensor], lr: float) -> None:
    with torch.no_grad():
        for p in params:
            p += lr * p.grad


def sgd_renames(params: list[torch.Tensor], lr: float) -> None:
    for p in params:
        p = p - lr * p.grad  # the mistake under test: this only renames


IDS = lesson_ids("06")
WRONG: Wrong = {
    "06.1": [(10.0, "smaller rate"), (0.1, "without diverging"), (0.5, "not one of")],
    "06.2": [(sgd_up, "up the gradient"), (sgd_renames, "did not move")],
    "06.3": [(0.01, "has not got as far"), (1.0, "which diverged"), (0.5, "not one of")],
    "06.4": [
        ({1: "a", 2: 1.047, 3: 0.012, 4: "b", 5: "b"}, "4 of 5 right. (1) a rate too small"),
        ({1: "b", 2: 1.0, 3: 0.3, 4: "b", 5: "c"}, "2 of 5 right. (2) from 1e-5"),
        ({1: "b"}, "no answer to question 2, 3, 4, 5 yet"),
        ({1: "b", 2: 1.047, 3: 0.012, 4: "b", 5: "b", 9: "a"}, "no question 9"),
        ({"one": "b"}, "question numbers"),
        ({1: 2, 2: "1.047", 3: None, 4: "b", 5: "b"}, "2 of 5 right"),
    ],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """Lesson 06's learning-rate study: two rates that train, two that diverge."""
    nan = float("nan")
    return {
        "study": fake_study(
            ["lr"],
            [
                {"lr": 0.01, "val_accuracy": 0.90},
                {"lr": 0.1, "val_accuracy": 0.95},
                {"lr": 1.0, "val_accuracy": nan, "status": "diverged"},
                {"lr": 10.0, "val_accuracy": nan, "status": "diverged"},
            ],
        ),
    }


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG


def test_the_questionnaire_takes_letters_as_learners_write_them(capsys):
    answer = {"1": " B", 2: 1.0471, 3: 0.012, 4: "(b)", 5: "b"}
    assert passes("06.4", answer)
    assert "all 5 right" in capsys.readouterr().out
