"""Your own handwriting as training data: R4's future work, done.

The drawing pad's *Save as training example* stores each drawing in torchvision's ImageFolder
layout, ``mine/<label>/<name>.png`` (``save_own_digit``). ``load_own_digits`` reads such a folder
(every picture goes through the pad's own MNIST-style preprocessing), ``check_ready`` says whether
there is enough of it to fine-tune on (``finetune`` asks it too, so the two never disagree), and
``finetune`` trains a model further on those pictures mixed with MNIST, so that it learns your
style without forgetting everyone else's. A stratified, seeded part of your pictures is kept
aside and never trained on: the accuracy on it, before and after, is the honest measure of what
fine-tuning did for *your* writing. It never chooses anything either: the epoch that is kept is
chosen by a second part of your pictures together with MNIST validation images (``split_own``,
``choose_epoch``), and the rest is trained on.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image
from torchvision.datasets.folder import IMG_EXTENSIONS

from ..core.atomic import atomic_write
from ..core.errors import CourseError, DataError
from ..data import DataSplits, DigitDataset, stratified_sample, stratified_split
from ..images.preprocess import BlankImageError, load_image, to_mnist_style
from ..models.classifier import Classifier
from . import RECIPES, Recipe, evaluate, save_checkpoint, train
from .checkpoint import check_output_path
from .loop import EpochEnd

HOLDOUT = 0.25
"""Share of your own pictures kept aside to measure, never trained on."""
MNIST_MIX = 4000
"""MNIST training images mixed in, so the model keeps reading everyone's digits (0: none)."""
OWN_SHARE = 1 / 3
"""Your pictures' share of the training mix (they are repeated to reach it)."""
MIN_PER_DIGIT = 2
"""Fewest pictures of a digit: one to train on and one to keep aside and measure with."""
MNIST_VALIDATION = 5000
"""MNIST training images (never trained on) that, with some of your pictures, choose the epoch:
enough that the 0.3-point guard (``MNIST_MARGIN``) is not lost in their noise (1,000 images
measure 99.3 % to within about 0.26 points, one standard error; 5,000 to within 0.12). A small
training set gives a sixth of its images instead (``mnist_validation_size``)."""
OWN_VALIDATION = 0.25
"""Share of each digit's pictures, of those not held out, kept to choose the epoch (never trained
on); a digit with a single picture left gives none."""
SCORE_COLUMNS = ["epoch", "own_val_accuracy", "mnist_val_accuracy"]
"""What ``choose_epoch`` reads for every epoch (``FinetuneReport.scores``)."""
METRICS = ("val_accuracy", "train_accuracy", "test_accuracy", "holdout_accuracy")
"""The fine-tuned model's scores its checkpoint keeps."""
MNIST_MARGIN = 0.002
"""An epoch may be chosen only if its MNIST validation accuracy is at most this much (0.2 points)
below the model's before fine-tuning: reading your writing must not cost everyone else's. The
goal is at most 0.3 points lost on MNIST's test set; 0.2 leaves room for the validation images'
noise (``MNIST_VALIDATION``)."""


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
class OwnSplit:
    """Your pictures in three stratified, disjoint parts: ``train`` is trained on, ``choose``
    chooses the epoch (with MNIST's validation images) and ``holdout`` only measures."""

    train: DigitDataset
    choose: DigitDataset
    holdout: DigitDataset


def split_own(own: DigitDataset, seed: int = 0) -> OwnSplit:
    """The hold-out (``HOLDOUT``, at least one of every digit), then ``OWN_VALIDATION`` of each
    digit's other pictures to choose with, leaving every digit at least one to train on."""
    check_ready(own)
    per_class = np.bincount(own.require_labels().numpy(), minlength=own.num_classes)
    holdout_size = max(round(HOLDOUT * len(own)), int((per_class > 0).sum()))
    rest, holdout = stratified_split(own, validation=holdout_size, seed=seed)
    labels, rng = rest.require_labels().numpy(), np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = min(round(OWN_VALIDATION * len(members)), len(members) - 1)
        chosen.extend(rng.choice(members, count, replace=False).tolist())
    choose = np.sort(np.array(chosen, dtype=np.int64))
    train_part = np.setdiff1d(np.arange(len(rest)), choose)
    chooses = rest.subset(choose, note="to choose the epoch")
    return OwnSplit(rest.subset(train_part, note="to train on"), chooses, holdout)


