"""One ``train`` for every architecture and recipe.

Each epoch trains on shuffled in-memory batches (``engine.train_one_epoch``), validates
(``engine.evaluate``) and hands the scores to the run's bookkeeping (``run.Run``), which keeps the
history and the best weights and writes the checkpoints. Stopping is always safe: the stop button
(``KeyboardInterrupt``) ends the run with status ``interrupted`` and the best model so far; a loss
that turns NaN/inf ends it with status ``diverged``; neither raises. ``resume=True`` continues
from the last checkpoint.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch
from torch import nn

from ..core.errors import CourseError
from ..core.formatting import value
from ..core.progress import progress_bar
from ..core.runtime import pick_device, seed_everything
from ..data.batches import BatchIterator
from ..data.dataset import DigitDataset
from ..data.normalization import Normalization, compute_normalization
from ..images.augment import AUGMENTATIONS
from ..models import build_model
from ..models.classifier import Classifier
from .checkpoint import check_output_path
from .engine import (
    DIVERGENCE_CHECK_EVERY,
    Diverged,
    Precision,
    ProgressHook,
    Stopped,
    evaluate,
    train_one_epoch,
)
from .optim import Schedule, make_optimizer
from .recipes import Recipe, get_recipe
from .run import Run, TrainResult, data_fingerprint


@dataclass
class EpochEnd:
    """What an epoch callback receives: the history so far and the model as it is now."""

    history: pd.DataFrame
    model: Classifier


EpochCallback = Callable[[EpochEnd], None]


def normalization_for(recipe: Recipe, train_data: DigitDataset) -> Normalization:
    """The recipe's choice: statistics of this training set, the [-1, 1] variant, or none."""
    if recipe.normalization == "symmetric":
        return Normalization.symmetric()
    if recipe.normalization == "none":
        return Normalization.identity()
    return compute_normalization(train_data.images)


def _same_shapes(model: nn.Module, reference: nn.Module) -> bool:
    """Whether ``model`` has exactly the weights of ``reference``'s architecture (names, shapes)."""
    ours, theirs = model.state_dict(), reference.state_dict()
    return ours.keys() == theirs.keys() and all(ours[k].shape == theirs[k].shape for k in ours)


def _network_for(recipe: Recipe, train_data: DigitDataset, model: nn.Module | None):
    """The network to train and its architecture's name (``custom`` for a network of your own)."""
    if model is None:
        return build_model(recipe.arch, num_classes=train_data.num_classes), recipe.arch
    reference = build_model(recipe.arch, num_classes=train_data.num_classes)
    return model, recipe.arch if _same_shapes(model, reference) else "custom"


def _use_available_cores(device: torch.device) -> None:
    """In containers PyTorch may count the host's cores; use only the ones this process has."""
    if device.type == "cpu" and hasattr(os, "sched_getaffinity"):
        available = len(os.sched_getaffinity(0))
        if torch.get_num_threads() > available:
            torch.set_num_threads(available)


def train(
    recipe: Recipe | str,
    train_data: DigitDataset,
    val_data: DigitDataset | None = None,
    *,
    model: nn.Module | None = None,
    device: torch.device | str = "auto",
    checkpoint: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: bool = True,
    callbacks: Sequence[EpochCallback] = (),
    stop: threading.Event | None = None,
    on_progress: ProgressHook | None = None,
) -> TrainResult:
    """Train ``recipe`` (a ``Recipe`` or its name) on ``train_data``, validating on ``val_data``.

    ``model`` replaces the recipe's architecture (a network built in a lesson), or is a trained
    ``Classifier`` to train further (its normalisation kept). ``checkpoint`` is where the best
    model goes (``run.pt``; the last epoch to ``run.last.pt``). The best epoch is chosen by
    validation accuracy, else training accuracy (``result.selected_by``). ``stop`` (set from
    another thread: Cancel) ends the run within one batch; ``on_progress`` hears ``(step, steps,
    mean_loss)`` after every batch.
    """
    recipe = get_recipe(recipe) if isinstance(recipe, str) else recipe
    train_data.require_labels()
    checkpoint = check_output_path(checkpoint) if checkpoint is not None else None
    device = pick_device(str(device)) if not isinstance(device, torch.device) else device
    classifier = _classifier_for(recipe, train_data, model, device)
    batches = _batches_for(recipe, train_data, device)
    optimizer = make_optimizer(recipe, classifier.parameters())
    schedule = Schedule(recipe, optimizer, len(batches))
    selected_by = "val_accuracy" if val_data is not None and len(val_data) else "train_accuracy"
    data = data_fingerprint(train_data, val_data) if checkpoint is not None else None
    run = Run(classifier, recipe, optimizer, schedule, batches, checkpoint, selected_by, data)
    precision = Precision.for_device(device)
    run_epoch = functools.partial(_run_epoch, run, val_data, precision, progress, stop, on_progress)

    status = "completed"
    with run.lock():
        if resume:
            run.resume()
        epochs = _epoch_bar(recipe, run.state.next_epoch, progress)
        try:
            for epoch in epochs:
                history = run_epoch(epoch)
                if history is None:
                    status = "diverged"
                    break
                latest = history[selected_by].iloc[-1]
                epochs.set_postfix({selected_by: value(selected_by, latest)}, refresh=False)
                for callback in callbacks:
                    callback(EpochEnd(history, classifier))
        except (KeyboardInterrupt, Stopped):
            status = "interrupted"
        finally:
            epochs.close()
    return run.result(status, device)


