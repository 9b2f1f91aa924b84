"""Lesson 10's exercises: BatchNorm's batch dependence predicted, BatchNorm folded into a
convolution, the augmentation that reads other writers best, and the closing questionnaire."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
from torch import nn

from tests.exercises.checking import ExerciseContract, Wrong, lesson_ids, passes

IDS = lesson_ids("10")


def fold_without_eps(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    folded = copy.deepcopy(conv)
    scale = bn.weight / bn.running_var.sqrt()
    with torch.no_grad():
        folded.weight.mul_(scale.view(-1, 1, 1, 1))
        folded.bias.copy_((conv.bias - bn.running_mean) * scale + bn.bias)
    return folded


def fold_forgetting_the_mean(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    folded = copy.deepcopy(conv)
    scale = bn.weight / (bn.running_var + bn.eps).sqrt()
    with torch.no_grad():
        folded.weight.mul_(scale.view(-1, 1, 1, 1))
        folded.bias.copy_(conv.bias * scale + bn.bias)
    return folded


def fold_by_the_variance(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    folded = copy.deepcopy(conv)
    scale = bn.weight / (bn.running_var + bn.eps)
    with torch.no_grad():
        folded.weight.mul_(scale.view(-1, 1, 1, 1))
        folded.bias.copy_((conv.bias - bn.running_mean) * scale + bn.bias)
    return folded


def fold_without_padding(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    return nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size)


WRONG: Wrong = {
    "10.1": [
        (
            {"train": "no", "eval": "no"},
            "in training mode BatchNorm normalises with the statistics",
        ),
        ({"train": "yes", "eval": "yes"}, "in eval mode BatchNorm uses its running averages"),
        ({"train": "yes"}, 'expected a dict {"train": ..., "eval": ...}'),
        ({"train": "maybe", "eval": "no"}, 'for "train" expected "yes" or "no"'),
    ],
    "10.2": [
        (fold_without_eps, "add eps to running_var before the square root"),
        (fold_forgetting_the_mean, "the bias must also lose the running mean"),
        (fold_by_the_variance, "divide by the standard deviation"),
        (fold_without_padding, "keep the stride and padding"),
        (lambda conv, bn: conv, "differ by up to"),
        (lambda conv, bn: (conv.weight, conv.bias), "expected fold to return an nn.Conv2d"),
    ],
    "10.3": [("affine", "distorted test set"), ("none", "another"), ("elastic", "one of")],
    "10.4": [
        ({1: 128, 2: 0.0005, 3: "b", 4: "a"}, "3 of 4 right. (1) count only"),
        ({1: 64, 2: 0.001, 3: "a", 4: "b"}, "1 of 4 right"),
        ({1: 64}, "no answer to question 2, 3, 4 yet"),
    ],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """Lesson 10's results: BatchNorm's batch dependence measured, and an augmentation table
    where affine is best on the distorted test set and affine+elastic on other writers."""
    return {
        "changes": {"train": 0.412, "eval": 0.0},
        "rows": [
            {"augmentation": "none", "test": 0.990, "other writers": 0.80, "distorted test": 0.70},
            {
                "augmentation": "affine",
                "test": 0.992,
                "other writers": 0.84,
                "distorted test": 0.95,
            },
            {
                "augmentation": "affine+elastic",
                "test": 0.989,
                "other writers": 0.86,
                "distorted test": 0.93,
            },
        ],
    }


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG


def test_the_prediction_takes_booleans_and_says_the_measured_change(context, capsys):
    assert passes("10.1", {"train": True, "eval": False}, changes=context["changes"])
    assert "moved by up to 0.412 in training mode" in capsys.readouterr().out


def test_the_fold_reference_handles_a_convolution_without_bias(capsys):
    from mnist_course.exercises import EXERCISES

    fold = EXERCISES["10.2"].reference()
    conv, bn = nn.Conv2d(2, 3, 3, bias=False), nn.BatchNorm2d(3).eval()
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    x = torch.randn(2, 2, 6, 6)
    with torch.no_grad():
        assert torch.allclose(fold(conv, bn)(x), bn(conv(x)), atol=1e-5)


def test_the_best_augmentation_says_its_gain_over_none(context, capsys):
    assert passes("10.3", " Affine+Elastic", rows=context["rows"])
    assert "86.00% of the other writers' digits, +6.00 points" in capsys.readouterr().out
