"""Lesson 11's exercises: the exported model's input, what agreeing within 1e-4 means, the most
confused pair of EMNIST classes, and the closing questionnaire."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.exercises.checking import ExerciseContract, Wrong, lesson_ids, passes

IDS = lesson_ids("11")
CLASSES = ("0", "1", "O", "I", "a")
MATRIX = np.array(
    [
        [50, 1, 9, 0, 0],
        [0, 40, 0, 7, 0],
        [6, 0, 45, 0, 1],
        [0, 8, 0, 30, 0],
        [0, 0, 2, 0, 60],
    ]
)
MATRIX[0, 2] = 10  # 0 and O confused 10 + 6 = 16 times, 1 and I 7 + 8 = 15


WRONG: Wrong = {
    "11.1": [
        (lambda images: images.float().unsqueeze(1).numpy(), "from 0 to 255"),
        (lambda images: (images.float() / 255).numpy(), "add the channel dimension"),
        (lambda images: (images.float() / 255).unsqueeze(1), "ONNX Runtime takes a NumPy array"),
        (lambda images: (images.double() / 255).unsqueeze(1).numpy(), "expected float32"),
        (
            lambda images: ((images.float() / 255 - 0.1307) / 0.3081).unsqueeze(1).numpy(),
            "normalises its input itself",
        ),
        (lambda images: (1 - images.float() / 255).unsqueeze(1).numpy(), "light ink"),
    ],
    "11.2": [
        (lambda a, b: bool(np.array_equal(a, b)), "differences of 1e-6 or less are within 1e-4"),
        (lambda a, b: bool(np.abs(a - b).mean() <= 1e-4), "however small the mean difference"),
        (
            lambda a, b: bool((np.abs(a - b) / np.abs(a)).max() <= 1e-4),
            "the tolerance is absolute, not relative",
        ),
        (lambda a, b: bool(np.abs(a - b).max() <= 1e-4), "compare the shapes first"),
        (lambda a, b: np.abs(a - b).max(), "expected True or False"),
    ],
    "11.3": [
        (("1", "I"), "another pair 16 times"),
        (("O", "O"), "a right answer"),
        (("Q", "0"), "'Q' is not a class"),
        (("0",), "got 1 items"),
    ],
    "11.4": [
        ({1: 47, 2: "c", 3: "b", 4: 0.0213, 5: 24_111}, "4 of 5 right. (2) the normalisation"),
        ({1: 62, 2: "b", 3: "a", 4: 0.1, 5: 24_064}, "1 of 5 right"),
        ({1: 47}, "no answer to question 2, 3, 4, 5 yet"),
    ],
}


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    """Lesson 11's EMNIST confusion matrix, cut down to five classes."""
    return {"matrix": MATRIX, "classes": CLASSES}


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG


def test_the_confused_pair_is_named_in_either_order(context, capsys):
    assert passes("11.3", ["O", "0"], **context)
    assert "O and 0 are confused 16 times (O read as 0: 6; 0 read as O: 10)" in (
        capsys.readouterr().out
    )


def test_digit_classes_may_be_named_by_their_digit(capsys):
    matrix = np.array([[9, 3], [1, 9]])
    assert passes("11.3", (1, 0), matrix=matrix, classes=("0", "1"))
    assert "1 and 0 are confused 4 times" in capsys.readouterr().out


def test_chance_on_emnist_is_accepted_to_three_figures(capsys):
    answer = {1: 47, 2: "b", 3: "b", 4: 0.0213, 5: 24_111}
    assert passes("11.4", answer)
    assert "all 5 right" in capsys.readouterr().out
