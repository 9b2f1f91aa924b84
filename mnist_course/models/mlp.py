"""Fully connected networks: the first model of the course and its better-behaved variant."""

from __future__ import annotations

from torch import nn


def mlp(num_classes: int = 10) -> nn.Sequential:
    """Reference architecture 1: 784-128-64-10, ReLU, LogSoftmax (train with NLLLoss)."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, num_classes),
        nn.LogSoftmax(dim=1),
    )


def mlp_ln(num_classes: int = 10) -> nn.Sequential:
    """The reports' MLP variant: LayerNorm and dropout after each hidden layer, He initialisation.

    LayerNorm keeps each layer's activations on one scale, which lets a plain MLP take larger
    learning rates; He (Kaiming) initialisation is the one derived for ReLU.
    """
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, 256),
        nn.LayerNorm(256),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(256, 128),
        nn.LayerNorm(128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, num_classes),
        nn.LogSoftmax(dim=1),
    )
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    return model
