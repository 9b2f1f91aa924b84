"""Lesson 07's exercises: steps per epoch, the best rate per batch size of a grid search, a
prediction of grid against random search, and the closing questionnaire."""

from __future__ import annotations

from typing import Any

import pytest

from mnist_course.training.studies import Study
from tests.exercises.checking import (
    ExerciseContract,
    Wrong,
    fake_study,
    lesson_ids,
    passes,
)

IDS = lesson_ids("07")
WRONG: Wrong = {
    "07.1": [
        (lambda n, b, drop_last=False: n // b, "smaller batch is a step"),
        (lambda n, b, drop_last=False: -(-n // b), "drops the last"),
    ],
    "07.2": [
        ({64: 0.3, 256: 0.3}, "at batch 64"),
        ({0.03: 64, 0.3: 256}, "whole number"),
        ({64: 0.03}, "each batch size"),
        ({64: 0.03, 256: 0.1}, "not one of"),
    ],
    "07.3": [
        ("grid", "you predicted the grid search; in this run the random search"),
        ("tie", "expected 'grid' or 'random'"),
    ],
    "07.4": [
        ({1: 4, 2: 0.2, 3: "b", 4: 75, 5: 211}, "4 of 5 right. (1) every draw"),
        ({1: 16, 2: 0.05, 3: "a", 4: 25, 5: 210}, "1 of 5 right"),
        ({1: 16}, "no answer to question 2, 3, 4, 5 yet"),
    ],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """Lesson 07's grid search: 2 rates by 2 batch sizes; the best rate grows with the batch."""
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
        "sampled": fake_study(
            ["lr", "batch_size"],
            [
                {"lr": 0.0412, "batch_size": 64, "val_accuracy": 0.96},
                {"lr": 0.127, "batch_size": 256, "val_accuracy": 0.93},
                {"lr": 0.0213, "batch_size": 64, "val_accuracy": 0.92},
                {"lr": 0.251, "batch_size": 128, "val_accuracy": 0.91},
            ],
        ),
    }


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG


def grid_where_best_is(best: dict[int, float]) -> Study:
    """A grid search over the rates 0.01, 0.1 and 1 where ``best[size]`` wins at batch ``size``."""
    rows = [
        {"lr": lr, "batch_size": size, "val_accuracy": 0.95 if lr == best[size] else 0.90}
        for size in best
        for lr in (0.01, 0.1, 1.0)
    ]
    return fake_study(["lr", "batch_size"], rows)


GROWS = "grows with the batch, as the linear scaling rule predicts"
THOUGH = (
    "though the linear scaling rule predicts a best rate proportional to the batch size "
    "(double the batch, about double the rate)."
)


@pytest.mark.parametrize(
    ("best", "said"),
    [
        (
            {64: 0.01, 128: 0.1, 256: 1.0},
            f"{GROWS}: from 0.01 at batch 64 to 1 at batch 256, 100x the rate for 4x the batch "
            "(the rule: about 4x).",
        ),
        ({64: 0.1, 128: 0.1, 256: 0.1}, f"stays at 0.1 from batch 64 to 256: flat, {THOUGH}"),
        (
            {64: 0.1, 128: 1.0, 256: 0.01},
            f"falls from 1 at batch 128 to 0.01 at batch 256, {THOUGH}",
        ),
        (
            {64: 0.01, 128: 0.01, 256: 0.1},
            "grows from 0.01 at batch 64 to 0.1 at batch 256, but not at every step: it stays "
            f"at 0.01 from batch 64 to 128, {THOUGH}",
        ),
        ({64: 0.1}, "lr 0.1 at batch 64, the grid's only batch size."),
    ],
    ids=["grows", "flat", "falls", "partly", "one batch size"],
)
def test_the_best_rates_are_read_against_the_linear_scaling_rule(best, said, capsys):
    """Only a best rate that grows at every step is said to follow the rule."""
    assert passes("07.2", best, search=grid_where_best_is(best))
    printed = capsys.readouterr().out
    assert said in printed, printed
    assert (GROWS in printed) == (said.startswith(GROWS)), printed


def test_the_prediction_names_the_winner_and_how_many_rates_each_tried(context, capsys):
    assert passes("07.3", " Random search", search=context["search"], sampled=context["sampled"])
    printed = capsys.readouterr().out
    assert (
        "the random search found the better setting, lr 0.0412, batch size 64 at 96.00%" in printed
    )
    assert "the grid tried 2 learning rates in its runs, the random search 4" in printed


def test_a_tie_between_the_searches_is_said_and_either_prediction_passes(context, capsys):
    grid = context["search"]
    for predicted in ("grid", "random"):
        assert passes("07.3", predicted, search=grid, sampled=grid)
        assert "a tie: both found 95.00%" in capsys.readouterr().out
