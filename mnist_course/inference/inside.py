"""Inside a trained network: its filters, its feature maps, what it looks at, how it groups digits.

Every function takes a ``Classifier`` and pixels as the data stores them (uint8 0-255, or floats in
[0, 1]); the classifier normalises them itself, exactly as in training and ``evaluate``. The model
runs in eval mode (dropout off, BatchNorm's running statistics) and is left in the mode it was in.

Usage, with ``model`` a trained ``Classifier`` and ``test`` a ``DigitDataset``::

    plot_filters(first_layer_filters(model))
    plot_feature_maps(feature_maps(model, test.images[0]))
    plot_saliency(model, test, indices=[0, 1, 2])
    plot_embedding(embed(model, test, method="tsne"), test.classes)
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from torch import nn

from ..core.errors import CourseError
from ..data.batches import BatchIterator
from ..data.dataset import DigitDataset
from ..models.classifier import Classifier, in_mode


def _first_convolution(classifier: Classifier) -> tuple[str, nn.Conv2d]:
    """The first ``Conv2d`` of the network and its name (as ``print(classifier.network)`` shows)."""
    for name, module in classifier.network.named_modules():
        if isinstance(module, nn.Conv2d):
            return name, module
    raise CourseError(
        f"the {classifier.arch!r} network has no convolution layer, so no filters or feature "
        "maps to show: use a CNN (e.g. the 'fast' or 'cnn3' recipe)"
    )


def first_layer_filters(classifier: Classifier) -> torch.Tensor:
    """The first convolution's weights ``[filters, channels, height, width]``, a CPU copy."""
    return _first_convolution(classifier)[1].weight.detach().cpu().clone()


def feature_maps(
    classifier: Classifier, image: torch.Tensor | np.ndarray, layer: str | None = None
) -> torch.Tensor:
    """What ``layer`` outputs for one 28x28 ``image``: ``[channels, height, width]`` on the CPU.

    ``layer`` names a module of ``classifier.network`` (``"0"``, ``"4"`` for a ``Sequential``);
    by default the first convolution, so map ``i`` is the image filtered by filter ``i``.
    """
    layer = _first_convolution(classifier)[0] if layer is None else layer
    modules = dict(classifier.network.named_modules())
    if layer not in modules or not layer:
        raise CourseError(
            f"no layer {layer!r} in the network: its layers are {', '.join(list(modules)[1:])}"
        )
    captured: list[torch.Tensor] = []
    hook = modules[layer].register_forward_hook(
        lambda module, args, output: captured.append(output)
    )
    pixels = torch.as_tensor(image).reshape(1, 28, 28).to(classifier.device)
    try:
        with in_mode(classifier), torch.no_grad():
            classifier(pixels)
    finally:
        hook.remove()
    maps = captured[0][0].float().cpu()
    if maps.dim() != 3:
        raise CourseError(f"layer {layer!r} outputs {list(maps.shape)}, not feature maps")
    return maps