def choose_epoch(scores: list[dict[str, float]], floor: float) -> int:
    """The epoch fine-tuning keeps, from each epoch's ``own_val_accuracy`` (your pictures kept to
    choose with) and ``mnist_val_accuracy``: of the epochs at ``floor`` or more on MNIST, the one
    that reads your pictures best (a tie: the better on MNIST, then the later one, nearer the end
    of the schedule, where the rate has come down); if no epoch reaches ``floor``, the best on
    MNIST. Your held-out pictures are not among the scores."""

    def rank(row: dict[str, float]) -> tuple[bool, float, float, int]:
        keeps = row["mnist_val_accuracy"] >= floor - 1e-6  # 993 of 1,000 is 0.993, in float32
        own = row["own_val_accuracy"] if keeps and not np.isnan(row["own_val_accuracy"]) else 0.0
        return keeps, own, row["mnist_val_accuracy"], int(row["epoch"])

    return int(max(scores, key=rank)["epoch"])


class _EpochChooser:
    """After every epoch: score the pictures that choose, and keep the chosen epoch's weights."""

    def __init__(self, choose: DigitDataset, floor: float) -> None:
        self.choose, self.floor = choose, floor
        self.scores: list[dict[str, float]] = []
        self.weights: dict[str, torch.Tensor] | None = None

    def __call__(self, end: EpochEnd) -> None:
        last = end.history.iloc[-1]
        own = evaluate(end.model, self.choose).accuracy if len(self.choose) else float("nan")
        mnist = float(last["val_accuracy"])
        self.scores.append(dict(zip(SCORE_COLUMNS, (int(last["epoch"]), own, mnist), strict=True)))
        if choose_epoch(self.scores, self.floor) == self.scores[-1]["epoch"]:
            self.weights = copy.deepcopy(end.model.network.state_dict())

    def keep(self, model: Classifier, history: pd.DataFrame) -> int | None:
        """Give ``model`` the chosen epoch's weights and scores; the epoch, ``None`` if no epoch
        ended (the run diverged in its first)."""
        if not self.scores or self.weights is None:
            return None
        epoch = choose_epoch(self.scores, self.floor)
        model.network.load_state_dict(self.weights)
        row = history[history["epoch"] == epoch].iloc[0]
        model.card |= {"epoch": epoch} | {k: float(row[k]) for k in METRICS[:2]}
        return epoch


@dataclass
class FinetuneReport:
    """What fine-tuning did: your held-out pictures and MNIST's test set, before and after.

    ``checkpoint`` is the file the fine-tuned model was written to, ``None`` when none was
    (no path given, or the run diverged before its first epoch ended). ``epoch`` is the epoch
    kept (``choose_epoch``), chosen by ``chose_with`` of your pictures and MNIST validation
    images; ``scores`` has both accuracies for every epoch.
    """

    images: int
    holdout: int
    chose_with: int
    epoch: int | None
    mnist_mixed_in: int
    holdout_accuracy_before: float
    holdout_accuracy_after: float
    mnist_test_accuracy_before: float
    mnist_test_accuracy_after: float
    status: str
    checkpoint: Path | None
    model: Classifier
    scores: pd.DataFrame

    def as_dict(self) -> dict[str, float | int | str | None]:
        row = {k: v for k, v in self.__dict__.items() if k not in ("model", "scores")}
        return row | {"checkpoint": None if self.checkpoint is None else str(self.checkpoint)}


