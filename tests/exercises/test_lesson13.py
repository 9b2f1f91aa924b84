"""Lesson 13's exercises and its recorder: the split, the prediction, the protocol, the result
against its bar, the summary and the questionnaire. No training: the protocols are filled with
made-up accuracies on scikit-learn's digits (offline, as CI runs the lesson)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from mnist_course.course.lesson import Lesson
from mnist_course.data import DataSplits, load_data
from mnist_course.exercises import EXERCISES
from mnist_course.exercises.lesson13 import BARS, Protocol, bar_for
from tests.exercises.checking import ExerciseContract, From, Wrong, lesson_ids, passes

VALIDATION, TEST = 0.9625, 0.95


def lesson_on_digits(smoke: bool = True) -> Lesson:
    return Lesson(smoke, load_data("digits"), "digits", torch.device("cpu"))


def split_of(lesson: Lesson) -> tuple[Any, Any]:
    return EXERCISES["13.1"].reference(lesson=lesson)


def protocol_with(lesson: Lesson, *steps: str, test: float = TEST) -> Protocol:
    """A protocol after ``steps``: "split", "validation", "choice", "test", "training"."""
    protocol = Protocol(lesson.data)
    train_part = validation = None
    for step in steps:
        if step == "split":
            train_part, validation = protocol.split(*split_of(lesson))
        elif step == "validation":
            protocol.record(validation, VALIDATION)
        elif step == "training":
            protocol.record(train_part, 0.99)
        elif step == "choice":
            protocol.chose("epochs", 3)
        elif step == "test":
            protocol.record(lesson.data.test, test)
    return protocol


KEPT = ("split", "validation", "choice", "validation", "test")


def without_class_zero_in_validation(context: dict[str, Any]) -> tuple[Any, Any]:
    labels = context["lesson"].data.train.labels.numpy()
    others = np.flatnonzero(labels != 0)
    return np.setdiff1d(np.arange(len(labels)), others[:150]), others[:150]


def on_other_data(context: dict[str, Any]) -> Protocol:
    data = context["lesson"].data
    protocol = Protocol(DataSplits(data.train, data.train.head(100)))
    return protocol


IDS = lesson_ids("13")
WRONG: Wrong = {
    "13.1": [
        ((range(0, 1437), range(0, 150)), "in both parts"),
        ((range(150, 1437), range(1437, 1600)), "not a training image"),
        ((list(range(150, 1437)), [0] * 150), "twice"),
        ((range(10, 1437), range(10)), "keep 5% to 30%"),
        ((range(700, 1437), range(700)), "keep 5% to 30%"),
        ((range(150, 800), range(150)), "cover"),
        (From(without_class_zero_in_validation), "has no validation image"),
        (([0.5, 1.5], [2.0]), "whole numbers"),
        (torch.arange(2), "a pair"),
        ({"train": range(150, 1437), "val": range(150)}, "a pair"),
        ((range(150, 1437), "0-149"), "validation indices"),
    ],
    "13.2": [
        (0.80, "higher"),
        (0.999, "lower"),
        (95, "share of 1"),
        (-0.1, "between 0 and 1"),
    ],
    "13.3": [
        (From(lambda c: protocol_with(c["lesson"])), "no split recorded"),
        (From(lambda c: protocol_with(c["lesson"], "split", "training")), "validation part"),
        (From(lambda c: protocol_with(c["lesson"], "split", "validation")), "no choice"),
        (From(lambda c: protocol_with(c["lesson"], *KEPT[:-1])), "not been evaluated yet"),
        (From(lambda c: protocol_with(c["lesson"], *KEPT, "choice")), "after the test set"),
        (From(lambda c: protocol_with(c["lesson"], *KEPT, "test")), "2 looks"),
        (From(on_other_data), "another test set"),
        ("protocol", "expected the Protocol"),
    ],
    "13.4": [
        (0.5, "is not what your evaluate recorded"),
        (95.0, "share of 1"),
        (True, "one number"),
    ],
    "13.5": [
        ("TODO: a few sentences.", "TODO"),
        ("validation 96.2 %, test 95.0 %", "characters"),
        (
            "My CNN reached 96.2 % on the held-out part and 95.0 % at the very end, "
            "after choosing the epochs.",
            "never says",
        ),
        (
            "A small CNN; the epochs were chosen on validation. Validation accuracy 96 %, "
            "test accuracy 95.0 %, one look at the test set.",
            "the validation accuracy",
        ),
        (
            "A small CNN; the epochs were chosen on validation. Validation accuracy 96.2 %, "
            "test accuracy 94.0 %, one look at the test set.",
            "the test accuracy",
        ),
        (["validation", "test"], "as a string"),
    ],
    "13.6": [
        ({1: "a", 2: 0.3, 3: "b", 4: "b"}, "3 of 4 right"),
        ({1: "b", 2: 0.003, 3: "b", 4: "b"}, "points"),
        ({1: "b"}, "no answer to question 2"),
        ({1: "b", 2: 0.3, 3: "b", 4: "c", 5: "a"}, "no question 5"),
    ],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    lesson = lesson_on_digits()
    return {"lesson": lesson, "protocol": protocol_with(lesson, *KEPT)}


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG


def test_a_summary_with_the_recorded_figures_passes(context, capsys):
    summary = (
        "A two-convolution CNN; epochs and width chosen on a 10 % validation split. "
        "Validation accuracy 96.2 % (96.25 before rounding), test accuracy 0.950, "
        "the test set seen once."
    )
    assert passes("13.5", summary, protocol=context["protocol"])
    assert "13.5 right" in capsys.readouterr().out


def test_a_prediction_or_summary_before_the_test_says_to_run_it(context, capsys):
    early = protocol_with(context["lesson"], *KEPT[:-1])
    assert not passes("13.2", 0.95, protocol=early)
    assert "not been evaluated yet" in capsys.readouterr().out
    assert not passes("13.5", "validation 96.2 %, test ? " + "x" * 80, protocol=early)
    assert "no test figure yet" in capsys.readouterr().out


def test_the_result_is_judged_against_the_bar_of_the_source_and_mode(context, capsys):
    lesson = context["lesson"]
    low = protocol_with(lesson, *KEPT, test=0.80)
    assert not passes("13.4", 0.80, protocol=low, lesson=lesson)
    assert "below the bar for digits in smoke mode, 85%" in capsys.readouterr().out
    full = lesson_on_digits(smoke=False)
    assert passes("13.4", TEST, protocol=context["protocol"], lesson=full)
    assert "clears the bar for digits in the full course, 95%" in capsys.readouterr().out
    assert bar_for(full) == BARS["digits"][0] == 0.95
    assert bar_for(lesson) == BARS["digits"][1]
    assert bar_for(Lesson(False, lesson.data, "fashion-mnist", lesson.device)) == 0.88
    assert bar_for(Lesson(False, lesson.data, "csv:train.csv", lesson.device)) is None
    assert bar_for(None) is None


def test_only_the_first_look_at_the_test_set_counts(context, capsys):
    lesson = context["lesson"]
    twice = protocol_with(lesson, *KEPT)
    twice.record(lesson.data.test, 0.97)
    assert not passes("13.4", 0.97, protocol=twice, lesson=lesson)
    assert "look 2" in capsys.readouterr().out
    assert twice.test_accuracy == TEST and twice.test_evaluations == 2


def test_the_protocol_tells_the_data_apart_by_its_images(context, capsys):
    lesson = context["lesson"]
    protocol = Protocol(lesson.data)
    train_part, validation = protocol.split(*split_of(lesson))
    test = lesson.data.test
    assert protocol.identify(test.subset(torch.arange(50, 200))) == "test"
    assert protocol.identify(DataLoader(test.as_torch_dataset(), batch_size=64)) == "test"
    assert protocol.identify(test.images) == "test"
    assert protocol.identify(validation.as_torch_dataset()) == "validation"
    assert protocol.identify(train_part.head(100)) == "training"
    assert protocol.identify(torch.rand(10, 1, 28, 28)) == "other data"
    assert protocol.identify([1, 2, 3]) == "other data"
    assert protocol.record(validation, 1.5) == "validation"
    assert "a share in [0, 1]" in capsys.readouterr().out
    assert np.isnan(protocol.evaluations("validation")[0])


def test_the_protocol_refuses_a_bad_split_and_shows_its_record(context, capsys):
    lesson = context["lesson"]
    protocol = Protocol(lesson.data)
    with pytest.raises(ValueError, match="in both parts"):
        protocol.split(range(1437), range(150))
    with pytest.raises(ValueError, match="whole numbers"):
        protocol.split([0.5], [1.5])
    with pytest.raises(TypeError, match="lesson.data"):
        Protocol(None)  # type: ignore[arg-type]
    shown = repr(context["protocol"])
    assert "1,294 training / 143 validation images" in shown
    assert "validation evaluations: 2" in shown and "choices: epochs = 3" in shown
    assert "test set (360 images): seen once, first look 95.00%" in shown
    assert context["protocol"].validation_accuracy == VALIDATION
    assert protocol.chose("width", 32) == 32
