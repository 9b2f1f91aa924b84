"""Matplotlib figures for the lessons; each returns its figure so a learner can restyle it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator, PercentFormatter
from mpl_toolkits.axes_grid1 import make_axes_locatable

from ..core.formatting import name, percent, value
from ..data.dataset import DigitDataset
from ..data.split import per_class_indices


def plot_images(
    images: torch.Tensor | np.ndarray,
    titles: Sequence[str] | None = None,
    columns: int = 10,
    size: float = 1.0,
    row_labels: Sequence[str] | None = None,
    title_size: float = 10,
) -> Figure:
    """A grid of 28x28 images (ink high), white digits on black as MNIST stores them.

    ``titles`` go above the images (in ``title_size`` points; a title may have two lines),
    ``row_labels`` to the left of each row, once per row, in a larger type.
    """
    images = np.asarray(images)
    rows = max(1, -(-len(images) // columns))
    lines = max((str(title).count("\n") + 1 for title in titles), default=0) if titles else 0
    row_height = size + lines * title_size * 1.5 / 72 + 0.1
    figure, axes = plt.subplots(
        rows, columns, figsize=(columns * size, rows * row_height), squeeze=False
    )
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index < len(images):
            axis.imshow(images[index], cmap="gray", vmin=0, vmax=255)
            if titles is not None:
                axis.set_title(titles[index], fontsize=title_size)
    for axis, label in zip(axes[:, 0], row_labels or (), strict=False):
        axis.text(
            -0.15,
            0.5,
            label,
            transform=axis.transAxes,
            ha="right",
            va="center",
            fontsize=title_size + 4,
        )
    figure.tight_layout()
    return figure


def plot_samples(data: DigitDataset, per_class: int = 10, seed: int = 0) -> Figure:
    """``per_class`` random examples of every class, one class per row, named once at its left."""
    chosen = torch.cat(per_class_indices(data, per_class, seed))
    return plot_images(
        data.images[chosen], columns=per_class, size=0.9, row_labels=list(data.classes)
    )


def plot_class_distribution(**datasets: DigitDataset) -> Figure:
    """Examples per class, a bar group per dataset: ``plot_class_distribution(train=a, test=b)``."""
    first = next(iter(datasets.values()))
    table = pd.DataFrame(
        {name: data.class_counts() for name, data in datasets.items()},
        index=pd.Index(first.classes, name="class"),
    )
    figure, axes = plt.subplots(figsize=(max(6, 0.5 * len(table)), 3.5))
    table.plot.bar(ax=axes, rot=0)
    axes.set(ylabel="examples", title="examples per class")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)  # beside the bars
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    return figure


def plot_history(history: pd.DataFrame, title: str | None = None) -> Figure:
    """Loss and accuracy per epoch, training beside validation."""
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 3.5))
    for column, label in (("train_loss", "training"), ("val_loss", "validation")):
        loss_axes.plot(history["epoch"], history[column], marker="o", label=label)
    for column, label in (("train_accuracy", "training"), ("val_accuracy", "validation")):
        accuracy_axes.plot(history["epoch"], history[column], marker="o", label=label)
    loss_axes.set(xlabel="epoch", ylabel="loss", title="loss")
    accuracy_axes.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    _percent_axis(accuracy_axes)
    for axes in (loss_axes, accuracy_axes):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        axes.grid(alpha=0.3)
        axes.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_confusion_matrix(
    matrix: np.ndarray, classes: Sequence[str], normalize: bool = False
) -> Figure:
    """``matrix[true, predicted]`` as a grid: right answers grey, mistakes on their own scale.

    On one linear scale the diagonal (thousands of right answers) would leave every mistake
    near-white, so the diagonal is drawn grey with its counts and the mistakes are coloured from
    white (none) to the largest mistake, with a colour bar as tall as the matrix. ``normalize``
    shows each row as shares of its true class.
    """
    values = np.asarray(matrix, dtype=float)
    if normalize:
        values = values / values.sum(axis=1, keepdims=True).clip(min=1)
    count = len(classes)
    diagonal = np.eye(count, dtype=bool)
    mistakes = np.ma.masked_array(values, mask=diagonal)
    figure, axes = plt.subplots(figsize=(0.5 * count + 2.4, 0.5 * count + 1.4))
    axes.imshow(
        np.ma.masked_array(np.ones_like(values), mask=~diagonal),
        vmin=0,
        vmax=1,
        cmap=ListedColormap(["#d9d9d9"]),
    )
    largest = float(mistakes.max()) if mistakes.count() and mistakes.max() > 0 else 1.0
    shown = axes.imshow(mistakes, cmap="Reds", vmin=0, vmax=largest)
    bar_axes = make_axes_locatable(axes).append_axes("right", size="4%", pad=0.12)
    bar = figure.colorbar(shown, cax=bar_axes)
    bar.set_label("share of the row, mistakes" if normalize else "mistakes (count)")
    if normalize:
        bar.formatter = PercentFormatter(1.0)
    else:
        bar.locator = MaxNLocator(integer=True)  # counts: 0, 1, 2, ... never 0.5
    if count <= 15:
        _label_cells(axes, values, diagonal, largest, normalize)
    axes.set_xticks(range(count), list(classes))
    axes.set_yticks(range(count), list(classes))
    axes.tick_params(labelsize=10 if count <= 15 else 7)
    axes.set(
        xlabel="predicted",
        ylabel="true",
        title="confusion matrix (mistakes in red, right answers grey)",
    )
    figure.tight_layout()
    return figure


def _label_cells(
    axes: Axes, values: np.ndarray, diagonal: np.ndarray, largest: float, normalize: bool
) -> None:
    """Every right answer's count and every mistake's (none: left blank), in readable type."""
    for (true, predicted), number in np.ndenumerate(values):
        if number == 0 and not diagonal[true, predicted]:
            continue
        text = f"{number:.1%}" if normalize else f"{number:,.0f}"
        dark = not diagonal[true, predicted] and number > 0.6 * largest
        axes.text(
            predicted,
            true,
            text,
            ha="center",
            va="center",
            fontsize=8 if normalize else 9,
            color="white" if dark else "black",
        )


def plot_probabilities(
    probabilities: Sequence[float],
    classes: Sequence[str],
    image: np.ndarray | None = None,
    true_label: int | None = None,
) -> Figure:
    """The model's probability for every class as bars, with the input image beside them.

    With ``true_label`` (the class's index) the title names it and its bar is green; a wrong
    prediction's bar is red.
    """
    shares = np.asarray(probabilities)
    predicted = int(shares.argmax())
    columns = 2 if image is not None else 1
    figure, axes = plt.subplots(
        1, columns, figsize=(3 + 4 * columns, 2.8), width_ratios=[1, 3][-columns:]
    )
    bars_axes = axes[-1] if columns == 2 else axes
    if image is not None:
        axes[0].imshow(image, cmap="gray", vmin=0, vmax=255)
        axes[0].axis("off")
        axes[0].set_title("what the model sees")
    colours = ["tab:blue"] * len(classes)
    colours[predicted] = "tab:orange" if true_label is None else "tab:red"
    if true_label is not None:
        colours[int(true_label)] = "tab:green"
    bars_axes.bar(range(len(classes)), shares, color=colours)
    bars_axes.set(
        xticks=range(len(classes)),
        xticklabels=classes,
        ylim=(0, 1),
        xlabel="class",
        ylabel="probability",
    )
    _percent_axis(bars_axes)
    title = f"prediction: {classes[predicted]} ({percent(shares[predicted])})"
    if true_label is not None:
        verdict = "right" if int(true_label) == predicted else "wrong"
        title = f"true label: {classes[int(true_label)]}, {title}, {verdict}"
    bars_axes.set_title(title)
    figure.tight_layout()
    return figure


def plot_class_scores(report: pd.DataFrame) -> Figure:
    """Precision, recall and F1 per class (``evaluation.per_class_report``) as grouped bars."""
    scores = report[["precision", "recall", "f1"]].rename(columns={"f1": "F1"})
    figure, axes = plt.subplots(figsize=(max(8, 0.5 * len(scores)), 3))
    scores.plot.bar(ax=axes, rot=0, width=0.8)
    axes.set(
        ylim=(max(0.0, scores.min().min() - 0.02), 1.0),
        xlabel="class",
        ylabel="score",
        title="precision, recall and F1 per class",
    )
    _percent_axis(axes)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    return figure


def plot_misclassified(data: DigitDataset, mistakes: pd.DataFrame, count: int = 20) -> Figure:
    """The first ``count`` rows of ``evaluation.misclassified(...)``: image, truth and guess."""
    shown = mistakes.head(count)
    titles = [
        f"{row.true} read as {row.predicted}\n{percent(row.confidence)}"
        for row in shown.itertuples()
    ]
    return plot_images(
        data.images[shown["index"].tolist()], titles, columns=10, size=1.3, title_size=11
    )


def plot_study(study_runs: pd.DataFrame, parameter: str, log_x: bool | None = None) -> Figure:
    """Validation accuracy against one parameter (mean ± sd over seeds); diverged runs marked.

    The x axis has a tick at every value tried (a log scale for the learning rate by default).
    """
    finished = study_runs[study_runs["status"] != "diverged"]
    stats = finished.groupby(parameter)["val_accuracy"].agg(["mean", "std"]).fillna(0)
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.errorbar(stats.index, stats["mean"], yerr=stats["std"], marker="o", capsize=3)
    for tried in study_runs.loc[study_runs["status"] == "diverged", parameter].unique():
        axes.axvline(tried, color="tab:red", linestyle="--", alpha=0.6)
        axes.annotate(
            "diverged",
            (tried, axes.get_ylim()[0]),
            color="tab:red",
            rotation=90,
            va="bottom",
            ha="right",
        )
    if log_x if log_x is not None else parameter == "lr":
        axes.set_xscale("log")
    _ticks_at(axes, parameter, study_runs[parameter].tolist())
    axes.set(
        xlabel=name(parameter),
        ylabel="best validation accuracy",
        title=f"best validation accuracy for each {name(parameter)}",
    )
    _percent_axis(axes)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def plot_study_curves(histories: pd.DataFrame, parameter: str, metric: str = "val_loss") -> Figure:
    """One curve per setting of ``parameter`` (first seed): how ``metric`` evolves per epoch."""
    figure, axes = plt.subplots(figsize=(7.5, 3.5))
    first_seed = histories[histories["seed"] == histories["seed"].min()]
    for setting, runs in first_seed.groupby(parameter):
        label = value(parameter, setting)
        if "train_loss" in runs and np.isnan(runs["train_loss"].iloc[-1]):
            label += " (diverged)"  # the row a diverged run ends with
        elif not np.isfinite(runs[metric]).any():
            label += " (no finite value)"
        axes.plot(runs["epoch"], runs[metric], marker="o", label=label)
    axes.set(
        xlabel="epoch", ylabel=name(metric), title=f"{name(metric)} for each {name(parameter)}"
    )
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    if metric.endswith("loss"):
        axes.set_yscale("log")
        _plain_log_axis(axes)
    elif "accuracy" in metric:
        _percent_axis(axes)
    axes.grid(alpha=0.3)
    # beside the axes, not over the curves (one entry per setting: often eight or more)
    axes.legend(
        title=name(parameter),
        fontsize=8,
        title_fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.02, 1),
        borderaxespad=0,
    )
    figure.tight_layout()
    return figure


def _percent_axis(axes: Axes) -> None:
    """The y axis's shares of 1 as percentages."""
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))


def _plain_log_axis(axes: Axes) -> None:
    """A log y axis labelled ``0.5 1 2`` rather than ``5x10^-1 10^0 2x10^0``.

    Between the powers of ten only 2 and 5 get a label, and only while the axis spans at most
    two decades: more labels would run into each other.
    """

    def minor(number: float, _position: int) -> str:
        low, high = axes.get_ylim()
        if number <= 0 or low <= 0 or math.log10(high / low) > 2:
            return ""
        leading = round(number / 10 ** math.floor(math.log10(number)), 6)
        return f"{number:g}" if leading in (2, 5) else ""

    axes.yaxis.set_major_formatter(FuncFormatter(lambda number, _: f"{number:g}"))
    axes.yaxis.set_minor_formatter(FuncFormatter(minor))


def _ticks_at(axes: Axes, column: str, tried: Sequence[float]) -> None:
    """x ticks at exactly the settings tried, written as ``formatting.readable`` writes them."""
    tried = sorted(set(tried))
    axes.set_xticks(tried, [value(column, setting) for setting in tried])
    axes.xaxis.set_minor_locator(NullLocator())
