"""Mini-batches straight from in-memory tensors: the fast path training uses.

``torchvision.datasets.MNIST`` + ``DataLoader`` builds every sample through PIL and collates it in
Python, which costs more than the model itself on a laptop CPU. Here the whole uint8 set lives on
the training device (47 MB for MNIST) and each batch is one index, one conversion and one
normalisation, on the CPU or GPU alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch

from .dataset import DigitDataset
from .normalization import Normalization

Augment = Callable[[torch.Tensor], torch.Tensor]
"""A batched augmentation: float images ``[B, 1, 28, 28]`` in [0, 1] in, same shape out."""


class BatchIterator:
    """Iterate over ``(images [B, 1, 28, 28] float, labels [B] int64)`` on ``device``.

    Each pass over it is one epoch; with ``shuffle`` every epoch draws a new order from a generator
    seeded with ``seed``, so runs repeat exactly. Unlabeled sets yield labels of -1.

    >>> batches = BatchIterator(train, batch_size=64, shuffle=True, normalization=norm)
    >>> for images, labels in batches: ...
    """

    def __init__(
        self,
        data: DigitDataset,
        batch_size: int = 64,
        shuffle: bool = False,
        drop_last: bool = False,
        normalization: Normalization | None = None,
        device: torch.device | str = "cpu",
        seed: int = 0,
        augment: Augment | None = None,
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
        self.normalization = normalization or Normalization.identity()
        self.augment = augment
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
            images = images.sub_(self.normalization.mean).div_(self.normalization.std)
            yield images, self.labels[index]
