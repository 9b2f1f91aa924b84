"""R4's training dialog, in the notebook: Download MNIST, Train, Test, Cancel and a progress bar.

Training runs in a background thread, so the notebook stays responsive and Cancel works: it sets
an event that ``train`` checks before every batch, so the run stops within one batch. Whether it
finished or was cancelled, the best model so far is in the checkpoint (written atomically) and in
``panel.model``, ready for ``evaluate``, ``predict`` or the drawing pad
(``DrawingPad(panel.model)``, or ``TrainingPanel(on_trained=[pad.use])`` to hand it over by
itself). Works with ipywidgets 7 and 8.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import ipywidgets as widgets

from . import formatting
from .classifier import Classifier
from .data import DataSplits, load_data, stratified_split
from .display import LiveWidget, plain
from .errors import CourseError
from .training import RECIPES, evaluate, get_recipe, train
from .training.loop import EpochEnd
from .training.run import TrainResult

PANEL_RECIPES = ("fast", "pad", "mlp-sgd", "cnn3-sgd", "cnn5-adam", "best")


class TrainingPanel(LiveWidget):
    """Choose a recipe, epochs and batch size; download, train, cancel and test, with progress."""

    def __init__(
        self,
        data: DataSplits | None = None,
        source: str = "mnist",
        root: str | None = None,
        checkpoint: str | Path = "runs/panel.pt",
        recipes: Sequence[str] = PANEL_RECIPES,
        on_trained: Sequence[Callable[[Classifier], None]] = (),
    ) -> None:
        self.data, self.source, self.root = data, source, root
        self.checkpoint = Path(checkpoint)
        self.on_trained = list(on_trained)
        self.result: TrainResult | None = None
        self.model: Classifier | None = None
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

        first = get_recipe(recipes[0])
        self.recipe = widgets.Dropdown(options=[r for r in recipes if r in RECIPES],
                                       value=first.name, description="recipe")  # fmt: skip
        self.epochs = widgets.BoundedIntText(value=first.epochs, min=1, max=200,
                                             description="epochs")  # fmt: skip
        self.batch_size = widgets.BoundedIntText(value=first.batch_size, min=1, max=4096,
                                                 description="batch size")  # fmt: skip
        self.download_button = widgets.Button(description="Download MNIST", icon="download")
        self.train_button = widgets.Button(description="Train", icon="play",
                                           button_style="primary")  # fmt: skip
        self.test_button = widgets.Button(description="Test", icon="check", disabled=True)
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", disabled=True,
                                            button_style="danger")  # fmt: skip
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="progress")
        self.status = widgets.HTML("choose a recipe and press Train")
        self.scores = widgets.HTML()
        for widget, name in [
            (self.recipe, "recipe"), (self.epochs, "epochs"), (self.batch_size, "batch"),
            (self.download_button, "download"), (self.train_button, "train"),
            (self.test_button, "test"), (self.cancel_button, "cancel"),
            (self.progress, "progress"), (self.status, "status"), (self.scores, "scores"),
        ]:  # fmt: skip
            widget.add_class(f"mnist-panel-{name}")

        self.recipe.observe(self._recipe_chosen, names="value")
        self.download_button.on_click(lambda _: self.download())
        self.train_button.on_click(lambda _: self.start())
        self.cancel_button.on_click(lambda _: self.cancel())
        self.test_button.on_click(lambda _: self.test())
        buttons = widgets.HBox([self.download_button, self.train_button, self.cancel_button,
                                self.test_button])  # fmt: skip
        settings = widgets.HBox([self.recipe, self.epochs, self.batch_size])
        self.widget = widgets.VBox([settings, buttons, self.progress, self.status, self.scores])

    # --- what the buttons do (tests call these directly) ---

    def download(self) -> DataSplits | None:
        """Get the data (a download the first time; afterwards it is read from disk)."""
        if self.data is not None:
            train_count, test_count = len(self.data.train), len(self.data.test)
            self._say(f"data ready: {train_count:,} training and {test_count:,} test images")
            return self.data
        self._say(f"getting {self.source} (a download of about 12 MB the first time)…")
        try:
            self.data = load_data(self.source, root=self.root, download=True)
        except CourseError as problem:
            self._say(f"could not get {self.source}: {problem}", error=True)
            return None
        return self.download()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Train in a background thread with the chosen settings."""
        if self.running:
            self._say("already training: Cancel first", error=True)
            return
        data = self.download()
        if data is None:
            return
        recipe = get_recipe(self.recipe.value).replace(
            epochs=int(self.epochs.value), batch_size=int(self.batch_size.value)
        )
        self._stop.clear()
        self.error = None
        self.progress.value, self.progress.max = 0, recipe.epochs
        self.progress.bar_style = ""
        self._buttons(training=True)
        self._say(f"training {recipe.name} for {recipe.epochs} epochs…")
        self._thread = threading.Thread(target=self._train, args=(recipe, data), daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Stop within one batch; the best model so far is kept."""
        if self.running:
            self._stop.set()
            self._say("cancelling after this batch…")

    def wait(self, timeout: float | None = None) -> TrainResult | None:
        """Block until the training thread ends (for scripts and tests)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.result

    def test(self) -> float | None:
        """Test accuracy of the panel's model on the test set."""
        if self.model is None or self.data is None:
            self._say("train a model first", error=True)
            return None
        accuracy = evaluate(self.model, self.data.test).accuracy
        self._say(f"test accuracy <b>{accuracy:.2%}</b> on {len(self.data.test):,} images")
        return accuracy

    # --- the training thread ---

    def _train(self, recipe, data: DataSplits) -> None:
        try:
            train_part, validation = stratified_split(data.train, validation=0.1, seed=0)
            self.result = train(
                recipe, train_part, validation, checkpoint=self.checkpoint, progress=False,
                callbacks=[self._epoch_done], stop=self._stop, on_progress=self._batch_done,
            )  # fmt: skip
        except Exception as problem:  # shown in the panel: a thread has nowhere else to say it
            self.error = f"{type(problem).__name__}: {problem}"
            self._say(f"training failed: {self.error}", error=True)
            self._buttons(training=False)
            return
        if self.result.best_epoch is not None:
            self.model = self.result.model
            for hand_over in self.on_trained:
                hand_over(self.model)
        self._finished(self.result)

    def _batch_done(self, step: int, steps: int, loss: float) -> None:
        self.status.value = (
            f"epoch {self.progress.value + 1}: batch {step}/{steps}, loss {loss:.4f}"
        )

    def _epoch_done(self, end: EpochEnd) -> None:
        self.progress.value = int(end.history["epoch"].iloc[-1])
        table = end.history[["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"]]
        self.scores.value = formatting.readable(table).hide(axis="index").to_html()

    def _finished(self, result: TrainResult) -> None:
        self._buttons(training=False)
        saved = f"saved to {result.checkpoint}" if result.checkpoint else "not saved"
        best = "no epoch finished"
        if result.best_epoch is not None:
            metric = result.selected_by.replace("_", " ")
            best = f"best epoch {result.best_epoch}: {metric} {result.best_score:.2%}"
        word = {"interrupted": "cancelled", "completed": "finished"}.get(result.status)
        self.progress.bar_style = "success" if result.status == "completed" else "warning"
        self._say(f"{word or result.status} after {result.epochs_run} epochs; {best}; {saved}")

    # --- display ---

    def _buttons(self, training: bool) -> None:
        self.train_button.disabled = self.download_button.disabled = training
        self.recipe.disabled = self.epochs.disabled = self.batch_size.disabled = training
        self.cancel_button.disabled = not training
        self.test_button.disabled = training or self.model is None

    def _say(self, text: str, error: bool = False) -> None:
        text = html.escape(text).replace("&lt;b&gt;", "<b>").replace("&lt;/b&gt;", "</b>")
        self.status.value = f"<span style='color:#b00'>{text}</span>" if error else text

    def _recipe_chosen(self, change: dict) -> None:
        recipe = get_recipe(change["new"])
        self.epochs.value, self.batch_size.value = recipe.epochs, recipe.batch_size

    def still(self) -> dict:
        """The panel's status and scores, for a saved copy of the notebook."""
        return {
            "text/html": f"<p><b>training panel</b>: {self.status.value}</p>{self.scores.value}",
            "text/plain": f"training panel: {plain(self.status.value)}",
        }