def finetune_recipe(model: Classifier, epochs: int = 4, seed: int = 0) -> Recipe:
    """A short one-cycle schedule up to 0.02, a fifth of the ``pad`` recipe's peak, with the
    augmentation ``model`` was trained with (the ``pad`` recipe's: half of every batch redrawn
    with another pen and hand): the model learns your style, not your few pictures, and ends at
    a small rate. A model trained without augmentation is fine-tuned without it too."""
    trained_with = RECIPES.get(model.name.split("+")[0])
    return Recipe(
        f"{model.name}+own",
        model.arch,
        "sgd",
        lr=0.02,
        momentum=0.9,
        nesterov=True,
        batch_size=64,
        epochs=epochs,
        seed=seed,
        scheduler="onecycle",
        scheduler_args={"pct_start": 0.25},
        augment=trained_with.augment if trained_with is not None else None,
    )


def mnist_validation_size(training_images: int) -> int:
    """How many MNIST training images choose the epoch, of ``training_images``."""
    return min(MNIST_VALIDATION, training_images // 6)


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
    none). The epoch kept is chosen by ``choose_epoch`` on a part of your pictures that is not
    trained on (``split_own``) and ``MNIST_VALIDATION`` other MNIST training images, never on
    your held-out pictures: those only measure.
    """
    if epochs < 1:
        raise CourseError(
            f"fine-tuning needs at least 1 epoch (--epochs 1 or more), got {epochs}: with none "
            "the model would stay as it is and no checkpoint would be written"
        )
    parts = split_own(own, seed)
    target = check_output_path(checkpoint) if checkpoint is not None else None
    before_own = evaluate(model, parts.holdout).accuracy
    before_mnist = evaluate(model, mnist.test).accuracy

    model = copy.deepcopy(model)  # the model given stays as it is
    watch = mnist_validation_size(len(mnist.train))
    pool, validation = stratified_split(mnist.train, validation=watch, seed=seed)
    chooser = _EpochChooser(parts.choose, evaluate(model, validation).accuracy - MNIST_MARGIN)
    mixing = MNIST_MIX if mnist_mix is None else mnist_mix
    mix, mixed_in = _training_mix(model, parts.train, pool, mixing, seed)
    recipe = finetune_recipe(model, epochs, seed)
    result = train(recipe, mix, validation, model=model, progress=progress, callbacks=[chooser])
    tuned = result.model
    epoch = chooser.keep(tuned, result.history)
    after_own = evaluate(tuned, parts.holdout).accuracy
    after_mnist = evaluate(tuned, mnist.test).accuracy
    tuned.card |= {"test_accuracy": after_mnist, "holdout_accuracy": after_own}
    scores = pd.DataFrame(chooser.scores, columns=SCORE_COLUMNS)
    written = None
    if target is not None and epoch is not None:
        written = _write(target, tuned, recipe, result.history, scores, epoch)
    return FinetuneReport(
        images=len(own),
        holdout=len(parts.holdout),
        chose_with=len(parts.choose),
        epoch=epoch,
        mnist_mixed_in=mixed_in,
        holdout_accuracy_before=before_own,
        holdout_accuracy_after=after_own,
        mnist_test_accuracy_before=before_mnist,
        mnist_test_accuracy_after=after_mnist,
        status=result.status,
        checkpoint=written,
        model=tuned,
        scores=scores,
    )


def _write(
    target: Path,
    tuned: Classifier,
    recipe: Recipe,
    history: pd.DataFrame,
    scores: pd.DataFrame,
    epoch: int,
) -> Path:
    """The fine-tuned model's checkpoint: its card's scores, and every epoch's own scores."""
    history = history.merge(scores[["epoch", "own_val_accuracy"]], on="epoch", how="left")
    metrics = {k: v for k, v in tuned.card.items() if k in METRICS}
    return save_checkpoint(
        target, tuned, recipe=recipe, history=history, metrics=metrics, epoch=epoch
    )
