"""Lesson 01's checked exercises: exploring MNIST."""

from __future__ import annotations

from typing import Any

from ..data.normalization import compute_normalization
from .answers import as_integer, as_number
from .framework import Off, exercise


@exercise(
    "01.1",
    "the mean pixel value of the training images, scaled to [0, 1], as a float",
    hint="`train.images` holds uint8 values 0-255: turn them into floats, take the mean of "
    "every pixel of every image, and divide by 255. `.item()` turns a one-number tensor into "
    "a float.",
    solution="""
        answer = train.images.float().mean().item() / 255
    """,
    needs=("train",),
)
def _mean_pixel(answer: Any, context: dict[str, Any]) -> str:
    stats = compute_normalization(context["train"].images)
    value = as_number(answer, "the mean pixel value")
    if abs(value - stats.mean) < 1e-4:
        return (
            f"the mean pixel is {value:.4f}: most pixels are background (0), which is why "
            "it is so low."
        )
    if abs(value - stats.mean * 255) < 0.05:
        raise Off("that is the mean on the 0-255 scale: divide by 255 to get it in [0, 1].")
    if abs(value - stats.std) < 1e-3:
        raise Off("that is the standard deviation; the question asks for the mean.")
    if not 0 <= value <= 1:
        raise Off(f"expected a float in [0, 1]; got {value:g}.")
    raise Off(
        f"expected {stats.mean:.4f}, the mean of every training pixel scaled to [0, 1]; "
        f"got {value:.4f}."
    )


@exercise(
    "01.2",
    "the number of training images of the rarest digit, as an int",
    hint="`train.class_counts()` lists how many images each digit has; you want the smallest "
    "count (not which digit it is).",
    solution="""
        answer = min(train.class_counts())
    """,
    needs=("train",),
)
def _rarest_count(answer: Any, context: dict[str, Any]) -> str:
    counts = context["train"].class_counts()
    value = as_integer(answer, "the number of images of the rarest digit")
    rarest = counts.index(min(counts))
    if value == min(counts):
        return f"digit {rarest} is the rarest, with {value:,} training images."
    if value == rarest:
        raise Off(
            f"{value} is the rarest digit itself; the question asks how many training "
            "images it has."
        )
    if value in counts:
        raise Off(
            f"{value:,} is how many images digit {counts.index(value)} has; another "
            "digit has fewer."
        )
    raise Off(f"no digit has {value:,} training images: expected the smallest of the ten counts.")
