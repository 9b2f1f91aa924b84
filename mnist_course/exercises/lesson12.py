"""Lesson 12's checked exercises: your own handwriting mixed with MNIST, and the held-out score."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch

from ..data import DigitDataset
from ..models.classifier import Classifier, in_mode
from .answers import as_integer, as_number, describe, run_code
from .framework import Off, exercise


def _pixels_key(image: Any) -> bytes | None:
    """An image's pixels as stored (0-255), as bytes; None when it is not a 28x28 picture."""
    pixels = torch.as_tensor(image).detach().cpu()
    if pixels.numel() != 28 * 28:
        return None
    pixels = pixels.reshape(28, 28)
    if pixels.is_floating_point():
        if pixels.max() <= 1.0 + 1e-6 and pixels.min() >= 0:
            pixels = pixels * 255
        pixels = pixels.round()
    if pixels.min() < 0 or pixels.max() > 255:
        return None
    return pixels.to(torch.uint8).numpy().tobytes()


def _items(answer: Any) -> tuple[int, Any]:
    """The mix's length and a function giving its item ``i`` as ``(image, label)``."""
    if isinstance(answer, (tuple, list)) and len(answer) == 2:
        images, labels = answer
        if isinstance(images, torch.Tensor) and isinstance(labels, torch.Tensor):
            if len(images) != len(labels):
                raise Off(f"{len(images)} images but {len(labels)} labels: one label per image.")
            return len(images), lambda i: (images[i], labels[i])
    if isinstance(answer, (str, bytes, dict, torch.Tensor)) or not (
        hasattr(answer, "__len__") and hasattr(answer, "__getitem__")
    ):
        raise Off(
            "expected a Dataset (ConcatDataset of as_torch_dataset() views) or a pair "
            f"(images, labels) of tensors; got {describe(answer)}."
        )
    return len(answer), answer.__getitem__


def _length_advice(length: int, everyone: int, mine: int, repeats: int) -> str:
    expected = everyone + repeats * mine
    known = {
        everyone + mine: "your pictures are in it once: repeat them `repeats` times",
        everyone: "only the MNIST images: add your pictures",
        repeats * mine: "only your pictures: add the MNIST images",
        repeats * (everyone + mine): "MNIST is repeated too: repeat only your pictures",
    }
    advice = known.get(length, "check what goes in, and how many times")
    return (
        f"expected {everyone} MNIST images + {repeats} x {mine} of yours = {expected} items; "
        f"got {length}: {advice}."
    )


Pictures = dict[bytes, tuple[str, set[int], int]]
"""Every picture that belongs in the mix, by its pixels: where from, its labels, how often."""


def _pictures(everyone: DigitDataset, mine: DigitDataset, repeats: int) -> Pictures:
    pictures: Pictures = {}
    for where, data, times in (("the MNIST images", everyone, 1), ("yours", mine, repeats)):
        for image, label in zip(data.images, data.require_labels(), strict=True):
            key = image.numpy().tobytes()  # the same pixels twice (a duplicate) count twice
            _, labels, count = pictures.get(key, (where, set(), 0))
            pictures[key] = (where, labels | {int(label)}, count + times)
    return pictures


def _count_pictures(length: int, item: Any, pictures: Pictures) -> dict[bytes, int]:
    """How often each known picture is in the mix; refuses strangers and wrong labels."""
    seen: dict[bytes, int] = {}
    for index in range(length):
        entry = item(index)
        if not isinstance(entry, (tuple, list)) or len(entry) != 2:
            raise Off(f"item {index} is {describe(entry)}; expected a pair (image, label).")
        key = _pixels_key(entry[0])
        if key is None or key not in pictures:
            raise Off(
                f"item {index} is neither one of your pictures nor one of the MNIST sample's, "
                "as stored: use as_torch_dataset() without a normalisation (the model "
                "normalises its input itself)."
            )
        label = as_integer(entry[1], "a label")
        where, labels, _ = pictures[key]
        if label not in labels:
            raise Off(f"item {index}, one of {where}, has label {label}; it is a {min(labels)}.")
        seen[key] = seen.get(key, 0) + 1
    return seen


