"""The optimizer and the learning-rate schedule a recipe asks for."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from .recipes import Recipe


def make_optimizer(recipe: Recipe, parameters: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    """SGD (with optional momentum/Nesterov), Adam or Adadelta, as the recipe says."""
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(
            parameters,
            lr=recipe.lr,
            momentum=recipe.momentum,
            nesterov=recipe.nesterov,
            weight_decay=recipe.weight_decay,
        )
    if recipe.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=recipe.lr, weight_decay=recipe.weight_decay)
    return torch.optim.Adadelta(parameters, lr=recipe.lr, weight_decay=recipe.weight_decay)


class Schedule:
    """The recipe's learning-rate schedule, stepped when it wants to be.

    One-cycle changes the rate after every batch; StepLR after every epoch; ReduceLROnPlateau
    after every epoch, on the validation loss (the training loss when there is no validation).
    The training loop calls ``after_batch()`` and ``after_epoch(loss)`` and need not know which.
    """

    def __init__(self, recipe: Recipe, optimizer: torch.optim.Optimizer, steps_per_epoch: int):
        self.optimizer = optimizer
        args = dict(recipe.scheduler_args)
        self.scheduler: Any = None
        if recipe.scheduler == "step":
            args = {"step_size": 1, "gamma": 0.7} | args
            self.scheduler = torch.optim.lr_scheduler.StepLR(optimizer, **args)
        elif recipe.scheduler == "plateau":
            self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **args)
        elif recipe.scheduler == "onecycle":
            total = max(1, recipe.epochs * steps_per_epoch)
            self.scheduler = torch.optim.lr_scheduler.OneCycleLR(
                optimizer, max_lr=recipe.lr, total_steps=total, **args
            )
        self.per_batch = recipe.scheduler == "onecycle"

    @property
    def lr(self) -> float:
        """The learning rate the next step will use."""
        return float(self.optimizer.param_groups[0]["lr"])

    def after_batch(self) -> None:
        if self.per_batch:
            self.scheduler.step()

    def after_epoch(self, loss: float) -> None:
        if self.scheduler is None or self.per_batch:
            return
        if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(loss)
        else:
            self.scheduler.step()

    def state_dict(self) -> dict[str, Any] | None:
        return self.scheduler.state_dict() if self.scheduler is not None else None

    def load_state_dict(self, state: dict[str, Any] | None) -> None:
        if self.scheduler is not None and state is not None:
            self.scheduler.load_state_dict(state)