def saliency(classifier: Classifier, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """How strongly each pixel sways the decision: ``(maps [B, 28, 28], predicted [B])``.

    A map holds, for every pixel, the size of the gradient of the winning class's log-probability
    with respect to that pixel (in [0, 1] units): how much a small change of the pixel would change
    the score of the class the model chose. Only the input gets a gradient; the weights' ``.grad``
    are left untouched.
    """
    pixels = images if images.is_floating_point() else images.float().div(255)
    pixels = pixels.reshape(-1, 28, 28).to(classifier.device).detach().requires_grad_(True)
    with in_mode(classifier):
        log_probs = classifier(pixels)
        predicted = log_probs.argmax(dim=1)
        winning = log_probs.gather(1, predicted[:, None]).sum()
        (gradient,) = torch.autograd.grad(winning, pixels)
    return gradient.abs().cpu(), predicted.cpu()


def _last_linear(classifier: Classifier) -> nn.Linear:
    linears = [m for m in classifier.network.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise CourseError(
            f"the {classifier.arch!r} network has no linear layer whose input could be mapped"
        )
    return linears[-1]


def embed(
    classifier: Classifier,
    data: DigitDataset,
    method: str = "pca",
    seed: int = 0,
    steps: int = 1000,
) -> pd.DataFrame:
    """Every image's learned features, flattened to a point ``(x, y)`` by PCA or t-SNE.

    The features are what the network's last linear layer reads (the penultimate layer's
    activations). One row per image of ``data``, in order: ``x``, ``y``, ``true`` and
    ``predicted`` (class names) and ``misread``. ``steps``: t-SNE's optimisation steps (at
    least 250; its cost grows with them).
    """
    if method not in ("pca", "tsne"):
        raise CourseError(f"unknown method {method!r}: expected 'pca' or 'tsne'")
    labels = data.require_labels()
    captured: list[torch.Tensor] = []
    hook = _last_linear(classifier).register_forward_hook(
        lambda module, args, output: captured.append(args[0].flatten(1).float().cpu())
    )
    try:
        with in_mode(classifier), torch.no_grad():
            batches = BatchIterator(data, batch_size=1000, device=classifier.device)
            predicted = torch.cat([classifier(images).argmax(dim=1).cpu() for images, _ in batches])
    finally:
        hook.remove()
    features = torch.cat(captured).numpy()
    if method == "pca":
        points = PCA(n_components=2, random_state=seed).fit_transform(features)
    else:
        perplexity = min(30.0, (len(features) - 1) / 3)
        tsne = TSNE(perplexity=perplexity, init="pca", max_iter=steps, random_state=seed)
        points = tsne.fit_transform(features)
    classes = np.asarray(data.classes)
    return pd.DataFrame(
        {
            "x": points[:, 0],
            "y": points[:, 1],
            "true": classes[labels.numpy()],
            "predicted": classes[predicted.numpy()],
            "misread": (predicted != labels).numpy(),
        }
    )


def _grid(count: int, columns: int, size: float) -> tuple[Figure, list[plt.Axes]]:
    rows = max(1, -(-count // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    return figure, list(axes.flat)


def plot_filters(filters: torch.Tensor, columns: int = 8) -> Figure:
    """Each first-layer filter as a small image: red weights positive, blue negative, white 0."""
    figure, axes = _grid(len(filters), columns, 1.0)
    for index, (axis, weights) in enumerate(zip(axes, filters[:, 0].numpy(), strict=False)):
        limit = float(np.abs(weights).max()) or 1.0
        axis.imshow(weights, cmap="RdBu_r", vmin=-limit, vmax=limit)
        axis.set_title(f"filter {index}", fontsize=8)
    figure.suptitle(f"the {len(filters)} filters of the first convolution")
    figure.tight_layout()
    return figure


def plot_feature_maps(maps: torch.Tensor, title: str = "feature maps", columns: int = 8) -> Figure:
    """Each channel of ``feature_maps(...)`` as a small image, bright where it responds most.

    Each map has its own grey scale, from its lowest value (or 0 if none is negative) to its top.
    """
    figure, axes = _grid(len(maps), columns, 1.0)
    for index, (axis, values) in enumerate(zip(axes, maps.numpy(), strict=False)):
        axis.imshow(values, cmap="gray", vmin=min(float(values.min()), 0.0))
        axis.set_title(f"map {index}", fontsize=8)
    figure.suptitle(f"{title}: {len(maps)} maps of {maps.shape[1]}x{maps.shape[2]}")
    figure.tight_layout()
    return figure


def plot_saliency(classifier: Classifier, data: DigitDataset, indices: Sequence[int]) -> Figure:
    """Digits of ``data`` (true and predicted label above) with their saliency maps below."""
    indices = list(indices)
    maps, predicted = saliency(classifier, data.images[indices])
    labels = data.require_labels()[indices]
    figure, axes = plt.subplots(2, len(indices), figsize=(1.6 * len(indices), 3.6), squeeze=False)
    for column, index in enumerate(indices):
        digit_axes, map_axes = axes[0, column], axes[1, column]
        digit_axes.imshow(data.images[index].numpy(), cmap="gray", vmin=0, vmax=255)
        true, read = data.classes[int(labels[column])], data.classes[int(predicted[column])]
        colour = "black" if true == read else "tab:red"
        digit_axes.set_title(f"true {true}, read {read}", fontsize=9, color=colour)
        map_axes.imshow(maps[column].numpy(), cmap="inferno")
        map_axes.set_title(f"saliency for {read}", fontsize=9)
        for axis in (digit_axes, map_axes):
            axis.axis("off")
    figure.tight_layout()
    return figure


def plot_embedding(table: pd.DataFrame, classes: Sequence[str], title: str = "") -> Figure:
    """``embed``'s points coloured by true class, misread images marked with a black x."""
    figure, axes = plt.subplots(figsize=(7, 6))
    palette = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
    colour = {name: palette(index % 20) for index, name in enumerate(classes)}
    for name in classes:
        points = table[table["true"] == name]
        if len(points):
            axes.scatter(points["x"], points["y"], s=6, alpha=0.6, color=colour[name], label=name)
    # A misread image: a black x on a larger dot of its true colour.
    wrong = table[table["misread"]]
    axes.scatter(wrong["x"], wrong["y"], s=60, alpha=0.6, color=[colour[n] for n in wrong["true"]])
    axes.scatter(
        wrong["x"],
        wrong["y"],
        marker="x",
        s=30,
        color="black",
        linewidths=1,
        label=f"misread ({len(wrong)})",
    )
    axes.legend(
        title="true digit", markerscale=2, fontsize=8, loc="center left", bbox_to_anchor=(1, 0.5)
    )
    axes.set(xticks=[], yticks=[], title=title or f"{len(table)} images")
    figure.tight_layout()
    return figure
