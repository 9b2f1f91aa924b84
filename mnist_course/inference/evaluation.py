"""Where a model goes wrong: confusion matrix and per-class scores, built on scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import classification_report, confusion_matrix

from ..core.formatting import percent
from ..data.dataset import DigitDataset
from ..data.split import balanced_sample
from ..models.classifier import Classifier
from ..training.engine import Evaluation, evaluate


def confusion(labels: torch.Tensor, predictions: torch.Tensor, num_classes: int) -> np.ndarray:
    """``matrix[true, predicted]`` counts, with every class present even if never predicted."""
    return confusion_matrix(labels.numpy(), predictions.numpy(), labels=list(range(num_classes)))


def per_class_report(
    labels: torch.Tensor, predictions: torch.Tensor, classes: Sequence[str]
) -> pd.DataFrame:
    """Precision, recall, F1 and support for each class (one row per class)."""
    report = classification_report(
        labels.numpy(),
        predictions.numpy(),
        labels=list(range(len(classes))),
        target_names=list(classes),
        output_dict=True,
        zero_division=0,
    )
    table = pd.DataFrame(report).T.loc[list(classes)].rename(columns={"f1-score": "f1"})
    table.index.name = "class"
    return table.astype({"support": int})


def balanced_report(
    model: Classifier,
    data: DigitDataset,
    per_class: int = 850,
    seed: int = 0,
) -> pd.DataFrame:
    """Per-class scores on exactly ``per_class`` examples of every class.

    MNIST's test classes are not equally common (892 fives, 1135 ones); scoring on an equal number
    of each, as R4 did with 850, stops the common classes from dominating the averages. Recall is a
    share of each class's own images, so it does not depend on how common the class is; a balanced
    sample changes precision (and F1), which count the other classes' images predicted as it.
    """
    sample = balanced_sample(data, per_class=per_class, seed=seed)
    scores = evaluate(model, sample)
    return per_class_report(scores.true_labels, scores.predictions, data.classes)


def misclassified(scores: Evaluation, classes: Sequence[str], top: int = 3) -> pd.DataFrame:
    """Every wrong prediction, most confident first, with the model's top guesses."""
    wrong = torch.nonzero(~scores.correct).flatten()
    probabilities = scores.probabilities[wrong]
    best, guesses = probabilities.topk(min(top, probabilities.shape[1]), dim=1)
    table = pd.DataFrame(
        {
            "index": wrong.numpy(),
            "true": [classes[i] for i in scores.true_labels[wrong]],
            "predicted": [classes[i] for i in scores.predictions[wrong]],
            "confidence": best[:, 0].numpy(),
            "top_guesses": [
                ", ".join(f"{classes[g]} {percent(p)}" for g, p in zip(row_g, row_p, strict=True))
                for row_g, row_p in zip(guesses.tolist(), best.tolist(), strict=True)
            ],
        }
    )
    return table.sort_values("confidence", ascending=False, ignore_index=True)
