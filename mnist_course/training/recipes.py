"""Named, reproducible training recipes: what each report did, written down as data.

A recipe is everything that decides a training run (architecture, optimizer, learning rate, batch
size, epochs, scheduler, normalisation, augmentation, how much of the data it trains on, seed)
next to the accuracy its report got with it, so the course can reproduce each report system and
show its figure beside the report's. ``report`` says whose recipe it is: ``"R0"`` ... ``"R4"``
(see ``shared/reports.md``) or ``"course"`` for the course's own. Where a report is silent, the
course picks a value and the recipe's ``notes`` name it as the course's choice.

>>> recipe = get_recipe("cnn5-adam")
>>> quick = recipe.replace(epochs=1)       # same recipe, shorter run
>>> quick.epochs, recipe.epochs, quick.optimizer
(1, 15, 'adam')
>>> float(recipe_table().loc["cnn5-adam", "report_accuracy"])  # each recipe, its report
0.992
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import pandas as pd

from ..core.errors import CourseError
from ..data.dataset import DigitDataset
from ..data.split import VALIDATION, stratified_split
from ..images.augment import AUGMENTATIONS

OPTIMIZERS = ("sgd", "adam", "adadelta")
SCHEDULERS = (None, "step", "plateau", "onecycle")
NORMALIZATIONS = ("computed", "symmetric", "none")
REPORTS = ("R0", "R1", "R2", "R3", "R4", "course")


@dataclass(frozen=True)
class Recipe:
    """How to train one model. Change a field with ``recipe.replace(epochs=3)``."""

    name: str
    arch: str
    optimizer: str = "sgd"
    lr: float = 0.01
    batch_size: int = 64
    epochs: int = 10
    momentum: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    scheduler: str | None = None
    scheduler_args: dict[str, Any] = field(default_factory=dict)
    shuffle: bool = True
    drop_last: bool = False
    normalization: str = "computed"
    channels_last: bool = False
    augment: str | None = None
    seed: int = 0
    train_fraction: float = 1.0
    """Share of the training pool trained on; below 1 the rest is the validation set (R0: 0.2)."""
    report: str = "course"
    report_accuracy: float | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise CourseError(
                f"unknown optimizer {self.optimizer!r}: expected {', '.join(OPTIMIZERS)}"
            )
        if self.scheduler not in SCHEDULERS:
            raise CourseError(
                f"unknown scheduler {self.scheduler!r}: expected step, plateau or onecycle"
            )
        if self.augment is not None and self.augment not in AUGMENTATIONS:
            raise CourseError(
                f"unknown augmentation {self.augment!r}: expected {', '.join(AUGMENTATIONS)}"
            )
        if self.normalization not in NORMALIZATIONS:
            raise CourseError(f"unknown normalization {self.normalization!r}")
        if self.report not in REPORTS:
            raise CourseError(f"unknown report {self.report!r}: expected {', '.join(REPORTS)}")
        if not 0 < self.train_fraction <= 1:
            raise CourseError(
                f"recipe {self.name!r}: train_fraction must be in (0, 1], got {self.train_fraction}"
            )
        if not (math.isfinite(self.lr) and self.lr > 0) or self.batch_size < 1 or self.epochs < 0:
            raise CourseError(
                f"recipe {self.name!r}: lr must be a number > 0, batch size >= 1 and epochs >= 0 "
                f"(got lr={self.lr}, batch_size={self.batch_size}, epochs={self.epochs})"
            )

    def replace(self, **changes: Any) -> Recipe:
        """A copy with some fields changed (the original is left as it is)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Recipe:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})


