"""Lesson 13's checked exercises: the capstone's split, protocol, result and summary.

The checks read the lesson's ``Protocol`` (in ``protocol.py``): the record of the split, of every
evaluation (which data it ran on, told by the images) and of every choice. The result is judged
against a bar stated here, before any run, per data source and mode (``BARS``).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from ..data.dataset import DigitDataset
from .answers import as_number, describe
from .framework import Off, exercise
from .protocol import Protocol, index_pair, signatures, split_problem
from .questionnaire import HINT, Question, judge, solution_of

__all__ = ["BARS", "Protocol", "bar_for"]

BARS: dict[str, tuple[float, float]] = {
    "fashion-mnist": (0.88, 0.70),
    "emnist-balanced": (0.85, 0.50),
    "mnist": (0.98, 0.90),
    "digits": (0.95, 0.85),
}
"""The test accuracy to reach per source, (full course, smoke mode): set before any run."""


def bar_for(lesson: Any) -> float | None:
    """The bar for the lesson's source in its mode; None for a source without one."""
    bars = BARS.get(str(getattr(lesson, "source", "")).lower())
    return None if bars is None else bars[1] if getattr(lesson, "smoke", False) else bars[0]


def _protocol(value: Any) -> Protocol:
    if not isinstance(value, Protocol):
        raise Off(f"expected the Protocol your cells filled (protocol); got {describe(value)}.")
    return value


def _share(answer: Any, what: str) -> float:
    value = as_number(answer, what)
    if 1 < value <= 100:
        raise Off(f"give {what} as a share of 1 (0.912 for 91.2 %), as evaluate returns it.")
    if not 0 <= value <= 1:
        raise Off(f"{what} is a share between 0 and 1; got {value:g}.")
    return value


def _standard_error(accuracy: float, count: int) -> float:
    return math.sqrt(accuracy * (1 - accuracy) / max(count, 1))


@exercise(
    "13.1",
    "your split of lesson.data.train: (train_indices, validation_indices), disjoint, 5-30 % held "
    "out, every class on both sides, no index outside the training set",
    hint="Shuffle every index of lesson.data.train once (torch.randperm with a seeded generator, "
    "or scikit-learn's train_test_split with stratify=labels), then cut: one share is the "
    "validation part, the rest is for training.",
    solution="""
        import torch

        generator = torch.Generator().manual_seed(0)
        shuffled = torch.randperm(len(lesson.data.train), generator=generator)
        cut = len(shuffled) // 10  # hold out 10 %
        answer = (shuffled[cut:], shuffled[:cut])
    """,
    needs=("lesson",),
)
def _split(answer: Any, context: dict[str, Any]) -> str:
    train, held = index_pair(answer)
    data = context["lesson"].data
    problem = split_problem(train, held, data.train)
    if problem:
        raise Off(problem)
    return (
        f"{len(train):,} training and {len(held):,} validation images "
        f"({len(held) / len(data.train):.1%} held out), disjoint, every class on both sides; "
        f"the {len(data.test):,} test images untouched."
    )


@exercise(
    "13.2",
    "predict, then run: before the one look at the test set, the test accuracy you expect "
    "(a share such as 0.9)",
    hint="Your best estimate of how the chosen model does on new images is its validation "
    "accuracy, perhaps a little less: it was chosen because it did well on those very images.",
    solution="""
        answer = protocol.validation_accuracy  # the chosen model's figure on held-out images
    """,
    needs=("protocol",),
)
def _prediction(answer: Any, context: dict[str, Any]) -> str:
    protocol = _protocol(context["protocol"])
    value = _share(answer, "your prediction")
    test = protocol.test_accuracy
    if test is None or math.isnan(test):
        raise Off("the test set has not been evaluated yet: run the test cell, then check again.")
    held = protocol.split_sizes[1] if protocol.split_sizes else len(protocol.data.test)
    noise = 2 * math.hypot(
        _standard_error(test, len(protocol.data.test)), _standard_error(test, held)
    )
    if abs(value - test) <= noise:
        return (
            f"you expected {value:.2%}, the test gave {test:.2%}: within two standard errors "
            f"(± {noise:.2%}), so your estimate held."
        )
    side = "lower" if value > test else "higher"
    validation = protocol.validation_accuracy
    start = f" ({validation:.2%})" if validation is not None else ""
    raise Off(
        f"you expected {value:.2%}, the test gave {test:.2%}, {abs(value - test):.2%} {side}: "
        f"more than noise (± {noise:.2%}). The chosen model's validation accuracy{start} is the "
        "estimate to start from; a much larger gap means the two sets differ."
    )


