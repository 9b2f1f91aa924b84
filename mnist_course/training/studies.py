"""Studies: learning rate, batch size, grid and random search, amount of data, architectures.

Every study trains one run per setting (and per seed), and returns a ``Study``: a tidy DataFrame
with one row per run, the per-epoch histories for curves, and a summary with mean and standard
deviation across seeds. Runs are the course's ``train``, so each one is cancel-safe and
divergence-aware: a diverged run is recorded as such and never chosen as best, and the stop
button ends the whole study with the runs finished so far. While it trains, a study shows one
progress bar over its runs (``progress=False`` hides it) and then prints one line:

>>> from mnist_course.data import load_data, stratified_split
>>> train_part, validation = stratified_split(load_data("digits").train)
>>> study = lr_sweep("mlp-sgd", train_part, validation, lrs=[0.001, 0.1], epochs=2)
... # doctest: +ELLIPSIS
2 runs in ... s: best lr 0.1, val ...%
>>> study.summary().index.tolist()      # one row per learning rate
[0.001, 0.1]
>>> float(study.best()["lr"])           # the best mean validation accuracy
0.1

``lr_range_test`` is the quick look before a sweep (fastai's ``lr_find``): one short run whose
rate grows every batch, the loss recorded at each rate.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.model_selection import ParameterGrid, ParameterSampler
from torch import nn

from ..core import formatting
from ..core.progress import RunsProgress
from ..core.runtime import model_device
from ..data.dataset import DigitDataset
from ..data.split import stratified_split
from ..models import build_model, count_parameters
from . import Recipe, evaluate, get_recipe, train


@dataclass
class Study:
    """Results of a study: ``runs`` (one row per run) and ``histories`` (one row per epoch)."""

    parameters: list[str]
    runs: pd.DataFrame
    histories: pd.DataFrame
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """Mean and standard deviation of validation accuracy per setting, across seeds."""
        finished = self.runs.assign(
            val_accuracy=self.runs["val_accuracy"].where(self.runs["status"] != "diverged")
        )
        grouped = finished.groupby(self.parameters, dropna=False)
        # the standard deviation needs two finished runs: with fewer it is NaN (shown as '–')
        return grouped.agg(
            val_accuracy_mean=("val_accuracy", "mean"),
            val_accuracy_sd=("val_accuracy", "std"),
            seconds_mean=("train_seconds", "mean"),
            runs=("seed", "count"),
            diverged=("status", lambda s: int((s == "diverged").sum())),
        )

    def best(self) -> pd.Series:
        """The setting with the highest mean validation accuracy (diverged runs never win).

        A Series of the setting's parameters, each of its own type (a batch size stays an int),
        then its row of ``summary()``.
        """
        summary = self.summary().dropna(subset=["val_accuracy_mean"])
        if summary.empty:
            raise ValueError("no run finished without diverging: there is no best setting")
        best = summary["val_accuracy_mean"].idxmax()
        values = best if isinstance(best, tuple) else (best,)
        setting = dict(zip(self.parameters, values, strict=True))
        return pd.Series(
            setting | {column: summary[column].loc[best] for column in summary}, dtype=object
        )


def _as_recipe(recipe: Recipe | str) -> Recipe:
    return get_recipe(recipe) if isinstance(recipe, str) else recipe


def run_study(
    recipe: Recipe | str,
    settings: Iterable[dict[str, Any]],
    train_data: DigitDataset,
    val_data: DigitDataset,
    seeds: Sequence[int] = (0,),
    progress: bool = True,
    **recipe_changes: Any,
) -> Study:
    """Train ``recipe`` once per setting and seed; ``recipe_changes`` apply to every run.

    ``progress`` shows one bar over the runs (which run of how many, the last and best
    validation accuracy) and ends with one line: the number of runs, the time, the best run.
    """
    return _study(
        recipe, settings, lambda recipe: train_data, val_data, seeds, progress, recipe_changes
    )


def data_size_study(
    recipe: Recipe | str,
    train_data: DigitDataset,
    val_data: DigitDataset,
    fractions: Sequence[float],
    seeds: Sequence[int] = (0,),
    progress: bool = True,
    **recipe_changes: Any,
) -> Study:
    """How much data does a model need? ``recipe`` on stratified shares of ``train_data``.

    Each run trains on ``fraction`` of ``train_data`` (a seeded, stratified draw, as the recipe's
    ``train_fraction``) for the recipe's epochs and is validated on the same ``val_data``. A
    smaller share therefore also takes fewer optimiser steps (an epoch of less data is shorter).
    R0 trained on 20 % of its data: ``fractions=[0.05, 0.2, 1.0]`` puts that choice in context.
    """
    settings = [{"train_fraction": fraction} for fraction in fractions]

    def share(recipe: Recipe) -> DigitDataset:
        if recipe.train_fraction == 1:
            return train_data
        return stratified_split(train_data, validation=1 - recipe.train_fraction, seed=recipe.seed)[
            0
        ]

    return _study(recipe, settings, share, val_data, seeds, progress, recipe_changes)


def _study(
    recipe: Recipe | str,
    settings: Iterable[dict[str, Any]],
    data_for: Callable[[Recipe], DigitDataset],
    val_data: DigitDataset,
    seeds: Sequence[int],
    progress: bool,
    recipe_changes: dict[str, Any],
) -> Study:
    """One run per setting and seed, each on ``data_for(its recipe)``; the stop button ends it."""
    base = _as_recipe(recipe).replace(**recipe_changes)
    settings = list(settings)
    parameters = list(settings[0]) if settings else []
    plan = [
        (run_id, setting, seed, base.replace(**setting, seed=seed))
        for run_id, (setting, seed) in enumerate(itertools.product(settings, seeds))
    ]

    def label(planned: tuple[int, dict[str, Any], int, Recipe]) -> str:
        _, setting, seed, _ = planned
        return formatting.setting(setting) + (f", seed {seed}" if len(seeds) > 1 else "")

    runs, histories, interrupted = [], [], False
    with RunsProgress(
        plan, [planned[3].epochs for planned in plan], label=label, enabled=progress
    ) as bar:
        for run_id, setting, seed, run_recipe in bar:
            train_data = data_for(run_recipe)
            result = train(
                run_recipe, train_data, val_data, progress=False, on_progress=bar.on_progress
            )
            if result.status == "interrupted":
                interrupted = True
                break
            runs.append(
                {
                    "run": run_id,
                    **setting,
                    "seed": seed,
                    "status": result.status,
                    "val_accuracy": result.best_score,
                    "best_epoch": result.best_epoch,
                    "epochs": result.epochs_run,
                    "train_images": len(train_data),
                    "train_seconds": result.train_seconds,
                }
            )
            histories.append(result.history.assign(run=run_id, seed=seed, **setting))
            bar.score(result.best_score, result.status)
    notes = (
        ["interrupted: the table holds the runs finished before the stop"] if interrupted else []
    )
    return Study(
        parameters,
        pd.DataFrame(runs),
        pd.concat(histories, ignore_index=True) if histories else pd.DataFrame(),
        interrupted,
        notes,
    )


def lr_sweep(
    recipe: Recipe | str,
    train_data: DigitDataset,
    val_data: DigitDataset,
    lrs: Sequence[float],
    seeds: Sequence[int] = (0,),
    progress: bool = True,
    **recipe_changes: Any,
) -> Study:
    """The same recipe at several learning rates; too high a rate shows up as ``diverged``."""
    settings = [{"lr": lr} for lr in lrs]
    return run_study(recipe, settings, train_data, val_data, seeds, progress, **recipe_changes)


def batch_size_sweep(
    recipe: Recipe | str,
    train_data: DigitDataset,
    val_data: DigitDataset,
    sizes: Sequence[int],
    seeds: Sequence[int] = (0,),
    progress: bool = True,
    **recipe_changes: Any,
) -> Study:
    """The same recipe at several batch sizes (learning rate unchanged)."""
    settings = [{"batch_size": size} for size in sizes]
    return run_study(recipe, settings, train_data, val_data, seeds, progress, **recipe_changes)


def grid_search(
    recipe: Recipe | str,
    train_data: DigitDataset,
    val_data: DigitDataset,
    grid: dict[str, Sequence[Any]],
    seeds: Sequence[int] = (0,),
    progress: bool = True,
    **recipe_changes: Any,
) -> Study:
    """Every combination of ``grid`` (e.g. ``{"lr": [...], "batch_size": [...]}``).

    The combinations are scikit-learn's ``ParameterGrid``'s; the study's parameters keep the
    grid's order. Pick the winner with ``study.best()`` (validation accuracy); score it on the
    test set once.
    """
    settings = [_in_order(setting, grid) for setting in ParameterGrid(grid)]
    return run_study(recipe, settings, train_data, val_data, seeds, progress, **recipe_changes)


def random_search(
    recipe: Recipe | str,
    train_data: DigitDataset,
    val_data: DigitDataset,
    space: Mapping[str, Any],
    n_iter: int,
    random_state: int = 0,
    seeds: Sequence[int] = (0,),
    progress: bool = True,
    **recipe_changes: Any,
) -> Study:
    """``n_iter`` settings drawn at random from ``space``: a grid search's budget, spent freely.

    ``space`` maps each parameter to a list (drawn from uniformly) or a scipy.stats distribution
    (``loguniform(0.01, 1)`` for a learning rate); the draws are scikit-learn's
    ``ParameterSampler``'s, the same for the same ``random_state``; numpy's numbers become
    Python's (a batch size stays an int).
    """
    draws = ParameterSampler(dict(space), n_iter=n_iter, random_state=random_state)
    settings = [_in_order({k: _plain(v) for k, v in draw.items()}, space) for draw in draws]
    return run_study(recipe, settings, train_data, val_data, seeds, progress, **recipe_changes)


def _in_order(setting: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """``setting`` with its keys in the order of ``names`` (scikit-learn sorts them)."""
    return {name: setting[name] for name in names}


def _plain(value: Any) -> Any:
    """A numpy number as Python's own (a batch size stays an int); anything else as it is."""
    return value.item() if hasattr(value, "item") else value


