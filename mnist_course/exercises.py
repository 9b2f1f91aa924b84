"""Checked exercises: each lesson asks, the learner answers, ``check`` says what is right or off.

Every exercise has an id that starts with its notebook's number (``"02.1"`` is lesson 02's first),
a ``hint`` and a ``solution``: the reference code, shown on request and never printed in the
notebook. Exercises about a lesson's own results (its training images, its study, its confusion
matrix) take them as keywords, ``check("01.1", answer, train=train)``; the others need nothing.

>>> from mnist_course.exercises import check, hint, solution
>>> check("03.2", None)
03.2 not answered yet: replace None with your answer and run the cell again (hint("03.2") helps).
False
>>> check("03.2", 32 * 64 * 3 * 3)
03.2 not yet: add the biases: a convolution has one per output channel.
False
>>> check("03.2", 18_496)
03.2 right: 32 x 64 x 3 x 3 = 18,432 weights plus 64 biases.
True

``check`` never raises on a wrong answer, whatever it is: a learner's mistake is feedback, not a
traceback. The reference answer for a context is ``EXERCISES[id].reference(**context)``: the
solution's code run with the context as its variables, so the shown solution is the one tested.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from textwrap import dedent
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .classifier import Classifier, in_mode
from .data.dataset import DigitDataset
from .data.normalization import compute_normalization

__all__ = ["EXERCISES", "Exercise", "Off", "check", "hint", "solution"]

Judge = Callable[[Any, dict[str, Any]], str]
"""``judge(answer, context)``: praise for a right answer; raises ``Off`` saying what is off."""


class Off(Exception):
    """The answer is not right yet; the message says what is off."""


@dataclass(frozen=True)
class Exercise:
    """One checked exercise: what it asks and needs, how it is judged, its hint and solution."""

    id: str
    task: str
    hint: str
    solution: str
    judge: Judge
    needs: tuple[str, ...] = ()
    """The lesson's variables the check compares with, passed as keywords to ``check``."""

    @property
    def notebook(self) -> str:
        """The number of the notebook that asks it, e.g. ``"02"``."""
        return self.id.split(".")[0]

    def reference(self, **context: Any) -> Any:
        """The reference answer: the solution's code run with ``context`` as its variables."""
        namespace = dict(context)
        exec(compile(self.solution, f"<solution {self.id}>", "exec"), namespace)
        return namespace["answer"]

    def check(self, answer: Any, **context: Any) -> bool:
        """Print what is right or off about ``answer``; True if it is right. Never raises."""
        if answer is None:
            print(
                f"{self.id} not answered yet: replace None with your answer and run the cell "
                f'again (hint("{self.id}") helps).'
            )
            return False
        missing = [name for name in self.needs if context.get(name) is None]
        if missing:
            keywords = ", ".join(f"{name}={name}" for name in self.needs)
            print(
                f"{self.id}: this check needs the lesson's {', '.join(missing)}: "
                f'check("{self.id}", answer, {keywords})'
            )
            return False
        try:
            praise = self.judge(answer, context)
        except Off as off:
            print(f"{self.id} not yet: {off}")
            return False
        except Exception as error:  # a malformed answer or context must not stop the lesson
            print(f"{self.id} not yet: checking it failed with {type(error).__name__}: {error}")
            return False
        print(f"{self.id} right: {praise}")
        return True


EXERCISES: dict[str, Exercise] = {}
"""Every checked exercise by id, in lesson order."""


def exercise(
    id: str, task: str, hint: str, solution: str, needs: tuple[str, ...] = ()
) -> Callable[[Judge], Judge]:
    """Register the decorated judge as exercise ``id``."""

    def register(judge: Judge) -> Judge:
        EXERCISES[id] = Exercise(id, task, hint, dedent(solution).strip() + "\n", judge, needs)
        return judge

    return register


def _find(exercise_id: object) -> Exercise | None:
    found = EXERCISES.get(exercise_id) if isinstance(exercise_id, str) else None
    if found is None:
        print(f"there is no exercise {exercise_id!r}: the exercises are {', '.join(EXERCISES)}")
    return found


def check(exercise_id: str, answer: Any, **context: Any) -> bool:
    """Check ``answer`` to exercise ``exercise_id``, printing feedback; True if it is right."""
    found = _find(exercise_id)
    return found is not None and found.check(answer, **context)


def hint(exercise_id: str) -> None:
    """Print the hint of exercise ``exercise_id``."""
    found = _find(exercise_id)
    if found is not None:
        print(f"{found.id}: {found.task}\nHint: {found.hint}")


