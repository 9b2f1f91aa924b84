"""Lesson 04's checked exercises: the learning rate."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from .answers import as_number, run_code
from .framework import Off, exercise


@exercise(
    "04.1",
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
    "04.2",
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
