#!/usr/bin/env python3
"""`make colab-check`: the course on Colab's package stack, proven without Colab.

1. A Python 3.13 virtualenv holding Colab's versions of the packages the course touches, installed
   with Colab's `pip freeze` (../shared/colab/pip-freeze.gpu.txt) as constraints. torch and
   torchvision come from PyPI at Colab's versions (Colab's `+cu128` tag dropped), and so do their
   CUDA wheels: Colab's own `cuda-*`, `nvidia-*` and `triton` pins are left out. The stack is cached
   under ~/.cache/mnist-course/ (MNIST_COURSE_CACHE), keyed by a hash of the freeze list,
   pyproject.toml and the STACK list below, and brought back to its built state at each start.
2. The notebooks' own Colab cells, run as Colab runs them (a stand-in `google.colab` module;
   git fetches the course from this checkout's tracked files instead of GitHub), then:
   (a) the preinstalled packages pip changed: must be none;
   (b) every notebook executed in smoke mode on that kernel;
   (c) the pad and the gallery in headless Chromium under the classic Notebook front end.

Runs with any Python 3; skips (exit 0, with the reason) only when no Python 3.13 exists.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FREEZE = ROOT.parent / "shared" / "colab" / "pip-freeze.gpu.txt"
CACHE = Path(os.environ.get("MNIST_COURSE_CACHE", Path.home() / ".cache" / "mnist-course"))
COURSE_URL = "https://github.com/mnist-course/mnist-course"
# What the course touches on Colab: its imports, the kernel and front end the checks drive, and the
# dependencies of the `export` and `search` extras that Colab already has (left out, pip would
# install its newest versions here and miss a change it makes on Colab). playwright is the test's.
STACK = """
    pip setuptools wheel torch torchvision numpy pandas matplotlib matplotlib-inline scikit-learn
    scipy pillow tqdm ipywidgets widgetsnbextension jupyterlab_widgets ipykernel ipython
    jupyter_client notebook jupyter_server nbclient nbformat nbconvert traitlets tornado pyzmq
    pytest protobuf ml_dtypes typing_extensions packaging sympy flatbuffers sqlalchemy mako pyyaml
    greenlet markupsafe playwright
""".split()
NOT_FROM_COLAB = re.compile(r"^(cuda-|nvidia-|triton\b)", re.IGNORECASE)


def say(message: str) -> None:
    print(f"colab-check: {message}", flush=True)


def run(*command, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], check=True, **kwargs)


def find_python313() -> str | None:
    """Python 3.13 from $COLAB_PYTHON, pyenv, a pyenv folder, or PATH: the first that runs."""
    candidates = [os.environ.get("COLAB_PYTHON", "")]
    pyenv = shutil.which("pyenv") or str(Path.home() / ".pyenv" / "bin" / "pyenv")
    if Path(pyenv).exists():
        prefix = subprocess.run([pyenv, "prefix", "3.13"], capture_output=True, text=True)
        candidates += [f"{p}/bin/python3.13" for p in prefix.stdout.strip().split(":") if p]
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    for root in filter(None, roots):
        candidates += sorted(glob.glob(f"{root}/versions/3.13*/bin/python3.13"), reverse=True)
    candidates += [shutil.which("python3.13") or "", "/usr/bin/python3.13"]
    for candidate in filter(None, candidates):
        try:
            probe = subprocess.run(
                [candidate, "-c", "import sys, venv; print(sys.version)"],
                capture_output=True,
                text=True,
            )
        except OSError:
            continue
        if probe.returncode == 0 and probe.stdout.startswith("3.13"):
            return candidate
    return None


def constraints() -> str:
    """Colab's freeze as pip constraints: no CUDA wheel pins, no local version tags."""
    lines = []
    for line in FREEZE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or NOT_FROM_COLAB.match(line):
            continue
        lines.append(line.split("+", 1)[0])
    return "\n".join(lines) + "\n"


def freeze(python: Path) -> dict[str, str]:
    """{normalised name: version} of everything installed, as `pip list --format=freeze` says."""
    listing = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True, check=True
    ).stdout
    packages = {}
    for line in listing.splitlines():
        name, _, version = line.partition("==")
        packages[re.sub(r"[-_.]+", "-", name).lower()] = version
    return packages


