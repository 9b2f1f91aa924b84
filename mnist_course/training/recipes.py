"""Named, reproducible training recipes: what each report did, written down as data.

A recipe is everything that decides a training run (architecture, optimizer, learning rate, batch
size, epochs, scheduler, seed) next to the accuracy the report got with it, so the course can
reproduce the reports and show its figure beside theirs.

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

from ..augment import AUGMENTATIONS
from ..errors import CourseError

OPTIMIZERS = ("sgd", "adam", "adadelta")
SCHEDULERS = (None, "step", "plateau", "onecycle")
NORMALIZATIONS = ("computed", "symmetric", "none")


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


RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        Recipe("mlp-sgd", "mlp", "sgd", lr=0.03, batch_size=64, epochs=15, report_accuracy=0.974,
               notes="report 1: the first network"),
        Recipe("cnn3-sgd", "cnn3", "sgd", lr=0.01, batch_size=64, epochs=25, report_accuracy=0.987,
               notes="report 2: 3x3 CNN, plain SGD"),
        Recipe("cnn5-adam", "cnn5", "adam", lr=1e-4, batch_size=100, epochs=15,
               report_accuracy=0.992, notes="report 3: 5x5 CNN, Adam"),
        Recipe("cnn3conv-sgdm", "cnn3conv", "sgd", lr=0.01, momentum=0.9, batch_size=64,
               epochs=15, drop_last=True, report_accuracy=0.9935,
               notes="variant: three conv layers, SGD with momentum (report gives no epochs)"),
        Recipe("bncnn-plateau", "bncnn", "adam", lr=1e-3, batch_size=32, epochs=15,
               scheduler="plateau", scheduler_args={"factor": 0.5, "patience": 1},
               notes="variant: BatchNorm CNN, learning rate halved when validation stalls"),
        Recipe("mlp_ln-adam", "mlp_ln", "adam", lr=1e-3, batch_size=64, epochs=15,
               notes="variant: MLP with LayerNorm, dropout and He initialisation"),
        Recipe("net3-b16", "net3", "adam", lr=1e-3, batch_size=16, epochs=19,
               scheduler="plateau", scheduler_args={"factor": 0.5, "patience": 1},
               report_accuracy=0.9930,
               notes="variant: three 5x5 conv layers, batch 16 (constant lr gave 98.98 %)"),
        Recipe("fast", "fast", "sgd", lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4,
               batch_size=128, epochs=2, drop_last=True, scheduler="onecycle",
               scheduler_args={"pct_start": 0.25}, channels_last=True,
               notes="course: 99 % in seconds on a laptop CPU"),
        Recipe("best", "bncnn", "sgd", lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4,
               batch_size=128, epochs=30, scheduler="onecycle",
               scheduler_args={"pct_start": 0.2}, channels_last=True, augment="affine",
               notes="course: BatchNorm CNN + augmentation + one-cycle, for the best accuracy"),
        Recipe("pad", "fast", "sgd", lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4,
               batch_size=128, epochs=6, drop_last=True, scheduler="onecycle",
               scheduler_args={"pct_start": 0.25}, channels_last=True, augment="pen+hand",
               notes="course: the drawing pad's model: any pen width, slant and shape"),
    )
}  # fmt: skip


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; the error lists the ones there are."""
    if name not in RECIPES:
        raise CourseError(f"unknown recipe {name!r}: expected one of {', '.join(RECIPES)}")
    return RECIPES[name]


def base_recipe_for(arch: str) -> Recipe:
    """The first recipe that trains ``arch``, as a starting point for ``--arch`` runs."""
    for recipe in RECIPES.values():
        if recipe.arch == arch:
            return recipe.replace(name=f"{arch}-custom")
    return Recipe(name=f"{arch}-custom", arch=arch)


def recipe_table() -> pd.DataFrame:
    """One row per recipe: the settings that matter and the report's accuracy beside them."""
    columns = ["arch", "optimizer", "lr", "momentum", "batch_size", "epochs", "scheduler"]
    rows = [
        {"recipe": r.name, **{c: getattr(r, c) for c in columns},
         "report_accuracy": r.report_accuracy, "notes": r.notes}
        for r in RECIPES.values()
    ]  # fmt: skip
    return pd.DataFrame(rows).set_index("recipe")
