"""Every notebook asks its exercises by id, and none prints a solution."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from mnist_course.exercises import EXERCISES

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"
CHECKED = re.compile(r"""check\(\s*["'](\d\d\.\d+)["']""")
LESSONS = sorted(path.name[:2] for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))[1:]
"""Every lesson but 00 (setting up) has checked exercises."""


def notebook_text(number: str) -> tuple[Path, str]:
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    notebook = nbformat.read(path, as_version=4)
    return path, "\n".join(cell.source for cell in notebook.cells)


@pytest.mark.parametrize("number", LESSONS)
def test_every_lesson_asks_its_exercises_by_id(number):
    path, text = notebook_text(number)
    asked = CHECKED.findall(text)
    assert len(set(asked)) >= 2, f"{path.name} checks {asked}: at least two exercises"
    assert set(asked) <= set(EXERCISES), f"{path.name} checks unknown ids"
    assert all(exercise_id.startswith(number) for exercise_id in asked)
    own = {exercise_id for exercise_id in EXERCISES if exercise_id.startswith(number + ".")}
    assert own <= set(asked), f"{path.name} never checks {sorted(own - set(asked))}"


def telling_lines(code: str) -> list[str]:
    """The lines of a solution that give it away: not imports, signatures or ``answer = name``."""
    lines = [line.strip() for line in code.splitlines()]
    return [
        line
        for line in lines
        if len(line) > 20
        and not line.startswith(("import ", "from ", "def ", "class "))
        and not re.fullmatch(r"answer = \w+(\(\))?", line)
    ]


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_each_exercise_belongs_to_a_notebook_that_hides_its_solution(exercise_id):
    exercise = EXERCISES[exercise_id]
    _, text = notebook_text(exercise.notebook)
    lines = telling_lines(exercise.solution)
    assert lines, f"{exercise_id}: a solution with nothing to hide?"
    assert not [line for line in lines if line in text]
    assert exercise.hint and exercise.task
