"""Studies on real handwriting (scikit-learn's digits), a few epochs each."""

import functools
import math
import re

import numpy as np
import pytest
import torch
from scipy.stats import loguniform
from torch.utils.data import DataLoader, TensorDataset

from mnist_course.core.formatting import percent
from mnist_course.core.progress import RunsProgress
from mnist_course.models import build_model, count_parameters
from mnist_course.training import Recipe, studies, train

DURATION = r"(\d+ (h|min|s) ?)+"
"""A time as ``formatting.duration`` writes it, e.g. ``3 min 12 s``."""
MLP = Recipe("study-mlp", "mlp", "sgd", lr=0.05, batch_size=32, epochs=2)


@pytest.fixture(scope="module")
def parts(digits):
    from mnist_course.data import stratified_split

    return stratified_split(digits.train, validation=0.2, seed=0)


def test_lr_sweep_marks_divergence_and_never_picks_it(parts):
    study = studies.lr_sweep(MLP, *parts, lrs=[0.01, 0.1, 1e4], progress=False)
    assert study.runs["lr"].tolist() == [0.01, 0.1, 1e4]
    assert study.runs.set_index("lr").loc[1e4, "status"] == "diverged"
    summary = study.summary()
    assert summary.loc[1e4, "diverged"] == 1 and math.isnan(summary.loc[1e4, "val_accuracy_mean"])
    assert math.isnan(summary.loc[1e4, "val_accuracy_sd"]), "no finished run: no spread to show"
    assert math.isnan(summary.loc[0.1, "val_accuracy_sd"]), "one run: a spread needs two"
    assert study.best()["lr"] in (0.01, 0.1)
    assert set(study.histories["lr"]) == {0.01, 0.1, 1e4}


def test_seeds_give_mean_and_sd(parts):
    study = studies.batch_size_sweep(MLP, *parts, sizes=[16, 128], seeds=(0, 1), progress=False)
    assert len(study.runs) == 4
    summary = study.summary()
    assert summary["runs"].tolist() == [2, 2]
    by_size = study.runs.groupby("batch_size")["val_accuracy"]
    assert summary["val_accuracy_mean"].tolist() == pytest.approx(by_size.mean().tolist())
    assert summary["val_accuracy_sd"].tolist() == pytest.approx(by_size.std().tolist())


def test_grid_search_picks_the_best_combination(parts):
    study = studies.grid_search(MLP, *parts, {"lr": [0.003, 0.1], "batch_size": [16, 64]})
    assert len(study.runs) == 4
    assert set(zip(study.runs["lr"], study.runs["batch_size"], strict=True)) == {
        (0.003, 16),
        (0.003, 64),
        (0.1, 16),
        (0.1, 64),
    }
    best = study.best()
    top = study.runs.loc[study.runs["val_accuracy"].idxmax()]
    assert (best["lr"], best["batch_size"]) == (top["lr"], top["batch_size"])
    assert isinstance(best["batch_size"], int | np.integer), "a batch size stays a whole number"
    assert best["val_accuracy_mean"] == top["val_accuracy"]


def test_stop_button_ends_the_study_with_finished_runs(parts, monkeypatch, capsys):
    calls = {"n": 0}

    def stop_during_second_run(epoch):
        raise KeyboardInterrupt

    def train_and_maybe_stop(*args, **kwargs):
        calls["n"] += 1
        callbacks = [stop_during_second_run] if calls["n"] == 2 else []
        return train(*args, callbacks=callbacks, **kwargs)

    monkeypatch.setattr(studies, "train", train_and_maybe_stop)
    study = studies.lr_sweep(MLP, *parts, lrs=[0.01, 0.03, 0.1])
    assert study.interrupted and len(study.runs) == 1 and study.notes
    out = capsys.readouterr().out
    assert out.startswith("stopped after 1 of 3 runs (") and "best lr 0.01, val" in out


