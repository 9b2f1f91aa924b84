"""Convolutional networks from the reports: R2's two reference CNNs, R0's three-conv net, R1's
BatchNorm CNN and R4's Net2 and Net3 (the last two exactly as published).

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
    """R2's architecture 2: two 3x3 convolutions, two 2x2 max-pools, two dense, dropout 0.2.

    R2 does not state the widths: 32 and 64 channels and a dense layer of 128 are the course's.
    """
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
    """R2's architecture 3: two 5x5 convolutions ('same' padding), dense 1024, dropout 0.5.

    R2 trained it with Adam at 1e-4 but does not state widths, padding or the dense width: 32 and
    64 channels, 'same' padding and dense 1024 (the classic "Deep MNIST" network) are the course's.
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
    """R0's net: three 3x3 convolutions, each with a 2x2 max-pool and ReLU (99.35 % in R0).

    R0 does not state widths or dense layers: 32-64-128 channels, padding 1 and dense 128 are the
    course's. (ReLU before or after the max-pool gives the same output: both are monotonic.)
    """
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
    """R1's net: three convs 32 -> 64 -> 128 with BatchNorm, max-pool, dense 128, dropout 0.4.

    R1 states the kernel (3x3), widths, dense 128 and dropout; padding 1 is the course's.
    """
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


def net2(num_classes: int = 10) -> nn.Sequential:
    """R4's Net2, the classic PyTorch MNIST example: convs 1->10->20 (5x5), 320->50->10; ~21.8k.

    Unpadded: 28 -> 24 -> 12 -> 8 -> 4, so 20 x 4 x 4 = 320 features; Dropout2d after the second
    convolution and dropout (0.5) before the last layer, as in that example.
    """
    return nn.Sequential(
        nn.Conv2d(1, 10, 5),  # 10 x 24 x 24
        nn.MaxPool2d(2),  # 10 x 12 x 12
        nn.ReLU(),
        nn.Conv2d(10, 20, 5),  # 20 x 8 x 8
        nn.Dropout2d(0.5),
        nn.MaxPool2d(2),  # 20 x 4 x 4
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(320, 50),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(50, num_classes),
        nn.LogSoftmax(dim=1),
    )


def net3(num_classes: int = 10) -> nn.Sequential:
    """R4's Net3, as published: three unpadded 5x5 convs 32-32-64, 576->256->10; ~228k.

    28 -> 24 -> 20 -> 10 (pool) -> 6 -> 3 (pool): 64 x 3 x 3 = 576 features; dropout 0.5 after
    the second and third convolutions and after the dense layer.
    """
    return nn.Sequential(
        nn.Conv2d(1, 32, 5),  # 32 x 24 x 24
        nn.ReLU(),
        nn.Conv2d(32, 32, 5),  # 32 x 20 x 20
        nn.MaxPool2d(2),  # 32 x 10 x 10
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Conv2d(32, 64, 5),  # 64 x 6 x 6
        nn.MaxPool2d(2),  # 64 x 3 x 3
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Flatten(),
        nn.Linear(64 * 3 * 3, 256),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(256, num_classes),
        nn.LogSoftmax(dim=1),
    )
