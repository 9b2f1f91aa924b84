"""GPU check: the course's speed on one CUDA GPU in a few minutes, and a clean skip without one.

On real MNIST (``--data`` or ``$MNIST_COURSE_DATA``) and the first CUDA GPU it measures:

- the autocast choice ``mnist_course.core.runtime.mixed_precision`` makes there (bf16 from compute
  capability 8.0 on, fp16 with a ``GradScaler`` below);
- ``fast``: training seconds to 99.0 % test accuracy, median of 3 seeds, with the data already on
  the device (``BatchIterator`` puts it there before the first epoch; an epoch's seconds leave
  out that copy and the test scoring), as ``benchmarks/time_to_accuracy.py`` measures it;
- the same with fp16 + ``GradScaler`` forced, the path a T4 (capability 7.5) takes;
- ``best``: training seconds to 99.5 %, one seed, and the accuracy its 30 epochs end at;
- every notebook in smoke mode, on this GPU (``benchmarks/course.py``'s runner);
- with ``--full``, also the longest lessons in full mode (``--lessons``; minutes each, on top of
  the few minutes the rest takes).

Each training measurement starts with a short warm-up run, so CUDA's start-up costs stay out
of the figures. It prints a table and ends with one JSON line (``benchmarks.common.finish``).
A notebook that fails is reported (its error in the table, its name in the JSON line) and the
check goes on, then exits 1. Without a CUDA GPU it says so and exits 0, so CI can import and run
it.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
import torch

from benchmarks import course
from benchmarks.common import finish, median, parser, real_mnist
from benchmarks.time_to_accuracy import accuracy_per_epoch
from mnist_course.core.runtime import MixedPrecision, mixed_precision
from mnist_course.data import DataSplits, stratified_sample
from mnist_course.training import engine, get_recipe, train

SEEDS = (0, 1, 2)
FAST_TARGET, BEST_TARGET = 0.99, 0.995
FP16 = MixedPrecision(torch.float16, grad_scaler=True)
"""What ``mixed_precision`` picks on a GPU below compute capability 8.0, e.g. Colab's T4."""
LONGEST = ("04", "05", "07", "10")
"""The lessons that take longest in full mode on 2 CPU cores (169-273 s each, 2026-12-02)."""
NO_GPU = (
    "GPU check: no CUDA GPU here (torch.cuda.is_available() is False), so nothing was measured; "
    "run `make gpu-check` where a GPU is at hand"
)


@contextmanager
def forced_precision(choice: MixedPrecision) -> Iterator[None]:
    """Make ``train`` use ``choice`` on any device (it asks ``engine.mixed_precision``)."""
    with mock.patch.object(engine, "mixed_precision", lambda device: choice):
        yield


def precision_name(choice: MixedPrecision) -> str:
    """``bfloat16``, ``float16 + GradScaler`` or ``float32`` (no autocast)."""
    name = str(choice.dtype).removeprefix("torch.") if choice.dtype is not None else "float32"
    return f"{name} + GradScaler" if choice.grad_scaler else name


def seconds_to(curve: pd.DataFrame, target: float) -> float:
    """Training seconds at the first epoch whose test accuracy reaches ``target`` (NaN: never)."""
    reached = curve[curve["test_accuracy"] >= target]
    return float(reached["seconds"].iloc[0]) if len(reached) else math.nan


def warm_up(recipe: str, splits: DataSplits) -> None:
    """One short epoch of ``recipe``: loads CUDA's kernels and picks its algorithms."""
    train(
        get_recipe(recipe).replace(epochs=1),
        stratified_sample(splits.train, 2048),
        None,
        progress=False,
    )


def time_to(recipe: str, target: float, seeds: Sequence[int], splits, label: str) -> list[dict]:
    """A row per seed: training seconds to ``target`` and the test accuracy at the end."""
    warm_up(recipe, splits)
    rows = []
    for seed in seeds:
        curve = accuracy_per_epoch(recipe, seed, splits)
        rows.append(
            {
                "measure": f"{recipe}, {label}: seconds to {target:.1%}",
                "seed": seed,
                "seconds": seconds_to(curve, target),
                "test_accuracy": float(curve["test_accuracy"].iloc[-1]),
            }
        )
        print(rows[-1], flush=True)
    return rows


