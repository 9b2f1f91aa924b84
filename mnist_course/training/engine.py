"""The training engine: one epoch of training, one pass of evaluation, as lesson 03 writes them.

Lesson 03 trains with this loop, written out by hand::

    model.train()
    for images, labels in loader:
        loss = F.nll_loss(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

``train_one_epoch`` is that loop plus what a long run needs: mixed precision on a GPU, the
learning-rate schedule stepped after each batch when it asks to be, and a check that the loss is
still a number. ``evaluate`` is lesson 03's evaluation loop: eval mode, no gradients, the most
likely class per image, the share that is right. ``train`` (``loop.py``) calls the two in turn.

The engine shows nothing itself: it reports each batch to an ``on_progress`` callback, and
``train`` (or a lesson, or the training panel) decides what a progress bar looks like.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..core.runtime import mixed_precision, model_device
from ..data.batches import BatchIterator
from ..data.dataset import DigitDataset
from ..models.classifier import in_mode
from .optim import Schedule

DIVERGENCE_CHECK_EVERY = 25
"""Batches between checks that the loss is still finite (each check waits for the device)."""


class Diverged(Exception):
    """The training loss became NaN or infinite: the learning rate is too high for this model."""


class Stopped(Exception):
    """Training was asked to stop (``stop`` was set), e.g. by a Cancel button."""


ProgressHook = Callable[[int, int, float], None]
"""Called as ``hook(step, steps, mean_loss)`` after every batch, e.g. to move a progress bar.

``mean_loss`` is the epoch's mean loss as of the last divergence check (NaN before the first), so
the hook never makes the CPU wait for the device."""


@dataclass
class Precision:
    """Mixed precision for one device: how to run the forward pass, and how to step.

    ``runtime.mixed_precision`` decides: bf16 autocast on GPUs that compute in bf16 natively,
    fp16 with a loss scaler on older GPUs (fp16 gradients underflow without one), plain float32
    on CPUs and Apple's MPS.
    """

    device_type: str
    dtype: torch.dtype | None
    grad_scaler: bool = False

    def __post_init__(self) -> None:
        self.scaler = torch.amp.GradScaler(self.device_type) if self.grad_scaler else None

    @classmethod
    def for_device(cls, device: torch.device) -> Precision:
        choice = mixed_precision(device)
        return cls(device.type, choice.dtype, choice.grad_scaler)

    def autocast(self) -> AbstractContextManager:
        if self.dtype is None:
            return nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def backward_and_step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        if self.scaler is None:
            loss.backward()
            optimizer.step()
        else:
            self.scaler.scale(loss).backward()
            self.scaler.step(optimizer)
            self.scaler.update()


@dataclass
class EpochScores:
    """Mean loss and accuracy over one pass through a dataset."""

    loss: float
    accuracy: float


def train_one_epoch(
    model: nn.Module,
    batches: BatchIterator,
    optimizer: torch.optim.Optimizer,
    schedule: Schedule | None = None,
    precision: Precision | None = None,
    stop: threading.Event | None = None,
    on_progress: ProgressHook | None = None,
) -> EpochScores:
    """One pass over ``batches``; raises ``Diverged`` as soon as the loss is not finite.

    ``stop`` is checked before every batch: once it is set, the epoch ends with ``Stopped``.
    ``on_progress`` hears ``(step, steps, mean_loss)`` after every batch.
    """
    precision = precision or Precision("cpu", None)
    model.train()
    loss_sum = torch.zeros((), device=batches.device)
    correct = torch.zeros((), device=batches.device, dtype=torch.int64)
    seen, mean_loss = 0, math.nan
    for step, (images, labels) in enumerate(batches, start=1):
        if stop is not None and stop.is_set():
            raise Stopped(f"stopped before batch {step}")
        with precision.autocast():
            log_probs = model(images)
        loss = F.nll_loss(log_probs.float(), labels)
        optimizer.zero_grad(set_to_none=True)
        precision.backward_and_step(loss, optimizer)
        if schedule is not None:
            schedule.after_batch()
        loss_sum += loss.detach() * len(labels)
        correct += (log_probs.detach().argmax(dim=1) == labels).sum()
        seen += len(labels)
        if step % DIVERGENCE_CHECK_EVERY == 0 or step == len(batches):
            mean_loss = loss_sum.item() / seen
            if not math.isfinite(mean_loss):
                raise Diverged(f"the training loss became {mean_loss} at batch {step}")
        if on_progress is not None:
            on_progress(step, len(batches), mean_loss)
    return EpochScores(loss_sum.item() / max(seen, 1), correct.item() / max(seen, 1))


@dataclass
class Evaluation:
    """What a model made of a dataset. ``accuracy`` and ``loss`` are NaN for unlabeled data."""

    accuracy: float
    loss: float
    predictions: torch.Tensor
    probabilities: torch.Tensor
    labels: torch.Tensor | None

    @property
    def true_labels(self) -> torch.Tensor:
        """The labels scored against (an error for unlabeled data)."""
        if self.labels is None:
            raise ValueError("unlabeled data: there is nothing to be right about")
        return self.labels

    @property
    def correct(self) -> torch.Tensor:
        """A boolean per example: was the prediction right?"""
        return self.predictions == self.true_labels


@torch.no_grad()
def evaluate(model: nn.Module, data: DigitDataset, batch_size: int = 1000) -> Evaluation:
    """Run ``model`` (a ``Classifier``: pixels in, log-probabilities out) over ``data``.

    In eval mode (dropout off, BatchNorm's running statistics), without gradients, on the model's
    device; the model is left in the mode it was in.
    """
    batches = BatchIterator(data, batch_size=batch_size, device=model_device(model))
    with in_mode(model):
        log_probs = [model(images).float().cpu() for images, _ in batches]
    outputs = torch.cat(log_probs) if log_probs else torch.empty((0, data.num_classes))
    predictions = outputs.argmax(dim=1)
    if data.labels is None or len(data) == 0:
        return Evaluation(float("nan"), float("nan"), predictions, outputs.exp(), data.labels)
    return Evaluation(
        accuracy=(predictions == data.labels).float().mean().item(),
        loss=F.nll_loss(outputs, data.labels).item(),
        predictions=predictions,
        probabilities=outputs.exp(),
        labels=data.labels,
    )
