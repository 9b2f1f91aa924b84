"""Optimizers and learning-rate schedules built from a recipe."""

from __future__ import annotations

from collections.abc import Iterable

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


def make_scheduler(
    recipe: Recipe, optimizer: torch.optim.Optimizer, steps_per_epoch: int
) -> tuple[
    torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau | None, bool
]:
    """The recipe's scheduler, and whether it steps after every batch (True) or every epoch.

    OneCycle changes the rate every batch; StepLR and ReduceLROnPlateau once per epoch, the latter
    on the validation loss.
    """
    args = dict(recipe.scheduler_args)
    if recipe.scheduler == "step":
        args.setdefault("step_size", 1)
        args.setdefault("gamma", 0.7)
        return torch.optim.lr_scheduler.StepLR(optimizer, **args), False
    if recipe.scheduler == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **args), False
    if recipe.scheduler == "onecycle":
        total = max(1, recipe.epochs * steps_per_epoch)
        return (
            torch.optim.lr_scheduler.OneCycleLR(
                optimizer, max_lr=recipe.lr, total_steps=total, **args
            ),
            True,
        )
    return None, False