# The report systems of shared/reports.md, each with the report's own settings and figure, then the
# course's recipes. "course's choice" in a note marks a value the report does not state.
RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        Recipe("cnn3conv-sgdm", "cnn3conv", "sgd", lr=0.01, momentum=0.9, batch_size=64,
               epochs=60, drop_last=True, normalization="none", train_fraction=0.2,
               report="R0", report_accuracy=0.9935,
               notes="R0: three 3x3 convs, SGD momentum 0.9, no Normalize (ToTensor only), "
                     "trained on 20 % and tested on the other 80 % (here: 12,000 of the 60,000 "
                     "training images, validated on the other 48,000); 60 epochs gave 99.35 %, "
                     "10 gave 99.08 %. Course's choice: widths 32-64-128, padding 1, dense 128"),
        Recipe("bncnn-sgdm", "bncnn", "sgd", lr=0.01, momentum=0.9, batch_size=32, epochs=60,
               scheduler="plateau", normalization="symmetric", augment="affine",
               report="R1", report_accuracy=0.984,
               notes="R1: BatchNorm CNN, SGD with momentum, lr 0.01 lowered on a validation-loss "
                     "plateau, [-1, 1] pixels, augmentation, batch 32, 60 epochs. Course's "
                     "choice: momentum 0.9, ReduceLROnPlateau's defaults (factor 0.1, patience "
                     "10), random affine augmentation (rotate/shift/zoom/shear)"),
        Recipe("mlp-sgd", "mlp", "sgd", lr=0.03, batch_size=64, epochs=15, report="R2",
               report_accuracy=0.974,
               notes="R2 architecture 1: MLP 784-128-64-10, SGD lr 0.03, Normalize(0.1307, "
                     "0.3081) (the computed statistics)"),
        Recipe("cnn3-sgd", "cnn3", "sgd", lr=0.01, batch_size=64, epochs=25, report="R2",
               report_accuracy=0.987,
               notes="R2 architecture 2: two 3x3 convs, dropout 0.2, plain SGD lr 0.01. Course's "
                     "choice: widths 32-64, dense 128"),
        Recipe("cnn5-adam", "cnn5", "adam", lr=1e-4, batch_size=100, epochs=15, report="R2",
               report_accuracy=0.992,
               notes="R2 architecture 3: two 5x5 convs, dropout 0.5, Adam lr 1e-4. Course's "
                     "choice: widths 32-64, 'same' padding, dense 1024"),
        Recipe("mlp_ln_softmax-sgd", "mlp_ln_softmax", "sgd", lr=0.1, batch_size=16,
               epochs=20, train_fraction=0.8, report="R3", report_accuracy=0.9733,
               notes="R3: MLP with LayerNorm, dropout, He init, its forward ending in Softmax fed "
                     "to cross-entropy (softmax twice); SGD, the grid's best lr 0.1 and batch 16, "
                     "20 epochs, a 20 % validation hold-out (12,000 images). The figure is R3's "
                     "validation accuracy. Course's choice: plain SGD (no momentum), hidden "
                     "256-128, dropout 0.2, normalisation by the computed statistics"),
        Recipe("net1-b32", "net1", "sgd", lr=0.01, momentum=0.5, batch_size=32, epochs=20,
               report="R4", report_accuracy=0.9761,
               notes="R4 Net1: linear layers with ReLU, batch 32, 20 epochs (9,761/10,000). "
                     "Course's choice: 784-512-256-10, SGD lr 0.01 momentum 0.5 (as for Net2), "
                     "computed normalisation"),
        Recipe("net2-b32", "net2", "sgd", lr=0.01, momentum=0.5, batch_size=32, epochs=25,
               report="R4", report_accuracy=0.9859,
               notes="R4 Net2: the classic PyTorch MNIST example net, with that example's SGD "
                     "lr 0.01 momentum 0.5 and Normalize(0.1307, 0.3081); batch 32, 25 epochs "
                     "(9,859/10,000)"),
        Recipe("net3-b16", "net3", "adam", lr=1e-3, batch_size=16, epochs=19, report="R4",
               report_accuracy=0.9930,
               notes="R4 Net3: the published Kaggle net with that notebook's Adam lr 1e-3; "
                     "batch 16, 19 epochs (9,930/10,000; batch 32 x 25 epochs gave 9,923). "
                     "Course's choice: computed normalisation"),
        Recipe("mlp_ln-sgd", "mlp_ln", "sgd", lr=0.1, batch_size=16, epochs=20,
               train_fraction=0.8,
               notes="course: R3's recipe with the double softmax removed (LogSoftmax + NLL)"),
        Recipe("mlp_ln-adam", "mlp_ln", "adam", lr=1e-3, batch_size=64, epochs=15,
               notes="course: R3's MLP (corrected) trained with Adam"),
        Recipe("bncnn-plateau", "bncnn", "adam", lr=1e-3, batch_size=32, epochs=15,
               scheduler="plateau", scheduler_args={"factor": 0.5, "patience": 1},
               notes="course: R1's BatchNorm CNN with Adam (R1's first optimizer), lr halved "
                     "when validation stalls, computed normalisation, no augmentation"),
        Recipe("fast", "fast", "sgd", lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4,
               batch_size=128, epochs=2, drop_last=True, scheduler="onecycle",
               scheduler_args={"pct_start": 0.25}, channels_last=True,
               notes="course: 99 % in seconds on a laptop CPU"),
        Recipe("best", "bncnn", "sgd", lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4,
               batch_size=128, epochs=30, scheduler="onecycle",
               scheduler_args={"pct_start": 0.2}, channels_last=True, augment="affine",
               notes="course: BatchNorm CNN + augmentation + one-cycle, for the best accuracy"),
        Recipe("pad", "padnet", "sgd", lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4,
               batch_size=128, epochs=5, drop_last=True, scheduler="onecycle",
               scheduler_args={"pct_start": 0.25}, channels_last=True, augment="pen+hand",
               notes="course: the drawing pad's model: any pen width, slant and shape (half of "
                     "each batch distorted)"),
    )
}  # fmt: skip


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; the error lists the ones there are."""
    if name not in RECIPES:
        raise CourseError(f"unknown recipe {name!r}: expected one of {', '.join(RECIPES)}")
    return RECIPES[name]


def base_recipe_for(arch: str) -> Recipe:
    """The first recipe that trains ``arch``, as a starting point for ``--arch`` runs.

    A custom run is the course's, not a report's: it trains on the whole pool (no report's
    ``train_fraction``) and carries no report figure.
    """
    for recipe in RECIPES.values():
        if recipe.arch == arch:
            return recipe.replace(
                name=f"{arch}-custom", train_fraction=1.0, report="course", report_accuracy=None
            )
    return Recipe(name=f"{arch}-custom", arch=arch)


def split_for(
    recipe: Recipe, pool: DigitDataset, validation: float = VALIDATION
) -> tuple[DigitDataset, DigitDataset]:
    """``pool`` split into (train, validation) as the recipe trains, stratified and seeded.

    A recipe with ``train_fraction`` below 1 trains on that share and validates on the rest (R0
    trained on 20 % and tested on 80 %; R3 held out 20 %); the others hold out ``validation``.
    """
    held_out = 1 - recipe.train_fraction if recipe.train_fraction < 1 else validation
    return stratified_split(pool, validation=held_out, seed=recipe.seed)


TABLE_COLUMNS = [
    "name", "report", "arch", "parameters", "optimizer", "lr", "momentum", "batch_size", "epochs",
    "scheduler", "normalization", "augment", "drop_last", "train_fraction", "report_accuracy",
    "notes",
]  # fmt: skip


def recipe_rows() -> list[dict[str, Any]]:
    """Every recipe as a plain dict (JSON-ready): settings, trainable parameters, report figure."""
    from ..models import build_model, count_parameters

    sizes = {r.arch: count_parameters(build_model(r.arch)) for r in RECIPES.values()}
    return [
        {c: sizes[r.arch] if c == "parameters" else getattr(r, c) for c in TABLE_COLUMNS}
        for r in RECIPES.values()
    ]


def recipe_table() -> pd.DataFrame:
    """One row per recipe, indexed by name: the settings that matter and the report's figure."""
    return pd.DataFrame(recipe_rows(), columns=TABLE_COLUMNS).set_index("name")
