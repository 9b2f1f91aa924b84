"""Lesson 10's checked exercises: going further."""

from __future__ import annotations

from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F

from .answers import as_array, describe, run_code
from .framework import Off, exercise


@exercise(
    "10.1",
    "batch normalisation by hand: a function batch_norm(x) for x [B, C, H, W], each channel "
    "to mean 0 and std 1 (eps 1e-5, no learned scale or shift)",
    hint="Per channel means over the batch and both image dimensions: "
    "x.mean(dim=(0, 2, 3), keepdim=True), the same for the variance with unbiased=False; then "
    "(x - mean) / torch.sqrt(var + 1e-5).",
    solution="""
        import torch

        def batch_norm(x, eps=1e-5):
            mean = x.mean(dim=(0, 2, 3), keepdim=True)
            var = x.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
            return (x - mean) / torch.sqrt(var + eps)

        answer = batch_norm
    """,
)
def _batch_norm(answer: Any, context: dict[str, Any]) -> str:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        x = torch.randn(8, 3, 5, 5) * torch.tensor([1.0, 3.0, 0.5]).view(1, 3, 1, 1)
        x = x + torch.tensor([0.0, 5.0, -2.0]).view(1, 3, 1, 1)
    expected = F.batch_norm(x, None, None, training=True, eps=1e-5)
    output = run_code(answer, x.clone())
    values = torch.as_tensor(as_array(output, "a tensor shaped like x"), dtype=torch.float32)
    if values.shape != x.shape:
        raise Off(f"expected the shape of x, {list(x.shape)}; got {list(values.shape)}.")
    if torch.allclose(values, expected, atol=1e-4):
        return "every channel now has mean 0 and std 1, as nn.BatchNorm2d computes in training."

    def normalised(dims: tuple[int, ...], unbiased: bool = False) -> torch.Tensor:
        mean = x.mean(dim=dims, keepdim=True)
        return (x - mean) / (x.var(dim=dims, unbiased=unbiased, keepdim=True) + 1e-5).sqrt()

    if torch.allclose(values, normalised((0, 1, 2, 3)), atol=1e-4):
        raise Off(
            "that normalises all channels together: BatchNorm takes each channel on its "
            "own, over dims (0, 2, 3)."
        )
    if torch.allclose(values, normalised((1, 2, 3)), atol=1e-4):
        raise Off(
            "that normalises each image (like LayerNorm): BatchNorm takes each channel over "
            "the whole batch, dims (0, 2, 3)."
        )
    if torch.allclose(values, normalised((0, 2, 3), unbiased=True), atol=1e-4):
        raise Off("use the biased variance (unbiased=False), as BatchNorm does in training.")
    means = values.mean(dim=(0, 2, 3)).tolist()
    raise Off(
        "each channel should come out with mean 0 and std 1; yours have means "
        f"{', '.join(f'{m:.3f}' for m in means)}."
    )


@exercise(
    "10.2",
    "which augmentation ('none', 'affine' or 'affine+elastic') did best on the distorted test set",
    hint="`pd.DataFrame(rows).set_index('augmentation')` is the table above; idxmax() of its "
    "'distorted test' column names the best row.",
    solution="""
        import pandas as pd

        table = pd.DataFrame(rows).set_index("augmentation")
        answer = table["distorted test"].idxmax()
    """,
    needs=("rows",),
)
def _best_augmentation(answer: Any, context: dict[str, Any]) -> str:
    table = pd.DataFrame(context["rows"]).set_index("augmentation")
    names = ", ".join(map(repr, table.index))
    if not isinstance(answer, str):
        raise Off(f"expected a name, one of {names}; got {describe(answer)}.")
    name = answer.strip().lower()
    if name not in table.index:
        raise Off(f"expected one of {names}; got {answer!r}.")
    distorted, test = table["distorted test"], table["test"]
    if distorted[name] >= distorted.max():
        return (
            f"{name}: {distorted[name]:.2%} on the distorted test set against "
            f"{distorted['none']:.2%} without augmentation."
            if "none" in table.index
            else f"{name}: {distorted[name]:.2%} on the distorted test set."
        )
    if test[name] >= test.max():
        raise Off(f"{name} is best on the normal test set; the question is about the distorted.")
    raise Off(
        f"{name} reaches {distorted[name]:.2%} on the distorted test set; another "
        f"{distorted.max():.2%}."
    )
