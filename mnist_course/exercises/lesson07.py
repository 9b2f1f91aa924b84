"""Lesson 07's checked exercises: batch size and grid search."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..core import formatting
from ..core.formatting import percent
from .answers import as_integer, as_number, describe, run_code
from .framework import Off, exercise
from .questionnaire import HINT, Question, judge, solution_of


@exercise(
    "07.1",
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
    "07.2",
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
    best: dict[int, float] = {}
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
        best[size] = match[0]
    return _against_the_scaling_rule(best)


SCALING_RULE = (
    "the linear scaling rule predicts a best rate proportional to the batch size (double the "
    "batch, about double the rate)"
)


def _against_the_scaling_rule(best: dict[int, float]) -> str:
    """How the best rate moves as the batch grows, said against the linear scaling rule."""
    sizes = sorted(best)
    first, last = sizes[0], sizes[-1]
    if len(sizes) == 1:
        return f"lr {best[first]:g} at batch {first}, the grid's only batch size."
    steps = list(zip(sizes, sizes[1:], strict=False))
    falls = [(a, b) for a, b in steps if best[b] < best[a]]
    flat = [(a, b) for a, b in steps if best[b] == best[a]]
    span = f"from {best[first]:g} at batch {first} to {best[last]:g} at batch {last}"
    if falls:
        a, b = falls[0]
        return (
            f"the best rate falls from {best[a]:g} at batch {a} to {best[b]:g} at batch {b}, "
            f"though {SCALING_RULE}."
        )
    if len(flat) == len(steps):
        return (
            f"the best rate stays at {best[first]:g} from batch {first} to {last}: flat, though "
            f"{SCALING_RULE}."
        )
    if flat:
        a, b = flat[0]
        return (
            f"the best rate grows {span}, but not at every step: it stays at {best[a]:g} from "
            f"batch {a} to {b}, though {SCALING_RULE}."
        )
    return (
        f"the best rate grows with the batch, as the linear scaling rule predicts: {span}, "
        f"{best[last] / best[first]:.3g}x the rate for {last / first:g}x the batch (the rule: "
        f"about {last / first:g}x)."
    )


SEARCHES = {"grid": "grid", "grid search": "grid", "random": "random", "random search": "random"}


@exercise(
    "07.3",
    "before the searches run, predict: at the same budget, will the grid or the random search "
    "find the better setting? ('grid' or 'random')",
    hint="Either word: a guess, checked once both have run. Think about how many different "
    "learning rates each one tries with its 16 runs, and which parameter matters more.",
    solution="""
        grid_best = search.summary()["val_accuracy_mean"].max()
        random_best = sampled.summary()["val_accuracy_mean"].max()
        answer = "random" if random_best >= grid_best else "grid"
    """,
    needs=("search", "sampled"),
)
def _grid_or_random(answer: Any, context: dict[str, Any]) -> str:
    if not isinstance(answer, str) or answer.strip().lower() not in SEARCHES:
        raise Off(f"expected 'grid' or 'random'; got {describe(answer)}.")
    predicted = SEARCHES[answer.strip().lower()]
    found = {
        name: _best_of(context[key]) for name, key in (("grid", "search"), ("random", "sampled"))
    }
    (g_score, g_setting, g_rates), (r_score, r_setting, r_rates) = found["grid"], found["random"]
    tried = f"the grid tried {g_rates} learning rates in its runs, the random search {r_rates}"
    if g_score == r_score:
        return f"a tie: both found {percent(g_score)} ({g_setting}; {r_setting}); {tried}."
    winner = "random" if r_score > g_score else "grid"
    said = (
        f"the {winner} search found the better setting, {found[winner][1]} at "
        f"{percent(found[winner][0])}, against {percent(min(g_score, r_score))}; {tried}"
    )
    if predicted != winner:
        raise Off(f"you predicted the {predicted} search; in this run {said}.")
    return f"as you predicted, {said}."


def _best_of(study: Any) -> tuple[float, str, int]:
    """A search's best mean validation accuracy, its setting in words, how many rates it tried."""
    best = study.best()
    setting = {name: best[name] for name in study.parameters}
    return float(best["val_accuracy_mean"]), formatting.setting(setting), study.runs["lr"].nunique()


QUESTIONS = {
    1: Question(
        16,
        "each draw has its own rate: 16 runs, 16 rates (the grid: 4).",
        "every draw picks its rate afresh from the range, so no two runs share one.",
        tolerance=0,
    ),
    2: Question(
        0.2,
        "4 times the batch, 4 times the rate: 0.05 x 4.",
        "the rule scales the rate by the same factor as the batch (256 is 4 x 64).",
    ),
    3: Question(
        "b",
        "whatever chose the winner flatters it; only data that chose nothing measures it.",
        "the test set is not too small to train on, and a choice made on a set makes that "
        "set's figure look better than new images will.",
    ),
    4: Question(
        75,
        "5 x 5 settings x 3 seeds: a grid grows multiplicatively.",
        "every setting of the grid runs once per seed: multiply all three.",
        tolerance=0,
    ),
    5: Question(
        211,
        "54,000 / 256 = 210.9, and the last, smaller batch is a step too.",
        "one step per batch, and without drop_last the last, incomplete batch counts.",
        tolerance=0,
    ),
}


@exercise(
    "07.4",
    "five questions on batch size, the linear scaling rule and search, answered as a dict "
    "{1: ..., 5: ...}",
    hint=HINT,
    solution=solution_of(QUESTIONS),
)
def _questionnaire(answer: Any, context: dict[str, Any]) -> str:
    return judge(answer, QUESTIONS)
