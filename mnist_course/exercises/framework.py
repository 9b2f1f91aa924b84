"""The exercise framework: what an exercise is, the registry, and ``check``, ``hint``, ``solution``.

A lesson module registers each of its exercises with the ``exercise`` decorator on its judge;
``mnist_course.exercises`` imports every lesson module, so importing the package fills
``EXERCISES``. This module imports no lesson.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from textwrap import dedent
from typing import Any

__all__ = ["EXERCISES", "Exercise", "Judge", "Off", "check", "exercise", "hint", "solution"]

Judge = Callable[[Any, dict[str, Any]], str]
"""``judge(answer, context)``: praise for a right answer; raises ``Off`` saying what is off."""


class Off(Exception):
    """The answer is not right yet; the message says what is off."""


@dataclass(frozen=True)
class Exercise:
    """One checked exercise: what it asks and needs, how it is judged, its hint and solution."""

    id: str
    task: str
    hint: str
    solution: str
    judge: Judge
    needs: tuple[str, ...] = ()
    """The lesson's variables the check compares with, passed as keywords to ``check``."""

    @property
    def notebook(self) -> str:
        """The number of the notebook that asks it, e.g. ``"02"``."""
        return self.id.split(".")[0]

    def reference(self, **context: Any) -> Any:
        """The reference answer: the solution's code run with ``context`` as its variables."""
        namespace = dict(context)
        exec(compile(self.solution, f"<solution {self.id}>", "exec"), namespace)
        return namespace["answer"]

    def check(self, answer: Any, **context: Any) -> bool:
        """Print what is right or off about ``answer``; True if it is right. Never raises."""
        if answer is None:
            print(
                f"{self.id} not answered yet: replace None with your answer and run the cell "
                f'again (hint("{self.id}") helps).'
            )
            return False
        missing = [name for name in self.needs if context.get(name) is None]
        if missing:
            keywords = ", ".join(f"{name}={name}" for name in self.needs)
            print(
                f"{self.id}: this check needs the lesson's {', '.join(missing)}: "
                f'check("{self.id}", answer, {keywords})'
            )
            return False
        try:
            praise = self.judge(answer, context)
        except Off as off:
            print(f"{self.id} not yet: {off}")
            return False
        except Exception as error:  # a malformed answer or context must not stop the lesson
            print(f"{self.id} not yet: checking it failed with {type(error).__name__}: {error}")
            return False
        print(f"{self.id} right: {praise}")
        return True


EXERCISES: dict[str, Exercise] = {}
"""Every checked exercise by id, in lesson order."""


def exercise(
    id: str, task: str, hint: str, solution: str, needs: tuple[str, ...] = ()
) -> Callable[[Judge], Judge]:
    """Register the decorated judge as exercise ``id``."""

    def register(judge: Judge) -> Judge:
        EXERCISES[id] = Exercise(id, task, hint, dedent(solution).strip() + "\n", judge, needs)
        return judge

    return register


def _find(exercise_id: object) -> Exercise | None:
    found = EXERCISES.get(exercise_id) if isinstance(exercise_id, str) else None
    if found is None:
        print(f"there is no exercise {exercise_id!r}: the exercises are {', '.join(EXERCISES)}")
    return found


def check(exercise_id: str, answer: Any, **context: Any) -> None:
    """Check ``answer`` to exercise ``exercise_id`` and print what is right or off.

    It returns nothing, so a notebook cell that ends in ``check(...)`` shows the feedback and no
    ``Out:`` value; ``EXERCISES[exercise_id].check(answer, ...)`` also says whether it passed.
    """
    found = _find(exercise_id)
    if found is not None:
        found.check(answer, **context)


def hint(exercise_id: str) -> None:
    """Print the hint of exercise ``exercise_id``."""
    found = _find(exercise_id)
    if found is not None:
        print(f"{found.id}: {found.task}\nHint: {found.hint}")


def solution(exercise_id: str) -> None:
    """Print the reference solution of exercise ``exercise_id`` (try it yourself first)."""
    found = _find(exercise_id)
    if found is not None:
        print(f"# {found.id}: {found.task}\n{found.solution}", end="")
