"""Plots return figures; the gallery pages and filters; the lesson picks its data and mode."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure

from mnist_course import DigitDataset
from mnist_course.course.lesson import SMOKE_TEST, SMOKE_TRAIN, Lesson
from mnist_course.widgets import plots
from mnist_course.widgets.gallery import Gallery

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    matplotlib.pyplot.close("all")


def test_every_plot_returns_its_figure(digits):
    history = pd.DataFrame(
        {
            "epoch": [1, 2],
            "train_loss": [1.0, 0.5],
            "val_loss": [1.1, 0.6],
            "train_accuracy": [0.6, 0.8],
            "val_accuracy": [0.5, 0.7],
        }
    )
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
        ),
    ]
    assert all(isinstance(figure, Figure) for figure in figures)
    samples = figures[0]
    assert sum(1 for axes in samples.axes if axes.images) == 30
    right, wrong = (np.ma.filled(image.get_array(), 0) for image in figures[3].axes[0].images)
    assert (right == np.eye(10)).all(), "the right answers: the diagonal, drawn grey"
    np.testing.assert_allclose(wrong.sum(axis=1) + np.diag(matrix) / matrix.sum(1), np.ones(10))


def test_samples_name_each_row_once_in_readable_type(digits):
    figure = plots.plot_samples(digits.train, per_class=12)
    texts = [text for axes in figure.axes for text in axes.texts]
    assert [text.get_text() for text in texts] == list(digits.classes), "one label per row"
    assert all(text.get_fontsize() >= 12 for text in texts)
    assert not any(axes.get_title() for axes in figure.axes), "no label over every tile"


def test_the_confusion_matrix_shows_its_mistakes_on_their_own_scale():
    matrix = np.diag([980, 1130, 1020, 1000, 970, 880, 950, 1020, 960, 990])
    matrix[4, 9], matrix[7, 2], matrix[3, 5] = 12, 6, 1
    figure = plots.plot_confusion_matrix(matrix, [str(d) for d in range(10)])
    figure.canvas.draw()
    axes, bar = figure.axes
    right, wrong = axes.images
    assert wrong.get_clim() == (0, 12), "white for no mistake, darkest for the largest mistake"
    assert np.ma.count(wrong.get_array()) == 90 and np.ma.count(right.get_array()) == 10
    labels = {text.get_text(): text for text in axes.texts}
    expected = {f"{count:,}" for count in np.diag(matrix)} | {"12", "6", "1"}
    assert set(labels) == expected, "every right answer and every mistake, zeros left blank"
    assert min(text.get_fontsize() for text in axes.texts) >= 9
    assert labels["12"].get_color() == "white" and labels["1"].get_color() == "black"
    matrix_box, bar_box = axes.get_window_extent(), bar.get_window_extent()
    assert abs(bar_box.height - matrix_box.height) < 1 and abs(bar_box.y0 - matrix_box.y0) < 1
    assert bar.get_ylabel() == "mistakes (count)"
    assert all(tick == round(tick) for tick in bar.get_yticks()), "whole counts on the bar"


def test_misread_digits_are_titled_in_readable_type(digits):
    mistakes = pd.DataFrame(
        {"index": [0, 1], "true": ["4", "7"], "predicted": ["9", "2"], "confidence": [0.9912, 0.6]}
    )
    figure = plots.plot_misclassified(digits.test, mistakes)
    titles = [axes.title for axes in figure.axes if axes.get_title()]
    assert [t.get_text() for t in titles] == ["4 read as 9\n99.12%", "7 read as 2\n60.00%"]
    assert all(t.get_fontsize() >= 11 for t in titles)


def test_study_plot_marks_diverged_runs():
    runs = pd.DataFrame(
        {
            "lr": [0.01, 0.1, 10.0],
            "val_accuracy": [0.8, 0.9, np.nan],
            "status": ["completed", "completed", "diverged"],
            "seed": 0,
        }
    )
    figure = plots.plot_study(runs, "lr")
    axes = figure.axes[0]
    assert axes.get_xscale() == "log"
    assert [t.get_text() for t in axes.texts] == ["diverged"]
    assert axes.get_title() == "best validation accuracy for each learning rate"


def test_study_plots_read_in_words_with_a_tick_per_setting_tried():
    runs = pd.DataFrame(
        {
            "batch_size": [16, 32, 256, 1024],
            "val_accuracy": [0.97, 0.96, 0.9, 0.8],
            "status": "completed",
            "seed": 0,
        }
    )
    figure = plots.plot_study(runs, "batch_size", log_x=True)
    figure.canvas.draw()
    axes = figure.axes[0]
    assert axes.get_xticks().tolist() == [16, 32, 256, 1024]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["16", "32", "256", "1,024"]
    assert axes.get_xlabel() == "batch size"
    assert [t.get_text() for t in axes.get_yticklabels()][-1].endswith("%")
    histories = pd.DataFrame(
        {
            "lr": [0.01, 0.01, 10.0],
            "seed": 0,
            "epoch": [1, 2, 1],
            "train_loss": [2.1, 0.6, np.nan],
            "val_loss": [2.0, 0.5, np.nan],
        }
    )
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


def test_gallery_counts_with_separators_and_keeps_its_tiles_one_size(digits):
    gallery = Gallery(digits.train, per_page=100, columns=50)
    assert "page 1 of 15 · images 1–100 of 1,437 (all classes" in gallery.status.value
    full_width = gallery.render().width
    assert full_width == (50 * 29 + 1) * 2
    for _ in range(14):
        gallery.next_page()
    assert "images 1,401–1,437 of 1,437" in gallery.status.value
    last = gallery.render()
    assert last.size == (full_width, (29 + 1) * 2), "37 images fill one row of 50 tiles"
    tiles = np.asarray(last)[2:58, 2 : 2 + 50 * 58].reshape(56, 50, 58)[:, :, :56]
    assert (tiles[:, 37:] == 60).all(), "the 13 empty tiles are the grey of the gaps"
    assert (tiles[:, :37] != 60).any(axis=(0, 2)).all(), "the 37 images are drawn"


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


def test_the_lesson_says_how_many_images_with_thousands_separators(digits):
    lesson = Lesson(False, digits, "digits", torch.device("cpu"))
    described = lesson.describe()
    assert described == "full course: digits, 1,437 training and 360 test images, device cpu"


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