@exercise(
    "12.1",
    "the training mix as a torch Dataset: the MNIST sample `everyone` once and your training "
    "pictures `mine` repeated `repeats` times",
    hint="DigitDataset.as_torch_dataset() gives a Dataset of (image, label) pairs. "
    "torch.utils.data.ConcatDataset([a, b, c]) chains Datasets one after the other, and "
    "[b] * 3 is a list holding b three times.",
    solution="""
        from torch.utils.data import ConcatDataset

        answer = ConcatDataset([everyone.as_torch_dataset()] + [mine.as_torch_dataset()] * repeats)
    """,
    needs=("mine", "everyone", "repeats"),
)
def _mix(answer: Any, context: dict[str, Any]) -> str:
    mine, everyone = context["mine"], context["everyone"]
    repeats = int(context["repeats"])
    length, item = _items(answer)
    if length != len(everyone) + repeats * len(mine):
        raise Off(_length_advice(length, len(everyone), len(mine), repeats))
    pictures = _pictures(everyone, mine, repeats)
    seen = _count_pictures(length, item, pictures)
    for key, (where, _, times) in pictures.items():
        if seen.get(key, 0) != times:
            raise Off(
                f"one of {where} is in the mix {seen.get(key, 0)} times; expected {times}: "
                "the MNIST images once, yours `repeats` times each."
            )
    share = repeats * len(mine) / length
    return (
        f"{length} items: {len(everyone)} MNIST images and {repeats} x {len(mine)} of yours, "
        f"{share:.0%} of the mix."
    )


def _accuracy(model: Classifier, pictures: DigitDataset) -> float:
    with in_mode(model), torch.no_grad():
        guesses = model(pictures.images.to(model.device)).argmax(dim=1).cpu()
    return (guesses == pictures.require_labels()).float().mean().item()


def _trials(context: dict[str, Any]) -> Sequence[tuple[str, Classifier, DigitDataset]]:
    held_out: DigitDataset = context["held_out"]
    half = held_out.head(max(1, len(held_out) // 2))
    return [
        ("the original model", context["model"], held_out),
        ("the fine-tuned model", context["tuned"], held_out),
        (f"the original model on the first {len(half)} held-out pictures", context["model"], half),
    ]


@exercise(
    "12.2",
    "a function accuracy(model, pictures) that returns the share of `pictures` (a "
    "DigitDataset) that `model` reads right, a fraction from 0 to 1",
    hint="Put the model in eval mode first (its BatchNorm layers must use their running "
    "averages), switch gradients off, pass all the images at once "
    "(pictures.images.to(model.device)), take argmax(dim=1) of what it returns and compare "
    "with pictures.labels: the mean of the matches (as floats) is the accuracy.",
    solution="""
        import torch

        def answer(model, pictures):
            model.eval()
            with torch.no_grad():
                read = model(pictures.images.to(model.device)).argmax(dim=1).cpu()
            return (read == pictures.labels).float().mean().item()
    """,
    needs=("model", "tuned", "held_out"),
)
def _holdout_accuracy(answer: Any, context: dict[str, Any]) -> str:
    if not callable(answer):
        raise Off(f"expected a function accuracy(model, pictures); got {describe(answer)}.")
    for what, model, pictures in _trials(context):
        expected = _accuracy(model, pictures)
        trial = copy.deepcopy(model).train()  # the lesson's model stays as it is
        result = run_code(answer, trial, pictures, type_advice=" (it takes model, pictures)")
        got = as_number(result, "an accuracy")
        if abs(got - expected) < 1e-6:
            continue
        if abs(got - 100 * expected) < 1e-4:
            raise Off("that is a percentage: expected a fraction from 0 to 1.")
        if abs(got - expected * len(pictures)) < 1e-4 and len(pictures) > 1:
            raise Off("that is the count of right answers: divide by the number of pictures.")
        if abs(got - _accuracy_in_training_mode(model, pictures)) < 1e-6:
            raise Off(
                "that is what the model reads in training mode (BatchNorm then uses the "
                "batch's own statistics): call model.eval() first."
            )
        raise Off(f"for {what}: expected {expected:.4f}, got {got:.4f}.")
    before, after = (_accuracy(context[name], context["held_out"]) for name in ("model", "tuned"))
    return f"held-out accuracy {before:.2%} before fine-tuning, {after:.2%} after."


def _accuracy_in_training_mode(model: Classifier, pictures: DigitDataset) -> float:
    trial = copy.deepcopy(model).train()
    with torch.no_grad():
        guesses = trial(pictures.images.to(trial.device)).argmax(dim=1).cpu()
    return (guesses == pictures.require_labels()).float().mean().item()
