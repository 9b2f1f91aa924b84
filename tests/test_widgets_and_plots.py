"""Plots return figures; the gallery pages and filters; the lesson picks its data and mode."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure

from mnist_course import DigitDataset, plots
from mnist_course.gallery import Gallery
from mnist_course.lesson import SMOKE_TEST, SMOKE_TRAIN, Lesson

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    matplotlib.pyplot.close("all")


def test_every_plot_returns_its_figure(digits):
    history = pd.DataFrame({"epoch": [1, 2], "train_loss": [1.0, 0.5], "val_loss": [1.1, 0.6],
                            "train_accuracy": [0.6, 0.8], "val_accuracy": [0.5, 0.7]})  # fmt: skip
    matrix = np.arange(100).reshape(10, 10)
    figures = [
        plots.plot_samples(digits.train, per_class=3),
        plots.plot_class_distribution(train=digits.train, test=digits.test),
        plots.plot_history(history, title="t"),
        plots.plot_confusion_matrix(matrix, digits.classes, normalize=True),
        plots.plot_probabilities(
            np.full(10, 0.1), digits.classes, image=digits.test.images[0].numpy()
        ),
        plots.plot_misclassified(
            digits.test,
            pd.DataFrame(
                {
                    "index": [0, 1],
                    "true": ["1", "2"],
                    "predicted": ["7", "3"],
                    "confidence": [0.9, 0.8],
                }
            ),
        ),  # fmt: skip
    ]
    assert all(isinstance(figure, Figure) for figure in figures)
    samples = figures[0]
    assert sum(1 for axes in samples.axes if axes.images) == 30
    heatmap = figures[3].axes[0].images[0].get_array()
    np.testing.assert_allclose(np.asarray(heatmap).sum(axis=1), np.ones(10))


def test_study_plot_marks_diverged_runs():
    runs = pd.DataFrame({"lr": [0.01, 0.1, 10.0], "val_accuracy": [0.8, 0.9, np.nan],
                         "status": ["completed", "completed", "diverged"], "seed": 0})  # fmt: skip
    figure = plots.plot_study(runs, "lr")
    axes = figure.axes[0]
    assert axes.get_xscale() == "log"
    assert [t.get_text() for t in axes.texts] == ["diverged"]
    assert axes.get_title() == "best validation accuracy for each learning rate"


def test_study_plots_read_in_words_with_a_tick_per_setting_tried():
    runs = pd.DataFrame({"batch_size": [16, 32, 256, 1024], "val_accuracy": [0.97, 0.96, 0.9, 0.8],
                         "status": "completed", "seed": 0})  # fmt: skip
    figure = plots.plot_study(runs, "batch_size", log_x=True)
    figure.canvas.draw()
    axes = figure.axes[0]
    assert axes.get_xticks().tolist() == [16, 32, 256, 1024]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["16", "32", "256", "1,024"]
    assert axes.get_xlabel() == "batch size"
    assert [t.get_text() for t in axes.get_yticklabels()][-1].endswith("%")
    histories = pd.DataFrame({"lr": [0.01, 0.01, 10.0], "seed": 0, "epoch": [1, 2, 1],
                              "train_loss": [2.1, 0.6, np.nan],
                              "val_loss": [2.0, 0.5, np.nan]})  # fmt: skip
    curves = plots.plot_study_curves(histories, "lr").axes[0]
    assert curves.get_title() == "validation loss for each learning rate"
    legend = curves.get_legend()
    assert legend.get_title().get_text() == "learning rate"
    assert [t.get_text() for t in legend.get_texts()] == ["0.01", "10 (diverged)"]


def test_probabilities_name_the_true_label_and_the_legend_leaves_the_bars_alone(digits):
    probabilities = np.full(10, 0.02)
    probabilities[7] = 0.82
    figure = plots.plot_probabilities(probabilities, digits.classes, true_label=5)
    bars = figure.axes[-1]
    assert bars.get_title() == "true label: 5, prediction: 7 (82.00%), wrong"
    colours = [matplotlib.colors.to_hex(patch.get_facecolor()) for patch in bars.patches]
    assert colours[5] == matplotlib.colors.to_hex("tab:green")
    assert colours[7] == matplotlib.colors.to_hex("tab:red")
    counts = plots.plot_class_distribution(train=digits.train, test=digits.test)
    counts.canvas.draw()
    axes = counts.axes[0]
    legend = axes.get_legend().get_window_extent()
    assert legend.x0 >= axes.get_window_extent().x1, "the legend sits beside the bars"


def test_image_rows_can_be_labelled(digits):
    figure = plots.plot_images(digits.train.images[:6], columns=3, row_labels=["a", "b"])
    labels = [t.get_text() for axes in figure.axes for t in axes.texts]
    assert labels == ["a", "b"]


def test_gallery_pages_filters_and_says_where_it_ends(digits):
    gallery = Gallery(digits.train, per_page=100)
    assert gallery.pages == 15 and len(gallery.page_indices()) == 100
    assert sorted(gallery.indices.tolist()) == list(range(len(digits.train)))
    assert gallery.indices[:100].tolist() != list(range(100)), "random order, as R4 showed"
    assert torch.equal(Gallery(digits.train).indices, gallery.indices), "seeded: repeatable"
    gallery.previous_page()
    assert "there is no previous page" in gallery.status.value and gallery.page == 0
    for _ in range(20):
        gallery.next_page()
    assert gallery.page == 14 and "there is no next page" in gallery.status.value
    assert len(gallery.page_indices()) == 37
    gallery.checkboxes[3].value = gallery.checkboxes[5].value = True
    assert gallery.chosen == (), "ticking alone does not filter; the Filter button does"
    gallery.apply_filter()
    counts = digits.train.class_counts()
    assert gallery.page == 0 and set(digits.train.labels[gallery.indices].tolist()) == {3, 5}
    assert f"of {counts[3] + counts[5]} (only 3, 5, in random order)" in gallery.status.value
    picture = gallery.render()
    assert picture.size == ((20 * 29 + 1) * 2, (5 * 29 + 1) * 2)
    assert bytes(gallery.picture.value).startswith(b"\x89PNG")


def test_gallery_switches_between_training_and_test_set(digits):
    gallery = Gallery(digits)
    assert gallery.which.options == ("training set", "test set")
    gallery.checkboxes[7].value = True
    gallery.apply_filter()
    gallery.show_set("test set")
    assert gallery.data is digits.test and gallery.page == 0
    assert set(digits.test.labels[gallery.indices].tolist()) == {7}
    assert "only 7, test set" in gallery.status.value


def test_gallery_has_a_checkbox_per_class_for_emnist():
    letters = tuple("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt")
    data = DigitDataset(torch.zeros(94, 28, 28, dtype=torch.uint8), torch.arange(94) % 47, letters)
    gallery = Gallery(data)
    assert [box.description for box in gallery.checkboxes] == list(letters)


def test_lesson_smoke_mode_without_data_uses_digits(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("MNIST_COURSE_DATA", str(tmp_path))
    monkeypatch.setenv("MNIST_COURSE_SMOKE", "1")
    lesson = Lesson.start()
    out = capsys.readouterr().out
    assert lesson.smoke and lesson.source == "digits"
    assert "scikit-learn's digits" in out and "SMOKE mode" in out
    assert lesson.epochs(15) == 1 and lesson.pick([1, 2, 3], smoke=[1]) == [1]


def test_lesson_start_enables_colabs_widget_manager_only_on_colab(monkeypatch, tmp_path):
    import sys
    import types

    monkeypatch.setenv("MNIST_COURSE_DATA", str(tmp_path))
    calls = []
    colab = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append(1))
    google = types.ModuleType("google")
    google.colab = colab
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    Lesson.start(smoke=True)
    assert calls == [], "not on Colab: nothing to enable"
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    Lesson.start(smoke=True)
    assert calls == [1]


def test_lesson_full_mode_without_data_fails_loudly(monkeypatch, tmp_path):
    from mnist_course import DataError

    monkeypatch.setenv("MNIST_COURSE_DATA", str(tmp_path))
    monkeypatch.delenv("MNIST_COURSE_SMOKE", raising=False)
    monkeypatch.setattr(
        "socket.create_connection", lambda *a, **k: (_ for _ in ()).throw(OSError("offline"))
    )
    with pytest.raises(DataError, match="could not download MNIST"):
        Lesson.start()


@pytest.mark.real_mnist
def test_lesson_smoke_mode_uses_real_mnist_when_present(real_mnist_root, monkeypatch):
    monkeypatch.setenv("MNIST_COURSE_DATA", str(real_mnist_root))
    lesson = Lesson.start(smoke=True)
    assert lesson.source == "mnist"
    assert (len(lesson.data.train), len(lesson.data.test)) == (SMOKE_TRAIN, SMOKE_TEST)
