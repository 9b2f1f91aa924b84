"""Where a model goes wrong: confusion matrix and per-class scores, built on scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support


def confusion(labels: torch.Tensor, predictions: torch.Tensor, num_classes: int) -> np.ndarray:
    """``matrix[true, predicted]`` counts, with every class present even if never predicted."""
    return confusion_matrix(labels.numpy(), predictions.numpy(), labels=list(range(num_classes)))


def per_class_report(
    labels: torch.Tensor, predictions: torch.Tensor, classes: Sequence[str]
) -> pd.DataFrame:
    """Precision, recall, F1 and support for each class (one row per class)."""
    precision, recall, f1, support = precision_recall_fscore_support(
        labels.numpy(), predictions.numpy(), labels=list(range(len(classes))), zero_division=0
    )
    return pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": support},
        index=pd.Index(list(classes), name="class"),
    )
