"""Every notebook runs top to bottom in smoke mode, and none is committed with outputs."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def test_the_lessons_are_numbered_without_gaps():
    numbers = [int(path.stem.split("_", 1)[0]) for path in NOTEBOOKS]
    assert NOTEBOOKS[0].stem == "00_setup" and len(numbers) >= 9
    assert numbers == list(range(len(numbers))), f"lesson numbers {numbers}: a gap or a duplicate"


BADGE = "https://colab.research.google.com/github/mnist-course/mnist-course/blob/main/notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_colab_badge_opens_this_very_notebook(path):
    opening = "".join(nbformat.read(path, as_version=4).cells[0].source)
    targets = re.findall(re.escape(BADGE) + r"([^)\s]+)", opening)
    assert targets == [path.name], f"{path.name}: its Colab badge opens {targets}"


def test_the_readme_outline_lists_every_lesson_in_order():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `(\d\d_\w+)` \|", readme, re.M)
    assert listed == [path.stem for path in NOTEBOOKS], "the README's lesson table is out of date"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_lesson_opens_with_what_it_teaches(path):
    opening = "".join(nbformat.read(path, as_version=4).cells[0].source)
    assert opening.startswith(f"# {path.stem[:2]} · "), "the title, with the lesson's number"
    learn = opening.split("**You will learn**\n", 1)
    assert len(learn) == 2, f"{path.name}: no 'You will learn' list"
    assert len(re.findall(r"^- \S", learn[1], re.M)) >= 2, f"{path.name}: fewer than two points"
    time = re.search(r"^\*\*Time\*\* \(.*measured\): (.+) on 2 CPU cores; (.+) GPU", opening, re.M)
    assert time and "minute" in time[1], f"{path.name}: no measured time on a CPU and a GPU"


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
FROZEN = re.compile(r"^(VBox|HBox|Box|IntProgress|FloatProgress|HTML|Canvas)\(|\b0%\|", re.M)
"""What a live widget or a tqdm widget bar leaves in a notebook saved without a front end."""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_in_smoke_mode(path, tmp_path, monkeypatch):
    """Each lesson runs, executed as `make course` saves it: widgets and progress bars as stills."""
    monkeypatch.setenv("MNIST_COURSE_SMOKE", "1")
    monkeypatch.setenv("MNIST_COURSE_SAVED_COPY", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        coalesce_streams=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    printed = "".join(output.get("text", "") for output in outputs)
    assert "SMOKE mode" in printed, "the parameters cell must announce smoke mode"
    for output in outputs:
        data = output.get("data", {})
        text = output.get("text", "") + data.get("text/plain", "")
        assert WIDGET_VIEW not in data, f"a live widget in the saved copy: {text[:200]}"
        assert not FROZEN.search(text), f"a frozen widget or bar in the saved copy: {text[:300]}"