def build_stack(python313: str, stack: Path) -> None:
    say(f"building Colab's stack in {stack} (once; later runs reuse it)")
    shutil.rmtree(stack, ignore_errors=True)
    stack.mkdir(parents=True)
    run(python313, "-m", "venv", stack / "venv")
    (stack / "constraints.txt").write_text(constraints())
    pip = [stack / "venv" / "bin" / "python", "-m", "pip"]
    run(*pip, "install", "--quiet", "-c", stack / "constraints.txt", "pip")
    run(*pip, "install", "--quiet", "-c", stack / "constraints.txt", *STACK)
    (stack / "base.json").write_text(json.dumps(freeze(stack / "venv" / "bin" / "python")))


def restore(stack: Path, base: dict[str, str]) -> bool:
    """Bring the stack back to how it was built: take away what a run added, put back what a run
    changed (from pip's cache, no dependencies). False if that does not get it back."""
    python = stack / "venv" / "bin" / "python"
    now = freeze(python)
    changed = [f"{name}=={version}" for name, version in base.items() if now.get(name) != version]
    if changed:
        say(f"putting back what an earlier run changed: {', '.join(changed)}")
        run(python, "-m", "pip", "install", "--quiet", "--no-deps", *changed)
    added = sorted(set(now) - set(base))
    if added:
        run(python, "-m", "pip", "uninstall", "--quiet", "--yes", *added)
    return freeze(python) == base


def snapshot_repository(workdir: Path) -> Path:
    """A bare repository whose default branch holds this checkout's tracked files as they are now.

    `git stash create` records the working tree (committed or not) without touching it.
    """
    commit = subprocess.run(
        ["git", "-C", ROOT, "stash", "create"], capture_output=True, text=True, check=True
    ).stdout.strip()
    commit = commit or "HEAD"
    bare = workdir / "course.git"
    run("git", "init", "--quiet", "--bare", "--initial-branch=main", bare)
    run("git", "-C", ROOT, "push", "--quiet", bare, f"{commit}:refs/heads/main")
    return bare


COLAB_STAND_IN = """
import sys, types
calls = []
output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append("widgets"))
colab = types.ModuleType("google.colab")
colab.output = output
google = sys.modules.setdefault("google", types.ModuleType("google"))
google.colab = colab
sys.modules["google.colab"] = colab
"""
LESSON_START = """
import sys
assert sys.version_info[:2] == (3, 13), f"the kernel runs Python {sys.version}, not Colab's 3.13"
from mnist_course.course.lesson import Lesson
Lesson.start(smoke=True)
assert calls == ["widgets"], f"Lesson.start() on Colab: custom widget manager calls {calls}"
print("Lesson.start() enabled Colab's custom widget manager")
"""


RUN_CELLS = """
import json, nbformat
from nbclient import NotebookClient
cells = [nbformat.v4.new_code_cell(source) for source in json.load(open("cells.json"))]
notebook = nbformat.v4.new_notebook(cells=cells)
try:
    NotebookClient(notebook, timeout=1200, kernel_name="python3").execute()
finally:
    for cell in notebook.cells:
        for output in cell.outputs:
            print(output.get("text", "") or output.get("data", {}).get("text/plain", ""))
"""


def run_colab_cells(python: Path, workdir: Path, bare: Path) -> list[str]:
    """Every distinct Colab cell of the notebooks, in one kernel that believes it is on Colab."""
    cells = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        source = "".join(json.loads(path.read_text())["cells"][1]["source"])
        if "google.colab" not in source:
            raise SystemExit(f"colab-check: {path.name}: its second cell is not the Colab cell")
        if source not in cells:
            cells.append(source)
    say(f"running the notebooks' {len(cells)} distinct Colab cell(s) as Colab would")
    (workdir / "cells.json").write_text(json.dumps([COLAB_STAND_IN, *cells, LESSON_START]))
    env = {
        **os.environ,
        "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{bare}.insteadOf",
        "GIT_CONFIG_VALUE_0": COURSE_URL,
    }
    env.pop("MNIST_COURSE_SMOKE", None)
    run(python, "-c", RUN_CELLS, env=env, cwd=workdir)
    return cells


