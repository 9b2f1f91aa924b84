"""A training run's bookkeeping: history, the best epoch and its weights, checkpoints, resume.

``train`` (``loop.py``) trains; a ``Run`` remembers. After every epoch ``end_epoch`` adds the
history row, keeps the weights if they are the best so far, and has ``checkpoint.save_run`` write
the best model to ``run.pt`` and everything needed to continue to ``run.last.pt`` (optimizer,
schedule, shuffling generator and this object's own state). ``resume`` puts back what
``checkpoint.read_run`` reads. While it writes to a path a run holds a lock beside it
(``run.pt.lock``), so two runs cannot interleave their checkpoints at one path.
"""

from __future__ import annotations

import copy
import hashlib
import math
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import torch

from ..core.atomic import exclusive_lock
from ..data.batches import BatchIterator
from ..data.dataset import DigitDataset
from ..models.classifier import Classifier
from .checkpoint import CheckpointError, last_checkpoint_path, read_run, save_run
from .optim import Schedule
from .recipes import Recipe

HISTORY_COLUMNS = [
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "lr",
    "seconds",
]


def history_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS).astype({"epoch": int})


@dataclass
class RunState:
    """What a run has to remember from epoch to epoch; saved whole in the last checkpoint."""

    selected_by: str
    """``val_accuracy``, or ``train_accuracy`` when there is no validation set to choose by."""
    history: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    best_score: float = -math.inf

    @property
    def next_epoch(self) -> int:
        return len(self.history) + 1


@dataclass
class TrainResult:
    """What a training run produced. ``model`` holds the weights of the best epoch."""

    model: Classifier
    recipe: Recipe
    history: pd.DataFrame
    status: str
    best_epoch: int | None
    best_score: float
    selected_by: str
    train_seconds: float
    device: torch.device
    checkpoint: Path | None = None
    last_checkpoint: Path | None = None

    @property
    def epochs_run(self) -> int:
        return len(self.history)


def data_fingerprint(train: DigitDataset, validation: DigitDataset | None) -> dict[str, str]:
    """Short digests of the training and validation sets: a resumed run must see the same."""

    def digest(data: DigitDataset | None) -> str:
        if data is None or len(data) == 0:
            return "none"
        hashed = hashlib.blake2b(data.images.numpy().tobytes(), digest_size=8)
        if data.labels is not None:
            hashed.update(data.labels.numpy().tobytes())
        return f"{len(data)} images, {hashed.hexdigest()}"

    return {"training set": digest(train), "validation set": digest(validation)}


class Run:
    """The state of one training run and where it is written (``checkpoint``, optional)."""

    def __init__(
        self,
        model: Classifier,
        recipe: Recipe,
        optimizer: torch.optim.Optimizer,
        schedule: Schedule,
        batches: BatchIterator,
        checkpoint: Path | None,
        selected_by: str,
        data: dict[str, str] | None = None,
    ) -> None:
        self.model, self.recipe, self.data = model, recipe, data or {}
        self.optimizer, self.schedule, self.batches = optimizer, schedule, batches
        self.checkpoint = checkpoint
        self.state = RunState(selected_by)
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.wrote_best = self.wrote_last = False  # this run's files, not stale ones at the path

    @property
    def history(self) -> pd.DataFrame:
        return history_frame(self.state.history)

    def end_epoch(self, row: dict[str, float]) -> pd.DataFrame:
        """Record an epoch: history, best weights, checkpoints. Returns the history so far."""
        self.state.history.append(row)
        score = row[self.state.selected_by]
        improved = score > self.state.best_score
        if improved:
            self.state.best_score, self.state.best_epoch = score, int(row["epoch"])
            self.best_weights = copy.deepcopy(self.model.network.state_dict())
        if self.checkpoint is not None:
            self._save(improved)
        return self.history

    def record_divergence(self, epoch: int, seconds: float) -> None:
        self.state.history.append(
            {"epoch": epoch, "train_loss": math.nan, "seconds": seconds, "lr": self.schedule.lr}
        )

    def _save(self, improved: bool) -> None:
        assert self.checkpoint is not None
        training_state = {
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.schedule.state_dict(),
            "batch_generator": self.batches.generator.get_state(),
            "run": asdict(self.state) | {"history": None},
            "data": self.data,
        }
        save_run(
            self.checkpoint,
            self.model,
            recipe=self.recipe,
            history=self.history,
            training_state=training_state,
            improved=improved,
        )
        self.wrote_last = True
        self.wrote_best = self.wrote_best or improved

    def resume(self) -> None:
        """Continue from the last checkpoint: weights, optimizer, schedule, shuffling, history."""
        if self.checkpoint is None:
            raise CheckpointError("resuming needs the checkpoint path of the run to continue")
        saved = read_run(self.checkpoint, self.recipe, self.data, self.model.network)
        self.model.network.load_state_dict(saved.weights)
        state = saved.training_state
        try:
            self.optimizer.load_state_dict(state["optimizer"])
            self.schedule.load_state_dict(state["scheduler"])
            self.batches.generator.set_state(state["batch_generator"])
            run = state["run"]
            self.state = RunState(
                run["selected_by"], saved.history, run["best_epoch"], float(run["best_score"])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(
                f"{last_checkpoint_path(self.checkpoint)}: holds no state to resume from ({exc})"
            ) from exc
        self.best_weights = saved.best_weights
        self.wrote_best = saved.best_weights is not None
        self.wrote_last = True

    def lock(self) -> AbstractContextManager:
        """Hold ``checkpoint``'s lock for the run (nothing to hold without a checkpoint)."""
        if self.checkpoint is None:
            return nullcontext()
        return exclusive_lock(self.checkpoint.with_name(self.checkpoint.name + ".lock"))

    def result(self, status: str, device: torch.device) -> TrainResult:
        """The run's outcome, with the model holding the best epoch's weights."""
        if self.best_weights is not None:
            self.model.network.load_state_dict(self.best_weights)
        history = self.history
        if self.state.best_epoch is not None:  # the card a checkpoint of the best epoch gives
            best = history[history["epoch"] == self.state.best_epoch].iloc[0]
            self.model.card |= {
                "epoch": self.state.best_epoch,
                "val_accuracy": float(best["val_accuracy"]),
                "train_accuracy": float(best["train_accuracy"]),
            }
        return TrainResult(
            model=self.model.eval(),
            recipe=self.recipe,
            history=history,
            status=status,
            best_epoch=self.state.best_epoch,
            best_score=self.state.best_score if self.state.best_epoch is not None else math.nan,
            selected_by=self.state.selected_by,
            train_seconds=float(history["seconds"].sum()) if len(history) else 0.0,
            device=device,
            checkpoint=self.checkpoint if self.wrote_best else None,
            last_checkpoint=last_checkpoint_path(self.checkpoint)
            if self.checkpoint and self.wrote_last
            else None,
        )
