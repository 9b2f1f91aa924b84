"""Lesson 02's checked exercises: gradient descent by hand, the first network, a questionnaire."""

from __future__ import annotations

import functools
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..data.normalization import compute_normalization
from ..models.classifier import Classifier
from .answers import as_module, as_number, describe, run_code, same_network, small_digits
from .framework import Off, exercise


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
    "R2's MLP as an nn.Sequential: flatten, 784 -> 128 -> 64 -> 10 with ReLU, then LogSoftmax",
    hint="nn.Sequential(nn.Flatten(), nn.Linear(784, 128), ...): a ReLU after each hidden "
    "layer, and nn.LogSoftmax(dim=1) last, so NLLLoss gets log-probabilities. It has 109,386 "
    "parameters.",
    solution="""
        from torch import nn

        answer = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 128),
            nn.ReLU(),
            nn.Linear(128, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
            nn.LogSoftmax(dim=1),
        )
    """,
)
def _mlp(answer: Any, context: dict[str, Any]) -> str:
    from ..models import build_model, count_parameters

    model = as_module(answer, "R2's MLP")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        same_network(model, build_model("mlp"), torch.rand(4, 1, 28, 28))
    return f"784-128-64-10 with ReLU and LogSoftmax, {count_parameters(model):,} parameters."


class _Spy(nn.Module):
    """Wraps a network and notes, for every call, training mode, gradients and batch size.

    A batch that is not on the network's device is refused with advice, as a GPU would refuse
    it (less helpfully) if the learner forgot to move the batches.
    """

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network
        self.calls: list[tuple[bool, bool, int]] = []

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        device = next(self.network.parameters()).device
        if images.device != device:
            raise RuntimeError(
                f"the batch is on {images.device} but the model on {device}: move each batch to "
                "the model's device (images.to(device))"
            )
        self.calls.append((self.training, torch.is_grad_enabled(), len(images)))
        return self.network(images)


def _check_device() -> torch.device:
    """Where checks run a learner's loop: the learner's best device, so a GPU tests the moves."""
    from ..core.runtime import pick_device

    return pick_device("auto")


def _network() -> nn.Sequential:
    """The small MLP the check evaluates: its dropout shows whether the loop calls eval()."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 32),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(32, 10),
        nn.LogSoftmax(dim=1),
    )


@functools.lru_cache(maxsize=1)
def _trained_network() -> tuple[dict[str, torch.Tensor], float]:
    """Its weights after 30 full-batch SGD steps on ``small_digits``, and the accuracy the
    library's evaluate gives them: computed once, as every check would compute the same."""
    from ..training import evaluate

    data = small_digits()
    norm = compute_normalization(data.images)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        network = _network()
        inputs = norm.apply(data.images.float().div(255).unsqueeze(1))
        optimizer = torch.optim.SGD(network.parameters(), lr=0.1)
        for _ in range(30):
            loss = F.nll_loss(network(inputs), data.require_labels())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        expected = evaluate(Classifier(network, norm, data.classes), data).accuracy
    weights = {name: value.detach().cpu().clone() for name, value in network.state_dict().items()}
    return weights, expected


@exercise(
    "02.4",
    "an evaluation loop: a function accuracy(model, loader) -> float, the share of images right",
    hint="Call model.eval() (dropout off), loop over the loader inside `with torch.no_grad():`, "
    "move each batch to the model's device (`next(model.parameters()).device`), take "
    "`model(images).argmax(dim=1)`, count the predictions equal to the labels, and divide by the "
    "number of images (not of batches: the last batch can be smaller).",
    solution="""
        import torch

        def accuracy(model, loader):
            model.eval()
            device = next(model.parameters()).device
            correct, seen = 0, 0
            with torch.no_grad():  # no gradients to keep
                for images, labels in loader:
                    predictions = model(images.to(device)).argmax(dim=1).cpu()
                    correct += (predictions == labels).sum().item()
                    seen += len(labels)
            return correct / seen

        answer = accuracy
    """,
)
def _evaluation_loop(answer: Any, context: dict[str, Any]) -> str:
    from torch.utils.data import DataLoader

    data = small_digits()
    weights, expected = _trained_network()
    network = _network()
    network.load_state_dict(weights)
    spy = _Spy(network).to(_check_device()).train()
    loader = DataLoader(data.as_torch_dataset(compute_normalization(data.images)), batch_size=64)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        value = as_number(run_code(answer, spy, loader), "the accuracy")
    if not spy.calls:
        raise Off("your function never called the model.")
    if any(training for training, _, _ in spy.calls):
        raise Off("the model ran in training mode: call model.eval() first, or dropout stays on.")
    if any(gradients for _, gradients, _ in spy.calls):
        raise Off("gradients were on: run the loop inside `with torch.no_grad():`.")
    seen = sum(count for _, _, count in spy.calls)
    if seen != len(data):
        raise Off(f"the model saw {seen} images, the loader holds {len(data)}: every batch once.")
    if 1 < value <= 100:
        raise Off(f"{value:g} looks like a percentage: return a fraction in [0, 1].")
    if abs(value - expected) > 0.5 / len(data):
        raise Off(
            f"on {len(data)} digits the library's evaluate gives {expected:.4f}, yours "
            f"{value:.4f}: count the right predictions and divide by the number of "
            "images."
        )
    return (
        f"{value:.2%} on {len(data)} digits, as the library's evaluate: eval mode, no "
        "gradients, argmax, the share right."
    )