def compare_architectures(
    recipes: Sequence[Recipe | str],
    train_data: DigitDataset,
    val_data: DigitDataset,
    test_data: DigitDataset | None = None,
    progress: bool = True,
    **recipe_changes: Any,
) -> pd.DataFrame:
    """A row per recipe: parameters, seconds per epoch, validation/test accuracy, report figure.

    ``progress`` shows one bar over the models and ends with one line, as a study does.
    """
    chosen = [_as_recipe(item).replace(**recipe_changes) for item in recipes]
    rows = []
    with RunsProgress(
        chosen,
        [recipe.epochs for recipe in chosen],
        label=lambda r: r.name,
        noun="models",
        enabled=progress,
    ) as bar:
        for recipe in bar:
            result = train(
                recipe, train_data, val_data, progress=False, on_progress=bar.on_progress
            )
            if result.status == "interrupted":
                break
            test_accuracy = (
                evaluate(result.model, test_data).accuracy
                if test_data is not None and len(test_data)
                else float("nan")
            )
            rows.append(
                {
                    "recipe": recipe.name,
                    "arch": recipe.arch,
                    "parameters": count_parameters(
                        build_model(recipe.arch, train_data.num_classes)
                    ),
                    "epochs": result.epochs_run,
                    "seconds_per_epoch": result.train_seconds / max(result.epochs_run, 1),
                    "val_accuracy": result.best_score,
                    "test_accuracy": test_accuracy,
                    "report_accuracy": recipe.report_accuracy,
                    "status": result.status,
                }
            )
            bar.score(result.best_score, result.status)
    return pd.DataFrame(rows).set_index("recipe") if rows else pd.DataFrame()


