"""Lesson 05's checked exercises: batch size and grid search."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .answers import as_integer, as_number, describe, run_code
from .framework import Off, exercise


@exercise(
    "05.1",
    "a function steps_per_epoch(num_images, batch_size, drop_last=False) -> int: optimizer "
    "steps in one epoch",
    hint="One step per batch. Without drop_last the last, smaller batch still counts (round "
    "up: math.ceil); with drop_last=True, as R0 trained, it is dropped (round down: //).",
    solution="""
        import math

        def steps_per_epoch(num_images, batch_size, drop_last=False):
            if drop_last:
                return num_images // batch_size
            return math.ceil(num_images / batch_size)

        answer = steps_per_epoch
    """,
)
def _steps_per_epoch(answer: Any, context: dict[str, Any]) -> str:
    cases = [
        (54_000, 64, False, 844),
        (54_000, 64, True, 843),
        (60_000, 16, False, 3750),
        (100, 32, False, 4),
        (100, 32, True, 3),
        (10, 32, False, 1),
        (10, 32, True, 0),
    ]
    for images, batch, drop_last, steps in cases:
        call = f"steps_per_epoch({images}, {batch}, drop_last={drop_last})"
        got = as_integer(run_code(answer, images, batch, drop_last), f"{call}, a number of steps")
        if got != steps:
            advice = {
                (False, images // batch): ": the last, smaller batch is a step too.",
                (True, -(-images // batch)): ": drop_last=True drops the last, smaller batch.",
            }.get((drop_last, got), ".")
            raise Off(f"{call} gave {got}, expected {steps}{advice}")
    return "54,000 images at batch 64 are 844 steps (843 with drop_last); at batch 1024, 53."


@exercise(
    "05.2",
    "from your grid search, the best learning rate at each batch size, as a dict {batch_size: lr}",
    hint="`search.summary()['val_accuracy_mean']` has one value per (lr, batch_size); "
    "`.unstack('lr')` makes a table with a row per batch size, and `.idxmax(axis=1)` gives the "
    "column (the rate) of each row's best.",
    solution="""
        accuracy = search.summary()["val_accuracy_mean"].unstack("lr")
        answer = accuracy.idxmax(axis=1).to_dict()
    """,
    needs=("search",),
)
def _best_rate_per_batch(answer: Any, context: dict[str, Any]) -> str:
    table = context["search"].summary()["val_accuracy_mean"].unstack("lr").dropna(how="all")
    if isinstance(answer, pd.Series):
        answer = answer.to_dict()
    if not isinstance(answer, dict):
        raise Off(f"expected a dict {{batch_size: lr}}; got {describe(answer)}.")
    chosen = {
        as_integer(size, "batch sizes as keys"): as_number(lr, "learning rates as values")
        for size, lr in answer.items()
    }
    sizes = [int(size) for size in table.index]
    if sorted(chosen) != sorted(sizes):
        raise Off(
            f"expected one learning rate for each batch size of the grid, {sizes}; yours "
            f"has the keys {sorted(chosen)}."
        )
    rates = [float(rate) for rate in table.columns]
    for size in sizes:
        row, lr = table.loc[size], chosen[size]
        match = [rate for rate in rates if math.isclose(rate, lr, rel_tol=1e-6)]
        if not match:
            raise Off(
                f"{lr:g} is not one of the grid's rates ({', '.join(f'{r:g}' for r in rates)})."
            )
        if not row[match[0]] >= row.max():
            raise Off(
                f"at batch {size}, lr {lr:g} reaches {row[match[0]]:.2%}, another rate "
                f"{row.max():.2%}."
            )
    best = [chosen[size] for size in sorted(sizes)]
    steps = list(zip(best, best[1:], strict=False))
    if all(a == b for a, b in steps):
        return "the same best rate at every batch size of this grid."
    if all(a <= b for a, b in steps):
        return "the best rate rises with the batch size, as the linear scaling rule predicts."
    return "the best rate falls somewhere as the batch grows: here the linear scaling rule fails."
