"""Score a model on a dataset: accuracy, loss, and every prediction with its probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..data.batches import BatchIterator
from ..data.dataset import DigitDataset
from ..data.normalization import Normalization


@dataclass
class Evaluation:
    """What a model made of a dataset. ``accuracy`` and ``loss`` are NaN for unlabeled data."""

    accuracy: float
    loss: float
    predictions: torch.Tensor
    probabilities: torch.Tensor
    labels: torch.Tensor | None

    @property
    def correct(self) -> torch.Tensor:
        """A boolean per example: was the prediction right?"""
        if self.labels is None:
            raise ValueError("unlabeled data: there is nothing to be right about")
        return self.predictions == self.labels


def model_device(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: DigitDataset,
    normalization: Normalization | None = None,
    batch_size: int = 1000,
) -> Evaluation:
    """Run ``model`` (log-probability outputs) over ``data`` in eval mode, on the model's device."""
    was_training = model.training
    model.eval()
    batches = BatchIterator(
        data, batch_size=batch_size, normalization=normalization, device=model_device(model)
    )
    log_probs = [model(images).float().cpu() for images, _ in batches]
    model.train(was_training)
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
