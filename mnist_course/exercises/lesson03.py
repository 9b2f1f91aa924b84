"""Lesson 03's checked exercises: convolutional networks."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..classifier import in_mode
from .answers import as_integer, as_module, same_network
from .framework import Off, exercise


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
    value = as_integer(answer, "a number of parameters")
    if value == 32 * 64 * 9 + 64:
        return "32 x 64 x 3 x 3 = 18,432 weights plus 64 biases."
    if value == 32 * 64 * 9:
        raise Off("add the biases: a convolution has one per output channel.")
    raise Off(
        f"{value:,} is not it: count in x out x 3 x 3 weights, plus one bias per output channel."
    )
