"""What an answer is: numbers, arrays, functions, models. Each helper raises ``Off`` when it is not.

The judges of every lesson share them, so a malformed answer gets the same feedback everywhere.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ..data.dataset import DigitDataset
from ..models.classifier import in_mode
from .framework import Off

__all__ = [
    "as_array",
    "as_integer",
    "as_module",
    "as_number",
    "describe",
    "run_code",
    "same_network",
    "small_digits",
]


def describe(value: Any) -> str:
    """What the learner gave, in a few words: its type and its shape or its start."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return f"a {type(value).__name__} of shape {list(value.shape)} ({value.dtype})"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def as_number(value: Any, what: str) -> float:
    """One finite number from a Python, NumPy or one-element PyTorch value."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, (np.ndarray, np.generic)) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Off(f"expected {what}, one number; got {describe(value)}.")
    if not math.isfinite(value):
        raise Off(f"expected {what}; got {value}.")
    return float(value)


def as_integer(value: Any, what: str) -> int:
    """One whole number (``3.0`` counts, ``3.5`` does not)."""
    number = as_number(value, what)
    if number != int(number):
        raise Off(f"expected {what}, a whole number; got {number:g}.")
    return int(number)


def as_array(value: Any, what: str) -> np.ndarray:
    """Floats from a tensor, a NumPy array, a pandas Series or a list of numbers."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    elif isinstance(value, pd.Series):
        value = value.to_numpy()
    if isinstance(value, (str, bytes)) or not isinstance(value, (np.ndarray, list, tuple)):
        raise Off(f"expected {what}; got {describe(value)}.")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise Off(f"expected {what}, numbers only; got {describe(value)}.") from error


def run_code(function: Callable[..., Any], *args: Any, type_advice: str = "") -> Any:
    """Call the learner's code; what it raises becomes feedback (a TypeError with advice)."""
    if not callable(function):
        raise Off(f"expected a function (something to call); got {describe(function)}.")
    try:
        return function(*args)
    except Exception as error:
        advice = type_advice if isinstance(error, TypeError) else ""
        raise Off(f"your code raised {type(error).__name__}: {error}{advice}") from error


def as_module(value: Any, what: str) -> nn.Module:
    """An ``nn.Module`` instance (a module class is instantiated with no arguments)."""
    if isinstance(value, type) and issubclass(value, nn.Module):
        value = run_code(value)
    if not isinstance(value, nn.Module):
        raise Off(f"expected {what}, an nn.Module; got {describe(value)}.")
    return value


def _layer_text(layer: nn.Module) -> str:
    if isinstance(layer, nn.Conv2d):
        height, width = layer.kernel_size
        return f"conv {layer.in_channels}->{layer.out_channels} {height}x{width}"
    return f"dense {layer.in_features}->{layer.out_features}"


def _weighted_layers(model: nn.Module) -> list[nn.Module]:
    return [layer for layer in model.modules() if isinstance(layer, (nn.Conv2d, nn.Linear))]


def same_network(answer: nn.Module, reference: nn.Module, inputs: torch.Tensor) -> None:
    """Same layers (in order) and, given the answer's weights, the same log-probabilities."""
    mine, theirs = _weighted_layers(answer), _weighted_layers(reference)
    layout = [(_layer_text(layer), layer.bias is not None) for layer in mine]
    if layout != [(_layer_text(layer), layer.bias is not None) for layer in theirs]:
        expected = ", ".join(_layer_text(layer) for layer in theirs)
        got = ", ".join(_layer_text(layer) for layer in mine) or "none"
        raise Off(f"expected the layers {expected} (each with a bias); yours are {got}.")
    reference = copy.deepcopy(reference)
    for source, target in zip(mine, _weighted_layers(reference), strict=True):
        target.load_state_dict(source.state_dict())
    with in_mode(answer), in_mode(reference), torch.no_grad():
        outputs = run_code(answer, inputs)
        expected = reference(inputs)
    if not isinstance(outputs, torch.Tensor) or outputs.shape != expected.shape:
        raise Off(
            f"for {len(inputs)} images expected outputs of shape {list(expected.shape)}; "
            f"got {describe(outputs)}."
        )
    if not torch.allclose(outputs.float().logsumexp(dim=1), torch.zeros(len(inputs)), atol=1e-4):
        raise Off("the outputs are not log-probabilities: end with a log-softmax over dim 1.")
    if not torch.allclose(outputs.float(), expected, atol=1e-4):
        raise Off(
            "the layers are right but, with the same weights, the outputs differ: check "
            "the forward pass (activations, pooling, flattening, their order)."
        )


@functools.lru_cache(maxsize=1)
def small_digits(count: int = 300) -> DigitDataset:
    """``count`` of scikit-learn's 8x8 digits, scaled to 20x20 in a 28x28 field: checks in ms."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    pixels = torch.from_numpy(bunch.images[:count]).float().div(16).unsqueeze(1)
    large = F.interpolate(pixels, size=(20, 20), mode="bilinear", align_corners=False)
    images = F.pad(large, (4, 4, 4, 4))[:, 0].mul(255).round().clamp(0, 255).to(torch.uint8)
    labels = torch.from_numpy(bunch.target[:count]).long()
    return DigitDataset(images, labels, source=f"{count} scikit-learn digits")
