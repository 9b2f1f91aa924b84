"""Device choice and seeding: the two things every experiment sets first."""

from __future__ import annotations

import random

import numpy as np
import torch

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
