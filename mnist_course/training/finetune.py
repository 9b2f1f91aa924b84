"""Your own handwriting as training data: R4's future work, done.

The drawing pad's *Save as training example* stores each drawing in torchvision's ImageFolder
layout, ``mine/<label>/<name>.png`` (``save_own_digit``). ``load_own_digits`` reads such a folder
(every picture goes through the pad's own MNIST-style preprocessing), ``check_ready`` says whether
there is enough of it to fine-tune on (``finetune`` asks it too, so the two never disagree), and
``finetune`` trains a model further on those pictures mixed with MNIST, so that it learns your
style without forgetting everyone else's. A stratified, seeded part of your pictures is kept
aside and never trained on: the accuracy on it, before and after, is the honest measure of what
fine-tuning did for *your* writing.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torchvision.datasets.folder import IMG_EXTENSIONS

from ..core.atomic import atomic_write
from ..core.errors import CourseError, DataError
from ..data import DataSplits, DigitDataset, stratified_sample, stratified_split
from ..images.preprocess import BlankImageError, load_image, to_mnist_style
from ..models.classifier import Classifier
from . import Recipe, evaluate, train, update_metrics

HOLDOUT = 0.25
"""Share of your own pictures kept aside to measure, never trained on."""
MNIST_MIX = 4000
"""MNIST training images mixed in, so the model keeps reading everyone's digits (0: none)."""
OWN_SHARE = 0.25
"""Your pictures' share of the training mix (they are repeated to reach it)."""
MIN_PER_DIGIT = 2
"""Fewest pictures of a digit: one to train on and one to keep aside and measure with."""
MNIST_VALIDATION = 1000
"""MNIST training images (never trained on) that choose the best epoch."""


def save_own_digit(
    drawn: Image.Image, model_input: np.ndarray, label: str, folder: str | os.PathLike[str]
) -> Path:
    """Keep a drawing of ``label`` in ``folder/<label>/`` and the 28x28 it became (``model_input``)
    under the same name in ``folder-28x28/<label>/``; the path of the drawing."""
    folder = Path(folder)
    count = len(list((folder / label).glob("*.png")))
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{count:04}.png"
    small = folder.with_name(f"{folder.name}-28x28") / label / name
    for picture, target in ((drawn, folder / label / name), (Image.fromarray(model_input), small)):
        with atomic_write(target) as handle:
            picture.save(handle, format="PNG")
    return folder / label / name


def load_own_digits(folder: str | os.PathLike[str], classes: tuple[str, ...]) -> DigitDataset:
    """Pictures in ``folder/<label>/*.png`` as an MNIST-style dataset with ``classes``' labels.

    Symbolic links to folders are not followed (a link back up would count every picture over
    and over, copies of training pictures landing among the held-out ones), and a picture
    reached twice (a linked file) counts once.
    """
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
    found = _pictures(folder, labels)
    if not found:
        raise DataError(f"{folder}: no pictures found (PNG or JPEG files in {folder}/<label>/)")
    images, targets = [], []
    for path, label in found:
        try:
            images.append(to_mnist_style(load_image(path)))
        except BlankImageError as exc:
            raise DataError(f"{path}: a blank picture; delete it or draw it again ({exc})") from exc
        targets.append(classes.index(label))
    return DigitDataset(
        torch.from_numpy(np.stack(images)),
        torch.tensor(targets),
        classes,
        source=f"own handwriting {folder}",
    )


def _pictures(folder: Path, labels: list[str]) -> list[tuple[Path, str]]:
    """Each real picture file under ``folder/<label>/`` once, with its label, in a fixed order."""
    seen: dict[Path, tuple[Path, str]] = {}
    for label in labels:
        top = folder / label
        if top.is_symlink():
            raise DataError(
                f"{top}: a symbolic link to a folder; pictures are read from real folders only "
                f"(so that none is counted twice): copy the pictures into {top}/ instead"
            )
        for root, subfolders, files in os.walk(top):  # does not enter linked folders
            subfolders.sort()
            for name in sorted(files):
                path = Path(root) / name
                if not name.lower().endswith(IMG_EXTENSIONS) or not path.is_file():
                    continue  # not a picture, or a broken link
                real = path.resolve()
                if real in seen and seen[real][1] != label:
                    raise DataError(
                        f"{path}: the same file as {seen[real][0]}, under two labels "
                        f"({seen[real][1]} and {label}); keep it under the right one"
                    )
                seen.setdefault(real, (path, label))
    return list(seen.values())


def check_ready(own: DigitDataset) -> None:
    """Refuse, with what to draw next, pictures that are not enough to fine-tune on.

    Fine-tuning needs at least two different digits (or the model learns to answer only that
    one) and ``MIN_PER_DIGIT`` pictures of each digit included (some are kept aside to measure).
    """
    per_class = np.bincount(own.require_labels().numpy(), minlength=own.num_classes)
    present = np.flatnonzero(per_class)
    if len(present) < 2:
        only = f" ({own.classes[present[0]]})" if len(present) else ""
        raise DataError(
            f"{own.source}: pictures of only one label{only}; fine-tuning needs at least two "
            "different digits, or the model learns to answer only that one"
        )
    few = [f"{own.classes[i]} ({per_class[i]})" for i in present if per_class[i] < MIN_PER_DIGIT]
    if few:
        raise DataError(
            f"{own.source}: too few pictures of {', '.join(few)}: draw at least "
            f"{MIN_PER_DIGIT} of every digit you include (20-30 is better), so that some can be "
            "kept aside to measure, or delete the ones of that digit"
        )


