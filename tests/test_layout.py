"""How the tests are laid out (issue 22): no test module imports from another test module.

Fixtures that several modules use live in a ``conftest.py``, helpers in plain modules beside the
tests (``tests/drawing.py``, ``tests/browser_helpers.py``, ...). A test module that imports from
another one ties them together: it runs the other's module code, a renamed fixture breaks it, and
a fixture imported by name is easily shadowed or mistaken for a local one.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _is_test_module(dotted: str) -> bool:
    return dotted.rsplit(".", 1)[-1].startswith("test_")


def imported_test_modules(path: Path) -> list[str]:
    """The test modules (``test_*``) that the file at ``path`` imports from, anywhere in it:
    absolute (``tests.test_x``, ``tests.sub.test_x``) or relative (``.test_x``, ``from . import``).
    """
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _is_test_module(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            prefix = "." * node.level + (node.module or "")
            if node.module and _is_test_module(node.module):
                found.append(prefix)
            else:  # from tests import test_x, from . import test_x
                joint = "" if prefix.endswith(".") else "."
                found += [prefix + joint + a.name for a in node.names if _is_test_module(a.name)]
    return found


def test_no_test_module_imports_another():
    offenders = {
        str(path.relative_to(TESTS)): imports
        for path in sorted(TESTS.rglob("test_*.py"))
        if (imports := imported_test_modules(path))
    }
    assert offenders == {}, (
        "test modules import from other test modules; move shared fixtures into a conftest.py "
        f"and shared helpers into a helper module: {offenders}"
    )


def test_the_check_finds_every_kind_of_import(tmp_path):
    source = tmp_path / "test_example.py"
    source.write_text(
        "import os\n"
        "import tests.test_browser\n"
        "from tests.test_browser import browser as browser\n"
        "from tests.exercises.test_lesson02 import CASES\n"
        "from .test_drawing_pad import draw\n"
        "from . import test_display, drawing\n"
        "from tests import test_cli\n"
        "from tests.drawing import TEMPLATES\n"
        "from tests.browser_helpers import open_notebook\n"
        "def late():\n"
        "    from tests.test_panel import panel\n"
    )
    assert sorted(imported_test_modules(source)) == [
        ".test_display",
        ".test_drawing_pad",
        "tests.exercises.test_lesson02",
        "tests.test_browser",
        "tests.test_browser",
        "tests.test_cli",
        "tests.test_panel",
    ]


# The size rule of the style guide, for every Python file of the project (issue 22): a function
# fits on a screen, a module stays readable in one sitting.
MAX_FUNCTION_LINES, MAX_MODULE_LINES = 60, 400
PROJECT = TESTS.parent
CHECKED = ("mnist_course", "benchmarks", "tests", ".ci")


def oversized(path: Path) -> list[str]:
    """What in the file at ``path`` breaks the size rule: the module, or functions and methods,
    nested ones included, each with its length in lines from ``def`` to its last line (its
    docstring counted, not its decorators: an exercise's decorator holds the task's text)."""
    source = path.read_text(encoding="utf-8")
    found = []
    if (lines := len(source.splitlines())) > MAX_MODULE_LINES:
        found.append(f"the module: {lines} lines")
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{node.name}(): {length} lines")
    return found


def test_every_function_fits_on_a_screen_and_every_module_under_400_lines():
    files = [path for folder in CHECKED for path in sorted((PROJECT / folder).rglob("*.py"))]
    assert len(files) > 50, "the project's Python files were not found"
    offenders = {str(p.relative_to(PROJECT)): found for p in files if (found := oversized(p))}
    assert offenders == {}, (
        f"functions over {MAX_FUNCTION_LINES} lines or modules over {MAX_MODULE_LINES}: split "
        f"them: {offenders}"
    )


def test_the_size_check_finds_long_functions_methods_and_modules(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(59))
    source = tmp_path / "example.py"
    source.write_text(
        f"def fits():\n{body}\n"  # 60 lines
        f"@staticmethod\ndef decorated():\n{body}\n"  # 60 lines and its decorator
        f"def longer():\n{body}    y = 1\n"  # 61 lines
        f"class A:\n    def method(self):\n    {body.replace(chr(10), chr(10) + '    ')}    y = 1\n"
    )
    assert oversized(source) == ["longer(): 61 lines", "method(): 61 lines"]
    source.write_text("x = 1\n" * 401)
    assert oversized(source) == ["the module: 401 lines"]