def ready_stack(python313: str, started: float) -> Path:
    """The cached stack for this freeze list, pyproject and STACK, built or brought back; its
    Python. Call with the cache lock held."""
    key = hashlib.sha256()
    for part in (FREEZE, ROOT / "pyproject.toml"):
        key.update(part.read_bytes())
    key.update(repr((STACK, python313)).encode())
    stack = CACHE / f"colab-stack-{key.hexdigest()[:16]}"
    python = stack / "venv" / "bin" / "python"
    base_file = stack / "base.json"
    if not (base_file.exists() and restore(stack, json.loads(base_file.read_text()))):
        for old in CACHE.glob("colab-stack-*"):
            shutil.rmtree(old, ignore_errors=True)
        build_stack(python313, stack)
    else:
        say(f"reusing the cached stack {stack}")
    base = json.loads(base_file.read_text())
    version = subprocess.check_output(
        [python, "-c", "import platform; print(platform.python_version())"], text=True
    ).strip()
    shown = ", ".join(f"{n} {base[n]}" for n in ("torch", "ipywidgets", "notebook", "ipykernel"))
    say(f"stack ready after {time.monotonic() - started:.0f} s: Python {version}, {shown}")
    return python


def install_as_colab(python: Path) -> list[str]:
    """(a): run the notebooks' Colab cells; the preinstalled packages they changed."""
    with tempfile.TemporaryDirectory(prefix="colab-check-") as tmp:
        workdir = Path(tmp)
        before = freeze(python)
        run_colab_cells(python, workdir, snapshot_repository(workdir))
        after = freeze(python)
    colab = {
        re.sub(r"[-_.]+", "-", n).lower(): v.split("+")[0]
        for n, _, v in (line.partition("==") for line in constraints().splitlines())
    }
    changed = [
        f"{n} {v} -> {after.get(n, 'removed')}" for n, v in before.items() if after.get(n) != v
    ]
    # Added here, but preinstalled on Colab at another version: pip would change it there.
    changed += [
        f"{n} {colab[n]} (Colab) -> {after[n]}"
        for n in set(after) - set(before)
        if n in colab and colab[n] != after[n]
    ]
    added = sorted(f"{n} {after[n]}" for n in set(after) - set(before))
    say(f"pip added: {', '.join(added) or 'nothing'}")
    say(f"(a) preinstalled packages pip changed: {', '.join(changed) or 'none'}")
    if "onnxscript" not in after:
        say("the export extra did not install next to Colab's packages: 11 skips ONNX")
    return changed


def run_tests(python: Path) -> list[str]:
    """(b) and (c) on the stack's kernel: the labels of those that failed."""
    env = {
        **os.environ,
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}",
    }
    failures = []
    for label, test in [
        ("(b) every notebook in smoke mode", ["tests/test_notebooks.py"]),
        (
            "(c) pad and gallery in the classic Notebook front end",
            ["tests/test_browser_classic.py", "-m", "browser"],
        ),
    ]:
        say(f"{label} on Python 3.13 with Colab's packages")
        pytest = [
            python,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-W",
            "ignore::DeprecationWarning",
            *test,
        ]
        if subprocess.run([str(p) for p in pytest], cwd=ROOT, env=env).returncode:
            failures.append(label)
    return failures


def main() -> int:
    started = time.monotonic()
    if not FREEZE.exists():
        say(f"skipped: no Colab package list at {FREEZE}")
        return 0
    python313 = find_python313()
    if python313 is None:
        say("skipped: no Python 3.13 found (pyenv, PATH or $COLAB_PYTHON): Colab runs 3.13")
        return 0
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "colab-stack.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        python = ready_stack(python313, started)
        failures = ["(a) pip changed preinstalled packages"] if install_as_colab(python) else []
        failures += run_tests(python)
    say(
        f"{'FAILED: ' + '; '.join(failures) if failures else 'passed'} "
        f"in {time.monotonic() - started:.0f} s"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
