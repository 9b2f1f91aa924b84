"""Lesson 04's exercises: the smallest diverging rate of a study, and one SGD step by hand."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from tests.exercises.checking import (
    Wrong,
    assert_malformed_answers_fail,
    assert_reference_passes,
    assert_wrong_answers_fail,
    fake_study,
    lesson_ids,
)


def sgd_up(params: list[torch.Tensor], lr: float) -> None:
    with torch.no_grad():
        for p in params:
            p += lr * p.grad


def sgd_renames(params: list[torch.Tensor], lr: float) -> None:
    for p in params:
        p = p - lr * p.grad  # the mistake under test: this only renames


IDS = lesson_ids("04")
WRONG: Wrong = {
    "04.1": [(10.0, "smaller rate"), (0.1, "without diverging"), (0.5, "not one of")],
    "04.2": [(sgd_up, "up the gradient"), (sgd_renames, "did not move")],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """Lesson 04's learning-rate study: two rates that train, two that diverge."""
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


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_reference_solution_passes(exercise_id, context, capsys):
    assert_reference_passes(exercise_id, context, capsys)


@pytest.mark.parametrize("exercise_id", IDS)
def test_wrong_answers_fail_and_say_why(exercise_id, context, capsys):
    assert_wrong_answers_fail(exercise_id, WRONG, context, capsys)


@pytest.mark.parametrize("exercise_id", IDS)
def test_malformed_answers_fail_without_raising(exercise_id, context, capsys):
    assert_malformed_answers_fail(exercise_id, context, capsys)
