"""Lesson 13's recorder: which data each evaluation ran on and when each choice was made.

``Protocol`` keeps a project's record: the split (``protocol.split``), every evaluation (the
learner's ``evaluate`` calls ``protocol.record(data, accuracy)``, and the protocol tells test,
validation and training images apart by their pixels, so nothing is self-reported) and every
choice (``protocol.chose``). Lesson 13's checks read it.

>>> from mnist_course.data import load_data
>>> data = load_data("digits")
>>> protocol = Protocol(data)
>>> train_part, validation = protocol.split(range(150, 1437), range(150))
>>> protocol.record(validation, 0.9), protocol.chose("epochs", 4)
('validation', 4)
>>> protocol.record(data.test.head(100), 0.8)  # a part of the test set is the test set
'test'
>>> protocol
Protocol
  split: 1,287 training / 150 validation images (10.4% held out)
  validation evaluations: 1
  choices: epochs = 4
  test set (360 images): seen once, first look 80.00%
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..data.dataset import DataSplits, DigitDataset
from .answers import as_number, describe
from .framework import Off

VALIDATION_SHARES = (0.05, 0.30)
MIN_COVERAGE = 0.8
"""The training and validation indices together cover at least this share of the training set."""


def signatures(images: torch.Tensor) -> np.ndarray:
    """One int64 per image, equal for equal pixels: how the protocol recognises images."""
    flat = images.reshape(len(images), -1).cpu().numpy().astype(np.int64)
    weights = np.random.default_rng(13).integers(1, 2**31, size=flat.shape[1], dtype=np.int64)
    return np.asarray(flat @ weights)


def images_of(data: Any) -> torch.Tensor | None:
    """The uint8 images behind a dataset, its torch view, a DataLoader or a tensor; else None."""
    for _ in range(4):
        if isinstance(data, (DigitDataset, torch.Tensor)):
            break
        inner = getattr(data, "dataset", None)  # a DataLoader
        data = inner if inner is not None else getattr(data, "data", None)  # DigitTorchDataset
    images = data.images if isinstance(data, DigitDataset) else data
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() < 3:
        return None
    return images


def indices(value: Any, what: str) -> np.ndarray:
    """Whole numbers from a tensor, an array, a list or a range; ``Off`` says what is wrong."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, (str, bytes, dict)) or not isinstance(
        value, (np.ndarray, list, tuple, range)
    ):
        raise Off(
            f"expected the {what} indices (a tensor, an array, a list); got {describe(value)}."
        )
    try:
        array = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as error:
        raise Off(f"expected the {what} indices, whole numbers; got {describe(value)}.") from error
    if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
        raise Off(f"the {what} indices must be whole numbers (positions in lesson.data.train).")
    return array.astype(np.int64)


