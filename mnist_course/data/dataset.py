"""The one dataset type every source produces.

Whether digits came from torchvision, IDX files, a CSV or scikit-learn, the rest of the course sees
the same thing: uint8 images ``[N, 28, 28]`` (ink high, background 0), int64 labels, class names,
and a note of where they came from. Keeping the images as uint8 in memory is what makes training
fast: batches are sliced and normalised on the fly instead of going through PIL per sample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from ..core.errors import DataError
from .normalization import Normalization

DIGIT_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))


@dataclass(frozen=True, eq=False)
class DigitDataset:
    """Images, labels and class names from one source, validated on construction.

    ``labels`` is ``None`` for an unlabeled set (a Kaggle ``test.csv``): it can be predicted on
    but not trained or scored on.
    """

    images: torch.Tensor
    labels: torch.Tensor | None
    classes: tuple[str, ...] = DIGIT_CLASSES
    source: str = "in-memory"

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.dim() != 3:
            raise DataError(
                f"{self.source}: images must be a uint8 tensor [N, H, W], "
                f"got {self.images.dtype} {list(self.images.shape)}"
            )
        if self.labels is None:
            return
        if self.labels.dtype != torch.int64 or self.labels.dim() != 1:
            raise DataError(f"{self.source}: labels must be an int64 tensor [N]")
        if len(self.labels) != len(self.images):
            raise DataError(
                f"{self.source}: {len(self.images)} images but {len(self.labels)} labels; "
                "the images and labels files must come from the same set"
            )
        if len(self.labels) and (self.labels.min() < 0 or self.labels.max() >= len(self.classes)):
            bad = int(self.labels[(self.labels < 0) | (self.labels >= len(self.classes))][0])
            raise DataError(
                f"{self.source}: label {bad} is outside the {len(self.classes)} classes "
                f"(expected 0..{len(self.classes) - 1})"
            )

    def __len__(self) -> int:
        return len(self.images)

    @property
    def is_labeled(self) -> bool:
        return self.labels is not None

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def require_labels(self) -> torch.Tensor:
        """The labels, or a clear error for an unlabeled set."""
        if self.labels is None:
            raise DataError(f"{self.source} has no labels: it can be predicted on, not trained on")
        return self.labels

    def class_counts(self) -> list[int]:
        """How many examples of each class, in class order."""
        counts = torch.bincount(self.require_labels(), minlength=self.num_classes)
        return [int(c) for c in counts]

    def subset(
        self, indices: Sequence[int] | torch.Tensor | np.ndarray, note: str = "subset"
    ) -> DigitDataset:
        """A new dataset holding only ``indices`` (in that order)."""
        index = torch.as_tensor(indices, dtype=torch.int64)
        labels = None if self.labels is None else self.labels[index]
        return DigitDataset(self.images[index], labels, self.classes, f"{self.source} [{note}]")

    def head(self, n: int) -> DigitDataset:
        """The first ``n`` examples (all of them if there are fewer)."""
        return self.subset(torch.arange(min(n, len(self))), note=f"first {min(n, len(self))}")

    def of_class(self, label: int) -> DigitDataset:
        """Only the examples of one class, e.g. every 7."""
        index = torch.nonzero(self.require_labels() == label).flatten()
        return self.subset(index, note=f"class {self.classes[label]}")

    def as_torch_dataset(
        self,
        normalization: Normalization | None = None,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> DigitTorchDataset:
        """A ``torch.utils.data.Dataset`` view, for lessons that teach ``DataLoader``."""
        return DigitTorchDataset(self, normalization, transform)

    def __repr__(self) -> str:
        labeled = "labeled" if self.is_labeled else "unlabeled"
        return (
            f"DigitDataset({len(self)} {labeled} images {list(self.images.shape[1:])}, "
            f"{self.num_classes} classes, source={self.source!r})"
        )


class DigitTorchDataset(Dataset):
    """Per-sample view: ``(image [1, 28, 28] float, label)``, optionally transformed and normalised.

    ``transform`` sees the float image in [0, 1] before normalisation, so torchvision's v2
    transforms (``RandomAffine``, ``ElasticTransform``) work on it directly.
    """

    def __init__(
        self,
        data: DigitDataset,
        normalization: Normalization | None = None,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        self.data = data
        self.normalization = normalization or Normalization.identity()
        self.transform = transform

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = self.data.images[index].unsqueeze(0).float().div_(255)
        if self.transform is not None:
            image = self.transform(image)
        label = -1 if self.data.labels is None else int(self.data.labels[index])
        return self.normalization.apply(image), label


@dataclass(frozen=True)
class DataSplits:
    """A training set and a test set that share their classes."""

    train: DigitDataset
    test: DigitDataset

    @property
    def classes(self) -> tuple[str, ...]:
        return self.train.classes

    @property
    def num_classes(self) -> int:
        return self.train.num_classes
