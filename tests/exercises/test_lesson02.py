"""Lesson 02's exercises: gradients that pile up, a gradient-descent step and the closing
questionnaire."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F

from mnist_course.exercises import EXERCISES
from tests.exercises.checking import ExerciseContract, Wrong, lesson_ids, passes


def step_without_zeroing(W, b, x, y, lr):
    loss = F.cross_entropy(x @ W + b, y)
    loss.backward()
    with torch.no_grad():
        W -= lr * W.grad
        b -= lr * b.grad
    return loss.item()


def step_zeroing_only_w(W, b, x, y, lr):
    loss = F.cross_entropy(x @ W + b, y)
    loss.backward()
    with torch.no_grad():
        W -= lr * W.grad
        b -= lr * b.grad
        W.grad.zero_()
    return loss.item()


def step_with_gradients_on(W, b, x, y, lr):
    loss = F.cross_entropy(x @ W + b, y)
    loss.backward()
    W -= lr * W.grad
    return loss.item()


def step_that_rebinds(W, b, x, y, lr):
    loss = F.cross_entropy(x @ W + b, y)
    loss.backward()
    W = W - lr * W.grad  # noqa: F841 (the mistake: a new local tensor)
    return loss.item()


def step_uphill(W, b, x, y, lr):
    loss = F.cross_entropy(x @ W + b, y)
    loss.backward()
    with torch.no_grad():
        for tensor in (W, b):
            tensor += lr * tensor.grad
            tensor.grad.zero_()
    return loss.item()


def step_returning_the_next_loss(W, b, x, y, lr):
    EXERCISES["02.2"].reference()(W, b, x, y, lr)
    return F.cross_entropy(x @ W + b, y).item()


def step_zeroing_first(W, b, x, y, lr):
    """Right too: zero the gradients before backward() instead of after the update."""
    W.grad = b.grad = None
    loss = F.cross_entropy(x @ W + b, y)
    loss.backward()
    with torch.no_grad():
        W -= lr * W.grad
        b -= lr * b.grad
    return loss


IDS = lesson_ids("02")
WRONG: Wrong = {
    "02.1": [(1, "does not replace .grad"), (9, "not by multiplying"), (4, "measured 3")],
    "02.2": [
        (step_without_zeroing, "piled up"),
        (step_zeroing_only_w, "b's gradient piled up"),
        (step_with_gradients_on, "torch.no_grad()"),
        (step_that_rebinds, "update it in place"),
        (step_uphill, "step against the gradient"),
        (step_returning_the_next_loss, "before the update"),
        (lambda W, b, x, y, lr: None, "W did not change"),
        (lambda *args: [step_zeroing_first(*args)], "expected the loss"),
    ],
    "02.3": [(7840, "add the biases"), (784, "its own weight"), (109_386, "count W")],
    "02.4": [("a", "probability 1"), ("(C)", "not a count"), ("d", "one letter")],
    "02.5": [("b", "zeroes nothing"), ("c", "with or without"), ("", "one letter")],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """Lesson 02's exercises need none of its variables."""
    return {}


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG


def test_zeroing_before_backward_is_right_too(capsys):
    assert passes("02.2", step_zeroing_first)
    assert "02.2 right:" in capsys.readouterr().out


def test_a_letter_may_come_in_either_case_and_in_brackets(capsys):
    assert passes("02.4", " B ") and passes("02.5", "(a)")
