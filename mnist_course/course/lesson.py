"""What every notebook does first: pick full or smoke mode, the data and the device.

Learners get the full course (real MNIST, the reports' epochs). CI sets ``MNIST_COURSE_SMOKE=1``
and gets a quick version of every lesson: fewer epochs and a stratified slice of the data, real
MNIST when it is on disk and scikit-learn's digits otherwise (never a download).

A notebook's parameters cell says ``lesson = Lesson.start()``; later cells ask it for settings
that differ between the two modes, e.g. ``lesson.epochs(15)``: 15 for learners, 1 in smoke mode.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TypeVar

import torch

from ..core.errors import DataError
from ..core.runtime import pick_device
from ..data import VALIDATION, DataSplits, load_data, stratified_sample, stratified_split
from ..data.dataset import DigitDataset

T = TypeVar("T")
SMOKE_ENV_VAR = "MNIST_COURSE_SMOKE"
SMOKE_TRAIN, SMOKE_TEST = 3000, 1000


def enable_colab_widgets() -> bool:
    """On Colab, switch on its custom widget manager; elsewhere do nothing. True if it did.

    Colab renders only its built-in widgets until a notebook asks for the manager that loads
    third-party ones (the pad's ipycanvas) and keeps ipywidgets (the gallery, progress bars) live.
    """
    if "google.colab" not in sys.modules:
        return False
    from google.colab import output

    output.enable_custom_widget_manager()
    return True


def smoke_requested() -> bool:
    """True when ``MNIST_COURSE_SMOKE`` is set to 1/true/yes."""
    return os.environ.get(SMOKE_ENV_VAR, "").strip().lower() in ("1", "true", "yes")


@dataclass
class Lesson:
    """The settings a notebook runs with, decided once in its parameters cell."""

    smoke: bool
    data: DataSplits
    source: str
    device: torch.device

    @classmethod
    def start(
        cls, smoke: bool | None = None, source: str = "mnist", offline_fallback: bool = False
    ) -> Lesson:
        """Load the lesson's data; in smoke mode, a small slice of it and never a download.

        On Colab it first enables Colab's custom widget manager, so every widget shows.

        When the data cannot be had (smoke mode without local files, or ``offline_fallback`` and
        no network), the lesson says so and continues on scikit-learn's digits.
        """
        smoke = smoke_requested() if smoke is None else smoke
        enable_colab_widgets()
        try:
            data = load_data(source, download=not smoke)
        except DataError as problem:
            if not (smoke or offline_fallback):
                raise
            print(f"could not get {source} ({problem})")
            print("continuing with scikit-learn's digits (offline) so the lesson still runs")
            source, data = "digits", load_data("digits")
        if smoke:
            data = DataSplits(
                stratified_sample(data.train, SMOKE_TRAIN), stratified_sample(data.test, SMOKE_TEST)
            )
        lesson = cls(smoke, data, source, pick_device("auto"))
        print(lesson.describe())
        return lesson

    def describe(self) -> str:
        mode = "SMOKE mode (quick check, small data, few epochs)" if self.smoke else "full course"
        return (
            f"{mode}: {self.source}, {len(self.data.train):,} training and "
            f"{len(self.data.test):,} test images, device {self.device}"
        )

    def epochs(self, full: int, smoke: int = 1) -> int:
        """``full`` epochs for learners, ``smoke`` in a quick run."""
        return smoke if self.smoke else full

    def pick(self, full: T, smoke: T) -> T:
        """``full`` for learners, ``smoke`` in a quick run (e.g. fewer settings in a study)."""
        return smoke if self.smoke else full

    def train_validation(
        self, validation: float = VALIDATION, seed: int = 0
    ) -> tuple[DigitDataset, DigitDataset]:
        """The training split less a stratified validation split, the same in every lesson."""
        return stratified_split(self.data.train, validation=validation, seed=seed)
