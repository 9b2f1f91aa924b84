"""Every architecture of the course, by name, each with a one-line description.

>>> build_model("cnn3")[-2]                        # 10 classes
Linear(in_features=128, out_features=10, bias=True)
>>> build_model("cnn3", num_classes=47)[-2]        # EMNIST Balanced
Linear(in_features=128, out_features=47, bias=True)
>>> int(architecture_table().loc["mlp", "parameters"])   # name, description, parameters
109386

Every model takes ``[B, 1, 28, 28]`` and returns log-probabilities ``[B, num_classes]`` (its last
layer is ``LogSoftmax``), so one loss (NLL) and one ``exp()`` for probabilities serve them all.
(``mlp_ln_softmax`` reproduces R3's double softmax: ``Softmax`` then ``LogSoftmax``.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from torch import nn

from ..core.errors import CourseError
from .cnn import bncnn, cnn3, cnn3conv, cnn5, net2, net3
from .fast import fast, padnet
from .mlp import mlp, mlp_ln, mlp_ln_softmax, net1


@dataclass(frozen=True)
class Architecture:
    name: str
    build: Callable[[int], nn.Module]

    @property
    def description(self) -> str:
        """The first line of the builder's docstring."""
        return (self.build.__doc__ or "").strip().splitlines()[0]


ARCHITECTURES: dict[str, Architecture] = {
    arch.name: arch
    for arch in (
        Architecture("mlp", mlp),
        Architecture("cnn3", cnn3),
        Architecture("cnn5", cnn5),
        Architecture("cnn3conv", cnn3conv),
        Architecture("bncnn", bncnn),
        Architecture("mlp_ln", mlp_ln),
        Architecture("mlp_ln_softmax", mlp_ln_softmax),
        Architecture("net1", net1),
        Architecture("net2", net2),
        Architecture("net3", net3),
        Architecture("fast", fast),
        Architecture("padnet", padnet),
    )
}


def build_model(name: str, num_classes: int = 10) -> nn.Module:
    """A freshly initialised model of architecture ``name`` with ``num_classes`` outputs."""
    if name not in ARCHITECTURES:
        raise CourseError(
            f"unknown architecture {name!r}: expected one of {', '.join(ARCHITECTURES)}"
        )
    return ARCHITECTURES[name].build(num_classes)


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters: the usual measure of a model's size."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def architecture_table(num_classes: int = 10) -> pd.DataFrame:
    """One row per architecture: name, description, parameter count."""
    return pd.DataFrame(
        [
            {
                "architecture": arch.name,
                "description": arch.description,
                "parameters": count_parameters(arch.build(num_classes)),
            }
            for arch in ARCHITECTURES.values()
        ]
    ).set_index("architecture")


__all__ = ["ARCHITECTURES", "Architecture", "architecture_table", "build_model", "count_parameters"]
