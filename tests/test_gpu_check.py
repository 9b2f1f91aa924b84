"""The GPU check (benchmarks/gpu.py): a clean skip without a GPU, and its pieces on the CPU."""

import json
import math
import runpy
import sys

import pandas as pd
import pytest
import torch

from benchmarks import common, gpu
from mnist_course.core.runtime import MixedPrecision
from mnist_course.data import DataSplits, stratified_sample
from mnist_course.training import engine
from mnist_course.training.engine import Precision


def test_without_a_gpu_it_says_so_and_exits_0(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # also on a machine with one
    monkeypatch.setattr(sys, "argv", ["benchmarks/gpu.py"])
    with pytest.raises(SystemExit) as exit:
        runpy.run_path(gpu.__file__, run_name="__main__")  # as `make gpu-check` runs it
    assert exit.value.code == 0
    assert capsys.readouterr().out.strip() == gpu.NO_GPU and "no CUDA GPU" in gpu.NO_GPU


def test_forced_fp16_is_what_train_uses_inside_and_only_inside():
    cpu = torch.device("cpu")
    with gpu.forced_precision(gpu.FP16):
        forced = Precision.for_device(cpu)
        assert forced.dtype == torch.float16 and forced.scaler is not None
    assert Precision.for_device(cpu).dtype is None, "the device's own choice again afterwards"
    assert gpu.precision_name(gpu.FP16) == "float16 + GradScaler"


@pytest.fixture(scope="module")
def few(digits) -> DataSplits:
    return DataSplits(stratified_sample(digits.train, 1024), digits.test)


def test_time_to_a_target_on_the_fp16_path(few):
    with gpu.forced_precision(gpu.FP16):  # the T4's path, end to end (fp16 autocast runs on CPUs)
        (row,) = gpu.time_to("fast", 0.0, (0,), few, gpu.precision_name(gpu.FP16))
    assert row["measure"] == "fast, float16 + GradScaler: seconds to 0.0%" and row["seed"] == 0
    assert row["seconds"] > 0 and row["test_accuracy"] > 0.5


def test_seconds_to_is_the_first_epoch_that_reaches_the_target():
    curve = pd.DataFrame({"seconds": [1.5, 3.0, 4.5], "test_accuracy": [0.98, 0.991, 0.989]})
    assert gpu.seconds_to(curve, 0.99) == 3.0 and gpu.seconds_to(curve, 0.98) == 1.5
    assert math.isnan(gpu.seconds_to(curve, 0.995))


def test_figures_are_medians_and_valid_json():
    rows = [
        {
            "measure": "fast, auto (bfloat16): seconds to 99.0%",
            "seed": seed,
            "seconds": seconds,
            "test_accuracy": accuracy,
        }
        for seed, seconds, accuracy in [(0, 0.4, 0.991), (1, 0.3, 0.992), (2, 0.9, 0.990)]
    ]
    rows.append(
        {
            "measure": "best, auto (bfloat16): seconds to 99.5%",
            "seed": 0,
            "seconds": math.nan,
            "test_accuracy": 0.9948,
        }
    )
    rows += [
        {"measure": f"notebook {name} ({mode})", "seconds": seconds}
        for name, mode, seconds in [
            ("00_setup", "smoke", 5.04),
            ("01_mnist", "smoke", 7.0),
            ("06_learning_rate", "full", 201.26),
        ]
    ]
    assert gpu.figures(rows, gpu.FP16, seconds=1.0)["notebooks_failed"] == []
    rows.append(
        {
            "measure": "notebook 02_first (smoke)",
            "seconds": math.nan,
            "error": "CellExecutionError: ...",
        }
    )
    figures = gpu.figures(rows, gpu.mixed_precision("cpu"), seconds=300.04)
    assert figures["fast_seconds_to_99"] == 0.4 and figures["fast_accuracy"] == 0.991
    assert figures["best_seconds_to_99_5"] is None and figures["best_accuracy"] == 0.9948
    assert figures["fast_fp16_seconds_to_99"] is None, "not measured: None"
    assert figures["smoke_seconds"] == 12.0 and figures["check_seconds"] == 300.0
    assert figures["full_seconds"] == {"06_learning_rate": 201.3}
    assert figures["notebooks_failed"] == ["02_first"]
    assert figures["autocast"] == "float32"
    assert "NaN" not in json.dumps(figures), "the JSON line is valid JSON"


def test_the_longest_lessons_are_notebooks_of_the_course():
    found = gpu.lessons(gpu.LONGEST)
    assert [path.stem[:2] for path in found] == list(gpu.LONGEST)
    assert all(path.is_file() and path.suffix == ".ipynb" for path in found)


def test_main_on_a_pretend_gpu_prints_a_table_and_one_json_line(digits, monkeypatch, capsys):
    """main's wiring, with the measurements stubbed (the real ones need a GPU and minutes)."""
    precisions = []

    def curve(recipe, seed, splits):  # what benchmarks.time_to_accuracy measures, made up
        precisions.append((recipe, engine.mixed_precision(torch.device("cpu"))))
        return pd.DataFrame({"seconds": [1.0 + seed, 2.0 + seed], "test_accuracy": [0.99, 0.996]})

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    bf16 = MixedPrecision(torch.bfloat16, grad_scaler=False)  # an Ampere GPU or newer
    monkeypatch.setattr(gpu, "mixed_precision", lambda device: bf16)
    monkeypatch.setattr(gpu, "real_mnist", lambda root: digits)
    monkeypatch.setattr(gpu, "warm_up", lambda recipe, splits: None)
    monkeypatch.setattr(gpu, "accuracy_per_epoch", curve)
    monkeypatch.setattr(gpu.course, "run", lambda path, smoke, workdir: 2.0)
    monkeypatch.setattr(common, "machine", lambda: "a pretend GPU")
    assert gpu.main([]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(out[-1])
    assert figures["autocast"] == "bfloat16" and figures["machine"] == "a pretend GPU"
    assert figures["fast_seconds_to_99"] == 2.0 and figures["fast_fp16_seconds_to_99"] == 2.0
    assert figures["best_seconds_to_99_5"] == 2.0 and figures["best_accuracy"] == 0.996
    assert figures["smoke_seconds"] == 2.0 * len(gpu.course.NOTEBOOKS)
    assert figures["full_seconds"] == {} and figures["notebooks_failed"] == []
    assert any(line.startswith("GPU check") for line in out), "the table's title"
    forced = [choice for recipe, choice in precisions if choice == gpu.FP16]
    assert len(forced) == len(gpu.SEEDS), "the fp16 runs trained with fp16 + GradScaler forced"
    assert [recipe for recipe, _ in precisions].count("best") == 1
