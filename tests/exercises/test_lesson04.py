"""Lesson 04's exercises: R4's Net2, a conv's parameters, shapes predicted, the questionnaire."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from mnist_course.models import build_model
from tests.exercises.checking import (
    ExerciseContract,
    From,
    Wrong,
    lesson_ids,
)


def net2_without_dropout2d() -> nn.Module:
    model = build_model("net2")
    model[4] = nn.Identity()
    return model


class Net2Unused(nn.Module):
    """Net2's layers with a Dropout2d the forward pass never calls."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = net2_without_dropout2d()
        self.drop = nn.Dropout2d()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


IDS = lesson_ids("04")
WRONG: Wrong = {
    "04.1": [
        (From(lambda c: net2_without_dropout2d()), "no nn.Dropout2d"),
        (Net2Unused, "never calls it"),
        (From(lambda c: build_model("net3")), "expected the layers"),
    ],
    "04.2": [(18_432, "biases"), (576, "is not it")],
    "04.3": [
        ((1, 32, 28, 28), "padding"),
        ((1, 1, 26, 26), "one channel per filter"),
        ((32, 26, 26), "four of them"),
        (torch.Size([2, 32, 26, 26]), "batch size"),
        ([1, 32, 27, 27], "is not it"),
        ((1, 32, 26.5, 26), "whole number"),
    ],
    "04.4": [(1024, "without padding"), (1600, "cnn3's"), (49, "64 channels"), (7, "is not it")],
    "04.5": [(2048, "not 3.5 or 4"), (6272, "two pools"), (100, "is not it")],
    "04.6": [("a", "count them"), ("dense", "letters")],
    "04.7": [("b", "does not ignore"), ("C", "MLP's problem"), ("d", "letters")],
    "04.8": [("train", "train mode"), ("off", "letters")],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """Lesson 04's exercises need none of its variables."""
    return {}


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG
