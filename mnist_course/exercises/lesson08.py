"""Lesson 08's checked exercises: evaluation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from .answers import as_array, as_integer, describe
from .framework import Off, exercise


def _digit_pair(answer: Any, classes: int) -> tuple[int, int]:
    if isinstance(answer, (str, bytes, dict)) or not isinstance(answer, Iterable):
        raise Off(f"expected two digits, e.g. (4, 9); got {describe(answer)}.")
    items = list(answer.tolist() if isinstance(answer, (torch.Tensor, np.ndarray)) else answer)
    if len(items) != 2:
        raise Off(f"expected two digits, e.g. (4, 9); got {len(items)} items.")
    try:
        digits = [
            int(item) if isinstance(item, str) and item.isdigit() else as_integer(item, "a digit")
            for item in items
        ]
    except Off as off:
        raise Off(f"expected two digits, e.g. (4, 9); got {describe(answer)}.") from off
    if not all(0 <= digit < classes for digit in digits):
        raise Off(f"expected digits from 0 to {classes - 1}; got {digits}.")
    return digits[0], digits[1]


@exercise(
    "08.1",
    "the pair of digits confused most often, in either direction, as a tuple (a, b)",
    hint="matrix[a, b] counts the a's read as b. Add the matrix to its transpose to count both "
    "directions, set the diagonal (the right answers) to 0, and find the largest cell "
    "(np.unravel_index(table.argmax(), table.shape)).",
    solution="""
        import numpy as np

        both_ways = np.asarray(matrix) + np.asarray(matrix).T
        np.fill_diagonal(both_ways, 0)
        first, second = np.unravel_index(both_ways.argmax(), both_ways.shape)
        answer = (int(first), int(second))
    """,
    needs=("matrix",),
)
def _confusion_pair(answer: Any, context: dict[str, Any]) -> str:
    matrix = np.asarray(context["matrix"])
    both_ways = matrix + matrix.T
    np.fill_diagonal(both_ways, 0)
    a, b = _digit_pair(answer, len(matrix))
    if a == b:
        raise Off(f"a {a} read as a {a} is a right answer: the mistakes are off the diagonal.")
    if both_ways[a, b] == both_ways.max():
        return (
            f"{a} and {b} are confused {both_ways[a, b]} times ({a} read as {b}: "
            f"{matrix[a, b]}; {b} read as {a}: {matrix[b, a]})."
        )
    advice = ""
    off_diagonal = matrix - np.diag(np.diag(matrix))
    if max(matrix[a, b], matrix[b, a]) == off_diagonal.max():
        advice = " That is the largest single cell; count both directions."
    raise Off(
        f"{a} and {b} are confused {both_ways[a, b]} times in all, another pair "
        f"{both_ways.max()} times.{advice}"
    )


@exercise(
    "08.2",
    "the recall of every digit, computed from the confusion matrix (an array of 10 fractions)",
    hint="Recall of a digit: its right answers (the diagonal) divided by all its real images "
    "(the sum of its row). np.diag and .sum(axis=1) do it for all ten at once.",
    solution="""
        import numpy as np

        counts = np.asarray(matrix)
        answer = np.diag(counts) / counts.sum(axis=1)
    """,
    needs=("matrix",),
)
def _recall(answer: Any, context: dict[str, Any]) -> str:
    matrix = np.asarray(context["matrix"], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.diag(matrix) / matrix.sum(axis=1)
        precision = np.diag(matrix) / matrix.sum(axis=0)
    values = as_array(answer, f"{len(matrix)} recalls, one per digit").reshape(-1)
    if values.shape != recall.shape:
        raise Off(f"expected {len(recall)} values, one per digit; got {values.size}.")
    if np.allclose(values, recall, atol=1e-6, equal_nan=True):
        worst = int(np.nanargmin(recall))
        return f"the lowest recall is digit {worst}'s, {recall[worst]:.2%}."
    if np.allclose(values, 100 * recall, atol=1e-4, equal_nan=True):
        raise Off("those are percentages: expected fractions in [0, 1].")
    if np.allclose(values, precision, atol=1e-6, equal_nan=True):
        raise Off(
            "that is precision (divided by the columns, what the model said): recall "
            "divides by the rows, every real image of the digit."
        )
    digit = int(np.flatnonzero(~np.isclose(values, recall, atol=1e-6, equal_nan=True))[0])
    raise Off(f"digit {digit}: expected {recall[digit]:.4f}, got {values[digit]:.4f}.")
