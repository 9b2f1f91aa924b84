"""Lesson 05's exercises: an eval-mode measure, three predictions checked against the runs, the L2
penalty that weight decay is, early stopping read from a history, and the questionnaire."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from mnist_course.exercises import check
from mnist_course.exercises.lesson05 import early_stopping
from tests.exercises.checking import ExerciseContract, Wrong, lesson_ids, passes

VAL_LOSSES = [1.0, 0.6, 0.4, 0.30, 0.33, 0.34, 0.35, 0.25, 0.27, 0.29, 0.31, 0.33]
"""Lowest at epoch 4 for three epochs, so patience 3 stops at 7; the run's lowest is epoch 8."""


def history(val_losses: list[float], last_train_loss: float = 0.001) -> pd.DataFrame:
    """A run's history as the lesson's ``fit`` returns it."""
    count = len(val_losses)
    train_losses = [0.5 / 2**epoch for epoch in range(count - 1)] + [last_train_loss]
    return pd.DataFrame(
        {
            "epoch": range(1, count + 1),
            "train_loss": train_losses,
            "val_loss": val_losses,
            "running_accuracy": [0.5 + 0.04 * e for e in range(count)],
            "train_accuracy": [min(1.0, 0.6 + 0.05 * e) for e in range(count)],
            "val_accuracy": [min(0.95, 0.55 + 0.05 * e) for e in range(count)],
        }
    ).set_index("epoch")


def measure_in_train_mode(model, loader):
    loss = right = 0.0
    with torch.no_grad():
        for images, labels in loader:
            out = model(images)
            loss += F.nll_loss(out, labels, reduction="sum").item()
            right += (out.argmax(dim=1) == labels).sum().item()
    return loss / len(loader.dataset), right / len(loader.dataset)


def measure_with_gradients(model, loader):
    model.eval()
    out = torch.cat([model(images) for images, _ in loader])
    labels = torch.cat([labels for _, labels in loader])
    return F.nll_loss(out, labels).item(), (out.argmax(dim=1) == labels).float().mean().item()


def measure_batch_means(model, loader):
    model.eval()
    losses, right = [], 0
    with torch.no_grad():
        for images, labels in loader:
            out = model(images)
            losses.append(F.nll_loss(out, labels).item())
            right += (out.argmax(dim=1) == labels).sum().item()
    return sum(losses) / len(losses), right / len(loader.dataset)


def reference_measure(model, loader):
    model.eval()
    with torch.no_grad():
        out = torch.cat([model(images) for images, _ in loader])
    labels = torch.cat([labels for _, labels in loader])
    return F.nll_loss(out, labels).item(), (out.argmax(dim=1) == labels).float().mean().item()


def measure_swapped(model, loader):
    loss, accuracy = reference_measure(model, loader)
    return accuracy, loss


def measure_percent(model, loader):
    loss, accuracy = reference_measure(model, loader)
    return loss, accuracy * 100


def measure_accuracy_only(model, loader):
    return reference_measure(model, loader)[1]


def squares(model):
    return sum(p.pow(2).sum() for p in model.parameters())


def penalty_double(model, weight_decay):
    return weight_decay * squares(model)


def penalty_weights_only(model, weight_decay):
    return (
        weight_decay / 2 * sum(p.pow(2).sum() for n, p in model.named_parameters() if "weight" in n)
    )


def penalty_l1(model, weight_decay):
    return weight_decay * sum(p.abs().sum() for p in model.parameters())


def penalty_detached(model, weight_decay):
    return (weight_decay / 2 * squares(model)).detach()


def penalty_item(model, weight_decay):
    return (weight_decay / 2 * squares(model)).item()


def penalty_off(model, weight_decay):
    return weight_decay / 3 * squares(model)


IDS = lesson_ids("05")
WRONG: Wrong = {
    "05.1": [
        (measure_in_train_mode, "train mode"),
        (measure_with_gradients, "no_grad"),
        (measure_batch_means, "mean of the batches' means"),
        (measure_swapped, "the loss comes first"),
        (measure_percent, "percentage"),
        (measure_accuracy_only, "return two numbers"),
    ],
    "05.2": [("a", "this run says (b)"), ("(C)", "lowest at epoch 8"), ("d", "one letter")],
    "05.3": [("a", "this run says (b)"), ("c", "running 94.00%"), ("eval", "one letter")],
    "05.4": [
        (penalty_double, "twice too large"),
        (penalty_weights_only, "biases are missing"),
        (penalty_l1, "L1"),
        (penalty_detached, "no gradient"),
        (penalty_item, "as a tensor"),
        (penalty_off, "yours is"),
    ],
    "05.5": [("b", "this run says (a)"), ("c", 'one letter, "a", "b"')],
    "05.6": [
        ((4, 7), "the other way round"),
        ((11, 8), "lowest loss of the whole run"),
        ((7, 5), "is not the best"),
        ((6, 4), "count them"),
        ("7, 4", "two epochs"),
        ((7.5, 4), "whole number"),
    ],
    "05.7": [
        ({1: "a", 2: "a", 3: "a", 4: "b", 5: "a"}, "4 of 5 right. (1)"),
        ({1: "b", 2: "a", 3: "b", 4: "c", 5: "a"}, "3 of 5 right"),
        ({1: "b"}, "no answer to question 2, 3, 4, 5 yet"),
        ({1: "b", 2: "a", 3: "a", 4: "b", 5: "a", 6: "a"}, "no question 6"),
    ],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """One history for every check that reads a run: it overfits (lowest validation loss at
    epoch 8 of 12), its running accuracy ends below the eval-mode one, and the augmented run
    ends with the higher training loss."""
    return {"history": history(VAL_LOSSES), "augmented": history(VAL_LOSSES, 0.05)}


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG


def test_early_stopping_reads_a_history_as_the_lesson_loop_does():
    assert early_stopping(VAL_LOSSES, patience=3) == (7, 4)
    assert early_stopping(VAL_LOSSES, patience=4) == (12, 8)  # never waits 4: runs to the end
    assert early_stopping([0.5, 0.5, 0.5], patience=2) == (3, 1)  # equal is not better


def test_a_run_that_ends_at_its_lowest_loss_is_judged_by_what_it_did(capsys):
    falling = history([1.0, 0.8, 0.6, 0.5])
    assert passes("05.2", "a", history=falling)
    assert "did not overfit yet" in capsys.readouterr().out
    assert passes("05.6", (4, 4), history=falling)
    assert "the run's lowest loss" in capsys.readouterr().out
    assert not passes("05.6", (5, 4), history=falling)
    assert "never waited 3" in capsys.readouterr().out


def test_a_context_that_is_not_a_history_is_feedback_not_a_traceback(capsys):
    for wrong in ([0.3, 0.2], pd.DataFrame({"val_loss": [0.3, 0.2]}), pd.DataFrame()):
        assert check("05.2", "b", history=wrong) is None
        printed = capsys.readouterr().out
        assert printed.startswith("05.2 not yet:") and "history" in printed, printed
