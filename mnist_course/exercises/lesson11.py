"""Lesson 11's checked exercises: EMNIST and export."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from .answers import describe, run_code, small_digits
from .framework import Off, exercise
from .questionnaire import HINT, Question, judge, solution_of

MEAN, STD = 0.1307, 0.3081
TOLERANCE = 1e-4


def _input_verdict(output: np.ndarray, pixels: torch.Tensor) -> None:
    """Raise ``Off`` saying what is wrong with ``output`` as the exported model's input."""
    expected = pixels.float().div(255).unsqueeze(1).numpy()
    if output.shape != expected.shape:
        advice = (
            " (add the channel dimension)" if output.shape == expected.shape[:1] + (28, 28) else ""
        )
        raise Off(f"expected the shape {list(expected.shape)}; got {list(output.shape)}{advice}.")
    if output.dtype != np.float32:
        raise Off(
            f"expected float32 values; got {output.dtype}: the exported graph takes float32 and "
            "ONNX Runtime refuses anything else (.astype(np.float32))."
        )
    if np.allclose(output, expected * 255, atol=1e-3):
        raise Off("the values go from 0 to 255: the model wants them in [0, 1] (divide by 255).")
    if np.allclose(output, (expected - MEAN) / STD, atol=1e-4):
        raise Off(
            "these are normalised: the exported model normalises its input itself (its mean and "
            "std are baked in), so give it the pixels in [0, 1]."
        )
    if np.allclose(output, 1 - expected, atol=1e-4):
        raise Off("the ink is dark here: the model reads light ink (high values) on black.")
    if not np.allclose(output, expected, atol=1e-4):
        raise Off("these are not the images' pixels divided by 255, in [0, 1].")


@exercise(
    "11.1",
    "the exported model's input: to_input(images) turns uint8 images [B, 28, 28] into a NumPy "
    "float32 array [B, 1, 28, 28] with pixels in [0, 1]",
    hint="Three steps: a float in [0, 1] (.float() / 255), a channel dimension (.unsqueeze(1)), "
    "then NumPy (.numpy(); ONNX Runtime takes NumPy arrays). No normalisation: the exported "
    "model does that itself.",
    solution="""
        def to_input(images):
            return (images.float() / 255).unsqueeze(1).numpy()

        answer = to_input
    """,
)
def _model_input(answer: Any, context: dict[str, Any]) -> str:
    pixels = small_digits().images[:8]
    output = run_code(answer, pixels.clone())
    if isinstance(output, torch.Tensor):
        raise Off(f"that is a {output.dtype} tensor; ONNX Runtime takes a NumPy array (.numpy()).")
    if not isinstance(output, np.ndarray):
        raise Off(f"expected a NumPy array; got {describe(output)}.")
    _input_verdict(output, pixels)
    return (
        f"float32 {list(output.shape)} in [0, 1]: session.run(None, {{'images': ...}}) "
        "takes it as it is."
    )


def _agreement_cases() -> list[tuple[np.ndarray, np.ndarray, bool, str]]:
    """Pairs of outputs, whether they agree within 1e-4, and what the pair tests."""
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(16, 10)) * 4
    probs = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(np.float32)
    probs[0] = np.float32(1e-6)
    probs[0, 3] = np.float32(1 - 9e-6)
    one_off, tiny = probs.copy(), probs.copy()
    one_off[5, 2] += 3e-4
    tiny[0, 0] += 5e-5
    return [
        (probs, probs.copy(), True, "two identical outputs agree"),
        (probs, probs * np.float32(1 + 1e-6), True, "differences of 1e-6 or less are within 1e-4"),
        (probs, tiny, True, "a probability of 1e-6 read as 5.1e-5 is off by 5e-5, within 1e-4: "
         "the tolerance is absolute, not relative"),
        (probs, probs - np.float32(8e-5), True, "a difference of 8e-5 is within 1e-4"),
        (probs, one_off, False, "one probability off by 3e-4 is beyond 1e-4, however small the "
         "mean difference"),
        (probs, probs[:8], False, "outputs of different shapes (8 images, not 16) cannot agree"),
    ]  # fmt: skip


