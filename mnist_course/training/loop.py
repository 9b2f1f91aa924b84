"""One ``train`` for every architecture and recipe.

Each epoch trains on shuffled in-memory batches, validates, records a history row, keeps the best
weights (by validation accuracy) and writes the best and last checkpoints atomically. Stopping is
always safe: the stop button (``KeyboardInterrupt``) ends the run with status ``interrupted`` and
the best model so far; a loss that turns NaN/inf ends it with status ``diverged``; neither raises.
``resume=True`` continues from the last checkpoint.

>>> result = train("mlp-sgd", splits.train, validation, checkpoint="runs/mlp.pt")
>>> result.history          # epoch, train/val loss and accuracy, lr, seconds
>>> result.model            # the best weights, ready to evaluate
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..augment import AUGMENTATIONS
from ..data.batches import BatchIterator
from ..data.dataset import DigitDataset
from ..data.normalization import Normalization, compute_normalization
from ..models import build_model
from ..runtime import pick_device, seed_everything
from .checkpoint import (
    CheckpointError,
    last_checkpoint_path,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
)
from .evaluate import evaluate
from .optim import make_optimizer, make_scheduler
from .recipes import Recipe, get_recipe

HISTORY_COLUMNS = [
    "epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds",
]  # fmt: skip
DIVERGENCE_CHECK_EVERY = 25
"""Batches between checks that the loss is still finite (each check waits for the device)."""


@dataclass
class EpochEnd:
    """What an epoch callback receives: the history so far and the model as it is now."""

    history: pd.DataFrame
    model: nn.Module
    normalization: Normalization


EpochCallback = Callable[[EpochEnd], None]


@dataclass
class TrainResult:
    """What a training run produced. ``model`` holds the best weights seen (by validation)."""

    model: nn.Module
    recipe: Recipe
    history: pd.DataFrame
    status: str
    normalization: Normalization
    classes: tuple[str, ...]
    best_epoch: int | None
    best_val_accuracy: float
    train_seconds: float
    device: torch.device
    checkpoint: Path | None = None
    last_checkpoint: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def epochs_run(self) -> int:
        return len(self.history)


def _same_shapes(model: nn.Module, reference: nn.Module) -> bool:
    """Whether ``model`` has exactly the weights of ``reference``'s architecture (names, shapes)."""
    ours, theirs = model.state_dict(), reference.state_dict()
    return ours.keys() == theirs.keys() and all(ours[k].shape == theirs[k].shape for k in ours)


def normalization_for(recipe: Recipe, train_data: DigitDataset) -> Normalization:
    """The recipe's choice: statistics of this training set, the [-1, 1] variant, or none."""
    if recipe.normalization == "symmetric":
        return Normalization.symmetric()
    if recipe.normalization == "none":
        return Normalization.identity()
    return compute_normalization(train_data.images)


def _use_available_cores(device: torch.device) -> None:
    """In containers PyTorch may count the host's cores; use only the ones this process has."""
    if device.type == "cpu" and hasattr(os, "sched_getaffinity"):
        available = len(os.sched_getaffinity(0))
        if torch.get_num_threads() > available:
            torch.set_num_threads(available)


def _autocast(device: torch.device) -> tuple[object, torch.amp.GradScaler | None]:
    """Mixed precision on CUDA (bf16 where supported, else fp16 with a loss scaler) only."""
    if device.type != "cuda":
        return nullcontext(), None
    if torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16), None
    return torch.autocast("cuda", dtype=torch.float16), torch.amp.GradScaler("cuda")


def _loss(log_probs: torch.Tensor, labels: torch.Tensor, smoothing: float) -> torch.Tensor:
    log_probs = log_probs.float()
    loss = F.nll_loss(log_probs, labels)
    if smoothing:
        loss = (1 - smoothing) * loss - smoothing * log_probs.mean(dim=1).mean()
    return loss


