"""Lesson 02's exercises: gradients that pile up, a gradient-descent step, R2's MLP, an evaluation
loop (eval mode, no gradients, the device) and the closing questionnaire."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import mnist_course.exercises.lesson02 as lesson02
from mnist_course.exercises import EXERCISES
from mnist_course.models import build_model
from tests.exercises.checking import (
    ExerciseContract,
    From,
    Wrong,
    lesson_ids,
    passes,
)


def eval_without_eval_mode(model: nn.Module, loader: Any) -> float:
    right = seen = 0
    with torch.no_grad():
        for images, labels in loader:
            right += (model(images).argmax(dim=1) == labels).sum().item()
            seen += len(labels)
    return right / seen


def eval_with_gradients(model: nn.Module, loader: Any) -> float:
    model.eval()
    right = sum((model(x).argmax(dim=1) == y).sum().item() for x, y in loader)
    return right / len(loader.dataset)


def mean_of_batch_accuracies(model: nn.Module, loader: Any) -> float:
    model.eval()
    with torch.no_grad():
        shares = [(model(x).argmax(dim=1) == y).float().mean().item() for x, y in loader]
    return sum(shares) / len(shares)


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
NO_RELU = From(lambda c: nn.Sequential(*[m for m in build_model("mlp") if type(m) is not nn.ReLU]))
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
    "02.3": [
        (From(lambda c: build_model("net1")), "expected the layers"),
        (From(lambda c: build_model("mlp")[:-1]), "log-probabilities"),
        (NO_RELU, "forward pass"),
    ],
    "02.4": [
        (eval_without_eval_mode, "training mode"),
        (eval_with_gradients, "no_grad"),
        (mean_of_batch_accuracies, "divide by the number of images"),
        (lambda model, loader: 0.5, "never called the model"),
    ],
    "02.5": [(7840, "add the biases"), (784, "its own weight"), (109_386, "count W")],
    "02.6": [("a", "no_grad() only"), ("(C)", "zero_grad()"), ("d", "one letter")],
    "02.7": [("a", "once more"), ("c", "uniform guess"), ("", "one letter")],
    "02.8": [("a", "those very images"), ("c", "lucky"), (2, "one letter")],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """Lesson 02's exercises need none of its variables."""
    return {}


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG


def test_the_evaluation_loop_must_move_each_batch_to_the_models_device(monkeypatch, capsys):
    """On a GPU the check runs the model there; 'meta' stands in for one on this CPU machine."""

    def no_move(model, loader):
        model.eval()
        with torch.no_grad():
            right = sum((model(x).argmax(dim=1) == y).sum().item() for x, y in loader)
        return right / len(loader.dataset)

    assert passes("02.4", no_move)  # on the CPU the batches are already where the model is
    capsys.readouterr()
    monkeypatch.setattr(lesson02, "_check_device", lambda: torch.device("meta"))
    assert not passes("02.4", no_move)
    printed = capsys.readouterr().out
    assert "02.4 not yet:" in printed and "move each batch to the model's device" in printed


def test_a_loop_that_changes_the_model_leaves_the_next_check_as_it_was(capsys):
    """The check trains its network once and hands each answer a fresh copy of the weights."""
    reference = EXERCISES["02.4"].reference()

    def zero_then_evaluate(model, loader):
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.zero_()
        return reference(model, loader)

    assert not passes("02.4", zero_then_evaluate)
    assert "the library's evaluate gives" in capsys.readouterr().out
    assert passes("02.4", reference)


def test_zeroing_before_backward_is_right_too(capsys):
    assert passes("02.2", step_zeroing_first)
    assert "02.2 right:" in capsys.readouterr().out


def test_a_letter_may_come_in_either_case_and_in_brackets(capsys):
    assert passes("02.6", " B ") and passes("02.7", "(b)")