def test_a_study_shows_one_bar_over_its_runs_and_ends_with_one_line(parts, capsys):
    study = studies.lr_sweep(MLP, *parts, lrs=[0.01, 0.1, 1e4])
    out, err = capsys.readouterr()
    scores = study.runs.set_index("lr")["val_accuracy"]
    for number, lr in enumerate(["0.01", "0.1", "1e+04"], start=1):
        assert f"run {number} of 3 (lr {lr})" in err, "which run of how many"
    assert f"last val {percent(scores[0.01])}" in err, "each run's score as it ends"
    assert "last val diverged" in err
    assert "epoch 1" not in err, "the runs' own epoch bars stay off"
    best = scores.idxmax()
    expected = rf"3 runs in {DURATION}, 1 diverged: best lr {best:g}, val {percent(scores[best])}\n"
    assert re.fullmatch(expected, out), out


def test_a_study_without_progress_is_silent(parts, capsys):
    studies.lr_sweep(MLP, *parts, lrs=[0.1], epochs=1, progress=False)
    assert capsys.readouterr() == ("", "")


def test_runs_progress_follows_the_loop_and_names_the_best(capsys):
    runs = RunsProgress([0.01, 0.1, 1.0], epochs=[2, 2, 1], label=lambda lr: f"lr {lr:g}")
    for lr in runs:
        for _epoch in range(2 if lr < 1 else 1):
            runs.on_progress(5, 10, 0.3)
            runs.on_progress(10, 10, 0.2)
        runs.score(float("nan") if lr == 1.0 else 0.5 + lr, "diverged" if lr == 1.0 else "done")
    out, err = capsys.readouterr()
    assert "last val 60.00%, best 60.00% (lr 0.1)" in err
    assert re.fullmatch(rf"3 runs in {DURATION}, 1 diverged: best lr 0.1, val 60.00%\n", out)
    assert runs.summary == out.strip()
    assert runs.scores[2] == ("lr 1", None, "diverged")


def test_runs_progress_says_when_it_was_stopped(capsys):
    runs = RunsProgress(["cnn3", "cnn5"], score_name="test", noun="models")
    for _ in runs:
        runs.score(0.9)
        break
    runs.close()
    out = capsys.readouterr().out
    expected = rf"stopped after 1 of 2 models \({DURATION}\): best cnn3, test 90.00%\n"
    assert re.fullmatch(expected, out), out


def test_a_run_that_raises_still_ends_the_bar_with_its_line(capsys):
    with pytest.raises(RuntimeError, match="bad recipe"), RunsProgress(["a", "b"]) as runs:
        for _ in runs:
            raise RuntimeError("bad recipe")
    assert capsys.readouterr().out.startswith("stopped after 0 of 2 runs (")


def test_compare_architectures(parts, digits, capsys):
    table = studies.compare_architectures(["mlp-sgd", "fast"], *parts, digits.test, epochs=1)
    out, err = capsys.readouterr()
    assert "run 1 of 2 (mlp-sgd)" in err and "run 2 of 2 (fast)" in err
    best = table["val_accuracy"].idxmax()
    assert re.fullmatch(rf"2 models in {DURATION}: best {best}, val [\d.]+%\n", out), out
    assert list(table.index) == ["mlp-sgd", "fast"]
    assert table.loc["fast", "parameters"] == count_parameters(build_model("fast"))
    assert table.loc["mlp-sgd", "report_accuracy"] == 0.974
    assert ((table["test_accuracy"] > 0.1) & (table["test_accuracy"] <= 1)).all()
    assert (table["seconds_per_epoch"] > 0).all()


def test_overrides_apply_to_every_run(parts):
    study = studies.lr_sweep(
        "mlp-sgd", *parts, lrs=[0.05], epochs=1, batch_size=128, progress=False
    )
    assert study.runs["epochs"].tolist() == [1]
    assert functools.reduce(lambda a, b: a and b, study.histories["epoch"] == 1)