@dataclass
class _Run:
    """The moving parts of one training run, so the epoch function stays short."""

    model: nn.Module
    recipe: Recipe
    batches: BatchIterator
    optimizer: torch.optim.Optimizer
    scheduler: object
    per_batch_schedule: bool
    device: torch.device
    progress: bool

    def train_epoch(self, epoch: int) -> tuple[float, float, bool]:
        """One pass over the training batches: (mean loss, accuracy, diverged)."""
        self.model.train()
        autocast, scaler = _autocast(self.device)
        memory_format = torch.channels_last if self.recipe.channels_last else torch.preserve_format
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device, dtype=torch.int64)
        seen = 0
        bar = tqdm(self.batches, desc=f"epoch {epoch}", leave=False, disable=not self.progress)
        for step, (images, labels) in enumerate(bar, start=1):
            images = images.contiguous(memory_format=memory_format)
            with autocast:
                log_probs = self.model(images)
            loss = _loss(log_probs, labels, self.recipe.label_smoothing)
            self.optimizer.zero_grad(set_to_none=True)
            if scaler is None:
                loss.backward()
                self.optimizer.step()
            else:
                scaler.scale(loss).backward()
                scaler.step(self.optimizer)
                scaler.update()
            if self.per_batch_schedule:
                self.scheduler.step()
            loss_sum += loss.detach() * len(labels)
            correct += (log_probs.detach().argmax(dim=1) == labels).sum()
            seen += len(labels)
            if step % DIVERGENCE_CHECK_EVERY == 0 or step == len(self.batches):
                if not torch.isfinite(loss_sum):
                    return float("nan"), float("nan"), True
                if self.progress:
                    bar.set_postfix(loss=f"{loss_sum.item() / seen:.4f}", refresh=False)
        if seen == 0:
            return float("nan"), float("nan"), False
        return loss_sum.item() / seen, correct.item() / seen, False


def _check_same_run(saved: Recipe, asked: Recipe, path: Path) -> None:
    """Resuming continues one run: only the number of epochs may change, and not for one-cycle."""
    if saved.replace(epochs=asked.epochs) != asked:
        changed = [
            k for k, v in asked.to_dict().items() if saved.to_dict().get(k) != v and k != "epochs"
        ]
        raise CheckpointError(
            f"{path} was trained with a different recipe ({', '.join(changed)} changed); "
            "resume with the recipe it was saved with, or start a new run"
        )
    if asked.scheduler == "onecycle" and asked.epochs != saved.epochs:
        raise CheckpointError(
            f"{path}: a one-cycle schedule is planned for {saved.epochs} epochs and cannot be "
            f"stretched to {asked.epochs}; start a new run instead"
        )


