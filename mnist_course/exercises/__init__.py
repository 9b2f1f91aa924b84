"""Checked exercises: each lesson asks, the learner answers, ``check`` says what is right or off.

Every exercise has an id that starts with its notebook's number (``"02.1"`` is lesson 02's first),
a ``hint`` and a ``solution``: the reference code, shown on request and never printed in the
notebook. Exercises about a lesson's own results (its training images, its study, its confusion
matrix) take them as keywords, ``check("01.1", answer, train=train)``; the others need nothing.

>>> from mnist_course.exercises import EXERCISES, check, hint, solution
>>> check("04.2", None)
04.2 not answered yet: replace None with your answer and run the cell again (hint("04.2") helps).
>>> check("04.2", 32 * 64 * 3 * 3)
04.2 not yet: add the biases: a convolution has one per output channel.
>>> check("04.2", 18_496)
04.2 right: 32 x 64 x 3 x 3 = 18,432 weights plus 64 biases.

``check`` prints its feedback and returns nothing, so a notebook cell that ends in it shows the
feedback only. The exercise's own ``check`` also returns whether the answer passed:

>>> EXERCISES["04.2"].check(18_496)
04.2 right: 32 x 64 x 3 x 3 = 18,432 weights plus 64 biases.
True

Neither raises on a wrong answer, whatever it is: a learner's mistake is feedback, not a
traceback. The reference answer for a context is ``EXERCISES[id].reference(**context)``: the
solution's code run with the context as its variables, so the shown solution is the one tested.

The package: ``framework`` (an exercise, the registry, ``check``, ``hint``, ``solution``),
``answers`` (what a number, an array, a function or a network answer is) and one module per
lesson, ``lesson01`` to ``lesson12``, whose judges register themselves when it is imported.
"""

from . import (
    lesson01,
    lesson02,
    lesson03,
    lesson04,
    lesson05,
    lesson06,
    lesson07,
    lesson08,
    lesson09,
    lesson10,
    lesson11,
    lesson12,
    lesson13,
)
from .framework import EXERCISES, Exercise, Off, check, hint, solution

__all__ = ["EXERCISES", "Exercise", "Off", "check", "hint", "solution"]
_LESSONS = (
    lesson01,
    lesson02,
    lesson03,
    lesson04,
    lesson05,
    lesson06,
    lesson07,
    lesson08,
    lesson09,
    lesson10,
    lesson11,
    lesson12,
    lesson13,
)
"""Imported for their registrations: each fills ``EXERCISES`` with its lesson's exercises."""