def _watches(protocol: Protocol, lesson: Any) -> bool:
    test = getattr(getattr(lesson, "data", None), "test", None)
    if not isinstance(test, DigitDataset):
        raise Off(f"expected lesson=lesson (the Lesson); got {describe(lesson)}.")
    return np.array_equal(protocol.known["test"], np.unique(signatures(test.images)))


@exercise(
    "13.3",
    "the protocol your cells filled: a split, validation evaluations behind every choice, the "
    "test set evaluated once, after the last choice",
    hint="protocol.split(...) once; your evaluate calls protocol.record(data, accuracy); "
    "protocol.chose(what, value) for each choice, made on validation figures; then one "
    "evaluate on lesson.data.test. `protocol` shows the record so far.",
    solution="""
        import torch

        from mnist_course.exercises.lesson13 import Protocol

        protocol = Protocol(data=lesson.data)
        order = torch.randperm(len(lesson.data.train), generator=torch.Generator().manual_seed(1))
        held_out = len(order) // 5
        train_part, validation = protocol.split(order[held_out:], order[:held_out])
        protocol.record(validation, 0.9)  # what your evaluate(model, validation) does, per epoch
        protocol.chose("epochs", 1)  # every choice after the validation figures it rests on
        protocol.record(lesson.data.test, 0.9)  # the test set, once, after the last choice
        answer = protocol
    """,
    needs=("lesson",),
)
def _protocol_kept(answer: Any, context: dict[str, Any]) -> str:
    protocol = _protocol(answer)
    if not _watches(protocol, context["lesson"]):
        raise Off(
            "this protocol watches another test set than the lesson's: Protocol(lesson.data)."
        )
    events = protocol.events
    where = {
        kind: [i for i, event in enumerate(events) if (event.on or event.kind) == kind]
        for kind in ("split", "validation", "choice", "test")
    }
    if not where["split"]:
        raise Off(
            "no split recorded: train_part, validation = protocol.split(train_indices, "
            "validation_indices)."
        )
    if not where["validation"]:
        raise Off(
            "no evaluation on the validation part recorded: your evaluate must call "
            "protocol.record(data, accuracy), and your choices rest on those figures."
        )
    if not where["choice"]:
        raise Off("no choice recorded: protocol.chose('epochs', best_epoch) for each choice.")
    if not where["test"]:
        raise Off(
            "the test set has not been evaluated yet: once, with the chosen model, at the end."
        )
    late = [events[i].what for i in where["choice"] if i > where["test"][0]]
    if late:
        raise Off(
            f"you chose {', '.join(late)} after the test set was seen: those choices saw it, so "
            "its figure is no longer an honest estimate for new images. Say so in your summary "
            "(a new Protocol forgets the look; you do not)."
        )
    if len(where["test"]) > 1:
        raise Off(
            f"{len(where['test'])} looks at the test set: only the first is an honest estimate "
            f"({protocol.test_accuracy:.2%}). Choose on validation, and say it in your summary."
        )
    names = ", ".join(dict.fromkeys(events[i].what for i in where["choice"]))
    held = protocol.split_sizes[1] if protocol.split_sizes else 0
    return (
        f"{held:,} images held out, {len(where['validation'])} validation evaluations behind "
        f"your choices ({names}), and one look at the test set, after the last choice."
    )


@exercise(
    "13.4",
    "your test accuracy, as your evaluate recorded it, against the bar stated for the lesson's "
    "data (Fashion-MNIST: 88 % in the full course)",
    hint="The share your evaluate returned for lesson.data.test, the first time. Below the bar? "
    "Choose again on validation (more epochs, a wider network, another rate); a second look at "
    "the test set is counted, and your summary should say so.",
    solution="""
        answer = protocol.test_accuracy  # the first look at the test set
    """,
    needs=("protocol", "lesson"),
)
def _result(answer: Any, context: dict[str, Any]) -> str:
    protocol = _protocol(context["protocol"])
    value = _share(answer, "the test accuracy")
    looks = protocol.evaluations("test")
    if not looks:
        raise Off(
            "your evaluate has not recorded a test evaluation yet: once, at the end, "
            "evaluate(final_model, lesson.data.test)."
        )
    if not math.isclose(value, looks[0], abs_tol=5e-4):
        later = [
            n for n, a in enumerate(looks[1:], start=2) if math.isclose(value, a, abs_tol=5e-4)
        ]
        if later:
            raise Off(
                f"that is look {later[0]} at the test set; only the first counts: {looks[0]:.2%}."
            )
        raise Off(
            f"{value:.2%} is not what your evaluate recorded on the test set, {looks[0]:.2%}."
        )
    lesson = context["lesson"]
    bar, count = bar_for(lesson), len(protocol.data.test)
    noise = _standard_error(value, count)
    mode = "smoke mode" if getattr(lesson, "smoke", False) else "the full course"
    if bar is None:
        return f"{value:.2%} on {count:,} test images (± {noise:.2%}); no bar for this source."
    if value < bar:
        raise Off(
            f"{value:.2%} is below the bar for {lesson.source} in {mode}, {bar:.0%}. Choose again "
            "on validation (more epochs, a wider network, another rate); the next look at the "
            "test set is counted, and your summary should say so."
        )
    return (
        f"{value:.2%} on {count:,} test images (one standard error: ± {noise:.2%}) clears the "
        f"bar for {lesson.source} in {mode}, {bar:.0%}."
    )


