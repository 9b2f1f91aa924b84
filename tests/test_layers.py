"""The package's layers, as ``mnist_course/__init__.py`` lists them: imports only go downward.

Every module of ``mnist_course`` belongs to one layer (its folder, or the top for the command
line); a module may import from its own layer and the layers below, never from one above. The
order is read from the package's docstring, so the list a reader sees is the list enforced.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mnist_course

PACKAGE = Path(mnist_course.__file__).parent
ROOT = "mnist_course"


def layer_order(docstring: str) -> list[tuple[str, ...]]:
    """The layers, lowest first: each a tuple of folders (``core/``) and top-level files."""
    block = docstring.split("Layers, from the bottom up", 1)[1].split("::\n\n", 1)[1]
    rows = block.split("\n\n", 1)[0].splitlines()
    layers = [tuple(row.strip().split("  ", 1)[0].split()) for row in rows]
    assert layers and all(layers), f"no layer table in the docstring: {rows}"
    return layers


LAYERS = layer_order(mnist_course.__doc__ or "")


def layer_of(module: str, layers: list[tuple[str, ...]] = LAYERS) -> int | None:
    """The index of ``module``'s layer (``mnist_course.data.idx``: data's), None for the root."""
    parts = module.split(".")
    assert parts[0] == ROOT, module
    if len(parts) == 1:
        return None  # the package itself: the version and the lazily imported public names
    for index, names in enumerate(layers):
        if f"{parts[1]}/" in names or f"{parts[1]}.py" in names:
            return index
    raise AssertionError(f"{module} belongs to no layer: add its folder to the package docstring")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """``(line, module)`` for every import of the package in ``source``, relative ones resolved.

    Imports inside functions and under ``TYPE_CHECKING`` count too: they are dependencies all
    the same. ``from . import x`` names the submodule ``x`` when there is one.
    """
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = [f"{target}.{alias.name}" for alias in node.names]
            if node.module is None and all(_exists(name) for name in submodules):
                found += [(node.lineno, name) for name in submodules]
            else:
                found.append((node.lineno, target))
    return [(line, name) for line, name in found if name.split(".")[0] == ROOT]


def _exists(module: str) -> bool:
    path = PACKAGE.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def upward_imports(
    module: str, source: str, is_package: bool = False, layers: list[tuple[str, ...]] = LAYERS
) -> list[str]:
    """Each import in ``source`` (the code of ``module``) that reaches a higher layer."""
    own = layer_of(module, layers)
    wrong = []
    for line, target in imported_modules(source, module, is_package):
        theirs = layer_of(target, layers)
        if own is None and theirs is not None:
            wrong.append(f"{module}:{line} imports {target}: the package root imports nothing")
        elif own is not None and theirs is not None and theirs > own:
            names = "/".join(layers[theirs])
            wrong.append(f"{module}:{line} imports {target} ({names} is above {layers[own][0]})")
    return wrong


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_docstring_lists_the_layers():
    assert LAYERS[0] == ("core/",)
    assert ("cli.py", "cli_output.py", "__main__.py") in LAYERS
    folders = {path.parent.name + "/" for path in PACKAGE.glob("*/__init__.py")}
    listed = {name for names in LAYERS for name in names if name.endswith("/")}
    assert listed == folders, "every folder of the package is one layer's, and every layer exists"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_imports_only_go_downward(path):
    module = module_name(path)
    layer_of(module)  # every module belongs to a layer
    assert upward_imports(module, path.read_text(), path.name == "__init__.py") == []


def test_an_upward_import_is_found():
    """The check can fail: the training engine importing a widget, relative or absolute."""
    engine = "mnist_course.training.engine"
    assert upward_imports(engine, "from ..widgets.display import saved_copy\n") == [
        f"{engine}:1 imports mnist_course.widgets.display (widgets/ is above training/)"
    ]
    late = "def bar():\n    import mnist_course.widgets.plots\n"
    assert upward_imports(engine, late) == [
        f"{engine}:2 imports mnist_course.widgets.plots (widgets/ is above training/)"
    ]
    assert upward_imports("mnist_course.core.progress", "from .. import widgets\n") != []
    assert upward_imports("mnist_course.data.idx", "from ..cli import main\n") != []


def test_downward_and_sideways_imports_pass():
    code = "from ..core.errors import DataError\nfrom .dataset import DigitDataset\nimport torch\n"
    assert upward_imports("mnist_course.data.idx", code) == []
    assert upward_imports("mnist_course.cli", "from .widgets.plots import plot_history\n") == []
    assert upward_imports("mnist_course.training.checkpoint", "from .. import __version__\n") == []


def test_a_module_outside_every_layer_is_refused():
    with pytest.raises(AssertionError, match="belongs to no layer"):
        layer_of("mnist_course.helpers.misc")
    table = "Layers, from the bottom up: ...::\n\n    core/  base\n    cli.py  top\n\nMore."
    layers = layer_order(table)
    assert layers == [("core/",), ("cli.py",)]
    assert upward_imports("mnist_course.core.x", "from ..cli import main\n", layers=layers) != []
