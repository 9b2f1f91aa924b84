"""Lesson 10's checked exercises: batch normalisation and augmentation."""

from __future__ import annotations

import copy
from typing import Any, cast

import pandas as pd
import torch
from torch import nn

from .answers import describe, run_code
from .framework import Off, exercise
from .questionnaire import HINT, Question, judge, solution_of

MODES = ("train", "eval")
YES, NO = ("yes", "true", "y"), ("no", "false", "n")


def _yes_or_no(value: Any, mode: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in YES + NO:
        return value.strip().lower() in YES
    raise Off(f'for "{mode}" expected "yes" or "no"; got {describe(value)}.')


@exercise(
    "10.1",
    "predict, before the cell runs: does one image's output of BatchNorm change when the other "
    'images of its batch change, in training mode and in eval mode? {"train": "yes" or "no", '
    '"eval": "yes" or "no"}',
    hint="In training mode BatchNorm normalises with the mean and variance of the batch it is "
    "given; in eval mode with the running averages it kept. Which of the two depends on the "
    "other images?",
    solution="""
        answer = {mode: "yes" if changes[mode] > 1e-6 else "no" for mode in ("train", "eval")}
    """,
    needs=("changes",),
)
def _batch_dependence(answer: Any, context: dict[str, Any]) -> str:
    if not isinstance(answer, dict) or set(answer) != set(MODES):
        raise Off(f'expected a dict {{"train": ..., "eval": ...}}; got {describe(answer)}.')
    changes = {mode: float(context["changes"][mode]) for mode in MODES}
    measured = {mode: changes[mode] > 1e-6 for mode in MODES}
    said = (
        f"image 0's outputs moved by up to {changes['train']:.3f} in training mode and by "
        f"{changes['eval']:.1g} in eval mode"
    )
    if _yes_or_no(answer["train"], "train") != measured["train"]:
        raise Off(
            f"in training mode BatchNorm normalises with the statistics of the batch it is "
            f"given, so the other images count: {said}."
        )
    if _yes_or_no(answer["eval"], "eval") != measured["eval"]:
        raise Off(
            f"in eval mode BatchNorm uses its running averages, fixed numbers whatever else "
            f"is in the batch: {said}."
        )
    return (
        f"{said}. That is why a model is put in eval mode to be tested or used: its answer "
        "for an image must not depend on the images that come with it."
    )


def _fold_case() -> tuple[nn.Conv2d, nn.BatchNorm2d, torch.Tensor]:
    """A convolution and a BatchNorm after it with trained-looking statistics (one negative
    scale), in eval mode, and a batch to run them on."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        conv, bn = nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4)
        with torch.no_grad():
            cast(torch.Tensor, bn.running_mean).copy_(torch.randn(4))
            cast(torch.Tensor, bn.running_var).copy_(
                torch.tensor([0.5, 1e-4, 2.0, 0.02])
            )  # eps matters for 1e-4
            bn.weight.copy_(torch.tensor([1.5, -0.7, 0.3, 2.0]))
            bn.bias.copy_(torch.randn(4))
        images = torch.randn(2, 3, 8, 8)
    return conv.eval(), bn.eval(), images


def _folded_output(answer: Any, conv: nn.Conv2d, bn: nn.BatchNorm2d, x: torch.Tensor) -> Any:
    folded = run_code(answer, copy.deepcopy(conv), copy.deepcopy(bn))
    if not isinstance(folded, nn.Module):
        raise Off(f"expected fold to return an nn.Conv2d; got {describe(folded)}.")
    with torch.no_grad():
        return run_code(folded.eval(), x)


def _wrong_folds(conv: nn.Conv2d, bn: nn.BatchNorm2d, x: torch.Tensor) -> dict[str, Any]:
    """What the usual slips compute, each with what to say about it."""
    weight, bias = conv.weight.detach(), cast(torch.Tensor, conv.bias).detach()
    mean, var = cast(torch.Tensor, bn.running_mean), cast(torch.Tensor, bn.running_var)
    gamma, beta = bn.weight.detach(), bn.bias.detach()

    def conv_with(scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
        return nn.functional.conv2d(x, weight * scale.view(-1, 1, 1, 1), shift, padding=1)

    def scale_by(divisor: torch.Tensor) -> torch.Tensor:
        return gamma / divisor

    right = scale_by((var + bn.eps).sqrt())
    return {
        "divide by the standard deviation, the square root of running_var + eps, not by the "
        "variance": conv_with(
            scale_by(var + bn.eps), (bias - mean) * scale_by(var + bn.eps) + beta
        ),
        "add eps to running_var before the square root, as BatchNorm does": conv_with(
            scale_by(var.sqrt()), (bias - mean) * scale_by(var.sqrt()) + beta
        ),
        "the weights are right; the bias must also lose the running mean, scaled: "
        "(conv.bias - running_mean) * scale + bn.bias": conv_with(right, bias * right + beta),
        "the weights are right; keep the convolution's own bias, scaled with the rest: "
        "(conv.bias - running_mean) * scale + bn.bias": conv_with(right, beta - mean * right),
        "the weights are right; add BatchNorm's learned shift, bn.bias, to the new bias": conv_with(
            right, (bias - mean) * right
        ),
    }


@exercise(
    "10.2",
    "fold an eval-mode BatchNorm into the convolution before it: fold(conv, bn) returns one new "
    "nn.Conv2d that computes bn(conv(x))",
    hint="In eval mode BatchNorm is, per channel c, y = (x - running_mean[c]) / "
    "sqrt(running_var[c] + eps) * weight[c] + bias[c]: one factor and one shift. Multiply "
    "channel c's filter by that factor (weights of shape [out, in, k, k]: view the factors as "
    "[-1, 1, 1, 1]) and work out the new bias from the convolution's own.",
    solution="""
        import torch
        from torch import nn

        def fold(conv, bn):
            scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach()
            folded = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size,
                               stride=conv.stride, padding=conv.padding, bias=True)
            own_bias = conv.bias.detach() if conv.bias is not None else torch.zeros_like(scale)
            folded.weight = nn.Parameter(conv.weight.detach() * scale.view(-1, 1, 1, 1))
            folded.bias = nn.Parameter((own_bias - bn.running_mean) * scale + bn.bias.detach())
            return folded

        answer = fold
    """,
)
def _fold(answer: Any, context: dict[str, Any]) -> str:
    conv, bn, x = _fold_case()
    with torch.no_grad():
        expected = bn(conv(x))
        output = _folded_output(answer, conv, bn, x)
        if not isinstance(output, torch.Tensor) or output.shape != expected.shape:
            raise Off(
                f"the folded convolution should give bn(conv(x))'s shape, {list(expected.shape)};"
                f" got {describe(output)}: keep the stride and padding of conv."
            )
        if torch.allclose(output, expected, rtol=1e-4, atol=1e-4):
            return (
                "one convolution now does the work of two layers, as exporters and inference "
                "engines do before they run a BatchNorm network (a negative scale is fine: it "
                "simply flips the filter's sign)."
            )
        for advice, wrong in _wrong_folds(conv, bn, x).items():
            if torch.allclose(output, wrong, rtol=1e-4, atol=1e-4):
                raise Off(advice + ".")
    gap = (output - expected).abs().max().item()
    raise Off(
        f"bn(conv(x)) and your folded convolution differ by up to {gap:.3g}: each output "
        "channel's filter gets its channel's factor weight / sqrt(running_var + eps)."
    )


@exercise(
    "10.3",
    "which augmentation ('none', 'affine' or 'affine+elastic') read the other writers' digits best",
    hint="`pd.DataFrame(rows).set_index('augmentation')` is the table above; idxmax() of its "
    "'other writers' column names the best row.",
    solution="""
        import pandas as pd

        table = pd.DataFrame(rows).set_index("augmentation")
        answer = table["other writers"].idxmax()
    """,
    needs=("rows",),
)
def _best_augmentation(answer: Any, context: dict[str, Any]) -> str:
    table = pd.DataFrame(context["rows"]).set_index("augmentation")
    names = ", ".join(map(repr, table.index))
    if not isinstance(answer, str):
        raise Off(f"expected a name, one of {names}; got {describe(answer)}.")
    name = answer.strip().lower()
    if name not in table.index:
        raise Off(f"expected one of {names}; got {answer!r}.")
    others, distorted = table["other writers"], table["distorted test"]
    if others[name] >= others.max():
        gain = others[name] - others.get("none", others[name])
        return (
            f"{name}: {others[name]:.2%} of the other writers' digits, "
            f"{100 * gain:+.2f} points against no augmentation."
        )
    if distorted[name] >= distorted.max():
        raise Off(
            f"{name} is best on the distorted test set, which random_affine made: the question "
            "is about the other writers' handwriting."
        )
    raise Off(
        f"{name} reads {others[name]:.2%} of the other writers' digits; another {others.max():.2%}."
    )


QUESTIONS = {
    1: Question(
        64,
        "a scale and a shift for each of the 32 channels (the running averages are buffers, "
        "not learned).",
        "count only what the optimizer learns: one scale and one shift per channel.",
        tolerance=0,
    ),
    2: Question(
        0.0005,
        "epoch 4 without improvement is tolerated (patience=1), epoch 5 is the second in a row, "
        "so the rate is halved for epoch 6.",
        "patience=1 tolerates one epoch without improvement; the second in a row multiplies "
        "the rate by factor.",
    ),
    3: Question(
        "b",
        "a test made by the training distortion measures that distortion; other writers' "
        "handwriting measures what the model will meet.",
        "think about which function made the distorted copies, and which models trained on it.",
    ),
    4: Question(
        "a",
        "the model learns from distorted copies; it is tested on the images as they come.",
        "augmentation makes more training data; a test set is measured as it is.",
    ),
}


@exercise(
    "10.4",
    "four questions on BatchNorm, the plateau schedule and augmentation, answered as a dict "
    "{1: ..., 4: ...}",
    hint=HINT,
    solution=solution_of(QUESTIONS),
)
def _questionnaire(answer: Any, context: dict[str, Any]) -> str:
    return judge(answer, QUESTIONS)
