"""Matplotlib figures for the lessons; each returns its figure so a learner can restyle it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure


def plot_history(history: pd.DataFrame, title: str | None = None) -> Figure:
    """Loss and accuracy per epoch, training beside validation."""
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 3.5))
    for column, label in (("train_loss", "training"), ("val_loss", "validation")):
        loss_axes.plot(history["epoch"], history[column], marker="o", label=label)
    for column, label in (("train_accuracy", "training"), ("val_accuracy", "validation")):
        accuracy_axes.plot(history["epoch"], history[column], marker="o", label=label)
    loss_axes.set(xlabel="epoch", ylabel="loss", title="loss")
    accuracy_axes.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for axes in (loss_axes, accuracy_axes):
        axes.grid(alpha=0.3)
        axes.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