def test_data_size_study_trains_on_growing_stratified_shares(parts):
    train_part, validation = parts
    study = studies.data_size_study(MLP, train_part, validation, fractions=[0.1, 0.5, 1.0])
    assert study.runs["train_fraction"].tolist() == [0.1, 0.5, 1.0]
    sizes = study.runs["train_images"].tolist()
    assert sizes[2] == len(train_part) and abs(sizes[1] - len(train_part) / 2) <= 1
    assert abs(sizes[0] - 0.1 * len(train_part)) <= 1
    accuracy = study.runs.set_index("train_fraction")["val_accuracy"]
    assert accuracy[1.0] > accuracy[0.1], "ten times the data must beat a tenth of it"
    assert set(study.histories["train_fraction"]) == {0.1, 0.5, 1.0}


def test_grid_search_keeps_the_grids_order_of_parameters(parts):
    """scikit-learn's ParameterGrid sorts the names; the study keeps them as the grid gives them."""
    grid = {"lr": [0.05], "batch_size": [32, 64]}
    study = studies.grid_search(MLP, *parts, grid, epochs=1, progress=False)
    assert study.parameters == ["lr", "batch_size"]
    assert list(study.summary().index.names) == ["lr", "batch_size"]


def test_random_search_draws_its_budget_the_same_way_each_time(parts):
    space = {"lr": loguniform(0.01, 0.3), "batch_size": [32, 64, 128]}
    study = studies.random_search(MLP, *parts, space, n_iter=3, epochs=1, progress=False)
    again = studies.random_search(MLP, *parts, space, n_iter=3, epochs=1, progress=False)
    assert len(study.runs) == 3 and study.parameters == ["lr", "batch_size"]
    assert study.runs["lr"].nunique() == 3, "every draw its own rate"
    assert study.runs["lr"].tolist() == again.runs["lr"].tolist(), "same random_state, same draws"
    for lr, size in zip(study.runs["lr"], study.runs["batch_size"], strict=True):
        assert type(lr) is float and 0.01 <= lr <= 0.3
        assert type(size) is int and size in (32, 64, 128)
    other = studies.random_search(
        MLP, *parts, space, n_iter=3, random_state=1, epochs=1, progress=False
    )
    assert other.runs["lr"].tolist() != study.runs["lr"].tolist()


def range_test_batches(digits, count=30):
    images = digits.train.images[: count * 16].float().div(255).unsqueeze(1)
    return DataLoader(TensorDataset(images, digits.train.labels[: count * 16]), batch_size=16)


def test_lr_range_test_grows_the_rate_every_batch_and_puts_the_model_back(digits):
    torch.manual_seed(0)
    model = build_model("mlp")
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    curve = studies.lr_range_test(
        model, range_test_batches(digits), start=1e-4, end=1.0, steps=50, stop_factor=math.inf
    )
    assert list(curve.columns) == ["step", "lr", "loss", "smoothed_loss"]
    assert len(curve) == 50, "30 batches, then the loader again: 50 steps"
    assert curve["lr"].iloc[0] == pytest.approx(1e-4) and curve["lr"].iloc[-1] == pytest.approx(1)
    ratios = curve["lr"].iloc[1:].to_numpy() / curve["lr"].iloc[:-1].to_numpy()
    assert ratios == pytest.approx(np.full(49, 1e4 ** (1 / 49))), "the same factor every step"
    assert curve["smoothed_loss"].iloc[0] == pytest.approx(curve["loss"].iloc[0])
    assert curve["smoothed_loss"].iloc[-5:].mean() < curve["smoothed_loss"].iloc[:5].mean()
    after = model.state_dict()
    assert all(torch.equal(before[name], after[name]) for name in before), "weights put back"


def test_lr_range_test_stops_once_the_loss_blows_up(digits):
    torch.manual_seed(0)
    model = build_model("mlp")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9)
    curve = studies.lr_range_test(
        model, range_test_batches(digits), start=1e-3, end=1e4, steps=100, optimizer=optimizer
    )
    assert 5 < len(curve) < 100, "stopped early: the rate ran far past what trains"
    last = curve["smoothed_loss"].iloc[-1]
    lowest = curve["smoothed_loss"].iloc[:-1].min()
    assert not math.isfinite(last) or last > 4 * lowest
    assert optimizer.param_groups[0]["lr"] == 0.03 and "initial_lr" not in optimizer.param_groups[0]
    assert studies.lr_range_test(model, [], steps=10).empty, "no batches: no curve"
