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


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """The reduced precision to train in on ``device``, or None for plain float32.

    bf16 only on CUDA GPUs of compute capability 8.0 (Ampere) and above, which have bf16 units;
    older GPUs such as Colab's T4 (7.5) report bf16 as "supported" but only emulate it, so they
    get fp16 (with a loss scaler). CPUs and Apple's MPS train in float32.
    """
    if device.type != "cuda":
        return None
    major, _ = torch.cuda.get_device_capability(device)
    return torch.bfloat16 if major >= 8 else torch.float16


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
