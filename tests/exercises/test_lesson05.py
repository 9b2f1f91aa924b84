"""Lesson 05's exercises: steps per epoch, and the best rate per batch size of a grid search."""

from __future__ import annotations

from typing import Any

import pytest

from tests.exercises.checking import (
    Wrong,
    assert_malformed_answers_fail,
    assert_reference_passes,
    assert_wrong_answers_fail,
    fake_study,
    lesson_ids,
)

IDS = lesson_ids("05")
WRONG: Wrong = {
    "05.1": [
        (lambda n, b, drop_last=False: n // b, "smaller batch is a step"),
        (lambda n, b, drop_last=False: -(-n // b), "drops the last"),
    ],
    "05.2": [
        ({64: 0.3, 256: 0.3}, "at batch 64"),
        ({0.03: 64, 0.3: 256}, "whole number"),
        ({64: 0.03}, "each batch size"),
        ({64: 0.03, 256: 0.1}, "not one of"),
    ],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """Lesson 05's grid search: 2 rates by 2 batch sizes; the best rate grows with the batch."""
    return {
        "search": fake_study(
            ["lr", "batch_size"],
            [
                {"lr": 0.03, "batch_size": 64, "val_accuracy": 0.95},
                {"lr": 0.03, "batch_size": 256, "val_accuracy": 0.90},
                {"lr": 0.3, "batch_size": 64, "val_accuracy": 0.93},
                {"lr": 0.3, "batch_size": 256, "val_accuracy": 0.94},
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
