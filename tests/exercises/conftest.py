"""Every lesson's ``ExerciseContract`` runs once per exercise of that lesson."""

from __future__ import annotations

import pytest


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    ids = getattr(metafunc.cls, "IDS", None)
    if ids is not None and "exercise_id" in metafunc.fixturenames:
        metafunc.parametrize("exercise_id", ids)
