"""Benchmark 5: seconds to execute every notebook of the course, in smoke and in full mode.

Each notebook runs top to bottom in a fresh kernel (nbclient), in a scratch folder. Smoke mode
(``MNIST_COURSE_SMOKE=1``) is what CI runs; ``--full`` also runs the learners' full course and
keeps the executed notebooks in ``build/notebooks`` to read: run as saved copies
(``MNIST_COURSE_SAVED_COPY=1``, see ``mnist_course.widgets.display``), they show each widget as a
picture and each progress bar's final line.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd
from nbclient import NotebookClient

from benchmarks.common import finish, parser

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
KEEP = Path(__file__).parents[1] / "build" / "notebooks"


def run(path: Path, smoke: bool, workdir: Path) -> float:
    """Execute one notebook; returns its wall-clock seconds (kernel start included)."""
    os.environ["MNIST_COURSE_SMOKE"] = "1" if smoke else "0"
    os.environ["MNIST_COURSE_SAVED_COPY"] = "1"
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(
        notebook,
        timeout=None,
        kernel_name="python3",
        coalesce_streams=True,
        resources={"metadata": {"path": str(workdir)}},
    ).execute()
    seconds = time.perf_counter() - started
    if not smoke:
        KEEP.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, KEEP / path.name)
    return seconds


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    if args.data:
        os.environ["MNIST_COURSE_DATA"] = args.data
    modes = [("smoke", True)] + ([("full", False)] if args.full else [])
    rows = []
    for mode, smoke in modes:
        with tempfile.TemporaryDirectory() as workdir:  # runs/ of one mode is shared by lessons
            for path in NOTEBOOKS:
                rows.append(
                    {
                        "notebook": path.stem,
                        "mode": mode,
                        "seconds": run(path, smoke, Path(workdir)),
                    }
                )
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows).pivot(index="notebook", columns="mode", values="seconds").round(1)
    table.loc["total"] = table.sum()
    figures = {
        f"course_{mode}_seconds": round(float(table.loc["total", mode]), 1) for mode, _ in modes
    }
    finish("Course run time (seconds per notebook)", table, figures)


if __name__ == "__main__":
    main()
