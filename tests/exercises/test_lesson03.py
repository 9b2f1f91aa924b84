"""Lesson 03's exercises: the steps of an epoch, R2's MLP, an evaluation loop (eval mode, no
gradients, the device) and the closing questionnaire."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

import mnist_course.exercises.lesson03 as lesson03
from mnist_course.exercises import EXERCISES
from mnist_course.exercises.answers import small_digits
from mnist_course.models import build_model
from tests.exercises.checking import ExerciseContract, From, Wrong, lesson_ids, passes


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


IDS = lesson_ids("03")
NO_RELU = From(lambda c: nn.Sequential(*[m for m in build_model("mlp") if type(m) is not nn.ReLU]))
WRONG: Wrong = {
    "03.1": [
        (4, "drop_last=True"),
        (300, "number of images"),
        (64, "the batch size"),
        (4.6875, "no whole number"),
        (7, "is not it"),
    ],
    "03.2": [
        (From(lambda c: build_model("net1")), "expected the layers"),
        (From(lambda c: build_model("mlp")[:-1]), "log-probabilities"),
        (NO_RELU, "forward pass"),
    ],
    "03.3": [
        (eval_without_eval_mode, "training mode"),
        (eval_with_gradients, "no_grad"),
        (mean_of_batch_accuracies, "divide by the number of images"),
        (lambda model, loader: 0.5, "never called the model"),
    ],
    "03.4": [("a", "no_grad() only"), ("(C)", "zero_grad()"), ("d", "one letter")],
    "03.5": [("a", "once more"), ("c", "uniform guess"), ("", "one letter")],
    "03.6": [("b", "no class"), ("c", "no weight"), (2, "one letter")],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """Exercise 03.1 needs the lesson's loader: 300 digits in batches of 64, the last of 44."""
    data = small_digits()
    return {"loader": DataLoader(data.as_torch_dataset(), batch_size=64, shuffle=True)}


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG


def test_the_steps_of_an_epoch_are_those_of_the_loader_given(capsys):
    loader = DataLoader(small_digits().as_torch_dataset(), batch_size=100)
    assert passes("03.1", 3, loader=loader)  # 300 images in batches of 100: no smaller last one
    assert "3 steps" in capsys.readouterr().out
    assert not passes("03.1", 5, loader=loader)
    assert not passes("03.1", 5)  # no loader given: the check asks for it
    assert "needs the lesson's loader" in capsys.readouterr().out


def test_the_evaluation_loop_must_move_each_batch_to_the_models_device(monkeypatch, capsys):
    """On a GPU the check runs the model there; 'meta' stands in for one on this CPU machine."""

    def no_move(model, loader):
        model.eval()
        with torch.no_grad():
            right = sum((model(x).argmax(dim=1) == y).sum().item() for x, y in loader)
        return right / len(loader.dataset)

    assert passes("03.3", no_move)  # on the CPU the batches are already where the model is
    capsys.readouterr()
    monkeypatch.setattr(lesson03, "_check_device", lambda: torch.device("meta"))
    assert not passes("03.3", no_move)
    printed = capsys.readouterr().out
    assert "03.3 not yet:" in printed and "move each batch to the model's device" in printed


def test_a_loop_that_changes_the_model_leaves_the_next_check_as_it_was(capsys):
    """The check trains its network once and hands each answer a fresh copy of the weights."""
    reference = EXERCISES["03.3"].reference()

    def zero_then_evaluate(model, loader):
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.zero_()
        return reference(model, loader)

    assert not passes("03.3", zero_then_evaluate)
    assert "the library's evaluate gives" in capsys.readouterr().out
    assert passes("03.3", reference)


def test_a_letter_may_come_in_either_case_and_in_brackets(capsys):
    assert passes("03.4", " B ") and passes("03.5", "(b)") and passes("03.6", "A")