@exercise(
    "11.2",
    "what 'answers like the PyTorch model' means in numbers: agrees(expected, got) is True when "
    "both NumPy arrays have the same shape and no value differs by more than 1e-4",
    hint="Compare shapes first (expected.shape == got.shape); then the largest absolute "
    "difference, np.abs(expected - got).max(), must be at most 1e-4. Not the mean difference, "
    "not a relative one, not exact equality.",
    solution="""
        import numpy as np

        def agrees(expected, got, tolerance=1e-4):
            if np.shape(expected) != np.shape(got):
                return False
            return bool(np.abs(np.asarray(expected) - np.asarray(got)).max() <= tolerance)

        answer = agrees
    """,
)
def _agreement(answer: Any, context: dict[str, Any]) -> str:
    for expected, got, agree, what in _agreement_cases():
        try:
            said = run_code(answer, expected.copy(), got.copy())
        except Off as off:
            if expected.shape == got.shape:
                raise
            raise Off(f"{off}. But {what}: compare the shapes first.") from off
        if not isinstance(said, (bool, np.bool_)):
            raise Off(f"expected True or False; got {describe(said)}.")
        if bool(said) != agree:
            raise Off(f"your function says {bool(said)}, but {what}.")
    return (
        "the largest difference decides, and 1e-4 is the budget: the export's report gives that "
        "largest difference for 64 real digits."
    )


def _class_pair(answer: Any, classes: tuple[str, ...]) -> tuple[int, int]:
    if isinstance(answer, (str, bytes, dict)) or not isinstance(answer, Iterable):
        raise Off(f"expected two class names, e.g. ('O', '0'); got {describe(answer)}.")
    items = list(answer)
    if len(items) != 2:
        raise Off(f"expected two class names, e.g. ('O', '0'); got {len(items)} items.")
    names = [str(item).strip() if isinstance(item, (str, int)) else None for item in items]
    unknown = [repr(item) for item, name in zip(items, names, strict=True) if name not in classes]
    if unknown:
        raise Off(
            f"{', '.join(unknown)} is not a class of this data; its classes are "
            f"{' '.join(classes)} (names, as the class list writes them)."
        )
    return classes.index(str(names[0])), classes.index(str(names[1]))


@exercise(
    "11.3",
    "the two classes the EMNIST model confuses most often, in either direction, by name: "
    "a tuple such as ('O', '0')",
    hint="matrix[a, b] counts the class a read as class b. Add the matrix to its transpose, set "
    "the diagonal to 0, find the largest cell with np.unravel_index, and name both indices with "
    "classes.",
    solution="""
        import numpy as np

        both_ways = np.asarray(matrix) + np.asarray(matrix).T
        np.fill_diagonal(both_ways, 0)
        first, second = np.unravel_index(both_ways.argmax(), both_ways.shape)
        answer = (classes[first], classes[second])
    """,
    needs=("matrix", "classes"),
)
def _confused_classes(answer: Any, context: dict[str, Any]) -> str:
    matrix, classes = np.asarray(context["matrix"]), tuple(context["classes"])
    both_ways = matrix + matrix.T
    np.fill_diagonal(both_ways, 0)
    a, b = _class_pair(answer, classes)
    first, second = classes[a], classes[b]
    if a == b:
        raise Off(f"{first} read as {first} is a right answer: the mistakes are off the diagonal.")
    if both_ways[a, b] == both_ways.max():
        return (
            f"{first} and {second} are confused {both_ways[a, b]} times ({first} read as "
            f"{second}: {matrix[a, b]}; {second} read as {first}: {matrix[b, a]})."
        )
    raise Off(
        f"{first} and {second} are confused {both_ways[a, b]} times in all (both directions), "
        f"another pair {both_ways.max()} times."
    )


QUESTIONS = {
    1: Question(
        47,
        "10 digits, 26 capitals and the 11 lower-case letters that differ from their capital.",
        "count the digits, the capitals, and only the lower-case letters kept apart.",
        tolerance=0,
    ),
    2: Question(
        "b",
        "float32 [B, 1, 28, 28] in [0, 1], light ink on black; it normalises them itself.",
        "the normalisation is inside the exported model, and it takes a batch with a channel.",
    ),
    3: Question(
        "b",
        "floating-point sums depend on the order of their terms, and the exported graph may "
        "add in another order.",
        "nothing is rounded on purpose or trained again: think about how the sums are done.",
    ),
    4: Question(
        1 / 47,
        "one class in 47, each as common as the others: about 2.13 %.",
        "a random guess is right once per class count, on data with as many of each class.",
        tolerance=1e-2,
    ),
    5: Question(
        24_111,
        "512 x 47 weights plus 47 biases.",
        "a dense layer has one weight per input and output, and one bias per output.",
        tolerance=0,
    ),
}


@exercise(
    "11.4",
    "five questions on EMNIST and the exported model, answered as a dict {1: ..., 5: ...}",
    hint=HINT,
    solution=solution_of(QUESTIONS),
)
def _questionnaire(answer: Any, context: dict[str, Any]) -> str:
    return judge(answer, QUESTIONS)
