"""Convolutional networks from the reports: two reference CNNs and three of their variants.

Each is an ``nn.Sequential`` so a learner can print it and read the layers top to bottom; the
comments give the feature-map size after each block for a 28x28 input.
"""

from __future__ import annotations

from torch import nn


def _conv_block(
    channels_in: int, channels_out: int, kernel: int, padding: int = 0, batch_norm: bool = False
) -> list[nn.Module]:
    """Convolution, (BatchNorm,) ReLU, 2x2 max-pool: the unit all these CNNs repeat."""
    layers: list[nn.Module] = [
        nn.Conv2d(channels_in, channels_out, kernel, padding=padding, bias=not batch_norm)
    ]
    if batch_norm:
        layers.append(nn.BatchNorm2d(channels_out))
    return [*layers, nn.ReLU(), nn.MaxPool2d(2)]


def cnn3(num_classes: int = 10) -> nn.Sequential:
    """Reference architecture 2: two 3x3 convolutions, two 2x2 max-pools, two dense, dropout 0.2."""
    return nn.Sequential(
        *_conv_block(1, 32, 3),  # 32 x 13 x 13
        *_conv_block(32, 64, 3),  # 64 x 5 x 5
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(64 * 5 * 5, 128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, num_classes),
        nn.LogSoftmax(dim=1),
    )


def cnn5(num_classes: int = 10) -> nn.Sequential:
    """Reference architecture 3: two 5x5 convolutions ('same' padding), dense 1024, dropout 0.5.

    The classic "Deep MNIST" network the third report trained with Adam at 1e-4.
    """
    return nn.Sequential(
        *_conv_block(1, 32, 5, padding=2),  # 32 x 14 x 14
        *_conv_block(32, 64, 5, padding=2),  # 64 x 7 x 7
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 1024),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(1024, num_classes),
        nn.LogSoftmax(dim=1),
    )


def cnn3conv(num_classes: int = 10) -> nn.Sequential:
    """Three 3x3 convolutions, each followed by ReLU and a 2x2 max-pool (the 99.35 % variant)."""
    return nn.Sequential(
        *_conv_block(1, 32, 3, padding=1),  # 32 x 14 x 14
        *_conv_block(32, 64, 3, padding=1),  # 64 x 7 x 7
        *_conv_block(64, 128, 3, padding=1),  # 128 x 3 x 3
        nn.Flatten(),
        nn.Linear(128 * 3 * 3, 128),
        nn.ReLU(),
        nn.Linear(128, num_classes),
        nn.LogSoftmax(dim=1),
    )


def bncnn(num_classes: int = 10) -> nn.Sequential:
    """Three convolutions 32 -> 64 -> 128 with BatchNorm and max-pool, dense 128, dropout 0.4."""
    return nn.Sequential(
        *_conv_block(1, 32, 3, padding=1, batch_norm=True),  # 32 x 14 x 14
        *_conv_block(32, 64, 3, padding=1, batch_norm=True),  # 64 x 7 x 7
        *_conv_block(64, 128, 3, padding=1, batch_norm=True),  # 128 x 3 x 3
        nn.Flatten(),
        nn.Linear(128 * 3 * 3, 128),
        nn.ReLU(),
        nn.Dropout(0.4),
        nn.Linear(128, num_classes),
        nn.LogSoftmax(dim=1),
    )


def net3(num_classes: int = 10) -> nn.Sequential:
    """Three 5x5 convolutions with dropout between them (the report trained it at batch 16)."""
    return nn.Sequential(
        *_conv_block(1, 32, 5, padding=2),  # 32 x 14 x 14
        nn.Dropout(0.25),
        *_conv_block(32, 64, 5, padding=2),  # 64 x 7 x 7
        nn.Dropout(0.25),
        *_conv_block(64, 128, 5, padding=2),  # 128 x 3 x 3
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(128 * 3 * 3, 256),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(256, num_classes),
        nn.LogSoftmax(dim=1),
    )