@exercise(
    "02.5",
    "questionnaire: how many numbers does softmax regression learn for 28x28 images of 10 digits?",
    hint="One weight per pixel and per digit, and one bias per digit: W is 784 x 10, b has 10.",
    solution="""
        answer = 28 * 28 * 10 + 10  # W (784 x 10) and b (10)
    """,
)
def _parameters(answer: Any, context: dict[str, Any]) -> str:
    value = as_number(answer, "a number of parameters")
    if value == 7850:
        return "784 x 10 weights and 10 biases: 7,850 (R2's MLP learns 109,386)."
    if value == 7840:
        raise Off("those are the weights: add the biases, one per digit.")
    if value in (784, 794, 10):
        raise Off("each of the 10 digits has its own weight for every pixel, and its own bias.")
    raise Off(f"{value:g} is not it: count W (784 x 10) and b.")


_QUESTIONS = {
    "02.6": (
        "questionnaire: which line turns dropout off for evaluation? (a) `with torch.no_grad():` "
        "(b) `model.eval()` (c) `optimizer.zero_grad()`",
        "b",
        "model.eval() switches dropout off (and BatchNorm to its running statistics).",
        {"a": "no_grad() only stops recording gradients; dropout still drops.",
         "c": "zero_grad() empties the gradients; it changes nothing in the forward pass."},
    ),
    "02.7": (
        "questionnaire: a network ends in Softmax and is trained with F.cross_entropy (R3). "
        "Certain and right about every image, its loss is (a) 0 (b) about 1.46 (c) about 2.30",
        "b",
        "ln(e + 9) - 1 = 1.461: cross-entropy takes a softmax of the probabilities again.",
        {"a": "cross-entropy applies a softmax to the probabilities once more: 1 and 0 become "
              "e / (e + 9) and 1 / (e + 9).",
         "c": "ln 10 = 2.30 is the loss of a uniform guess, and no floor of this mistake."},
    ),
    "02.8": (
        "questionnaire: you train five seeds and report the best one's test accuracy. That "
        "figure is (a) a fair estimate on new images (b) optimistic (c) pessimistic",
        "b",
        "the best of five on the images that chose it is partly luck, which does not carry over.",
        {"a": "the choice looked at those very images: the half-split experiment measured it.",
         "c": "choosing the best on the test images favours the runs that were lucky on them."},
    ),
}  # fmt: skip


def _choice_judge(right: str, praise: str, wrong: dict[str, str]):
    def judge(answer: Any, context: dict[str, Any]) -> str:
        letter = answer.strip().strip("()").lower() if isinstance(answer, str) else None
        if letter not in ("a", "b", "c"):
            raise Off(f'answer with one letter, "a", "b" or "c"; got {describe(answer)}.')
        if letter != right:
            raise Off(wrong[letter])
        return f"({right}): {praise}"

    return judge


for _id, (_task, _right, _praise, _wrong) in _QUESTIONS.items():
    exercise(
        _id,
        _task,
        hint="Each is answered in one section: the evaluation loop (02.6), softmax twice (02.7), "
        "choosing by test accuracy (02.8). A wrong letter's feedback says why it is wrong.",
        solution=f'answer = "{_right}"  # {_praise}',
    )(_choice_judge(_right, _praise, _wrong))