def index_pair(answer: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(train_indices, validation_indices)``, or a dict with those two keys."""
    if isinstance(answer, dict) and {"train", "validation"} <= set(answer):
        answer = (answer["train"], answer["validation"])
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Off(f"expected (train_indices, validation_indices), a pair; got {describe(answer)}.")
    return indices(answer[0], "training"), indices(answer[1], "validation")


def split_problem(train: np.ndarray, held: np.ndarray, data: DigitDataset) -> str | None:
    """What is wrong with splitting ``data`` into ``train`` and ``held``; None if nothing."""
    size = len(data)
    for what, part in (("training", train), ("validation", held)):
        outside = part[(part < 0) | (part >= size)]
        if len(outside):
            return (
                f"{what} index {outside[0]} is not a training image: they run from 0 to "
                f"{size - 1}. An index past them would be a test image in a pool of train + test."
            )
        values, counts = np.unique(part, return_counts=True)
        if len(values) < len(part):
            return (
                f"index {values[counts > 1][0]} is in your {what} indices twice: each image once."
            )
    both = np.intersect1d(train, held)
    if len(both):
        return (
            f"{len(both):,} indices are in both parts (index {both[0]}, ...): a validation image "
            "the model trained on tells you little about new images."
        )
    share, (low, high) = len(held) / size, VALIDATION_SHARES
    if not low <= share <= high:
        return (
            f"the validation part is {share:.1%} of the training images; keep {low:.0%} to "
            f"{high:.0%}: fewer give a noisy figure, more leave too little to train on."
        )
    coverage = (len(train) + len(held)) / size
    if coverage < MIN_COVERAGE:
        return f"the two parts cover {coverage:.0%} of the training images: use all of them."
    labels = data.require_labels().numpy()
    missing = sorted(set(labels[train]) - set(labels[held]))
    if missing:
        return f"class {data.classes[missing[0]]!r} has no validation image: stratify the split."
    return None


@dataclass(frozen=True)
class Event:
    """One entry of the record: a split, an evaluation (``on`` which data) or a choice."""

    kind: str
    on: str = ""
    accuracy: float = math.nan
    what: str = ""
    value: Any = None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Protocol:
    """The record of a project's data decisions, for ``check`` to read."""

    def __init__(self, data: DataSplits) -> None:
        if not isinstance(data, DataSplits):
            raise TypeError(f"Protocol(lesson.data) takes the lesson's data; got {describe(data)}")
        self.data = data
        self.events: list[Event] = []
        self.split_sizes: tuple[int, int] | None = None
        self.known = {"test": np.unique(signatures(data.test.images))}

    def split(self, train_indices: Any, held_indices: Any) -> tuple[DigitDataset, DigitDataset]:
        """Record the split of ``data.train``; returns its two parts. A bad split raises."""
        try:
            train, held = index_pair((train_indices, held_indices))
        except Off as off:
            raise ValueError(str(off)) from None
        problem = split_problem(train, held, self.data.train)
        if problem:
            raise ValueError(problem)
        images = self.data.train.images
        self.known["validation"] = np.unique(signatures(images[held]))
        self.known["training"] = np.unique(signatures(images[train]))
        self.split_sizes = (len(train), len(held))
        self.events.append(Event("split", value=self.split_sizes))
        parts = (
            self.data.train.subset(train, "train split"),
            self.data.train.subset(held, "held out"),
        )
        return parts

    def identify(self, data: Any) -> str:
        """Which data these are: "test", "validation", "training" or "other data"."""
        images = images_of(data)
        if images is None or len(images) == 0:
            return "other data"
        found = signatures(images)
        for name, known in self.known.items():
            if np.isin(found, known).mean() > 0.5:
                return name
        return "other data"

    def record(self, data: Any, accuracy: Any) -> str:
        """Record an evaluation of ``data``; returns which data it was (its images tell)."""
        on = self.identify(data)
        try:
            value = as_number(accuracy, "an accuracy")
        except Off:
            value = math.nan
        if not 0 <= value <= 1:
            print(f"protocol: an accuracy is a share in [0, 1]; got {describe(accuracy)}")
            value = math.nan
        self.events.append(Event("evaluation", on=on, accuracy=value))
        return on

    def chose(self, what: str, value: Any) -> Any:
        """Record a choice (``"epochs"``, 4) when it is made; returns ``value``."""
        self.events.append(Event("choice", what=str(what), value=value))
        return value

    def evaluations(self, on: str) -> list[float]:
        """The accuracies recorded on ``on`` ("test", "validation", ...), in order."""
        return [e.accuracy for e in self.events if e.kind == "evaluation" and e.on == on]

    @property
    def test_evaluations(self) -> int:
        return len(self.evaluations("test"))

    @property
    def test_accuracy(self) -> float | None:
        """The first look at the test set: the one figure that counts."""
        looks = self.evaluations("test")
        return looks[0] if looks else None

    @property
    def validation_accuracy(self) -> float | None:
        """The last validation figure before the first look at the test set."""
        before = []
        for event in self.events:
            if event.kind == "evaluation" and event.on == "test":
                break
            if event.kind == "evaluation" and event.on == "validation":
                before.append(event.accuracy)
        return before[-1] if before else None

    def __repr__(self) -> str:
        split = "none yet"
        if self.split_sizes:
            train, held = self.split_sizes
            share = held / (train + held)
            split = f"{train:,} training / {held:,} validation images ({share:.1%} held out)"
        choices = [f"{e.what} = {_short(e.value)}" for e in self.events if e.kind == "choice"]
        looks = self.test_evaluations
        seen = {0: "not seen yet", 1: "seen once"}.get(looks, f"seen {looks} times")
        first = f", first look {self.test_accuracy:.2%}" if self.test_accuracy is not None else ""
        return "\n".join([
            "Protocol",
            f"  split: {split}",
            f"  validation evaluations: {len(self.evaluations('validation'))}",
            f"  choices: {', '.join(choices) or 'none yet'}",
            f"  test set ({len(self.data.test):,} images): {seen}{first}",
        ])  # fmt: skip
