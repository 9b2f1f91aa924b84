"""Lesson 02's checked exercises: gradient descent by hand, and its questionnaire."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from .answers import as_number, run_code, small_digits
from .framework import Off, exercise
from .questionnaire import letter_questions


def _pile_up_factor(calls: int = 3) -> float:
    """W.grad after ``calls`` backward() on the same loss, over the gradient of one call."""
    data = small_digits()
    inputs, labels = data.images[:64].flatten(1).float().div(255), data.require_labels()[:64]
    weights = torch.zeros(784, 10, requires_grad=True)
    (one,) = torch.autograd.grad(F.cross_entropy(inputs @ weights, labels), weights)
    for _ in range(calls):
        F.cross_entropy(inputs @ weights, labels).backward()
    assert weights.grad is not None
    return float(weights.grad.norm() / one.norm())


@exercise(
    "02.1",
    "predict: three backward() calls on the same loss, no step and no zeroing between them; "
    "W.grad is then how many times the gradient of one call?",
    hint="backward() does not overwrite .grad: it adds the gradient it computes to whatever "
    ".grad already holds. Nothing resets it between the calls.",
    solution="""
        answer = 3  # every backward() adds the same gradient once more
    """,
)
def _pile_up(answer: Any, context: dict[str, Any]) -> str:
    value = as_number(answer, "how many times the gradient of one call")
    measured = _pile_up_factor()
    if abs(value - measured) < 0.01:
        return (
            f"{measured:.0f} times: backward() adds each new gradient to .grad, so a loop that "
            "forgets to zero it steps with the sum of every gradient so far."
        )
    if value == 1:
        raise Off(
            f"backward() does not replace .grad, it adds to it: the cell measured {measured:.0f}."
        )
    if value in (8, 9, 27):
        raise Off(f"it grows by adding, not by multiplying: the cell measured {measured:.0f}.")
    raise Off(f"you predicted {value:g}, the cell measured {measured:.0f}: what does a call add?")


def _step_setup() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """300 small digits flattened to [0, 1] floats, their labels, and a seeded W (784 x 10), b."""
    data = small_digits()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        weights = (torch.randn(784, 10) * 0.01).requires_grad_()
    bias = torch.zeros(10, requires_grad=True)
    return data.images.flatten(1).float().div(255), data.require_labels(), weights, bias


def _simulate(steps: int, lr: float, zero: bool = True, sign: float = -1.0):
    """The weights and losses ``steps`` steps of the reference (or of a mistake) give."""
    inputs, labels, weights, bias = _step_setup()
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(inputs @ weights + bias, labels)
        loss.backward()
        losses.append(loss.item())
        with torch.no_grad():
            for tensor in (weights, bias):
                assert tensor.grad is not None
                tensor += sign * lr * tensor.grad
                if zero:
                    tensor.grad.zero_()
    return weights.detach(), bias.detach(), losses


def _run_steps(answer: Any, steps: int, lr: float):
    inputs, labels, weights, bias = _step_setup()
    start = weights.detach().clone()
    losses = []
    for _ in range(steps):
        try:
            losses.append(run_code(answer, weights, bias, inputs, labels, lr))
        except Off as off:
            if "leaf Variable" in str(off) or "in-place operation" in str(off):
                raise Off(
                    "PyTorch refused the in-place update of a tensor that requires grad: update "
                    "W and b inside `with torch.no_grad():`."
                ) from off
            raise
    if torch.equal(weights.detach(), start):
        raise Off(
            "W did not change: update it in place (`W -= lr * W.grad`); `W = W - ...` only "
            "makes a new tensor inside your function."
        )
    return weights, bias, [as_number(x, "the loss (a float)") for x in losses]


def _text(losses: list[float]) -> str:
    return ", ".join(f"{loss:.4f}" for loss in losses)


def _nonzero(gradient: torch.Tensor | None) -> bool:
    return gradient is not None and bool(gradient.abs().sum() > 0)


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.allclose(a, b, rtol=1e-4, atol=1e-6)


@exercise(
    "02.2",
    "one step of gradient descent: sgd_step(W, b, x, y, lr) computes F.cross_entropy(x @ W + b, "
    "y), backward(), updates W and b in place and zeroes their gradients; returns the loss",
    hint="Call loss.backward(); then, inside `with torch.no_grad():` (an update is not part of the "
    "model), move each tensor against its gradient in place, `W -= lr * W.grad`, and zero it, "
    "`W.grad.zero_()` (the same for b). Return `loss.item()`, the loss before the update.",
    solution="""
        import torch
        import torch.nn.functional as F

        def sgd_step(weights, bias, images, labels, lr):
            loss = F.cross_entropy(images @ weights + bias, labels)
            loss.backward()
            with torch.no_grad():  # an update the graph must not record
                weights -= lr * weights.grad
                bias -= lr * bias.grad
                weights.grad.zero_()
                bias.grad.zero_()
            return loss.item()

        answer = sgd_step
    """,
)
def _sgd_step(answer: Any, context: dict[str, Any]) -> str:
    steps, lr = 3, 0.5
    weights, bias, losses = _run_steps(answer, steps, lr)
    right_w, right_b, right_losses = _simulate(steps, lr)
    if not (_close(weights, right_w) and _close(bias, right_b)):
        piled_w, piled_b, _ = _simulate(steps, lr, zero=False)
        if _close(weights, piled_w) and _close(bias, piled_b):
            raise Off(
                "the gradients piled up: zero W.grad and b.grad after the update, or the next "
                "backward() adds its gradient to the old ones."
            )
        left = [name for name, tensor in (("W", weights), ("b", bias)) if _nonzero(tensor.grad)]
        if len(left) == 1:
            raise Off(f"{left[0]}'s gradient piled up: zero it too ({left[0]}.grad.zero_()).")
        if _close(weights, _simulate(steps, lr, sign=1.0)[0]):
            raise Off("the loss rose: step against the gradient, `W -= lr * W.grad`.")
        error = max((weights - right_w).abs().max().item(), (bias - right_b).abs().max().item())
        raise Off(
            f"after {steps} steps your W and b differ from the reference by up to {error:.3g}: "
            "the step is `W -= lr * W.grad` and `b -= lr * b.grad`, with the lr given."
        )
    if not torch.allclose(torch.tensor(losses), torch.tensor(right_losses), rtol=1e-4):
        raise Off(
            f"the weights are right, but the losses returned ({_text(losses)}) are not the "
            f"steps' ({_text(right_losses)}): return the loss computed before the update."
        )
    return (
        f"{steps} steps from the same start give the reference's weights, losses "
        f"{_text(losses)}: backward, an update under no_grad, zeroing."
    )


@exercise(
    "02.3",
    "questionnaire: how many numbers does softmax regression learn for 28x28 images of 10 digits?",
    hint="One weight per pixel and per digit, and one bias per digit: W is 784 x 10, b has 10.",
    solution="""
        answer = 28 * 28 * 10 + 10  # W (784 x 10) and b (10)
    """,
)
def _parameters(answer: Any, context: dict[str, Any]) -> str:
    value = as_number(answer, "a number of parameters")
    if value == 7850:
        return "784 x 10 weights and 10 biases: 7,850 (lesson 03's MLP learns 109,386)."
    if value == 7840:
        raise Off("those are the weights: add the biases, one per digit.")
    if value in (784, 794, 10):
        raise Off("each of the 10 digits has its own weight for every pixel, and its own bias.")
    raise Off(f"{value:g} is not it: count W (784 x 10) and b.")


letter_questions(
    {
        "02.4": (
            "questionnaire: a softmax regression starts with all its weights near 0. Its loss on "
            "the first batch of 10 digits is about (a) 0 (b) 2.30 (c) 10",
            "b",
            "weights near 0 give every digit the same probability, 1/10, and -ln(1/10) = ln 10.",
            {"a": "a loss of 0 means probability 1 for the right digit; near-zero weights give "
                  "each of the 10 digits the same probability.",
             "c": "the loss is -ln of the right digit's probability, not a count of digits."},
        ),
        "02.5": (
            "questionnaire: why does `W -= lr * W.grad` sit inside `with torch.no_grad():`? "
            "(a) so that autograd does not record the update (b) so that the gradients are "
            "zeroed (c) so that the step is smaller",
            "a",
            "the update is no part of the model: autograd must not record it, and outside "
            "no_grad() PyTorch refuses to change in place a tensor that requires grad.",
            {"b": "no_grad() zeroes nothing: W.grad.zero_() (or optimizer.zero_grad()) does.",
             "c": "the step is lr times the gradient, with or without no_grad()."},
        ),
    },
    hint="Each is answered in one section: the first loss printed in 'Gradient descent from "
    "scratch' (02.4), the update in exercise 02.2 and the loop after it (02.5). A wrong "
    "letter's feedback says why it is wrong.",
)  # fmt: skip