@dataclass
class FinetuneReport:
    """What fine-tuning did: your held-out pictures and MNIST's test set, before and after.

    ``checkpoint`` is the file the fine-tuned model was written to, ``None`` when none was
    (no path given, or the run diverged before its first epoch ended).
    """

    images: int
    holdout: int
    mnist_mixed_in: int
    holdout_accuracy_before: float
    holdout_accuracy_after: float
    mnist_test_accuracy_before: float
    mnist_test_accuracy_after: float
    status: str
    checkpoint: Path | None
    model: Classifier

    def as_dict(self) -> dict[str, float | int | str | None]:
        row = {k: v for k, v in self.__dict__.items() if k != "model"}
        return row | {"checkpoint": None if self.checkpoint is None else str(self.checkpoint)}


def finetune_recipe(model: Classifier, epochs: int = 4, seed: int = 0) -> Recipe:
    """Gentle further training: a small constant rate, so the model adapts without forgetting."""
    return Recipe(
        f"{model.name}+own",
        model.arch,
        "sgd",
        lr=0.005,
        momentum=0.9,
        nesterov=True,
        batch_size=64,
        epochs=epochs,
        seed=seed,
    )


def _training_mix(
    model: Classifier, mine: DigitDataset, pool: DigitDataset, mnist_mix: int, seed: int
) -> tuple[DigitDataset, int]:
    """``mnist_mix`` MNIST images and ``mine`` repeated to ``OWN_SHARE`` of the mix."""
    if mnist_mix < 0:
        raise CourseError(f"mnist_mix must be 0 (no MNIST) or more images, got {mnist_mix}")
    everyone = stratified_sample(pool, mnist_mix, seed=seed)
    repeats = max(1, round(OWN_SHARE / (1 - OWN_SHARE) * len(everyone) / len(mine)))
    mix = DigitDataset(
        torch.cat([everyone.images, mine.images.repeat(repeats, 1, 1)]),
        torch.cat([everyone.require_labels(), mine.require_labels().repeat(repeats)]),
        model.classes,
        source=f"{len(everyone)} MNIST + {repeats}x {len(mine)} own",
    )
    return mix, len(everyone)


def finetune(
    model: Classifier,
    own: DigitDataset,
    mnist: DataSplits,
    epochs: int = 4,
    seed: int = 0,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: bool = False,
    mnist_mix: int | None = None,
) -> FinetuneReport:
    """Train ``model`` further on ``own`` pictures mixed with MNIST; measure on held-out ones.

    ``mnist_mix`` MNIST training images go into the mix (``MNIST_MIX`` when not given; 0 for
    none). The best epoch is chosen on ``MNIST_VALIDATION`` other MNIST training images, never
    on your held-out pictures: those only measure.
    """
    if epochs < 1:
        raise CourseError(
            f"fine-tuning needs at least 1 epoch (--epochs 1 or more), got {epochs}: with none "
            "the model would stay as it is and no checkpoint would be written"
        )
    check_ready(own)
    per_class = np.bincount(own.require_labels().numpy(), minlength=own.num_classes)
    holdout_size = max(round(HOLDOUT * len(own)), int((per_class > 0).sum()))
    mine, holdout = stratified_split(own, validation=holdout_size, seed=seed)
    before_own = evaluate(model, holdout).accuracy
    before_mnist = evaluate(model, mnist.test).accuracy

    model = copy.deepcopy(model)  # the model given stays as it is
    pool, validation = stratified_split(mnist.train, validation=MNIST_VALIDATION, seed=seed)
    mix, mixed_in = _training_mix(
        model, mine, pool, MNIST_MIX if mnist_mix is None else mnist_mix, seed
    )
    result = train(
        finetune_recipe(model, epochs, seed),
        mix,
        validation,
        model=model,
        checkpoint=checkpoint,
        progress=progress,
    )
    after_own = evaluate(result.model, holdout).accuracy
    after_mnist = evaluate(result.model, mnist.test).accuracy
    result.model.card |= {"test_accuracy": after_mnist, "holdout_accuracy": after_own}
    if result.checkpoint is not None:
        update_metrics(result.checkpoint, test_accuracy=after_mnist, holdout_accuracy=after_own)
    return FinetuneReport(
        images=len(own),
        holdout=len(holdout),
        mnist_mixed_in=mixed_in,
        holdout_accuracy_before=before_own,
        holdout_accuracy_after=after_own,
        mnist_test_accuracy_before=before_mnist,
        mnist_test_accuracy_after=after_mnist,
        status=result.status,
        checkpoint=result.checkpoint,
        model=result.model,
    )
