"""Lesson 02's checked exercises: the first network."""

from __future__ import annotations

import functools
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..classifier import Classifier
from ..data.normalization import compute_normalization
from .answers import as_module, as_number, run_code, same_network, small_digits
from .framework import Off, exercise


@exercise(
    "02.1",
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
    from ..runtime import pick_device

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
    "02.2",
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
            with torch.no_grad():
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