def lessons(prefixes: Sequence[str]) -> list[Path]:
    """The notebooks whose names start with ``prefixes`` (``"06"``: 06_learning_rate)."""
    return [path for path in course.NOTEBOOKS if path.stem.startswith(tuple(prefixes))]


def notebook_seconds(paths: Sequence[Path], smoke: bool) -> list[dict]:
    """Wall-clock seconds of each notebook, executed top to bottom in a fresh kernel; one that
    fails gets its error instead, and the others still run."""
    mode = "smoke" if smoke else "full"
    rows = []
    with tempfile.TemporaryDirectory() as workdir:  # runs/ shared by one mode's lessons
        for path in paths:
            row = {"measure": f"notebook {path.stem} ({mode})", "seconds": math.nan}
            try:
                row["seconds"] = course.run(path, smoke, Path(workdir))
            except Exception as problem:  # noqa: BLE001 - reported, and the check goes on
                row["error"] = f"{type(problem).__name__}: {str(problem).strip()[-300:]}"
            rows.append(row)
            print(rows[-1], flush=True)
    return rows


def figures(rows: list[dict], choice: MixedPrecision, seconds: float) -> dict[str, Any]:
    """The JSON line's figures: medians over seeds, None where a target was never reached."""
    table = pd.DataFrame(rows)

    def of(start: str, column: str = "seconds") -> float | None:
        picked = table.loc[table["measure"].str.startswith(start), column].dropna()
        return round(median(list(picked)), 4) if len(picked) else None

    def notebooks(mode: str) -> dict[str, float]:
        picked = table[
            table["measure"].str.startswith("notebook ")
            & table["measure"].str.endswith(f"({mode})")
        ]
        return {
            row.measure.split()[1]: round(row.seconds, 1)
            for row in picked.itertuples()
            if not math.isnan(row.seconds)
        }

    return {
        "autocast": precision_name(choice),
        "fast_seconds_to_99": of("fast, auto"),
        "fast_accuracy": of("fast, auto", "test_accuracy"),
        "fast_fp16_seconds_to_99": of("fast, float16"),
        "fast_fp16_accuracy": of("fast, float16", "test_accuracy"),
        "best_seconds_to_99_5": of("best, auto"),
        "best_accuracy": of("best, auto", "test_accuracy"),
        "smoke_seconds": round(sum(notebooks("smoke").values()), 1),
        "full_seconds": notebooks("full"),
        "notebooks_failed": [row["measure"].split()[1] for row in rows if row.get("error")],
        "check_seconds": round(seconds, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument(
        "--lessons",
        nargs="+",
        default=list(LONGEST),
        help="with --full: the lessons to time in full mode (name prefixes)",
    )
    args = p.parse_args(argv)
    if not torch.cuda.is_available():
        print(NO_GPU)
        return 0
    started = time.perf_counter()
    if args.data:
        os.environ["MNIST_COURSE_DATA"] = args.data  # for the notebooks' kernels too
    splits = real_mnist(args.data)
    choice = mixed_precision(torch.device("cuda"))
    auto = f"auto ({precision_name(choice)})"
    rows = time_to("fast", FAST_TARGET, SEEDS, splits, auto)
    with forced_precision(FP16):
        rows += time_to("fast", FAST_TARGET, SEEDS, splits, precision_name(FP16))
    rows += time_to("best", BEST_TARGET, SEEDS[:1], splits, auto)
    rows += notebook_seconds(course.NOTEBOOKS, smoke=True)
    if args.full:
        rows += notebook_seconds(lessons(args.lessons), smoke=False)
    table = pd.DataFrame(rows).astype({"seed": "Int64"}).set_index("measure")
    found = figures(rows, choice, time.perf_counter() - started)
    finish("GPU check", table, found)
    return 1 if found["notebooks_failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
