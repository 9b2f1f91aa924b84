"""One entry point for every data source, named by a short string.

``load_data("mnist")``, ``"emnist-balanced"``, ``"fashion-mnist"``, ``"digits"`` (scikit-learn,
offline), ``"csv:path/train.csv"`` or ``"idx:path/folder"`` all return ``DataSplits``.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..core.errors import DataError
from ..core.paths import data_root
from .csv_format import read_csv_dataset
from .dataset import DataSplits, DigitDataset
from .idx_folder import load_idx_folder
from .sklearn_digits import load_sklearn_digits
from .torchvision_sources import SOURCES, load_torchvision

SOURCE_NAMES = (*SOURCES, "digits", "csv:PATH", "idx:DIR")


def _empty_like(dataset: DigitDataset, note: str) -> DigitDataset:
    return DigitDataset(
        torch.empty((0, *dataset.images.shape[1:]), dtype=torch.uint8),
        torch.empty(0, dtype=torch.int64),
        dataset.classes,
        source=note,
    )


def load_data(
    source: str = "mnist",
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    verify: bool = True,
) -> DataSplits:
    """Load a train/test pair from ``source``; the data root comes from ``root`` or the env var.

    A CSV has no separate test set: its ``test`` is empty, and lessons split validation data off
    the training rows instead.
    """
    name = source.strip()
    if name.lower() in SOURCES:
        return load_torchvision(name.lower(), data_root(root), download=download, verify=verify)
    if name.lower() == "digits":
        return load_sklearn_digits()
    kind, _, location = name.partition(":")
    if kind.lower() == "csv" and location:
        train = read_csv_dataset(Path(location).expanduser())
        return DataSplits(train=train, test=_empty_like(train, f"{train.source} (no test set)"))
    if kind.lower() == "idx" and location:
        return load_idx_folder(Path(location).expanduser())
    raise DataError(f"unknown data source {source!r}: expected one of {', '.join(SOURCE_NAMES)}")
