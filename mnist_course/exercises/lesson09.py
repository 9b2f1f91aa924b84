"""Lesson 09's checked exercises: draw a digit."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..models.classifier import in_mode
from .answers import as_array, describe, run_code, small_digits
from .framework import Off, exercise


@exercise(
    "09.1",
    "a torchvision transform that turns a 28x28 PIL image into the model's input: a float "
    "tensor [1, 28, 28], normalised with 0.1307 and 0.3081",
    hint="transforms.Compose([...]) applies its steps in order: transforms.ToTensor() (PIL to a "
    "float tensor [1, 28, 28] in [0, 1]), then transforms.Normalize((mean,), (std,)).",
    solution="""
        from torchvision import transforms

        answer = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]
        )
    """,
)
def _transform(answer: Any, context: dict[str, Any]) -> str:
    from PIL import Image

    pixels = small_digits().images[0]
    image = Image.fromarray(pixels.numpy())
    expected = ((pixels.float() / 255 - 0.1307) / 0.3081).unsqueeze(0)
    output = run_code(
        answer, image, type_advice=" (ToTensor comes first: Normalize needs a tensor)"
    )
    if not isinstance(output, torch.Tensor):
        raise Off(f"expected a tensor; got {describe(output)}: ToTensor makes one.")
    if list(output.shape) != [1, 28, 28]:
        raise Off(f"expected shape [1, 28, 28] (one channel); got {list(output.shape)}.")
    if output.dtype != torch.float32:
        raise Off(f"expected float32 values; got {output.dtype}.")
    if torch.allclose(output, expected.mul(0.3081).add(0.1307), atol=1e-4):
        raise Off("the values are still in [0, 1]: add Normalize((0.1307,), (0.3081,)).")
    if not torch.allclose(output, expected, atol=1e-4):
        low, high = output.min().item(), output.max().item()
        raise Off(
            f"values from {low:.3f} to {high:.3f}; expected {expected.min():.3f} to "
            f"{expected.max():.3f}: normalise with mean 0.1307 and std 0.3081."
        )
    return f"[1, 28, 28] float32 from {expected.min():.4f} (background) to {expected.max():.4f}."


@exercise(
    "09.2",
    "the model's probabilities for one image, one per class (a tensor or array)",
    hint="The model takes pixels as stored (it normalises them itself) and a batch: "
    "model(image.unsqueeze(0)). It returns log-probabilities: .exp() makes them probabilities. "
    "Use model.eval() and torch.no_grad().",
    solution="""
        import torch

        model.eval()
        with torch.no_grad():
            answer = model(image.unsqueeze(0)).exp()[0]
    """,
    needs=("model", "image"),
)
def _probabilities(answer: Any, context: dict[str, Any]) -> str:
    model, image = context["model"], context["image"]
    device = next(model.parameters()).device
    with in_mode(model), torch.no_grad():
        expected = model(image.unsqueeze(0).to(device)).exp()[0].float().cpu().numpy()
    values = as_array(answer, f"{len(expected)} probabilities").reshape(-1)
    if values.shape != expected.shape:
        raise Off(f"expected {len(expected)} probabilities, one per class; got {values.size}.")
    if np.all(values <= 0) and abs(np.log(np.exp(values).sum())) < 1e-3:
        raise Off("these are log-probabilities (the model ends in LogSoftmax): take .exp().")
    if abs(values.sum() - 1) > 1e-3:
        raise Off(f"probabilities add up to 1; yours add up to {values.sum():.4f}.")
    if not np.allclose(values, expected, atol=1e-4):
        raise Off(
            "these are not the model's probabilities for this image: pass the pixels as "
            "they are (the model normalises them) and use model.eval()."
        )
    best = int(expected.argmax())
    classes = getattr(model, "classes", None) or [str(c) for c in range(len(expected))]
    return f"the model reads a {classes[best]} ({expected[best]:.1%})."
