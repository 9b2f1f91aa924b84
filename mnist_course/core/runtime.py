"""Device choice and seeding, the two things every experiment sets first; and how a notebook runs.

``saved_copy()`` says whether the notebook runs to be saved and read later without a kernel
(``MNIST_COURSE_SAVED_COPY=1``; see ``mnist_course.widgets.display``): progress bars then print
plain text and widgets show a still.
"""

from __future__ import annotations

import itertools
import os
import random
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from .errors import CourseError


def pick_device(preference: str = "auto") -> torch.device:
    """Return the best available device (cuda, then mps, then cpu), or the one asked for.

    Asking for a device that is not there is an error rather than a silent CPU fallback, so a
    learner who expects a GPU finds out at once.
    """
    preference = preference.lower()
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
    }
    if preference not in available:
        raise CourseError(f"unknown device {preference!r}: expected auto, cpu, cuda or mps")
    if not available[preference]:
        raise CourseError(f"device {preference!r} is not available on this machine; use 'auto'")
    return torch.device(preference)


def model_device(model: nn.Module) -> torch.device:
    """The device ``model`` sits on: its first parameter's (or buffer's), the CPU for neither."""
    first = next(itertools.chain(model.parameters(), model.buffers()), None)
    return first.device if first is not None else torch.device("cpu")


class MixedPrecision(NamedTuple):
    """How to train on a device: autocast to ``dtype`` (``None``: plain fp32), and whether the
    loss needs a ``torch.amp.GradScaler`` (fp16's narrow range underflows small gradients)."""

    dtype: torch.dtype | None
    grad_scaler: bool


def mixed_precision(device: torch.device | str) -> MixedPrecision:
    """The precision to train in on ``device``, decided by what its hardware does natively.

    bf16 needs compute capability 8.0 (Ampere) or newer for its tensor cores and cuDNN
    convolutions. Below that, on Colab's T4 (7.5) say, ``torch.cuda.is_bf16_supported()`` still
    answers True because bf16 is emulated, and slowly; fp16 with a loss scaler is the fast choice
    there. CPU and MPS train in fp32, so a GPU never changes what a CPU run computes.

    >>> mixed_precision("cpu")
    MixedPrecision(dtype=None, grad_scaler=False)
    """
    device = torch.device(device)
    if device.type != "cuda":
        return MixedPrecision(None, False)
    major, _minor = torch.cuda.get_device_capability(device)
    if major >= 8:
        return MixedPrecision(torch.bfloat16, False)
    return MixedPrecision(torch.float16, True)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch, and return a CPU generator seeded the same way.

    The returned generator is what shuffling code should draw from, so that one run's order does
    not depend on how many random numbers some other cell consumed first.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


SAVED_COPY = "MNIST_COURSE_SAVED_COPY"


def saved_copy() -> bool:
    """True when the notebook runs to be saved and read without a kernel."""
    return os.environ.get(SAVED_COPY, "") == "1"
