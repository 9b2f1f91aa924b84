"""Find and read a train/test pair of IDX files in a folder, whatever they are called exactly.

Copies of MNIST come named ``train-images-idx3-ubyte``, ``train-images.idx3-ubyte`` (Kaggle),
with or without ``.gz``; test files say ``t10k`` or ``test``.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..errors import DataError
from .dataset import DIGIT_CLASSES, DataSplits, DigitDataset
from .idx import read_idx

_SPLIT_WORDS = {"train": ("train",), "test": ("t10k", "test")}


def find_idx_file(folder: Path, split: str, kind: str, prefix: str = "") -> Path | None:
    """The one file in ``folder`` for ``split`` (train/test) and ``kind`` (images/labels).

    When both a ``.gz`` and an uncompressed copy exist, the ``.gz`` wins: it is the copy whose
    checksum can be verified.
    """
    if not folder.is_dir():
        return None
    candidates = [
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.name.lower().startswith(prefix)
        and kind in path.name.lower()
        and any(word in path.name.lower() for word in _SPLIT_WORDS[split])
        and "idx" in path.name.lower()
    ]
    if not candidates:
        return None
    candidates.sort(key=lambda path: (path.suffix != ".gz", path.name))
    stems = {path.name.removesuffix(".gz") for path in candidates}
    if len(stems) > 1:
        names = ", ".join(sorted(path.name for path in candidates))
        raise DataError(
            f"{folder}: several {split} {kind} files ({names}); keep one set per folder"
        )
    return candidates[0]


def read_idx_pair(
    images_path: Path,
    labels_path: Path,
    classes: tuple[str, ...] = DIGIT_CLASSES,
    source: str | None = None,
    transpose: bool = False,
) -> DigitDataset:
    """Read matching images and labels files into a ``DigitDataset``."""
    images = read_idx(images_path, expected_ndim=3)
    labels = read_idx(labels_path, expected_ndim=1)
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels; "
            "they must come from the same set"
        )
    if images.dtype.kind != "u" or images.dtype.itemsize != 1:
        raise DataError(f"{images_path}: images must be unsigned bytes, found {images.dtype}")
    image_tensor = torch.from_numpy(images)
    if transpose:
        image_tensor = image_tensor.transpose(1, 2).contiguous()
    return DigitDataset(
        image_tensor,
        torch.from_numpy(labels.astype("int64")),
        classes,
        source=source or f"IDX {images_path}",
    )


def load_idx_folder(
    folder: str | os.PathLike[str], classes: tuple[str, ...] = DIGIT_CLASSES
) -> DataSplits:
    """Read the train and test pairs of IDX files from ``folder`` (no network, no checksums)."""
    folder = Path(folder)
    found = {
        (split, kind): find_idx_file(folder, split, kind)
        for split in ("train", "test")
        for kind in ("images", "labels")
    }
    missing = [f"{split} {kind}" for (split, kind), path in found.items() if path is None]
    if missing:
        raise DataError(
            f"{folder}: no IDX file for {', '.join(missing)} "
            "(expected names like train-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz])"
        )
    train, test = (
        read_idx_pair(found[(split, "images")], found[(split, "labels")], classes)
        for split in ("train", "test")
    )
    return DataSplits(train=train, test=test)