def _epoch_bar(recipe: Recipe, first: int, progress: bool) -> Any:
    """The bar over the run's epochs, from epoch ``first`` (past 1 when the run resumes)."""
    epochs = range(first, recipe.epochs + 1)
    return progress_bar(
        epochs, desc=recipe.name, disable=not progress, initial=first - 1, total=recipe.epochs
    )


def _classifier_for(
    recipe: Recipe, train_data: DigitDataset, model: nn.Module | None, device: torch.device
) -> Classifier:
    """The model to train, on ``device``, its card saying what it is being trained on; seeded."""
    _use_available_cores(device)
    seed_everything(recipe.seed)
    if isinstance(model, Classifier):  # go on training a trained model, its normalisation kept
        model.require_classes(train_data.classes, f"the training data ({train_data.source})")
        model.forget_scores()
        classifier = model.to(device)
    else:
        network, arch = _network_for(recipe, train_data, model)
        classifier = Classifier(
            network, normalization_for(recipe, train_data), train_data.classes, arch
        ).to(device)
    classifier.card |= {
        "recipe": recipe.name,
        "trained_on": train_data.source,
        "training_images": len(train_data),
    }
    if recipe.channels_last:
        classifier.to(memory_format=torch.channels_last)
    return classifier


def _batches_for(recipe: Recipe, train_data: DigitDataset, device: torch.device) -> BatchIterator:
    """The recipe's shuffled (maybe augmented) batches, or an error if there would be none."""
    batches = BatchIterator(
        train_data,
        recipe.batch_size,
        shuffle=recipe.shuffle,
        drop_last=recipe.drop_last,
        device=device,
        seed=recipe.seed,
        channels_last=recipe.channels_last,
        augment=AUGMENTATIONS[recipe.augment] if recipe.augment else None,
    )
    if len(batches) == 0:
        raise CourseError(
            f"recipe {recipe.name!r}: no training step possible: a batch of {recipe.batch_size} "
            f"is more than the {len(train_data)} training examples and the recipe drops the "
            "incomplete last batch; use more data or a smaller batch size"
        )
    return batches


def _run_epoch(
    run: Run,
    val_data: DigitDataset | None,
    precision: Precision,
    progress: bool,
    stop: threading.Event | None,
    on_progress: ProgressHook | None,
    epoch: int,
) -> pd.DataFrame | None:
    """Train one epoch, validate, record it; the history so far, or None if the loss diverged."""
    started = time.perf_counter()
    try:
        with progress_bar(
            total=len(run.batches), desc=f"epoch {epoch}", leave=False, disable=not progress
        ) as bar:
            scores = train_one_epoch(
                run.model,
                run.batches,
                run.optimizer,
                run.schedule,
                precision,
                stop,
                _moving(bar, on_progress),
            )
    except Diverged:
        run.record_divergence(epoch, time.perf_counter() - started)
        return None
    if run.model.device.type == "cuda":
        torch.cuda.synchronize()
    seconds, lr = time.perf_counter() - started, run.schedule.lr
    val = evaluate(run.model, val_data) if val_data else None
    run.schedule.after_epoch(val.loss if val else scores.loss)
    return run.end_epoch(
        {
            "epoch": epoch,
            "train_loss": scores.loss,
            "train_accuracy": scores.accuracy,
            "val_loss": val.loss if val else float("nan"),
            "val_accuracy": val.accuracy if val else float("nan"),
            "lr": lr,
            "seconds": seconds,
        }
    )


def _moving(bar: Any, on_progress: ProgressHook | None) -> ProgressHook:
    """The engine's progress callback: move ``bar`` (and its loss), then tell ``on_progress``."""

    def hook(step: int, steps: int, mean_loss: float) -> None:
        bar.update(1)
        if step % DIVERGENCE_CHECK_EVERY == 0 or step == steps:  # a new mean loss
            bar.set_postfix(loss=f"{mean_loss:.4f}", refresh=False)
        if on_progress is not None:
            on_progress(step, steps, mean_loss)

    return hook
