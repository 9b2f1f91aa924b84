"""Your own handwriting as training data: R4's future work, done.

The drawing pad's *Save as training example* stores each drawing in torchvision's ImageFolder
layout, ``mine/<label>/<name>.png``. ``load_own_digits`` reads such a folder (every picture goes
through the pad's own MNIST-style preprocessing) and ``finetune`` trains a model further on those
pictures mixed with MNIST, so that it learns your style without forgetting everyone else's. A
stratified, seeded part of your pictures is kept aside and never trained on: the accuracy on it,
before and after, is the honest measure of what fine-tuning did for *your* writing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torchvision.datasets import ImageFolder
from torchvision.datasets.folder import IMG_EXTENSIONS

from .classifier import Classifier
from .data import DataSplits, DigitDataset, stratified_sample, stratified_split
from .errors import DataError
from .preprocess import BlankImageError, load_image, to_mnist_style
from .training import Recipe, evaluate, train

HOLDOUT = 0.25
"""Share of your own pictures kept aside to measure, never trained on."""
MNIST_MIX = 4000
"""MNIST training images mixed in, so the model keeps reading everyone's digits."""
OWN_SHARE = 0.25
"""Your pictures' share of the training mix (they are repeated to reach it)."""


def load_own_digits(folder: str | os.PathLike[str], classes: tuple[str, ...]) -> DigitDataset:
    """Pictures in ``folder/<label>/*.png`` as an MNIST-style dataset with ``classes``' labels."""
    folder = Path(folder)
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "no such folder"
        raise DataError(f"{folder}: {what}; expected one subfolder per label, e.g. {folder}/3/")
    labels = sorted(p.name for p in folder.iterdir() if p.is_dir())
    strangers = [name for name in labels if name not in classes]
    if strangers:
        raise DataError(
            f"{folder / strangers[0]}: '{strangers[0]}' is not one of the model's classes "
            f"({', '.join(classes)}); each subfolder is named after the label of its pictures"
        )
    try:
        found = ImageFolder(str(folder), loader=str, allow_empty=True, is_valid_file=_is_picture)
    except (FileNotFoundError, OSError) as exc:
        raise DataError(f"{folder}: no label subfolders with pictures in them ({exc})") from exc
    if not found.samples:
        raise DataError(f"{folder}: no pictures found (PNG or JPEG files in {folder}/<label>/)")
    images, targets = [], []
    for path, index in found.samples:
        try:
            images.append(to_mnist_style(load_image(path)))
        except BlankImageError as exc:
            raise DataError(f"{path}: a blank picture; delete it or draw it again") from exc
        targets.append(classes.index(found.classes[index]))
    if len(set(targets)) < 2:
        raise DataError(
            f"{folder}: pictures of only one label ({classes[targets[0]]}); fine-tuning "
            "needs at least two different digits, or the model learns to answer only that one"
        )
    return DigitDataset(torch.from_numpy(np.stack(images)), torch.tensor(targets), classes,
                        source=f"own handwriting {folder}")  # fmt: skip


def _is_picture(path: str) -> bool:
    return path.lower().endswith(IMG_EXTENSIONS)


@dataclass
class FinetuneReport:
    """What fine-tuning did: your held-out pictures and MNIST's test set, before and after."""

    images: int
    holdout: int
    holdout_accuracy_before: float
    holdout_accuracy_after: float
    mnist_test_accuracy_before: float
    mnist_test_accuracy_after: float
    status: str
    model: Classifier

    def as_dict(self) -> dict[str, float | int | str]:
        return {k: v for k, v in self.__dict__.items() if k != "model"}


def finetune_recipe(model: Classifier, epochs: int = 4, seed: int = 0) -> Recipe:
    """Gentle further training: a small constant rate, so the model adapts without forgetting."""
    return Recipe(f"{model.name}+own", model.arch, "sgd", lr=0.005, momentum=0.9, nesterov=True,
                  batch_size=64, epochs=epochs, seed=seed)  # fmt: skip


def finetune(
    model: Classifier,
    own: DigitDataset,
    mnist: DataSplits,
    epochs: int = 4,
    seed: int = 0,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> FinetuneReport:
    """Train ``model`` further on ``own`` pictures mixed with MNIST; measure on held-out ones."""
    per_class = np.bincount(own.labels.numpy(), minlength=own.num_classes)
    if per_class[per_class > 0].min() < 2:
        label = own.classes[int(np.flatnonzero(per_class == 1)[0])]
        raise DataError(
            f"{own.source}: only one picture of {label}; draw at least two of every digit "
            "you include (20-30 is better), so some can be kept aside to measure"
        )
    holdout_size = max(round(HOLDOUT * len(own)), int((per_class > 0).sum()))
    mine, holdout = stratified_split(own, validation=holdout_size, seed=seed)
    before_own = evaluate(model, holdout).accuracy
    before_mnist = evaluate(model, mnist.test).accuracy

    pool, validation = stratified_split(mnist.train, validation=1000, seed=seed)
    everyone = stratified_sample(pool, MNIST_MIX, seed=seed)
    repeats = max(1, round(OWN_SHARE / (1 - OWN_SHARE) * len(everyone) / len(mine)))
    mix = DigitDataset(
        torch.cat([everyone.images, mine.images.repeat(repeats, 1, 1)]),
        torch.cat([everyone.labels, mine.labels.repeat(repeats)]),
        model.classes, source=f"{len(everyone)} MNIST + {repeats}x {len(mine)} own",
    )  # fmt: skip
    result = train(finetune_recipe(model, epochs, seed), mix, validation, model=model,
                   checkpoint=checkpoint, progress=progress)  # fmt: skip
    return FinetuneReport(
        images=len(own),
        holdout=len(holdout),
        holdout_accuracy_before=before_own,
        holdout_accuracy_after=evaluate(result.model, holdout).accuracy,
        mnist_test_accuracy_before=before_mnist,
        mnist_test_accuracy_after=evaluate(result.model, mnist.test).accuracy,
        status=result.status,
        model=result.model,
    )