def solution(exercise_id: str) -> None:
    """Print the reference solution of exercise ``exercise_id`` (try it yourself first)."""
    found = _find(exercise_id)
    if found is not None:
        print(f"# {found.id}: {found.task}\n{found.solution}", end="")


# What an answer is: numbers, arrays, functions, models. Each helper raises Off when it is not.


def _describe(value: Any) -> str:
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return f"a {type(value).__name__} of shape {list(value.shape)} ({value.dtype})"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _number(value: Any, what: str) -> float:
    """One finite number from a Python, NumPy or one-element PyTorch value."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, (np.ndarray, np.generic)) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Off(f"expected {what}, one number; got {_describe(value)}.")
    if not math.isfinite(value):
        raise Off(f"expected {what}; got {value}.")
    return float(value)


def _integer(value: Any, what: str) -> int:
    number = _number(value, what)
    if number != int(number):
        raise Off(f"expected {what}, a whole number; got {number:g}.")
    return int(number)


def _array(value: Any, what: str) -> np.ndarray:
    """Floats from a tensor, a NumPy array, a pandas Series or a list of numbers."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    elif isinstance(value, pd.Series):
        value = value.to_numpy()
    if isinstance(value, (str, bytes)) or not isinstance(value, (np.ndarray, list, tuple)):
        raise Off(f"expected {what}; got {_describe(value)}.")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise Off(f"expected {what}, numbers only; got {_describe(value)}.") from error


def _run(function: Callable[..., Any], *args: Any, type_advice: str = "") -> Any:
    """Call the learner's code; what it raises becomes feedback (a TypeError with advice)."""
    if not callable(function):
        raise Off(f"expected a function (something to call); got {_describe(function)}.")
    try:
        return function(*args)
    except Exception as error:
        advice = type_advice if isinstance(error, TypeError) else ""
        raise Off(f"your code raised {type(error).__name__}: {error}{advice}") from error


def _module(value: Any, what: str) -> nn.Module:
    """An ``nn.Module`` instance (a module class is instantiated with no arguments)."""
    if isinstance(value, type) and issubclass(value, nn.Module):
        value = _run(value)
    if not isinstance(value, nn.Module):
        raise Off(f"expected {what}, an nn.Module; got {_describe(value)}.")
    return value


def _layer_text(layer: nn.Module) -> str:
    if isinstance(layer, nn.Conv2d):
        height, width = layer.kernel_size
        return f"conv {layer.in_channels}->{layer.out_channels} {height}x{width}"
    return f"dense {layer.in_features}->{layer.out_features}"


def _weighted_layers(model: nn.Module) -> list[nn.Module]:
    return [layer for layer in model.modules() if isinstance(layer, (nn.Conv2d, nn.Linear))]


def _same_network(answer: nn.Module, reference: nn.Module, inputs: torch.Tensor) -> None:
    """Same layers (in order) and, given the answer's weights, the same log-probabilities."""
    mine, theirs = _weighted_layers(answer), _weighted_layers(reference)
    layout = [(_layer_text(layer), layer.bias is not None) for layer in mine]
    if layout != [(_layer_text(layer), layer.bias is not None) for layer in theirs]:
        expected = ", ".join(_layer_text(layer) for layer in theirs)
        got = ", ".join(_layer_text(layer) for layer in mine) or "none"
        raise Off(f"expected the layers {expected} (each with a bias); yours are {got}.")
    reference = copy.deepcopy(reference)
    for source, target in zip(mine, _weighted_layers(reference), strict=True):
        target.load_state_dict(source.state_dict())
    with in_mode(answer), in_mode(reference), torch.no_grad():
        outputs = _run(answer, inputs)
        expected = reference(inputs)
    if not isinstance(outputs, torch.Tensor) or outputs.shape != expected.shape:
        raise Off(
            f"for {len(inputs)} images expected outputs of shape {list(expected.shape)}; "
            f"got {_describe(outputs)}."
        )
    if not torch.allclose(outputs.float().logsumexp(dim=1), torch.zeros(len(inputs)), atol=1e-4):
        raise Off("the outputs are not log-probabilities: end with a log-softmax over dim 1.")
    if not torch.allclose(outputs.float(), expected, atol=1e-4):
        raise Off(
            "the layers are right but, with the same weights, the outputs differ: check "
            "the forward pass (activations, pooling, flattening, their order)."
        )


