"""Lesson 04's checked exercises: convolutional networks."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..models.classifier import in_mode
from .answers import as_integer, as_module, describe, same_network
from .framework import Off, exercise


@exercise(
    "04.1",
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
    from ..models import build_model, count_parameters

    model = as_module(answer, "Net2")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        inputs = torch.randn(4, 1, 28, 28)
        same_network(model, build_model("net2"), inputs)
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
    "04.2",
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
    value = as_integer(answer, "a number of parameters")
    if value == 32 * 64 * 9 + 64:
        return "32 x 64 x 3 x 3 = 18,432 weights plus 64 biases."
    if value == 32 * 64 * 9:
        raise Off("add the biases: a convolution has one per output channel.")
    raise Off(
        f"{value:,} is not it: count in x out x 3 x 3 weights, plus one bias per output channel."
    )


def _shape(answer: Any, what: str) -> tuple[int, ...]:
    """A shape: a tuple, list or ``torch.Size`` of whole numbers."""
    if isinstance(answer, (str, bytes)) or not isinstance(answer, (tuple, list, torch.Size)):
        raise Off(f"expected {what}, a tuple such as (1, 1, 28, 28); got {describe(answer)}.")
    return tuple(as_integer(size, "a size in the shape") for size in answer)


@exercise(
    "04.3",
    "predict, then run: the shape that comes out of nn.Conv2d(1, 32, kernel_size=3) for one "
    "28x28 digit of shape (1, 1, 28, 28)",
    hint="(batch, channels, height, width): the batch stays 1, there is one output channel per "
    "filter, and without padding a 3x3 window fits (28 - 3 + 2 x 0) / 1 + 1 times across.",
    solution="""
        answer = (1, 32, 26, 26)  # 32 filters, each fits (28 - 3) // 1 + 1 = 26 times across
    """,
)
def _conv_shape(answer: Any, context: dict[str, Any]) -> str:
    shape = _shape(answer, "the output's shape")
    if len(shape) != 4:
        raise Off(
            f"{shape} has {len(shape)} numbers: a conv's output is (batch, channels, "
            "height, width), four of them."
        )
    batch, channels, height, width = shape
    if batch != 1:
        raise Off("the batch size does not change: one digit in, one feature stack out.")
    if channels != 32:
        raise Off(f"{channels} channels: a convolution gives one channel per filter (32 here).")
    if (height, width) == (28, 28):
        raise Off(
            "28 x 28 would need padding 1: without it a 3x3 window has no room at the "
            "edges, so (28 - 3 + 2 x 0) / 1 + 1 = 26."
        )
    if (height, width) != (26, 26):
        raise Off(f"{height} x {width} is not it: (28 - kernel + 2 x padding) / stride + 1.")
    return "(1, 32, 26, 26): 32 maps, each (28 - 3 + 0) / 1 + 1 = 26 pixels across."


@exercise(
    "04.4",
    "cnn5's flatten size: two 5x5 convolutions with padding 2 (32 then 64 filters), each followed "
    "by a 2x2 max-pool, on a 28x28 digit (an int)",
    hint="Padding 2 gives a 5x5 conv room at the edges: (28 - 5 + 2 x 2) / 1 + 1 = 28. Each "
    "max-pool halves the size (rounding down). Then channels x height x width.",
    solution="""
        size = 28
        for _ in range(2):
            size = (size - 5 + 2 * 2) // 1 + 1  # the conv keeps the size...
            size = size // 2  # ...and the pool halves it: 28 -> 14 -> 7
        answer = 64 * size * size
    """,
)
def _cnn5_flatten(answer: Any, context: dict[str, Any]) -> str:
    value = as_integer(answer, "a number of features")
    if value == 64 * 7 * 7:
        return "28 -> 28 -> 14 -> 14 -> 7, and 64 x 7 x 7 = 3,136 (cnn5's first dense layer)."
    if value == 64 * 4 * 4:
        raise Off("1,024 is the size without padding (28 -> 24 -> 12 -> 8 -> 4): cnn5 pads by 2.")
    if value == 64 * 5 * 5:
        raise Off("1,600 is cnn3's (3x3, no padding); cnn5's 5x5 convs pad by 2.")
    if value == 7 * 7:
        raise Off("49 is one map: multiply by the 64 channels of the last convolution.")
    raise Off(
        f"{value:,} is not it: (size - 5 + 2 x 2) / 1 + 1 per conv, // 2 per pool, "
        "then 64 x height x width."
    )


def _choice(answer: Any, options: dict[str, str]) -> str:
    """One of the letters of a multiple-choice question, in either case."""
    letters = ", ".join(f"'{letter}'" for letter in options)
    if not isinstance(answer, str) or answer.strip().lower() not in options:
        raise Off(f"answer one of the letters {letters}; got {describe(answer)}.")
    return answer.strip().lower()


@exercise(
    "04.5",
    "questionnaire: R0's cnn3conv (three 3x3 convs with padding 1, 32-64-128 filters, each "
    "followed by a 2x2 max-pool) on a 28x28 digit: its flatten size (an int)",
    hint="With padding 1 a 3x3 conv keeps the size: (n - 3 + 2 x 1) / 1 + 1 = n. Each 2x2 pool "
    "halves it, rounding down (7 // 2 = 3). Then 128 x height x width.",
    solution="""
        size = 28
        for _ in range(3):
            size = ((size - 3 + 2 * 1) // 1 + 1) // 2  # conv keeps the size, pool halves it
        answer = 128 * size * size  # 28 -> 14 -> 7 -> 3
    """,
)
def _cnn3conv_flatten(answer: Any, context: dict[str, Any]) -> str:
    value = as_integer(answer, "a number of features")
    if value == 128 * 3 * 3:
        return "28 -> 14 -> 7 -> 3 (7 // 2 rounds down), and 128 x 3 x 3 = 1,152."
    if value == 128 * 4 * 4 or value == int(128 * 3.5 * 3.5):
        raise Off("max-pooling 7 pixels gives 3, not 3.5 or 4: the last odd row is dropped.")
    if value == 128 * 7 * 7:
        raise Off("that counts two pools: cnn3conv pools after each of its three convolutions.")
    raise Off(f"{value:,} is not it: per block, conv (keeps the size with padding 1), then // 2.")


@exercise(
    "04.6",
    "questionnaire: where are most of cnn3's 225,034 parameters? 'a' in its two convolutions, "
    "'b' in its two dense layers",
    hint="Count: conv 1 -> 32 (3x3) and conv 32 -> 64 (3x3), against dense 1,600 -> 128 and "
    "128 -> 10. Each has one weight per input per output, plus biases.",
    solution="""
        convolutions = (1 * 32 * 9 + 32) + (32 * 64 * 9 + 64)  # 18,816
        dense = (1600 * 128 + 128) + (128 * 10 + 10)  # 206,218
        answer = "a" if convolutions > dense else "b"
    """,
)
def _where_the_parameters_are(answer: Any, context: dict[str, Any]) -> str:
    if _choice(answer, {"a": "convolutions", "b": "dense"}) == "a":
        raise Off(
            "count them: the two convolutions have 320 + 18,496 = 18,816; the first dense "
            "layer alone has 1,600 x 128 + 128 = 204,928."
        )
    return (
        "206,218 of 225,034 (92 %) sit in the dense layers; the convolutions' 18,816 "
        "weights are few but used at every position, which is where the time goes."
    )


@exercise(
    "04.7",
    "questionnaire: a digit moves 2 pixels to the right. What does a convolution's feature map "
    "do? 'a' it moves 2 pixels to the right too, 'b' it stays exactly the same, 'c' it changes "
    "everywhere, as an MLP's inputs would",
    hint="The same filter is applied at every position: what it found at (row, column) it now "
    "finds at (row, column + 2).",
    solution="""
        answer = "a"  # one filter at every position: the map moves with the digit (equivariance)
    """,
)
def _shift(answer: Any, context: dict[str, Any]) -> str:
    chosen = _choice(answer, {"a": "moves", "b": "same", "c": "changes"})
    if chosen == "b":
        raise Off(
            "a convolution alone does not ignore the shift: its map moves with the digit. "
            "Pooling then makes the network tolerant to small shifts, not blind to them."
        )
    if chosen == "c":
        raise Off(
            "that is the MLP's problem: each pixel has weights of its own. A convolution "
            "slides one filter over every position, so its map just moves along."
        )
    return (
        "the map moves with the digit (away from the edges): the filter's weights are "
        "shared by every position, so a stroke learned in one place is found in every place."
    )


@exercise(
    "04.8",
    "questionnaire: you measure how much cnn3 has memorised its training images. In which mode "
    "must the model be, so that its dropout is off: 'train' or 'eval'?",
    hint="model.train() switches dropout on (training), model.eval() switches it off; "
    "evaluate() and the evaluation loop use one of them.",
    solution="""
        answer = "eval"  # model.eval(): dropout off, every unit used, as at test time
    """,
)
def _dropout_mode(answer: Any, context: dict[str, Any]) -> str:
    if _choice(answer, {"train": "train", "eval": "eval"}) == "train":
        raise Off(
            "in train mode dropout switches off a random 20 % of the units at every "
            "pass, so the score is lower and noisy: measure in model.eval()."
        )
    return (
        "model.eval() switches dropout off; the accuracy averaged during a training epoch "
        "had dropout on and the weights still moving."
    )