def _resume_state(
    checkpoint: Path, model: nn.Module, run: _Run
) -> tuple[list[dict], int, float, int | None, dict | None]:
    """Load the last checkpoint into the run; returns history, next epoch and the best so far."""
    last = last_checkpoint_path(checkpoint)
    if not last.is_file():
        raise CheckpointError(f"nothing to resume: {last} does not exist")
    saved = load_checkpoint(last, device=run.device, model=model)
    _check_same_run(saved.recipe, run.recipe, last)
    state = saved.training_state or {}
    if "optimizer" in state:
        run.optimizer.load_state_dict(state["optimizer"])
    if run.scheduler is not None and state.get("scheduler") is not None:
        run.scheduler.load_state_dict(state["scheduler"])
    if "batch_generator" in state:
        run.batches.generator.set_state(state["batch_generator"])
    best_weights = read_checkpoint(checkpoint)["state_dict"] if checkpoint.is_file() else None
    history = saved.history.to_dict(orient="records")
    return (
        history,
        saved.epoch + 1,
        float(state.get("best_val_accuracy", float("-inf"))),
        state.get("best_epoch"),
        best_weights,
    )


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
    live_plot: bool = False,
    callbacks: Sequence[EpochCallback] = (),
) -> TrainResult:
    """Train ``recipe`` (a ``Recipe`` or its name) on ``train_data``, validating on ``val_data``.

    ``model`` replaces the recipe's architecture (for models built in a lesson). ``checkpoint`` is
    where the best model is written (``run.pt``; the last epoch goes to ``run.last.pt``).
    """
    recipe = get_recipe(recipe) if isinstance(recipe, str) else recipe
    train_data.require_labels()
    device = pick_device(str(device)) if not isinstance(device, torch.device) else device
    _use_available_cores(device)
    seed_everything(recipe.seed)
    reference = build_model(recipe.arch, num_classes=train_data.num_classes)
    arch = recipe.arch if model is None or _same_shapes(model, reference) else "custom"
    model = reference if model is None else model
    model.to(device)
    if recipe.channels_last:
        model.to(memory_format=torch.channels_last)
    normalization = normalization_for(recipe, train_data)
    batches = BatchIterator(
        train_data, recipe.batch_size, shuffle=recipe.shuffle, drop_last=recipe.drop_last,
        normalization=normalization, device=device, seed=recipe.seed,
        augment=AUGMENTATIONS[recipe.augment] if recipe.augment else None,
    )  # fmt: skip
    optimizer = make_optimizer(recipe, model.parameters())
    scheduler, per_batch = make_scheduler(recipe, optimizer, len(batches))
    run = _Run(model, recipe, batches, optimizer, scheduler, per_batch, device, progress)

    checkpoint = Path(checkpoint) if checkpoint is not None else None
    history: list[dict] = []
    start_epoch, best_accuracy, best_epoch, best_weights = 1, float("-inf"), None, None
    wrote_best = wrote_last = False  # what *this* run wrote: old files at the path don't count
    if resume:
        if checkpoint is None:
            raise CheckpointError("resume=True needs the checkpoint path of the run to continue")
        history, start_epoch, best_accuracy, best_epoch, best_weights = _resume_state(
            checkpoint, model, run
        )
        wrote_best, wrote_last = best_weights is not None, True
    callbacks = list(callbacks)
    if live_plot:
        from .live_plot import LivePlot

        callbacks.append(LivePlot())

    status = "completed"
    epochs = tqdm(
        range(start_epoch, recipe.epochs + 1), desc=recipe.name, disable=not progress,
        initial=start_epoch - 1, total=recipe.epochs,
    )  # fmt: skip
    try:
        for epoch in epochs:
            started = time.perf_counter()
            train_loss, train_accuracy, diverged = run.train_epoch(epoch)
            if device.type == "cuda":
                torch.cuda.synchronize()
            seconds = time.perf_counter() - started
            if diverged:
                status = "diverged"
                history.append({"epoch": epoch, "train_loss": float("nan"), "seconds": seconds,
                                "lr": optimizer.param_groups[0]["lr"]})  # fmt: skip
                break
            scores = evaluate(model, val_data, normalization) if val_data is not None else None
            val_loss = scores.loss if scores else float("nan")
            val_accuracy = scores.accuracy if scores else float("nan")
            row = {
                "epoch": epoch, "train_loss": train_loss, "train_accuracy": train_accuracy,
                "val_loss": val_loss, "val_accuracy": val_accuracy,
                "lr": optimizer.param_groups[0]["lr"], "seconds": seconds,
            }  # fmt: skip
            history.append(row)
            if scheduler is not None and not per_batch:
                if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    scheduler.step(val_loss if scores else train_loss)
                else:
                    scheduler.step()
            score = val_accuracy if scores else train_accuracy
            if score > best_accuracy:
                best_accuracy, best_epoch = score, epoch
                best_weights = copy.deepcopy(model.state_dict())
            frame = _history_frame(history)
            if checkpoint is not None:
                _save_both(checkpoint, run, arch, train_data, normalization, frame, epoch,
                           epoch == best_epoch, best_accuracy, best_epoch)  # fmt: skip
                wrote_last, wrote_best = True, wrote_best or epoch == best_epoch
            epochs.set_postfix(val_acc=f"{val_accuracy:.4f}", refresh=False)
            for callback in callbacks:
                callback(EpochEnd(frame, model, normalization))
    except KeyboardInterrupt:
        status = "interrupted"
    finally:
        epochs.close()

    notes = []
    if best_weights is not None:
        model.load_state_dict(best_weights)
        notes.append(f"model holds the weights of epoch {best_epoch}, the best by validation")
    frame = _history_frame(history)
    return TrainResult(
        model=model.eval(),
        recipe=recipe,
        history=frame,
        status=status,
        normalization=normalization,
        classes=train_data.classes,
        best_epoch=best_epoch,
        best_val_accuracy=best_accuracy if best_epoch is not None else float("nan"),
        train_seconds=float(frame["seconds"].sum()) if len(frame) else 0.0,
        device=device,
        checkpoint=checkpoint if wrote_best else None,
        last_checkpoint=last_checkpoint_path(checkpoint) if wrote_last else None,
        notes=notes,
    )


def _history_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS).astype({"epoch": int})


def _save_both(
    checkpoint: Path,
    run: _Run,
    arch: str,
    train_data: DigitDataset,
    normalization: Normalization,
    history: pd.DataFrame,
    epoch: int,
    is_best: bool,
    best_accuracy: float,
    best_epoch: int | None,
) -> None:
    """Write the last checkpoint (with optimizer state for resuming) and, if improved, the best."""
    common = {
        "arch": arch, "classes": train_data.classes, "normalization": normalization,
        "recipe": run.recipe, "history": history, "epoch": epoch,
    }  # fmt: skip
    metrics = {
        "val_accuracy": float(history["val_accuracy"].iloc[-1]),
        "train_accuracy": float(history["train_accuracy"].iloc[-1]),
    }
    training_state = {
        "optimizer": run.optimizer.state_dict(),
        "scheduler": run.scheduler.state_dict() if run.scheduler is not None else None,
        "batch_generator": run.batches.generator.get_state(),
        "best_val_accuracy": best_accuracy,
        "best_epoch": best_epoch,
    }
    save_checkpoint(last_checkpoint_path(checkpoint), run.model, metrics=metrics,
                    training_state=training_state, **common)  # fmt: skip
    if is_best:
        save_checkpoint(checkpoint, run.model, metrics=metrics, **common)
