"""Checked exercises: every reference passes, wrong and malformed answers fail without raising,
and every notebook asks its exercises by id."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torchvision import transforms

from mnist_course.classifier import Classifier
from mnist_course.data import DataSplits, Normalization
from mnist_course.exercises import EXERCISES, check, hint, solution
from mnist_course.models import build_model
from mnist_course.studies import Study

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
CHECKED = re.compile(r"""check\(\s*["'](\d\d\.\d+)["']""")


def fake_study(parameters: list[str], rows: list[dict[str, Any]]) -> Study:
    """A study as the studies module returns it, without training anything."""
    runs = pd.DataFrame(
        [
            {"run": i, "seed": 0, "status": "completed", "train_seconds": 1.0} | row
            for i, row in enumerate(rows)
        ]
    )
    return Study(parameters, runs, pd.DataFrame())


@pytest.fixture(scope="module")
def context(digits: DataSplits) -> dict[str, Any]:
    """Every lesson variable an exercise may need, made here from scikit-learn's digits."""
    torch.manual_seed(0)
    matrix = np.diag(np.full(10, 100))
    matrix[4, 9], matrix[9, 4] = 7, 6  # 13 in both directions: the most confused pair
    matrix[7, 2] = 10  # the largest single cell, but only one direction
    nan = float("nan")
    return {
        "train": digits.train,
        "study": fake_study(
            ["lr"],
            [
                {"lr": 0.01, "val_accuracy": 0.90},
                {"lr": 0.1, "val_accuracy": 0.95},
                {"lr": 1.0, "val_accuracy": nan, "status": "diverged"},
                {"lr": 10.0, "val_accuracy": nan, "status": "diverged"},
            ],
        ),
        "search": fake_study(
            ["lr", "batch_size"],
            [
                {"lr": 0.03, "batch_size": 64, "val_accuracy": 0.95},
                {"lr": 0.03, "batch_size": 256, "val_accuracy": 0.90},
                {"lr": 0.3, "batch_size": 64, "val_accuracy": 0.93},
                {"lr": 0.3, "batch_size": 256, "val_accuracy": 0.94},
            ],
        ),
        "matrix": matrix,
        "model": Classifier(build_model("mlp"), Normalization(0.1307, 0.3081), digits.classes),
        "image": digits.test.images[0],
        "rows": [
            {"augmentation": "none", "test": 0.990, "distorted test": 0.80},
            {"augmentation": "affine", "test": 0.992, "distorted test": 0.95},
            {"augmentation": "affine+elastic", "test": 0.989, "distorted test": 0.96},
        ],
    }


def needed(exercise_id: str, context: dict[str, Any]) -> dict[str, Any]:
    return {name: context[name] for name in EXERCISES[exercise_id].needs}


def eval_without_eval_mode(model: nn.Module, loader: Any) -> float:
    right = seen = 0
    with torch.no_grad():
        for images, labels in loader:
            right += (model(images).argmax(dim=1) == labels).sum().item()
            seen += len(labels)
    return right / seen


def eval_with_gradients(model: nn.Module, loader: Any) -> float:
    model.eval()
    right = sum((model(x).argmax(dim=1) == y).sum().item() for x, y in loader)
    return right / len(loader.dataset)


def mean_of_batch_accuracies(model: nn.Module, loader: Any) -> float:
    model.eval()
    with torch.no_grad():
        shares = [(model(x).argmax(dim=1) == y).float().mean().item() for x, y in loader]
    return sum(shares) / len(shares)


def sgd_up(params: list[torch.Tensor], lr: float) -> None:
    with torch.no_grad():
        for p in params:
            p += lr * p.grad


def sgd_renames(params: list[torch.Tensor], lr: float) -> None:
    for p in params:
        p = p - lr * p.grad  # the mistake under test: this only renames


def net2_without_dropout2d() -> nn.Module:
    model = build_model("net2")
    model[4] = nn.Identity()
    return model


class Net2Unused(nn.Module):
    """Net2's layers with a Dropout2d the forward pass never calls."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = net2_without_dropout2d()
        self.drop = nn.Dropout2d()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def precision_of(matrix: np.ndarray) -> np.ndarray:
    return np.diag(matrix) / matrix.sum(axis=0)


class From:
    """A wrong answer made when the test runs, from the lesson's context."""

    def __init__(self, make: Callable[[dict[str, Any]], Any]) -> None:
        self.make = make


# Per exercise: wrong answers and a phrase their feedback must contain.
NO_RELU = From(lambda c: nn.Sequential(*[m for m in build_model("mlp") if type(m) is not nn.ReLU]))
NORMALIZE = transforms.Normalize((0.1307,), (0.3081,))
WRONG: dict[str, list[tuple[Any, str]]] = {
    "01.1": [
        (From(lambda c: c["train"].images.float().mean().item()), "divide by 255"),
        (0.5, "expected 0."),
        (torch.zeros(28, 28), "one number"),
    ],
    "01.2": [
        (From(lambda c: int(np.argmin(c["train"].class_counts()))), "digit itself"),
        (From(lambda c: max(c["train"].class_counts())), "has fewer"),
        (3.5, "whole number"),
    ],
    "02.1": [
        (From(lambda c: build_model("net1")), "expected the layers"),
        (From(lambda c: build_model("mlp")[:-1]), "log-probabilities"),
        (NO_RELU, "forward pass"),
    ],
    "02.2": [
        (eval_without_eval_mode, "training mode"),
        (eval_with_gradients, "no_grad"),
        (mean_of_batch_accuracies, "divide by the number of images"),
        (lambda model, loader: 0.5, "never called the model"),
    ],
    "03.1": [
        (From(lambda c: net2_without_dropout2d()), "no nn.Dropout2d"),
        (Net2Unused, "never calls it"),
        (From(lambda c: build_model("net3")), "expected the layers"),
    ],
    "03.2": [(18_432, "biases"), (576, "is not it")],
    "04.1": [(10.0, "smaller rate"), (0.1, "without diverging"), (0.5, "not one of")],
    "04.2": [(sgd_up, "up the gradient"), (sgd_renames, "did not move")],
    "05.1": [
        (lambda n, b, drop_last=False: n // b, "smaller batch is a step"),
        (lambda n, b, drop_last=False: -(-n // b), "drops the last"),
    ],
    "05.2": [
        ({64: 0.3, 256: 0.3}, "at batch 64"),
        ({0.03: 64, 0.3: 256}, "whole number"),
        ({64: 0.03}, "each batch size"),
        ({64: 0.03, 256: 0.1}, "not one of"),
    ],
    "06.1": [((7, 2), "single cell"), ((3, 3), "diagonal"), ((1, 2, 3), "two digits")],
    "06.2": [
        (From(lambda c: precision_of(c["matrix"])), "precision"),
        (From(lambda c: 100 * np.diag(c["matrix"]) / c["matrix"].sum(1)), "percentages"),
        (np.ones(9), "expected 10 values"),
    ],
    "07.1": [
        (transforms.ToTensor(), "still in [0, 1]"),
        (transforms.Compose([NORMALIZE, transforms.ToTensor()]), "ToTensor comes first"),
        (
            transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]),
            "mean 0.1307",
        ),
        (transforms.PILToTensor(), "float32"),
    ],
    "07.2": [
        (From(lambda c: c["model"](c["image"][None]).detach()[0]), "log-probabilities"),
        (np.full(10, 0.1), "not the model's probabilities"),
        (np.ones(10), "add up to"),
    ],
    "08.1": [
        (lambda x: (x - x.mean()) / x.std(unbiased=False), "all channels together"),
        (
            lambda x: (x - x.mean((0, 2, 3), True)) / x.std((0, 2, 3), keepdim=True),
            "biased variance",
        ),
        (lambda x: (x - x.mean((1, 2, 3), True)) / x.std((1, 2, 3), False, True), "each image"),
        (lambda x: x[0], "shape of x"),
    ],
    "08.2": [("affine", "normal test set"), ("none", "another"), ("elastic", "one of")],
}

MALFORMED = [
    None,
    "not an answer",
    float("nan"),
    [[1, 2], [3]],
    object(),
    lambda *args, **kwargs: 1 / 0,
]


def make(answer: Any, context: dict[str, Any]) -> Any:
    return answer.make(context) if isinstance(answer, From) else answer


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_the_reference_solution_passes(exercise_id, context, capsys):
    exercise = EXERCISES[exercise_id]
    answer = exercise.reference(**needed(exercise_id, context))
    assert check(exercise_id, answer, **needed(exercise_id, context))
    assert f"{exercise_id} right:" in capsys.readouterr().out


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_wrong_answers_fail_and_say_why(exercise_id, context, capsys):
    assert exercise_id in WRONG, f"{exercise_id} has no wrong answer in this test"
    for wrong, phrase in WRONG[exercise_id]:
        answer = make(wrong, context)
        assert not check(exercise_id, answer, **needed(exercise_id, context))
        printed = capsys.readouterr().out
        assert f"{exercise_id} not yet:" in printed and phrase in printed, (answer, printed)


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_malformed_answers_fail_without_raising(exercise_id, context, capsys):
    for answer in MALFORMED:
        assert not check(exercise_id, answer, **needed(exercise_id, context))
        printed = capsys.readouterr().out
        assert printed.startswith(exercise_id), printed
    check(exercise_id, None)
    assert "not answered yet" in capsys.readouterr().out


def test_a_check_without_its_context_says_what_to_pass(context, capsys):
    answer = EXERCISES["01.1"].reference(train=context["train"])
    assert not check("01.1", answer)
    assert 'check("01.1", answer, train=train)' in capsys.readouterr().out


def test_unknown_ids_fail_hints_and_solutions_print(capsys):
    assert not check("99.9", 1) and not check(None, 1)  # type: ignore[arg-type]
    assert "there is no exercise '99.9'" in capsys.readouterr().out
    hint("02.2")
    assert "torch.no_grad()" in capsys.readouterr().out
    solution("03.1")
    printed = capsys.readouterr().out
    assert "class Net2(nn.Module)" in printed and "answer = Net2()" in printed


def notebook_text(number: str) -> tuple[Path, str]:
    (path,) = NOTEBOOKS.glob(f"{number}_*.ipynb")
    notebook = nbformat.read(path, as_version=4)
    return path, "\n".join(cell.source for cell in notebook.cells)


@pytest.mark.parametrize("number", [f"{n:02}" for n in range(1, 9)])
def test_every_lesson_asks_its_exercises_by_id(number):
    path, text = notebook_text(number)
    asked = CHECKED.findall(text)
    assert len(set(asked)) >= 2, f"{path.name} checks {asked}: at least two exercises"
    assert set(asked) <= set(EXERCISES), f"{path.name} checks unknown ids"
    assert all(exercise_id.startswith(number) for exercise_id in asked)
    own = {exercise_id for exercise_id in EXERCISES if exercise_id.startswith(number + ".")}
    assert own <= set(asked), f"{path.name} never checks {sorted(own - set(asked))}"


def telling_lines(code: str) -> list[str]:
    """The lines of a solution that give it away: not imports, signatures or ``answer = name``."""
    lines = [line.strip() for line in code.splitlines()]
    return [
        line
        for line in lines
        if len(line) > 20
        and not line.startswith(("import ", "from ", "def ", "class "))
        and not re.fullmatch(r"answer = \w+(\(\))?", line)
    ]


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_each_exercise_belongs_to_a_notebook_that_hides_its_solution(exercise_id):
    exercise = EXERCISES[exercise_id]
    _, text = notebook_text(exercise.notebook)
    lines = telling_lines(exercise.solution)
    assert lines, f"{exercise_id}: a solution with nothing to hide?"
    assert not [line for line in lines if line in text]
    assert exercise.hint and exercise.task


def test_the_evaluation_loop_must_move_each_batch_to_the_models_device(monkeypatch, capsys):
    """On a GPU the check runs the model there; 'meta' stands in for one on this CPU machine."""
    import mnist_course.exercises as exercises

    def no_move(model, loader):
        model.eval()
        with torch.no_grad():
            right = sum((model(x).argmax(dim=1) == y).sum().item() for x, y in loader)
        return right / len(loader.dataset)

    assert check("02.2", no_move)  # on the CPU the batches are already where the model is
    capsys.readouterr()
    monkeypatch.setattr(exercises, "_check_device", lambda: torch.device("meta"))
    assert not check("02.2", no_move)
    printed = capsys.readouterr().out
    assert "02.2 not yet:" in printed and "move each batch to the model's device" in printed