def lr_range_test(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    start: float = 1e-6,
    end: float = 10.0,
    steps: int = 100,
    optimizer: torch.optim.Optimizer | None = None,
    smoothing: float = 0.98,
    stop_factor: float = 4.0,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.nll_loss,
) -> pd.DataFrame:
    """The loss against a learning rate that grows every batch, as fastai's ``lr_find``.

    One training step per batch of ``batches`` (a DataLoader; it starts again when it runs
    out), the rate growing by the same factor each step, from ``start`` to ``end`` in ``steps``
    (torch's ``ExponentialLR``). The loss is smoothed as fastai does (an exponential moving
    average, ``smoothing`` 0.98, corrected for its start) and the test stops early once the
    smoothed loss is ``stop_factor`` times its lowest or no longer a number. ``optimizer``
    defaults to plain SGD; ``loss_fn`` to ``F.nll_loss`` (the course's models end in
    LogSoftmax). The model and the optimizer are put back as they were afterwards.

    Returns one row per step: ``step``, ``lr`` (the rate of that step), ``loss``,
    ``smoothed_loss``.
    """
    device = model_device(model)
    optimizer = optimizer or torch.optim.SGD(model.parameters(), lr=start)
    saved = copy.deepcopy(model.state_dict()), copy.deepcopy(optimizer.state_dict())
    for group in optimizer.param_groups:
        group["lr"] = start
        group.pop("initial_lr", None)
    growth = (end / start) ** (1 / max(steps - 1, 1))
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=growth)
    rows: list[dict[str, float]] = []
    average, lowest = 0.0, math.inf
    model.train()
    try:
        for step, (images, labels) in enumerate(itertools.islice(_again(batches), steps)):
            lr = float(scheduler.get_last_lr()[0])
            loss = loss_fn(model(images.to(device)), labels.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            average = smoothing * average + (1 - smoothing) * loss.item()
            smoothed = average / (1 - smoothing ** (step + 1))
            rows.append({"step": step, "lr": lr, "loss": loss.item(), "smoothed_loss": smoothed})
            if not math.isfinite(smoothed) or smoothed > stop_factor * lowest:
                break
            lowest = min(lowest, smoothed)
    finally:
        model.load_state_dict(saved[0])
        optimizer.load_state_dict(saved[1])
    return pd.DataFrame(rows, columns=["step", "lr", "loss", "smoothed_loss"])


def _again(batches: Iterable[Any]) -> Iterator[Any]:
    """The batches over and over (a new pass, a new shuffle), or nothing if there are none."""
    while True:
        empty = True
        for batch in batches:
            empty = False
            yield batch
        if empty:
            return
