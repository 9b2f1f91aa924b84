"""The training panel: train in a thread (on Colab in the foreground), cancel or interrupt
within one batch, keep the best model of all runs, test."""

import sys
import threading
import time
import types

import pytest
import torch

import mnist_course.widgets.panel as panel_module
from mnist_course.data import MNIST_NORMALIZATION, stratified_sample, stratified_split
from mnist_course.models import build_model
from mnist_course.models.classifier import Classifier
from mnist_course.training import load_checkpoint, train
from mnist_course.widgets.drawing_pad import DrawingPad
from mnist_course.widgets.panel import TrainingPanel


def wait_for(condition, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the panel did not get there in time"
        time.sleep(0.05)


def fake_colab(monkeypatch) -> None:
    """Make the panel believe it runs in a Colab kernel (which imports ``google.colab``)."""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))


def record_threads(*widgets) -> list[threading.Thread]:
    """The thread of every change of ``widgets``' state, i.e. of every update sent to the page."""
    threads = []
    for widget in widgets:
        widget.observe(lambda change: threads.append(threading.current_thread()))
    return threads


def test_train_in_the_background_then_test(digits, tmp_path):
    pads = []
    panel = TrainingPanel(digits, checkpoint=tmp_path / "panel.pt", on_trained=[pads.append])
    threads = record_threads(panel.progress, panel.scores)
    panel.recipe.value = "fast"
    panel.epochs.value = 3
    panel.start()
    assert panel.cancel_button.disabled is False and panel.train_button.disabled is True
    assert panel.cancel_button.button_style == "danger", "Cancel looks clickable when it is"
    result = panel.wait(timeout=600)
    assert result.status == "completed" and panel.progress.value == 3
    assert panel.progress.description == "epoch 3/3, 100%"
    assert panel.progress.bar_style == "success" and "finished after 3 epochs" in panel.status.value
    assert "<table" in panel.scores.value and panel.train_button.disabled is False
    assert "validation accuracy" in panel.scores.value and "val_accuracy" not in panel.scores.value
    assert panel.cancel_button.disabled and panel.cancel_button.button_style == ""
    assert panel._thread in threads, "outside Colab the background thread trains and updates"
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
    import mnist_course.widgets.panel as panel_module

    def offline(*args, **kwargs):
        from mnist_course.core.errors import DataError

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
    assert "finished after 1 epoch;" in panel.status.value


def test_on_colab_the_train_button_trains_in_the_foreground(digits, tmp_path, monkeypatch):
    fake_colab(monkeypatch)
    monkeypatch.setattr(panel_module, "UPDATE_INTERVAL", 0.0)  # show every batch
    panel = TrainingPanel(digits, checkpoint=tmp_path / "panel.pt")
    panel.recipe.value, panel.epochs.value = "fast", 2
    threads = record_threads(panel.progress, panel.status, panel.scores, panel.cancel_button)
    bar, lines = [], []
    panel.progress.observe(lambda change: bar.append(change["new"]), names="value")
    panel.status.observe(lambda change: lines.append(change["new"]), names="value")
    panel.train_button.click()  # returns when training is over: the click's handler trained
    assert panel.result.status == "completed" and panel._thread is None
    assert set(threads) == {threading.main_thread()}, "every update from the kernel's main thread"
    steps = len(stratified_split(digits.train, validation=0.1, seed=0)[0]) // 128  # drop_last
    assert bar == pytest.approx([k / steps for k in range(1, 2 * steps + 1)]), "a move a batch"
    assert any("Runtime ▸ Interrupt execution" in line for line in lines[:-1])
    assert panel.cancel_button.disabled, "a busy kernel cannot hear Cancel: it stays disabled"
    assert "finished after 2 epochs" in panel.status.value and panel.model is not None


def test_on_colab_an_interrupt_keeps_the_best_model_so_far(digits, tmp_path, monkeypatch):
    fake_colab(monkeypatch)
    monkeypatch.setattr(panel_module, "UPDATE_INTERVAL", 0.0)
    panel = TrainingPanel(digits, checkpoint=tmp_path / "panel.pt")
    panel.recipe.value, panel.epochs.value = "mlp-sgd", 50

    def interrupt_mid_second_epoch(change):  # what Colab's Interrupt execution does, there
        if 1.4 < change["new"] < 1.6:
            raise KeyboardInterrupt

    panel.progress.observe(interrupt_mid_second_epoch, names="value")
    try:
        panel.start()
    except KeyboardInterrupt:
        pytest.fail("the interrupt escaped the panel")
    result = panel.result
    assert result.status == "interrupted" and result.epochs_run == 1 == result.best_epoch
    assert "stopped after 1 epoch;" in panel.status.value and "saved to" in panel.status.value
    best = load_checkpoint(tmp_path / "panel.pt")
    assert best.epoch == 1 and best.recipe.name == "mlp-sgd"
    assert torch.equal(best.model.network[1].weight, panel.model.network[1].weight)
    assert panel.train_button.disabled is False and panel.progress.bar_style == "warning"
    assert panel.test() > 0.5


def test_progress_updates_are_throttled(digits, tmp_path, monkeypatch):
    monkeypatch.setattr(panel_module, "UPDATE_INTERVAL", 3600.0)
    panel = TrainingPanel(digits, checkpoint=tmp_path / "panel.pt")
    panel.recipe.value, panel.epochs.value = "fast", 2
    bar = []
    panel.progress.observe(lambda change: bar.append(change["new"]), names="value")
    assert panel.train().status == "completed"  # in the foreground, outside Colab too
    steps = len(stratified_split(digits.train, validation=0.1, seed=0)[0]) // 128
    assert bar == pytest.approx([1 / steps, 1.0, 2.0]), "the first batch, then epochs' ends"


def set_up(panel: TrainingPanel, recipe: str, epochs: int, batch_size: int) -> None:
    panel.recipe.value = recipe
    panel.epochs.value, panel.batch_size.value = epochs, batch_size


def test_a_worse_run_keeps_the_better_model_in_the_checkpoint(digits, tmp_path):
    path = tmp_path / "panel.pt"
    panel = TrainingPanel(digits, checkpoint=path)
    set_up(panel, "mlp-sgd", 1, 4096)  # one step: a poor model
    poor = panel.train()
    assert "saved to" in panel.status.value, "nothing to beat yet"
    set_up(panel, "fast", 2, 128)
    good = panel.train()
    assert good.best_score > poor.best_score and "saved to" in panel.status.value
    assert load_checkpoint(path).recipe.name == "fast"
    set_up(panel, "mlp-sgd", 1, 4096)
    again = panel.train()
    assert again.status == "completed" and again.best_score < good.best_score
    kept = load_checkpoint(path)
    assert kept.recipe.name == "fast" and kept.epoch == good.best_epoch
    assert torch.equal(kept.model.network[0].weight, good.model.network[0].weight)
    assert f"keeps an earlier model, whose validation accuracy {good.best_score:.2%}" in (
        panel.status.value
    )
    assert panel.model is again.model, "the panel holds the run it just trained"


def test_a_model_trained_on_other_data_is_replaced(digits, tmp_path):
    path = tmp_path / "panel.pt"
    few = TrainingPanel(
        type(digits)(stratified_sample(digits.train, 600), digits.test), checkpoint=path
    )
    set_up(few, "fast", 2, 128)
    earlier = few.train()
    panel = TrainingPanel(digits, checkpoint=path)
    set_up(panel, "mlp-sgd", 1, 4096)
    assert panel.train().best_score < earlier.best_score, "a worse score, on other data"
    assert load_checkpoint(path).recipe.name == "mlp-sgd" and "saved to" in panel.status.value
