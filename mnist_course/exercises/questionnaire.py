"""A lesson's closing questionnaire: several questions checked as one exercise.

The learner answers with a dict ``{1: 'b', 2: 0.5, ...}``: a letter where a question offers
choices, a number where it asks for one. Each wrong answer gets its question's ``off`` (which
never gives the answer away); all right, each question's ``why``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .answers import as_integer, as_number, describe
from .framework import Judge, Off, exercise

HINT = (
    "A dict with one entry per question, {1: 'b', 2: 0.5, ...}: a letter where the question "
    "offers choices, a number where it asks for one. Each question's feedback says what to "
    "reconsider."
)


@dataclass(frozen=True)
class Question:
    """One question of a lesson's closing questionnaire.

    ``answer`` is a letter (a choice) or a number (matched within ``tolerance``, relative; 0
    for a count, which must be exact);
    ``why`` is said when the answer is right, ``off`` when it is not (it never gives it away).
    """

    answer: str | float
    why: str
    off: str
    tolerance: float = 5e-3


def solution_of(questions: dict[int, Question]) -> str:
    """The reference answer, as the solution prints it."""
    answers = ", ".join(f"{number}: {q.answer!r}" for number, q in questions.items())
    return f"answer = {{{answers}}}"


def judge(answer: Any, questions: dict[int, Question]) -> str:
    if not isinstance(answer, dict):
        raise Off(
            f"expected a dict {{1: ..., 2: ...}}, one answer per question; got {describe(answer)}."
        )
    given = {_question_number(key, len(questions)): value for key, value in answer.items()}
    missing = [str(number) for number in questions if number not in given]
    if missing:
        raise Off(f"no answer to question {', '.join(missing)} yet: one entry per question.")
    off = [f"({n}) {q.off}" for n, q in questions.items() if not _matches(given[n], q)]
    if off:
        right = len(questions) - len(off)
        raise Off(f"{right} of {len(questions)} right. " + " ".join(off))
    return f"all {len(questions)} right. " + " ".join(
        f"({n}) {q.why}" for n, q in questions.items()
    )


def _question_number(key: Any, count: int) -> int:
    if isinstance(key, str) and key.strip().isdigit():
        key = int(key)
    number = as_integer(key, "question numbers as the keys")
    if not 1 <= number <= count:
        raise Off(f"there is no question {number}: the questions are 1 to {count}.")
    return number


def _matches(value: Any, question: Question) -> bool:
    if isinstance(question.answer, str):
        return isinstance(value, str) and value.strip().strip("()").lower() == question.answer
    try:
        number = as_number(value, "a number")
    except Off:
        return False
    return math.isclose(number, question.answer, rel_tol=question.tolerance)


Choice = tuple[str, str, str, dict[str, str]]
"""A multiple-choice question: its task, the right letter, the praise, and per wrong letter why."""


def _choice_judge(right: str, praise: str, wrong: dict[str, str]) -> Judge:
    def judge(answer: Any, context: dict[str, Any]) -> str:
        letter = answer.strip().strip("()").lower() if isinstance(answer, str) else None
        if letter not in ("a", "b", "c"):
            raise Off(f'answer with one letter, "a", "b" or "c"; got {describe(answer)}.')
        if letter != right:
            raise Off(wrong[letter])
        return f"({right}): {praise}"

    return judge


def letter_questions(questions: dict[str, Choice], hint: str) -> None:
    """Register each question of ``questions`` (by id) as an exercise answered "a", "b" or "c"."""
    for exercise_id, (task, right, praise, wrong) in questions.items():
        solution = f'answer = "{right}"  # {praise}'
        exercise(exercise_id, task, hint=hint, solution=solution)(
            _choice_judge(right, praise, wrong)
        )
