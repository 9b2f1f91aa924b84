"""The training panel: train in a thread, cancel within one batch, keep the best model, test."""

import threading
import time

import torch

from mnist_course.classifier import Classifier
from mnist_course.data import MNIST_NORMALIZATION
from mnist_course.drawing_pad import DrawingPad
from mnist_course.models import build_model
from mnist_course.panel import TrainingPanel
from mnist_course.training import load_checkpoint, train


def wait_for(condition, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the panel did not get there in time"
        time.sleep(0.05)


def test_train_in_the_background_then_test(digits, tmp_path):
    pads = []
    panel = TrainingPanel(digits, checkpoint=tmp_path / "panel.pt", on_trained=[pads.append])
    panel.recipe.value = "fast"
    panel.epochs.value = 3
    panel.start()
    assert panel.cancel_button.disabled is False and panel.train_button.disabled is True
    result = panel.wait(timeout=600)
    assert result.status == "completed" and panel.progress.value == 3
    assert panel.progress.bar_style == "success" and "finished after 3 epochs" in panel.status.value
    assert "<table" in panel.scores.value and panel.train_button.disabled is False
    assert pads == [panel.model], "the new model is handed over"
    accuracy = panel.test()
    assert accuracy > 0.8 and f"{accuracy:.2%}" in panel.status.value
    saved = load_checkpoint(tmp_path / "panel.pt").model
    assert torch.equal(saved.network[0].weight, panel.model.network[0].weight)


def test_cancel_keeps_the_best_model_so_far(digits, tmp_path):
    panel = TrainingPanel(digits, checkpoint=tmp_path / "panel.pt")
    panel.recipe.value = "mlp-sgd"
    panel.epochs.value = 200
    panel.start()
    wait_for(lambda: panel.progress.value >= 1)
    panel.cancel()
    result = panel.wait(timeout=120)
    assert not panel.running, "Cancel must end the thread"
    assert result.status == "interrupted" and 1 <= result.epochs_run < 200
    assert "cancelled" in panel.status.value and panel.progress.bar_style == "warning"
    best = load_checkpoint(tmp_path / "panel.pt")
    assert best.epoch == result.best_epoch
    assert torch.equal(best.model.network[1].weight, panel.model.network[1].weight)
    assert panel.test() > 0.5


def test_the_stop_event_ends_training_within_one_batch(digits):
    stop = threading.Event()
    steps = []
    network = build_model("mlp")

    def press_cancel(module, inputs):
        steps.append(module.training)
        stop.set()

    network.register_forward_pre_hook(press_cancel)
    result = train("mlp-sgd", digits.train, digits.test, model=network, stop=stop, progress=False)
    assert result.status == "interrupted" and steps == [True], "one training batch, no more"
    assert result.epochs_run == 0 and result.best_epoch is None


def test_a_run_is_refused_while_one_is_going(digits, tmp_path):
    panel = TrainingPanel(digits, checkpoint=tmp_path / "p.pt")
    panel.recipe.value, panel.epochs.value = "mlp-sgd", 100
    panel.start()
    try:
        panel.start()
        assert "already training" in panel.status.value
    finally:
        panel.cancel()
        panel.wait(timeout=120)


def test_choosing_a_recipe_shows_its_settings():
    panel = TrainingPanel()
    panel.recipe.value = "cnn5-adam"
    assert (panel.epochs.value, panel.batch_size.value) == (15, 100)


def test_test_before_training_says_what_to_do(digits):
    panel = TrainingPanel(digits)
    assert panel.test() is None and "train a model first" in panel.status.value


def test_download_failure_is_shown_not_raised(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_COURSE_DATA", str(tmp_path))
    import mnist_course.panel as panel_module

    def offline(*args, **kwargs):
        from mnist_course.errors import DataError

        raise DataError("no network")

    monkeypatch.setattr(panel_module, "load_data", offline)
    panel = TrainingPanel(source="mnist")
    assert panel.download() is None and "could not get mnist: no network" in panel.status.value
    panel.start()
    assert not panel.running


def test_the_pad_reads_with_the_panels_model(digits, tmp_path):
    untrained = Classifier(build_model("fast"), MNIST_NORMALIZATION, digits.classes)
    pad = DrawingPad(untrained)
    panel = TrainingPanel(digits, checkpoint=tmp_path / "p.pt", on_trained=[pad.use])
    panel.recipe.value, panel.epochs.value = "fast", 1
    panel.start()
    panel.wait(timeout=600)
    assert pad.classifier is panel.model is not untrained
