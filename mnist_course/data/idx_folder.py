"""Find and read a train/test pair of IDX files in a folder, whatever they are called exactly.

Copies of MNIST come named ``train-images-idx3-ubyte``, ``train-images.idx3-ubyte`` (Kaggle),
with or without ``.gz``; test files say ``t10k`` or ``test``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..core.errors import DataError
from .dataset import DIGIT_CLASSES, DataSplits, DigitDataset
from .idx import read_idx

_SPLIT_WORDS = {"train": ("train",), "test": ("t10k", "test")}
PARTS = (("train", "images"), ("train", "labels"), ("test", "images"), ("test", "labels"))
"""The four files of a set, as ``(split, kind)``."""
IMAGE_SHAPE = (28, 28)


def _find_idx_file(folder: Path, split: str, kind: str, prefix: str) -> Path | None:
    """The one file in ``folder`` for ``split`` (train/test) and ``kind`` (images/labels).

    When both a ``.gz`` and an uncompressed copy exist, the ``.gz`` wins: it is the copy whose
    checksum can be verified.
    """
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


def find_idx_files(folder: Path, prefix: str = "") -> dict[tuple[str, str], Path]:
    """The IDX files in ``folder`` by ``(split, kind)``, whatever they are called exactly.

    Only the parts found are in the answer (see ``missing_parts``); a folder that does not exist
    has none, a path that is a file is an error. ``prefix`` picks one set among several
    (``emnist-balanced-``).
    """
    if folder.exists() and not folder.is_dir():
        raise DataError(f"{folder}: is a file, not a folder of IDX files")
    if not folder.is_dir():
        return {}
    found = {part: _find_idx_file(folder, *part, prefix) for part in PARTS}
    return {part: path for part, path in found.items() if path is not None}


def missing_parts(files: dict[tuple[str, str], Path]) -> list[str]:
    """What ``find_idx_files`` did not find, as words: ``['test labels']``."""
    return [f"{split} {kind}" for split, kind in PARTS if (split, kind) not in files]


def read_idx_pair(
    images_path: Path,
    labels_path: Path,
    classes: tuple[str, ...] = DIGIT_CLASSES,
    source: str | None = None,
    transpose: bool = False,
) -> DigitDataset:
    """Read matching images and labels files into a ``DigitDataset``, each checked on its own.

    A problem is blamed on the file that has it: images that are not 28x28 or not bytes, or no
    images at all, on the images file; a label outside ``classes`` on the labels file.
    """
    images = read_idx(images_path, expected_ndim=3)
    labels = read_idx(labels_path, expected_ndim=1)
    if images.dtype.kind != "u" or images.dtype.itemsize != 1:
        raise DataError(f"{images_path}: images must be unsigned bytes, found {images.dtype}")
    if images.shape[1:] != IMAGE_SHAPE:
        height, width = images.shape[1:]
        raise DataError(
            f"{images_path}: images are {height}x{width} pixels, expected 28x28 "
            "(the course's models read MNIST-sized images)"
        )
    if len(images) == 0:
        raise DataError(
            f"{images_path}: holds no images (its header says 0); expected at least one"
        )
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels; "
            "they must come from the same set"
        )
    outside = np.flatnonzero(labels.astype(np.int64) >= len(classes))
    if len(outside):
        first = int(outside[0])
        others = f"; {len(outside) - 1} more like it" if len(outside) > 1 else ""
        raise DataError(
            f"{labels_path}: label {int(labels[first])} (item {first}, counting from 0) is not "
            f"one of the {len(classes)} classes (expected 0..{len(classes) - 1}){others}"
        )
    image_tensor = torch.from_numpy(images)
    if transpose:
        image_tensor = image_tensor.transpose(1, 2).contiguous()
    return DigitDataset(
        image_tensor,
        torch.from_numpy(labels.astype("int64")),
        classes,
        source=source or f"IDX {images_path}",
    )


def read_idx_splits(
    files: dict[tuple[str, str], Path],
    classes: tuple[str, ...] = DIGIT_CLASSES,
    name: str | None = None,
    transpose: bool = False,
) -> DataSplits:
    """The train and test pairs ``find_idx_files`` found, read; ``name`` labels their source."""
    splits = {
        split: read_idx_pair(
            files[(split, "images")],
            files[(split, "labels")],
            classes,
            source=None if name is None else f"{name} {split} ({files[(split, 'images')].parent})",
            transpose=transpose,
        )
        for split in ("train", "test")
    }
    return DataSplits(train=splits["train"], test=splits["test"])


def load_idx_folder(
    folder: str | os.PathLike[str], classes: tuple[str, ...] = DIGIT_CLASSES
) -> DataSplits:
    """Read the train and test pairs of IDX files from ``folder`` (no network, no checksums)."""
    folder = Path(folder)
    if not folder.exists():
        raise DataError(f"{folder}: no such folder")
    files = find_idx_files(folder)
    if missing := missing_parts(files):
        raise DataError(
            f"{folder}: no IDX file for {', '.join(missing)} "
            "(expected names like train-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz])"
        )
    return read_idx_splits(files, classes)
