"""What every lesson's exercise tests share: the reference passes, wrong and malformed answers fail
with a message and never raise.

A lesson's test file lists its wrong answers, each with a phrase its feedback must contain, and
builds the lesson variables its exercises need (its ``context`` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from mnist_course.exercises import EXERCISES, check
from mnist_course.training.studies import Study

Wrong = dict[str, list[tuple[Any, str]]]
"""Per exercise id: wrong answers, each with a phrase its feedback must contain."""

MALFORMED = [
    None,
    "not an answer",
    float("nan"),
    [[1, 2], [3]],
    object(),
    lambda *args, **kwargs: 1 / 0,
]


def lesson_ids(number: str) -> list[str]:
    """The ids of lesson ``number``'s exercises, in order: what its test file runs."""
    ids = [exercise_id for exercise_id, found in EXERCISES.items() if found.notebook == number]
    assert ids, f"lesson {number} has no exercises"
    return ids


def fake_study(parameters: list[str], rows: list[dict[str, Any]]) -> Study:
    """A study as the studies module returns it, without training anything."""
    runs = pd.DataFrame(
        [
            {"run": i, "seed": 0, "status": "completed", "train_seconds": 1.0} | row
            for i, row in enumerate(rows)
        ]
    )
    return Study(parameters, runs, pd.DataFrame())


class From:
    """A wrong answer made when the test runs, from the lesson's context."""

    def __init__(self, make: Callable[[dict[str, Any]], Any]) -> None:
        self.make = make


def make(answer: Any, context: dict[str, Any]) -> Any:
    return answer.make(context) if isinstance(answer, From) else answer


def needed(exercise_id: str, context: dict[str, Any]) -> dict[str, Any]:
    return {name: context[name] for name in EXERCISES[exercise_id].needs}


def passes(exercise_id: str, answer: Any, **context: Any) -> bool:
    """Print what ``check`` prints and say whether ``answer`` passed (``check`` does not say)."""
    return EXERCISES[exercise_id].check(answer, **context)


def assert_check_prints_only(
    exercise_id: str, answer: Any, context: dict[str, Any], feedback: str, capsys: Any
) -> None:
    """``check`` prints the same feedback and returns None: a cell ending in it shows no Out."""
    assert check(exercise_id, answer, **needed(exercise_id, context)) is None
    assert capsys.readouterr().out == feedback


def assert_reference_passes(exercise_id: str, context: dict[str, Any], capsys: Any) -> None:
    exercise = EXERCISES[exercise_id]
    answer = exercise.reference(**needed(exercise_id, context))
    assert passes(exercise_id, answer, **needed(exercise_id, context))
    printed = capsys.readouterr().out
    assert f"{exercise_id} right:" in printed
    assert_check_prints_only(exercise_id, answer, context, printed, capsys)


def assert_wrong_answers_fail(
    exercise_id: str, wrong: Wrong, context: dict[str, Any], capsys: Any
) -> None:
    assert exercise_id in wrong, f"{exercise_id} has no wrong answer in this test"
    for answer_or_maker, phrase in wrong[exercise_id]:
        answer = make(answer_or_maker, context)
        assert not passes(exercise_id, answer, **needed(exercise_id, context))
        printed = capsys.readouterr().out
        assert f"{exercise_id} not yet:" in printed and phrase in printed, (answer, printed)
        assert_check_prints_only(exercise_id, answer, context, printed, capsys)


def assert_malformed_answers_fail(exercise_id: str, context: dict[str, Any], capsys: Any) -> None:
    for answer in MALFORMED:
        assert not passes(exercise_id, answer, **needed(exercise_id, context))
        printed = capsys.readouterr().out
        assert printed.startswith(exercise_id), printed
    check(exercise_id, None)
    assert "not answered yet" in capsys.readouterr().out


class ExerciseContract:
    """The three tests every lesson's exercises pass. A lesson's test module subclasses it with
    its ``IDS`` and ``WRONG`` answers and gives a ``context`` fixture; ``conftest.py``
    parametrises ``exercise_id`` over the class's ``IDS``."""

    IDS: list[str] = []
    WRONG: Wrong = {}

    def test_the_reference_solution_passes(self, exercise_id, context, capsys):
        assert_reference_passes(exercise_id, context, capsys)

    def test_wrong_answers_fail_and_say_why(self, exercise_id, context, capsys):
        assert_wrong_answers_fail(exercise_id, self.WRONG, context, capsys)

    def test_malformed_answers_fail_without_raising(self, exercise_id, context, capsys):
        assert_malformed_answers_fail(exercise_id, context, capsys)
