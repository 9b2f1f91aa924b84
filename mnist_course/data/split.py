"""Seeded, stratified subsets: every digit keeps its share in train, validation and samples."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from ..core.errors import DataError
from .dataset import DigitDataset

VALIDATION = 0.1
"""The share of a training set the course holds out to validate on (stratified, seed 0): every
lesson, the training panel, the command line and ``split_for`` take it from here."""


def _stratified_indices(
    dataset: DigitDataset, size: int | float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    labels = dataset.require_labels().numpy()
    classes = len(np.unique(labels))
    count = round(size * len(dataset)) if isinstance(size, float) else size
    if min(count, len(dataset) - count) < classes:
        needed = (
            int(np.ceil(classes / min(size, 1 - size)))
            if isinstance(size, float)
            else max(size, classes) + classes
        )
        raise DataError(
            f"{dataset.source}: {len(dataset)} examples are too few to split {count} off with "
            f"each of its {classes} classes on both sides: that takes at least {needed} examples"
            + ("" if isinstance(size, float) or size >= classes else f" and {classes} split off")
        )
    try:
        kept, held = train_test_split(
            np.arange(len(dataset)), test_size=size, stratify=labels, random_state=seed
        )
    except ValueError as exc:
        raise DataError(f"{dataset.source}: cannot split {len(dataset)} examples: {exc}") from exc
    return np.sort(kept), np.sort(held)


def stratified_split(
    dataset: DigitDataset, validation: int | float = VALIDATION, seed: int = 0
) -> tuple[DigitDataset, DigitDataset]:
    """Split into (train, validation), each class in the same proportion in both; reproducible.

    ``validation`` is a fraction (0.1) or a count (5000), as in ``train_test_split``.
    """
    kept, held = _stratified_indices(dataset, validation, seed)
    return dataset.subset(kept, note="train split"), dataset.subset(held, note="validation split")


def stratified_sample(dataset: DigitDataset, size: int, seed: int = 0) -> DigitDataset:
    """``size`` examples with the class proportions of the whole set (all of it if smaller).

    A size of 0 is an empty sample (e.g. fine-tuning with no MNIST mixed in).
    """
    if size < 0:
        raise DataError(f"{dataset.source}: a sample of {size} examples; expected 0 or more")
    if size == 0:
        return dataset.subset(torch.zeros(0, dtype=torch.int64), note="none of it")
    if size >= len(dataset):
        return dataset
    _, sample = _stratified_indices(dataset, size, seed)
    return dataset.subset(sample, note=f"stratified sample of {size}")


def per_class_indices(dataset: DigitDataset, per_class: int, seed: int = 0) -> list[torch.Tensor]:
    """Up to ``per_class`` random indices of each class, one tensor per class in class order."""
    labels = dataset.require_labels()
    generator = torch.Generator().manual_seed(seed)
    picks = []
    for label in range(dataset.num_classes):
        members = torch.nonzero(labels == label).flatten()
        picks.append(members[torch.randperm(len(members), generator=generator)[:per_class]])
    return picks


def balanced_sample(dataset: DigitDataset, per_class: int, seed: int = 0) -> DigitDataset:
    """Exactly ``per_class`` random examples of every class, for class-balanced scoring."""
    picks = per_class_indices(dataset, per_class, seed)
    for label, members in enumerate(picks):
        if len(members) < per_class:
            raise DataError(
                f"{dataset.source}: class {dataset.classes[label]!r} has only {len(members)} "
                f"examples, fewer than the {per_class} asked for"
            )
    return dataset.subset(torch.cat(picks).sort().values, note=f"{per_class} per class")
