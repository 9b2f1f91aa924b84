"""Mini-batches straight from in-memory tensors: the fast path training uses.

``torchvision.datasets.MNIST`` + ``DataLoader`` builds every sample through PIL and collates it in
Python, which costs more than the model itself on a laptop CPU. Here the whole uint8 set lives on
the training device (47 MB for MNIST) and each batch is one index and one conversion to [0, 1],
on the CPU or GPU alike. Normalisation is the model's own business (``Classifier``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch

from .dataset import DigitDataset

Augment = Callable[[torch.Tensor], torch.Tensor]
"""A batched augmentation: float images ``[B, 1, 28, 28]`` in [0, 1] in, same shape out."""


class BatchIterator:
    """Iterate over ``(images [B, 1, 28, 28] float in [0, 1], labels [B] int64)`` on ``device``.

    Each pass over it is one epoch; with ``shuffle`` every epoch draws a new order from a generator
    seeded with ``seed``, so runs repeat exactly. Unlabeled sets yield labels of -1. ``augment``
    distorts each batch; ``channels_last`` hands convolutions the layout CPUs run fastest.

    >>> from mnist_course.data import load_data
    >>> batches = BatchIterator(load_data("digits").train, batch_size=64, shuffle=True)
    >>> images, labels = next(iter(batches))
    >>> images.shape, images.dtype, len(batches)
    (torch.Size([64, 1, 28, 28]), torch.float32, 23)
    """

    def __init__(
        self,
        data: DigitDataset,
        batch_size: int = 64,
        shuffle: bool = False,
        drop_last: bool = False,
        device: torch.device | str = "cpu",
        seed: int = 0,
        augment: Augment | None = None,
        channels_last: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.device = torch.device(device)
        self.images = data.images.to(self.device)
        labels = data.labels if data.labels is not None else torch.full((len(data),), -1)
        self.labels = labels.to(self.device)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.augment = augment
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        count = len(self.images) / self.batch_size
        return math.floor(count) if self.drop_last else math.ceil(count)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        total = len(self.images)
        if self.shuffle:
            order = torch.randperm(total, generator=self.generator).to(self.device)
        else:
            order = torch.arange(total, device=self.device)
        for batch in range(len(self)):
            index = order[batch * self.batch_size : (batch + 1) * self.batch_size]
            images = self.images[index].unsqueeze(1).float().div_(255)
            if self.augment is not None:
                images = self.augment(images)
            yield images.contiguous(memory_format=self.memory_format), self.labels[index]