@functools.lru_cache(maxsize=1)
def _small_digits(count: int = 300) -> DigitDataset:
    """``count`` of scikit-learn's 8x8 digits, scaled to 20x20 in a 28x28 field: checks in ms."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    pixels = torch.from_numpy(bunch.images[:count]).float().div(16).unsqueeze(1)
    large = F.interpolate(pixels, size=(20, 20), mode="bilinear", align_corners=False)
    images = F.pad(large, (4, 4, 4, 4))[:, 0].mul(255).round().clamp(0, 255).to(torch.uint8)
    labels = torch.from_numpy(bunch.target[:count]).long()
    return DigitDataset(images, labels, source=f"{count} scikit-learn digits")


# Lesson 01: exploring MNIST


@exercise(
    "01.1",
    "the mean pixel value of the training images, scaled to [0, 1], as a float",
    hint="`train.images` holds uint8 values 0-255: turn them into floats, take the mean of "
    "every pixel of every image, and divide by 255. `.item()` turns a one-number tensor into "
    "a float.",
    solution="""
        answer = train.images.float().mean().item() / 255
    """,
    needs=("train",),
)
def _mean_pixel(answer: Any, context: dict[str, Any]) -> str:
    stats = compute_normalization(context["train"].images)
    value = _number(answer, "the mean pixel value")
    if abs(value - stats.mean) < 1e-4:
        return (
            f"the mean pixel is {value:.4f}: most pixels are background (0), which is why "
            "it is so low."
        )
    if abs(value - stats.mean * 255) < 0.05:
        raise Off("that is the mean on the 0-255 scale: divide by 255 to get it in [0, 1].")
    if abs(value - stats.std) < 1e-3:
        raise Off("that is the standard deviation; the question asks for the mean.")
    if not 0 <= value <= 1:
        raise Off(f"expected a float in [0, 1]; got {value:g}.")
    raise Off(
        f"expected {stats.mean:.4f}, the mean of every training pixel scaled to [0, 1]; "
        f"got {value:.4f}."
    )


@exercise(
    "01.2",
    "the number of training images of the rarest digit, as an int",
    hint="`train.class_counts()` lists how many images each digit has; you want the smallest "
    "count (not which digit it is).",
    solution="""
        answer = min(train.class_counts())
    """,
    needs=("train",),
)
def _rarest_count(answer: Any, context: dict[str, Any]) -> str:
    counts = context["train"].class_counts()
    value = _integer(answer, "the number of images of the rarest digit")
    rarest = counts.index(min(counts))
    if value == min(counts):
        return f"digit {rarest} is the rarest, with {value:,} training images."
    if value == rarest:
        raise Off(
            f"{value} is the rarest digit itself; the question asks how many training "
            "images it has."
        )
    if value in counts:
        raise Off(
            f"{value:,} is how many images digit {counts.index(value)} has; another "
            "digit has fewer."
        )
    raise Off(f"no digit has {value:,} training images: expected the smallest of the ten counts.")


# Lesson 02: the first network


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
    from .models import build_model, count_parameters

    model = _module(answer, "R2's MLP")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        _same_network(model, build_model("mlp"), torch.rand(4, 1, 28, 28))
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
    from .runtime import pick_device

    return pick_device("auto")


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

    from .training import evaluate

    data = _small_digits()
    norm = compute_normalization(data.images)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        network = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 32),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(32, 10),
            nn.LogSoftmax(dim=1),
        )
        inputs = norm.apply(data.images.float().div(255).unsqueeze(1))
        optimizer = torch.optim.SGD(network.parameters(), lr=0.1)
        for _ in range(30):
            loss = F.nll_loss(network(inputs), data.labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        expected = evaluate(Classifier(network, norm, data.classes), data).accuracy
        spy = _Spy(network).to(_check_device()).train()
        loader = DataLoader(data.as_torch_dataset(norm), batch_size=64)
        value = _number(_run(answer, spy, loader), "the accuracy")
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


# Lesson 03: convolutional networks


@exercise(
    "03.1",
    "R4's Net2 as an nn.Module subclass (conv 1->10 5x5, max-pool, ReLU; conv 10->20 5x5, "
    "Dropout2d, max-pool, ReLU; 320->50, ReLU, dropout; 50->10, log-softmax)",
    hint="Declare conv1, conv2, an nn.Dropout2d, fc1 (320 -> 50) and fc2 (50 -> 10) in "
    "__init__; in forward: F.relu(F.max_pool2d(conv1(x), 2)), the same with conv2 and the "
    "Dropout2d, x.flatten(1) (20 x 4 x 4 = 320), F.relu(fc1), F.dropout(x, "
    "training=self.training), then F.log_softmax(fc2(x), dim=1). 21,840 parameters.",
    solution="""
        import torch.nn.functional as F
        from torch import nn

        class Net2(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
                self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
                self.conv2_drop = nn.Dropout2d()
                self.fc1 = nn.Linear(320, 50)
                self.fc2 = nn.Linear(50, 10)

            def forward(self, x):
                x = F.relu(F.max_pool2d(self.conv1(x), 2))
                x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
                x = x.flatten(1)
                x = F.dropout(F.relu(self.fc1(x)), training=self.training)
                return F.log_softmax(self.fc2(x), dim=1)

        answer = Net2()
    """,
)
def _net2(answer: Any, context: dict[str, Any]) -> str:
    from .models import build_model, count_parameters

    model = _module(answer, "Net2")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        inputs = torch.randn(4, 1, 28, 28)
        _same_network(model, build_model("net2"), inputs)
        drops = [layer for layer in model.modules() if isinstance(layer, nn.Dropout2d)]
        if not drops:
            raise Off("no nn.Dropout2d: Net2 drops whole feature maps after its second conv.")
        used: list[nn.Module] = []
        hooks = [drop.register_forward_hook(lambda m, i, o: used.append(m)) for drop in drops]
        try:
            with in_mode(model, training=True), torch.no_grad():
                model(inputs)
        finally:
            for handle in hooks:
                handle.remove()
    if not used:
        raise Off("the nn.Dropout2d is declared but forward never calls it.")
    return f"Net2, {count_parameters(model):,} parameters, the same outputs as the library's net2."


@exercise(
    "03.2",
    "how many parameters cnn3's second convolution, nn.Conv2d(32, 64, 3), has (an int)",
    hint="Each of the 64 output channels has a 3x3 filter over each of the 32 input channels, "
    "and one bias.",
    solution="""
        from torch import nn

        from mnist_course.models import count_parameters

        answer = count_parameters(nn.Conv2d(32, 64, 3))
    """,
)
def _conv_parameters(answer: Any, context: dict[str, Any]) -> str:
    value = _integer(answer, "a number of parameters")
    if value == 32 * 64 * 9 + 64:
        return "32 x 64 x 3 x 3 = 18,432 weights plus 64 biases."
    if value == 32 * 64 * 9:
        raise Off("add the biases: a convolution has one per output channel.")
    raise Off(
        f"{value:,} is not it: count in x out x 3 x 3 weights, plus one bias per output channel."
    )


# Lesson 04: the learning rate


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
    value = _number(answer, "a learning rate")
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
    _run(answer, list(mine.parameters()), 0.1)
    torch.optim.SGD(theirs.parameters(), lr=0.1).step()
    after, expected = list(mine.parameters()), list(theirs.parameters())
    if all(torch.equal(a, b) for a, b in zip(after, before, strict=True)):
        raise Off(
            "the weights did not move: update each one in place (p -= lr * p.grad) inside "
            "torch.no_grad()."
        )
    upward = [b + 0.1 * p.grad for b, p in zip(before, theirs.parameters(), strict=True)]
    if all(torch.allclose(a, u, atol=1e-6) for a, u in zip(after, upward, strict=True)):
        raise Off("the weights moved up the gradient: subtract lr * p.grad to go down.")
    if not all(torch.allclose(a, e, atol=1e-6) for a, e in zip(after, expected, strict=True)):
        raise Off(
            "the weights moved, but not as torch.optim.SGD moves them: by -lr * p.grad, "
            "every parameter once."
        )
    return "the same step as torch.optim.SGD: weight -= learning rate x gradient."


# Lesson 05: batch size and grid search


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
        got = _integer(_run(answer, images, batch, drop_last), f"{call}, a number of steps")
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
        raise Off(f"expected a dict {{batch_size: lr}}; got {_describe(answer)}.")
    chosen = {
        _integer(size, "batch sizes as keys"): _number(lr, "learning rates as values")
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


# Lesson 06: evaluation


def _digit_pair(answer: Any, classes: int) -> tuple[int, int]:
    if isinstance(answer, (str, bytes, dict)) or not isinstance(answer, Iterable):
        raise Off(f"expected two digits, e.g. (4, 9); got {_describe(answer)}.")
    items = list(answer.tolist() if isinstance(answer, (torch.Tensor, np.ndarray)) else answer)
    if len(items) != 2:
        raise Off(f"expected two digits, e.g. (4, 9); got {len(items)} items.")
    try:
        digits = [
            int(item) if isinstance(item, str) and item.isdigit() else _integer(item, "a digit")
            for item in items
        ]
    except Off as off:
        raise Off(f"expected two digits, e.g. (4, 9); got {_describe(answer)}.") from off
    if not all(0 <= digit < classes for digit in digits):
        raise Off(f"expected digits from 0 to {classes - 1}; got {digits}.")
    return digits[0], digits[1]


@exercise(
    "06.1",
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
    "06.2",
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
    values = _array(answer, f"{len(matrix)} recalls, one per digit").reshape(-1)
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


# Lesson 07: draw a digit


@exercise(
    "07.1",
    "a torchvision transform that turns a 28x28 PIL image into the model's input: a float "
    "tensor [1, 28, 28], normalised with 0.1307 and 0.3081",
    hint="transforms.Compose([...]) applies its steps in order: transforms.ToTensor() (PIL to a "
    "float tensor [1, 28, 28] in [0, 1]), then transforms.Normalize((mean,), (std,)).",
    solution="""
        from torchvision import transforms

        answer = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]
        )
    """,
)
def _transform(answer: Any, context: dict[str, Any]) -> str:
    from PIL import Image

    pixels = _small_digits().images[0]
    image = Image.fromarray(pixels.numpy())
    expected = ((pixels.float() / 255 - 0.1307) / 0.3081).unsqueeze(0)
    output = _run(answer, image, type_advice=" (ToTensor comes first: Normalize needs a tensor)")
    if not isinstance(output, torch.Tensor):
        raise Off(f"expected a tensor; got {_describe(output)}: ToTensor makes one.")
    if list(output.shape) != [1, 28, 28]:
        raise Off(f"expected shape [1, 28, 28] (one channel); got {list(output.shape)}.")
    if output.dtype != torch.float32:
        raise Off(f"expected float32 values; got {output.dtype}.")
    if torch.allclose(output, expected.mul(0.3081).add(0.1307), atol=1e-4):
        raise Off("the values are still in [0, 1]: add Normalize((0.1307,), (0.3081,)).")
    if not torch.allclose(output, expected, atol=1e-4):
        low, high = output.min().item(), output.max().item()
        raise Off(
            f"values from {low:.3f} to {high:.3f}; expected {expected.min():.3f} to "
            f"{expected.max():.3f}: normalise with mean 0.1307 and std 0.3081."
        )
    return f"[1, 28, 28] float32 from {expected.min():.4f} (background) to {expected.max():.4f}."


@exercise(
    "07.2",
    "the model's probabilities for one image, one per class (a tensor or array)",
    hint="The model takes pixels as stored (it normalises them itself) and a batch: "
    "model(image.unsqueeze(0)). It returns log-probabilities: .exp() makes them probabilities. "
    "Use model.eval() and torch.no_grad().",
    solution="""
        import torch

        model.eval()
        with torch.no_grad():
            answer = model(image.unsqueeze(0)).exp()[0]
    """,
    needs=("model", "image"),
)
def _probabilities(answer: Any, context: dict[str, Any]) -> str:
    model, image = context["model"], context["image"]
    device = next(model.parameters()).device
    with in_mode(model), torch.no_grad():
        expected = model(image.unsqueeze(0).to(device)).exp()[0].float().cpu().numpy()
    values = _array(answer, f"{len(expected)} probabilities").reshape(-1)
    if values.shape != expected.shape:
        raise Off(f"expected {len(expected)} probabilities, one per class; got {values.size}.")
    if np.all(values <= 0) and abs(np.log(np.exp(values).sum())) < 1e-3:
        raise Off("these are log-probabilities (the model ends in LogSoftmax): take .exp().")
    if abs(values.sum() - 1) > 1e-3:
        raise Off(f"probabilities add up to 1; yours add up to {values.sum():.4f}.")
    if not np.allclose(values, expected, atol=1e-4):
        raise Off(
            "these are not the model's probabilities for this image: pass the pixels as "
            "they are (the model normalises them) and use model.eval()."
        )
    best = int(expected.argmax())
    classes = getattr(model, "classes", None) or [str(c) for c in range(len(expected))]
    return f"the model reads a {classes[best]} ({expected[best]:.1%})."


# Lesson 08: going further


@exercise(
    "08.1",
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
    output = _run(answer, x.clone())
    values = torch.as_tensor(_array(output, "a tensor shaped like x"), dtype=torch.float32)
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
    "08.2",
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
        raise Off(f"expected a name, one of {names}; got {_describe(answer)}.")
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