_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(%|percent)?")


def _shares_in(text: str) -> list[float]:
    """Every number in ``text`` as a share: 91.2 %, 91.2 and 0.912 all give 0.912."""
    shares = []
    for digits, sign in _NUMBER.findall(text):
        number = float(digits.replace(",", ""))
        shares.append(number / 100 if sign or number > 1 else number)
    return shares


@exercise(
    "13.5",
    "your summary (a string): the data, the model, what you chose on validation, the final "
    "validation and test accuracies to one decimal, how often you looked at the test set",
    hint="A few sentences of your own. The two figures are the ones the protocol recorded: "
    "protocol.validation_accuracy (the chosen model's) and protocol.test_accuracy (the first "
    "look), written like 91.2 %.",
    solution="""
        answer = (
            f"A small CNN chosen on a held-out validation split: validation accuracy "
            f"{protocol.validation_accuracy:.1%}, test accuracy {protocol.test_accuracy:.1%}, "
            f"the test set seen {protocol.test_evaluations} time(s), after every choice."
        )
    """,
    needs=("protocol",),
)
def _summary(answer: Any, context: dict[str, Any]) -> str:
    protocol = _protocol(context["protocol"])
    if not isinstance(answer, str):
        raise Off(f"expected your summary as a string (a few sentences); got {describe(answer)}.")
    text = answer.strip()
    if "TODO" in text or "..." in text:
        raise Off("the summary still has a TODO (or ...): replace it with your own sentences.")
    if not 80 <= len(text) <= 2000:
        raise Off(f"{len(text):,} characters: a summary is a few sentences, 80 to 2,000.")
    unnamed = [repr(word) for word in ("validation", "test") if word not in text.lower()]
    if unnamed:
        raise Off(f"the summary never says {' or '.join(unnamed)}: name both sets.")
    shares = _shares_in(text)
    figures = (("validation", protocol.validation_accuracy), ("test", protocol.test_accuracy))
    for what, figure in figures:
        if figure is None or math.isnan(figure):
            raise Off(f"the protocol has no {what} figure yet: run the cells above first.")
        if not any(abs(share - figure) <= 5e-4 + 1e-9 for share in shares):
            raise Off(
                f"the summary does not give the {what} accuracy the protocol recorded "
                f"to one decimal (like 91.2 %)."
            )
    return (
        f"it gives the validation figure ({protocol.validation_accuracy:.1%}) and the test "
        f"figure ({protocol.test_accuracy:.1%}): a reader can tell what was chosen on what."
    )


QUESTIONS = {
    1: Question(
        "b",
        "the best of several candidates won partly by luck on those very images: its validation "
        "figure is a little optimistic, which is why the final figure comes from a test set.",
        "the winner of twelve was chosen because it did well on those very validation images.",
    ),
    2: Question(
        0.3,
        "100 x sqrt(0.9 x 0.1 / 10,000) = 0.3 points: two models 0.2 points apart on such a test "
        "set are within noise of each other.",
        "one standard error of an accuracy p on n images is sqrt(p (1 - p) / n); give it in "
        "points (percent).",
        tolerance=0.05,
    ),
    3: Question(
        "b",
        "once a test figure has made you change something, the test set is one more validation "
        "set, and the next test figure is optimistic.",
        "the change was made because of the test figure: what does that do to the next one?",
    ),
    4: Question(
        "b",
        "every choice (rate, epochs, width) on validation; the training images fit the weights, "
        "the test set only measures the end result.",
        "the training images fit the weights, and the test set only measures the end result.",
    ),
}


@exercise(
    "13.6",
    "four questions on the validation protocol, answered as a dict {1: ..., 4: ...}",
    hint=HINT,
    solution=solution_of(QUESTIONS),
)
def _questionnaire(answer: Any, context: dict[str, Any]) -> str:
    return judge(answer, QUESTIONS)
