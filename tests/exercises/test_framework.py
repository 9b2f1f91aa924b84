"""The exercise framework: ``check`` without its context, unknown ids, hints and solutions, and
the package's layout (each lesson module registers its own lesson's exercises, imports go down)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mnist_course.exercises as exercises
from mnist_course.data import DataSplits
from mnist_course.exercises import EXERCISES, check, hint, solution

PACKAGE = Path(exercises.__file__).parent
LESSON_MODULES = sorted(path.stem for path in PACKAGE.glob("lesson*.py"))


def test_check_prints_the_feedback_and_returns_nothing(capsys):
    """A notebook shows a cell's last value as ``Out:``; check ends cells, so it returns None."""
    for answer, passed in [(None, False), (32 * 64 * 9, False), (18_496, True)]:
        assert EXERCISES["04.2"].check(answer) is passed
        feedback = capsys.readouterr().out
        assert check("04.2", answer) is None
        assert capsys.readouterr().out == feedback
    assert "04.2 right:" in feedback


def test_a_check_without_its_context_says_what_to_pass(digits: DataSplits, capsys):
    answer = EXERCISES["01.1"].reference(train=digits.train)
    assert not EXERCISES["01.1"].check(answer)
    assert 'check("01.1", answer, train=train)' in capsys.readouterr().out
    assert check("01.1", answer) is None
    assert 'check("01.1", answer, train=train)' in capsys.readouterr().out


def test_unknown_ids_fail_hints_and_solutions_print(capsys):
    assert check("99.9", 1) is None and check(None, 1) is None  # type: ignore[arg-type]
    printed = capsys.readouterr().out
    assert "there is no exercise '99.9'" in printed and "there is no exercise None" in printed
    hint("02.2")
    assert "torch.no_grad()" in capsys.readouterr().out
    solution("04.1")
    printed = capsys.readouterr().out
    assert "class Net2(nn.Module)" in printed and "answer = Net2()" in printed


def test_importing_the_package_registers_every_lesson_in_order():
    numbers = [exercise.notebook for exercise in EXERCISES.values()]
    assert sorted(set(numbers)) == [name.removeprefix("lesson") for name in LESSON_MODULES]
    assert numbers == sorted(numbers), "EXERCISES lists the lessons in order"


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_each_exercise_is_judged_in_its_lessons_module_and_tested_in_its_file(exercise_id):
    exercise = EXERCISES[exercise_id]
    shared = "mnist_course.exercises.questionnaire"  # the multiple-choice judge, for any lesson
    assert exercise.judge.__module__ in (
        f"mnist_course.exercises.lesson{exercise.notebook}",
        shared,
    )
    assert (Path(__file__).parent / f"test_lesson{exercise.notebook}.py").is_file()


def package_imports(module: str) -> set[str]:
    """The modules of this package that ``module`` imports (``framework``, ``lesson01``...)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module} if node.module else {alias.name for alias in node.names}
    return found


def test_imports_go_down_framework_answers_then_lessons():
    assert package_imports("framework") == set()
    assert package_imports("answers") == {"framework"}
    assert package_imports("questionnaire") == {"framework", "answers"}
    assert package_imports("protocol") == {"framework", "answers"}  # the capstone's recorder
    shared = {"framework", "answers", "questionnaire", "protocol"}
    for lesson in LESSON_MODULES:
        assert package_imports(lesson) <= shared, lesson
    assert package_imports("__init__") == {"framework", *LESSON_MODULES}
