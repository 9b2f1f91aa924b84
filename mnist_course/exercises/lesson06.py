"""Lesson 06's checked exercises: the learning rate."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from ..core.formatting import percent
from .answers import as_number, run_code
from .framework import Off, exercise
from .questionnaire import HINT, Question, judge, solution_of


@exercise(
    "06.1",
    "the smallest learning rate of your study with a run that diverged (a float)",
    hint="`study.runs` has a row per run, with its `lr` and its `status`: keep the rows whose "
    "status is 'diverged' and take the smallest lr.",
    solution="""
        diverged = study.runs[study.runs["status"] == "diverged"]
        answer = float(diverged["lr"].min())
    """,
    needs=("study",),
)
def _diverging_rate(answer: Any, context: dict[str, Any]) -> str:
    runs = context["study"].runs
    diverged = sorted(runs.loc[runs["status"] == "diverged", "lr"].astype(float))
    if not diverged:
        raise Off("no run of this study diverged: add a larger rate (10.0) and run it again.")
    value = as_number(answer, "a learning rate")
    rates = sorted(set(runs["lr"].astype(float)))
    if not any(math.isclose(value, rate, rel_tol=1e-6) for rate in rates):
        raise Off(
            f"{value:g} is not one of the study's rates ({', '.join(f'{r:g}' for r in rates)})."
        )
    if not any(math.isclose(value, rate, rel_tol=1e-6) for rate in diverged):
        raise Off(f"the runs at {value:g} finished without diverging: see the status column.")
    if not math.isclose(value, diverged[0], rel_tol=1e-6):
        raise Off(f"{value:g} diverged, but so did a smaller rate: the smallest one is asked for.")
    return f"at {value:g} the loss blew up to NaN or infinity: too far a step for this model."


def _grad(parameter: torch.Tensor) -> torch.Tensor:
    assert parameter.grad is not None, "the reference model has gradients"
    return parameter.grad


@exercise(
    "06.2",
    "one step of SGD by hand: a function sgd_step(params, lr) that moves each weight by -lr * grad",
    hint="Inside `with torch.no_grad():` (the update itself must not be tracked), for every "
    "parameter p with a gradient: p -= lr * p.grad, in place. `p = p - ...` only renames.",
    solution="""
        import torch

        def sgd_step(params, lr):
            with torch.no_grad():
                for p in params:
                    if p.grad is not None:
                        p -= lr * p.grad

        answer = sgd_step
    """,
)
def _sgd_step(answer: Any, context: dict[str, Any]) -> str:
    def model_with_gradients() -> nn.Module:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            model = nn.Linear(4, 3)
            model(torch.randn(5, 4)).pow(2).mean().backward()
        return model

    mine, theirs = model_with_gradients(), model_with_gradients()
    before = [p.detach().clone() for p in mine.parameters()]
    run_code(answer, list(mine.parameters()), 0.1)
    torch.optim.SGD(theirs.parameters(), lr=0.1).step()
    after, expected = list(mine.parameters()), list(theirs.parameters())
    if all(torch.equal(a, b) for a, b in zip(after, before, strict=True)):
        raise Off(
            "the weights did not move: update each one in place (p -= lr * p.grad) inside "
            "torch.no_grad()."
        )
    upward = [b + 0.1 * _grad(p) for b, p in zip(before, theirs.parameters(), strict=True)]
    if all(torch.allclose(a, u, atol=1e-6) for a, u in zip(after, upward, strict=True)):
        raise Off("the weights moved up the gradient: subtract lr * p.grad to go down.")
    if not all(torch.allclose(a, e, atol=1e-6) for a, e in zip(after, expected, strict=True)):
        raise Off(
            "the weights moved, but not as torch.optim.SGD moves them: by -lr * p.grad, "
            "every parameter once."
        )
    return "the same step as torch.optim.SGD: weight -= learning rate x gradient."


@exercise(
    "06.3",
    "before the study runs, predict: which of its rates will reach the best validation "
    "accuracy? (a float, one of `rates`)",
    hint="Any of the study's rates: a guess, checked once the study has run. Your own three "
    "rates and the range test above are clues: one rate crawled, one never got going. Four "
    "epochs are short, so a rate that trains fast and stays stable tends to win.",
    solution="""
        answer = float(study.best()["lr"])
    """,
    needs=("study",),
)
def _predicted_best_rate(answer: Any, context: dict[str, Any]) -> str:
    study = context["study"]
    value = as_number(answer, "a learning rate")
    summary = study.summary()
    rates = [float(rate) for rate in summary.index]
    match = [rate for rate in rates if math.isclose(value, rate, rel_tol=1e-6)]
    if not match:
        raise Off(
            f"{value:g} is not one of the study's rates ({', '.join(f'{r:g}' for r in rates)})."
        )
    best = float(study.best()["lr"])
    best_score = percent(summary["val_accuracy_mean"].loc[best])
    if math.isclose(match[0], best, rel_tol=1e-6):
        return f"as you predicted, {best:g} is the best rate of the study ({best_score})."
    mine = summary.loc[match[0]]
    reached = (
        "diverged" if mine["diverged"] and math.isnan(mine["val_accuracy_mean"])
        else f"reached {percent(mine['val_accuracy_mean'])}"
    )  # fmt: skip
    why = (
        "a smaller rate has not got as far in the same epochs"
        if match[0] < best
        else "a larger rate overshoots: its steps are too long for this model"
    )
    raise Off(
        f"you predicted {match[0]:g}, which {reached}; the best was {best:g} ({best_score}): "
        f"{why}. Look at the summary and the curves to see it."
    )


QUESTIONS = {
    1: Question(
        "b",
        "a step so long that the loss overflows is a rate too large.",
        "a rate too small only crawls; NaN means the steps grew the loss without bound.",
    ),
    2: Question(
        10 ** (6 / 299),
        "1e6 over 299 steps: 10^(6/299), about 1.047 a step.",
        "from 1e-5 to 10 is a factor of 1e6, spread evenly over the 299 steps between the "
        "300 rates (the same factor each step).",
    ),
    3: Question(
        0.012,
        "OneCycleLR starts at max_lr / div_factor, 0.3 / 25.",
        "OneCycleLR starts at max_lr divided by its div_factor, 25 by default.",
    ),
    4: Question(
        "b",
        "by default OneCycleLR also cycles momentum, 0.95 down to 0.85 and back.",
        "look at optimizer.param_groups[0]['momentum'] after making a OneCycleLR without "
        "cycle_momentum=False.",
    ),
    5: Question(
        "b",
        "the loss falls fastest some way below its lowest point; at the minimum it is "
        "about to blow up.",
        "at the lowest point of the curve the loss is about to shoot up; a rate a few "
        "times smaller is on the steep, safe part.",
    ),
}


@exercise(
    "06.4",
    "five questions on the learning rate, the range test and one-cycle, answered as a dict "
    "{1: ..., 5: ...}",
    hint=HINT,
    solution=solution_of(QUESTIONS),
)
def _questionnaire(answer: Any, context: dict[str, Any]) -> str:
    return judge(answer, QUESTIONS)
