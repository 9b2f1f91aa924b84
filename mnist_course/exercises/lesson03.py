"""Lesson 03's checked exercises: the steps of an epoch, R2's MLP, an evaluation loop (eval mode,
no gradients, the device) and the closing questionnaire."""

from __future__ import annotations

import functools
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..data.normalization import compute_normalization
from ..models.classifier import Classifier
from .answers import as_module, as_number, run_code, same_network, small_digits
from .framework import Off, exercise
from .questionnaire import letter_questions


@exercise(
    "03.1",
    "predict: how many steps (batches) does one epoch over `loader` make? It hands out the "
    "training images in batches of 64 and keeps the last, smaller batch",
    hint="One step per batch: the number of images divided by the batch size, rounded up, since "
    "the last batch holds whatever is left over.",
    solution="""
        import math

        answer = math.ceil(len(loader.dataset) / loader.batch_size)  # the smaller last batch too
    """,
    needs=("loader",),
)
def _steps_per_epoch(answer: Any, context: dict[str, Any]) -> str:
    loader = context["loader"]
    steps, images, size = len(loader), len(loader.dataset), loader.batch_size
    value = as_number(answer, "a number of steps")
    if value == steps:
        last = images - (steps - 1) * size
        return (
            f"{images:,} images in batches of {size}: {steps:,} steps, the last one on "
            f"{last} images. One step per batch, so an epoch of batch 16 takes 4x as many."
        )
    if value == images // size and images % size:
        raise Off(
            f"{value:g} full batches of {size} leave {images % size} images over, and this "
            "loader keeps them as one more, smaller batch (`drop_last=True`, which R0 used, "
            "would drop them)."
        )
    if value == images:
        raise Off("that is the number of images: one step takes a whole batch of them.")
    if value == size:
        raise Off(f"{size} is the batch size: how many batches of {size} do {images:,} make?")
    if value != int(value):
        raise Off(f"{value:g} is no whole number: the last, smaller batch is one step too.")
    raise Off(f"{value:g} is not it: {images:,} images in batches of {size}, the last smaller.")


@exercise(
    "03.2",
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
    "03.3",
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


letter_questions(
    {
        "03.4": (
            "questionnaire: which line turns dropout off for evaluation? (a) `with "
            "torch.no_grad():` (b) `model.eval()` (c) `optimizer.zero_grad()`",
            "b",
            "model.eval() switches dropout off (and BatchNorm to its running statistics).",
            {"a": "no_grad() only stops recording gradients; dropout still drops.",
             "c": "zero_grad() empties the gradients; it changes nothing in the forward pass."},
        ),
        "03.5": (
            "questionnaire: a network ends in Softmax and is trained with F.cross_entropy (R3). "
            "Certain and right about every image, its loss is (a) 0 (b) about 1.46 (c) about 2.30",
            "b",
            "ln(e + 9) - 1 = 1.461: cross-entropy takes a softmax of the probabilities again.",
            {"a": "cross-entropy applies a softmax to the probabilities once more: 1 and 0 become "
                  "e / (e + 9) and 1 / (e + 9).",
             "c": "ln 10 = 2.30 is the loss of a uniform guess, and no floor of this mistake."},
        ),
        "03.6": (
            "questionnaire: `torch.save(model.state_dict(), path)` writes (a) the weights by "
            "name, nothing else (b) the weights and the model's class, so `torch.load` alone "
            "rebuilds the model (c) the weights and the images' normalisation",
            "a",
            "the weights by name: whoever loads them builds the same class and must know the "
            "normalisation (the course's checkpoints record both).",
            {"b": "a state_dict holds tensors by name and no class: build a fresh MLP() and "
                  "load_state_dict into it.",
             "c": "the normalisation is no weight of the model: the transform applied it, and "
                  "the file knows nothing of it."},
        ),
    },
    hint="Each is answered in one section: the evaluation loop (03.4), softmax twice (03.5), "
    "saving the weights (03.6). A wrong letter's feedback says why it is wrong.",
)  # fmt: skip
