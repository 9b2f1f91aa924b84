import numpy as np
import pytest
import torch

from mnist_course.data import MNIST_NORMALIZATION
from mnist_course.inference.evaluation import (
    balanced_report,
    confusion,
    misclassified,
    per_class_report,
)
from mnist_course.models import build_model
from mnist_course.models.classifier import Classifier
from mnist_course.training import Evaluation

LABELS = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])
PREDICTED = torch.tensor([0, 0, 1, 1, 2, 2, 2, 2, 0])


def test_confusion_rows_are_truth_columns_are_predictions():
    matrix = confusion(LABELS, PREDICTED, num_classes=4)
    assert matrix.tolist() == [[2, 1, 0, 0], [0, 1, 1, 0], [1, 0, 3, 0], [0, 0, 0, 0]]


def test_per_class_scores_by_hand():
    report = per_class_report(LABELS, PREDICTED, ["zero", "one", "two"])
    assert report.loc["zero", "precision"] == pytest.approx(2 / 3)  # 2 of 3 "zero" answers right
    assert report.loc["two", "recall"] == pytest.approx(3 / 4)  # 3 of 4 real twos found
    assert report.loc["one", "f1"] == pytest.approx(2 * 0.5 * 0.5 / (0.5 + 0.5))
    assert report["support"].tolist() == [3, 2, 4]


def test_misclassified_lists_only_mistakes_most_confident_first():
    probabilities = torch.tensor(
        [
            [0.9, 0.1, 0.0],
            [0.2, 0.7, 0.1],
            [0.1, 0.3, 0.6],
            [0.05, 0.9, 0.05],
        ]
    )
    labels = torch.tensor([0, 0, 1, 2])
    scores = Evaluation(0.25, 1.0, probabilities.argmax(1), probabilities, labels)
    table = misclassified(scores, ["a", "b", "c"])
    assert table["index"].tolist() == [3, 1, 2]
    assert table["true"].tolist() == ["c", "a", "b"] and table["predicted"].tolist() == [
        "b",
        "b",
        "c",
    ]
    assert table["top_guesses"].iloc[0] == "b 90.00%, a 5.00%, c 5.00%"
    assert np.all(np.diff(table["confidence"]) <= 0)


def test_balanced_report_uses_equal_support(digits):
    model = Classifier(build_model("mlp"), MNIST_NORMALIZATION, digits.classes)
    report = balanced_report(model, digits.test, per_class=20)
    assert report["support"].tolist() == [20] * 10
