"""Lesson 12's exercises: the training mix as a Dataset, and the held-out accuracy by hand."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
from torch.utils.data import ConcatDataset, TensorDataset

from mnist_course.data import DataSplits, Normalization, stratified_sample, stratified_split
from mnist_course.exercises import EXERCISES
from mnist_course.models import build_model
from mnist_course.models.classifier import Classifier
from tests.exercises.checking import (
    ExerciseContract,
    From,
    Wrong,
    lesson_ids,
)

IDS = lesson_ids("12")


def _views(context: dict[str, Any]) -> tuple[Any, Any]:
    return context["everyone"].as_torch_dataset(), context["mine"].as_torch_dataset()


def _pair(context: dict[str, Any], repeats: int) -> tuple[torch.Tensor, torch.Tensor]:
    everyone, mine = context["everyone"], context["mine"]
    images = torch.cat([everyone.images, mine.images.repeat(repeats, 1, 1)])
    return images, torch.cat([everyone.labels, mine.labels.repeat(repeats)])


def _wrong_labels(context: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = _pair(context, context["repeats"])
    return images, (labels + 1) % 10


def _normalised(context: dict[str, Any]) -> ConcatDataset:
    norm = Normalization(0.1307, 0.3081)
    everyone, mine = context["everyone"], context["mine"]
    return ConcatDataset(
        [everyone.as_torch_dataset(norm)] + [mine.as_torch_dataset(norm)] * context["repeats"]
    )


def _one_picture_thrice(context: dict[str, Any]) -> ConcatDataset:
    """The right length, but the first of yours three times more and the last never."""
    images, labels = _pair(context, context["repeats"])
    images[-1], labels[-1] = context["mine"].images[0], context["mine"].labels[0]
    return TensorDataset(images, labels)


def _counting(model: Classifier, pictures: Any) -> int:
    model.eval()
    with torch.no_grad():
        return int((model(pictures.images).argmax(dim=1) == pictures.labels).sum())


def _in_training_mode(model: Classifier, pictures: Any) -> float:
    with torch.no_grad():
        read = model(pictures.images).argmax(dim=1)
    return (read == pictures.labels).float().mean().item()


WRONG: Wrong = {
    "12.1": [
        (From(lambda c: ConcatDataset(_views(c))), "once: repeat them"),
        (From(lambda c: _views(c)[0]), "only the MNIST images"),
        (From(lambda c: ConcatDataset([_views(c)[1]] * c["repeats"])), "only your pictures"),
        (From(lambda c: ConcatDataset(list(_views(c)) * c["repeats"])), "MNIST is repeated"),
        (From(lambda c: _wrong_labels(c)), "has label"),
        (From(_normalised), "without a normalisation"),
        (From(_one_picture_thrice), "in the mix 4 times"),
        (From(lambda c: _pair(c, c["repeats"])[0]), "expected a Dataset"),
    ],
    "12.2": [
        (lambda model, pictures: 0.5, "expected"),
        (_counting, "count of right answers"),
        (lambda m, p: 100 * EXERCISES["12.2"].reference()(m, p), "percentage"),
        (_in_training_mode, "model.eval()"),
        (lambda model: 1.0, "your code raised TypeError"),
    ],
}


def steps(model: Classifier, data: Any, count: int) -> Classifier:
    """``count`` full-batch SGD steps on ``data``: a model that reads some digits, not all."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(count):
        loss = torch.nn.functional.nll_loss(model.train()(data.images), data.labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


@pytest.fixture(scope="module")
def context(digits: DataSplits) -> dict[str, Any]:
    """Lesson 12's variables, from scikit-learn's digits: 'your' pictures are 80 test images,
    the models two padnets (with BatchNorm, so that eval mode matters), one trained a little."""
    own = stratified_sample(digits.test, 80, seed=0)
    mine, held_out = stratified_split(own, validation=20, seed=0)
    everyone = stratified_sample(digits.train, 200, seed=0)
    torch.manual_seed(0)
    model = Classifier(build_model("padnet"), Normalization(0.1307, 0.3081), digits.classes)
    steps(model, everyone, 10)
    tuned = steps(copy.deepcopy(model), mine, 5)
    return {
        "mine": mine,
        "everyone": everyone,
        "repeats": 3,
        "model": model.eval(),
        "tuned": tuned.eval(),
        "held_out": held_out,
    }


class TestEveryExercise(ExerciseContract):
    """Reference passes; wrong, None and malformed answers fail with a message, never raise."""

    IDS, WRONG = IDS, WRONG


def test_the_mix_as_tensors_passes_too(context, capsys):
    assert EXERCISES["12.1"].check(_pair(context, context["repeats"]), **context_for_mix(context))
    assert "3 x 60 of yours" in capsys.readouterr().out


def test_checking_an_accuracy_leaves_the_lessons_models_as_they_are(context, capsys):
    weights = {name: copy.deepcopy(context[name].state_dict()) for name in ("model", "tuned")}
    needs = {name: context[name] for name in ("model", "tuned", "held_out")}
    assert EXERCISES["12.2"].check(_in_training_mode, **needs) is False
    assert EXERCISES["12.2"].check(EXERCISES["12.2"].reference(), **needs)
    for name, saved in weights.items():
        assert not context[name].training
        for key, value in context[name].state_dict().items():
            assert torch.equal(value, saved[key]), (name, key)
    capsys.readouterr()


def context_for_mix(context: dict[str, Any]) -> dict[str, Any]:
    return {name: context[name] for name in ("mine", "everyone", "repeats")}
