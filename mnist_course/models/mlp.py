"""Fully connected networks: R2's first model, R3's MLP (with and without its double softmax) and
R4's Net1."""

from __future__ import annotations

from torch import nn


def mlp(num_classes: int = 10) -> nn.Sequential:
    """R2's architecture 1: 784-128-64-10, ReLU, LogSoftmax (train with NLLLoss)."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, 128),
        nn.ReLU(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, num_classes),
        nn.LogSoftmax(dim=1),
    )


def net1(num_classes: int = 10) -> nn.Sequential:
    """R4's Net1: linear layers with ReLU, 784-512-256-10 (the sizes are the course's choice).

    R4 took Net1 from its course lab and does not state the layer sizes.
    """
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, 512),
        nn.ReLU(),
        nn.Linear(512, 256),
        nn.ReLU(),
        nn.Linear(256, num_classes),
        nn.LogSoftmax(dim=1),
    )


def _layer_norm_mlp(num_classes: int, head: list[nn.Module]) -> nn.Sequential:
    """784-256-128-classes with LayerNorm, ReLU and dropout 0.2 per hidden layer, He-initialised."""
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
        *head,
    )
    for layer in model:
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    return model


def mlp_ln(num_classes: int = 10) -> nn.Sequential:
    """R3's MLP, corrected: LayerNorm, dropout and He initialisation, ending in LogSoftmax.

    LayerNorm keeps each layer's activations on one scale, which lets a plain MLP take larger
    learning rates; He (Kaiming) initialisation is the one derived for ReLU. R3 does not state
    the hidden sizes: 256 and 128 (and dropout 0.2) are the course's.
    """
    return _layer_norm_mlp(num_classes, [nn.LogSoftmax(dim=1)])


def mlp_ln_softmax(num_classes: int = 10) -> nn.Sequential:
    """R3's MLP as R3 wrote it: its forward ends in Softmax, and the loss applies softmax again.

    R3 fed softmax outputs to CrossEntropyLoss, which takes a log-softmax of whatever it gets;
    here that is the final ``Softmax`` then ``LogSoftmax``, trained with NLL: the same loss. Its
    outputs are still log-probabilities (of a flattened distribution) with the same argmax, but
    the loss cannot go below ln(e + 9) - 1 ~= 1.461 for ten classes and its gradients shrink.
    """
    return _layer_norm_mlp(num_classes, [nn.Softmax(dim=1), nn.LogSoftmax(dim=1)])
