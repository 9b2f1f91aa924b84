"""R4's training dialog, in the notebook: Download MNIST, Train, Test, Cancel and a progress bar.

Where it trains:

- In Jupyter (Lab, Notebook, VS Code) in a background thread, so the notebook stays responsive
  and Cancel works: it sets an event that ``train`` checks before every batch, so the run stops
  within one batch.
- On Colab in the foreground: the Train button's click handler trains on the kernel's main
  thread. Colab's front end does not show widget updates sent from a background thread
  (googlecolab/colabtools#3373: they wait until another cell runs), so there the progress and
  the live scores are sent while the click's own request is still being handled. The notebook
  waits meanwhile; Colab's *Interrupt execution* (a ``KeyboardInterrupt`` in the main thread)
  stops the run within one batch, as Cancel does elsewhere, and the status line says so.
  ``panel.train()`` trains in the foreground anywhere, from a cell of its own: updates sent
  while a cell runs are shown by every front end, so it is the way to go should a front end
  ever hold back a click's updates.

Whether it finished or was stopped, the run's best model is in ``panel.model``, ready for
``evaluate``, ``predict`` or the drawing pad (``DrawingPad(panel.model)``, or
``TrainingPanel(on_trained=[pad.use])`` to hand it over by itself). The checkpoint
(``runs/panel.pt``, written atomically) keeps the best model of all the panel's runs: a run writes
it only when it beats the validation accuracy of the model already there (trained on the same
data; a model trained on other data is not comparable and is replaced), and the status line says
which model the file holds. Works with ipywidgets 7 and 8.
"""

from __future__ import annotations

import html
import math
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from ..core import formatting
from ..core.atomic import exclusive_lock
from ..core.errors import CourseError
from ..data import DataSplits, load_data, stratified_split
from ..data.dataset import DigitDataset
from ..models.classifier import Classifier
from ..training import (
    RECIPES,
    Recipe,
    evaluate,
    get_recipe,
    read_checkpoint,
    save_checkpoint,
    train,
)
from ..training.checkpoint import check_output_path
from ..training.loop import EpochEnd
from ..training.run import TrainResult
from .display import LiveWidget, plain

PANEL_RECIPES = ("fast", "pad", "mlp-sgd", "cnn3-sgd", "cnn5-adam", "best")
SCORE_COLUMNS = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"]
UPDATE_INTERVAL = 0.1
"""Seconds at least between two progress updates within an epoch: at most ten a second, which a
front end keeps up with however fast the batches go (an epoch's end is always shown)."""
COLAB_INTERRUPT = "use Runtime ▸ Interrupt execution (Ctrl+M I)"
TABLE_STYLE = [
    {"selector": "", "props": "border-collapse: collapse; margin-top: 0.5em"},
    {"selector": "th, td", "props": "padding: 0.15em 0.8em; text-align: right"},
    {"selector": "thead th", "props": "border-bottom: 1px solid #999; font-weight: bold"},
]


def on_colab() -> bool:
    """True in a Colab kernel (it has imported its ``google.colab`` package)."""
    return "google.colab" in sys.modules


def _epochs(count: int) -> str:
    return f"{count} epoch" if count == 1 else f"{count} epochs"


def _score_table(history: pd.DataFrame) -> str:
    """The history so far as an HTML table: readable numbers, headers in words, light rules."""
    table = history[SCORE_COLUMNS].rename(columns=formatting.name)
    return formatting.readable(table).set_table_styles(TABLE_STYLE, overwrite=False).to_html()


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
        self._foreground = False  # this run trains in the caller's thread (Colab, ``train()``)
        self._recipe: Recipe | None = None
        self._epochs_done = 0
        self._shown = -math.inf  # when the progress was last sent (time.monotonic)
        self._kept = -math.inf  # validation accuracy of the model at the checkpoint, to beat
        self._saved_epoch: int | None = None  # this run's epoch written to the checkpoint
        self._make_widgets([r for r in recipes if r in RECIPES])

    def _make_widgets(self, recipes: list[str]) -> None:
        first = get_recipe(recipes[0])
        self.recipe = widgets.Dropdown(options=recipes, value=first.name, description="recipe")
        self.epochs = widgets.BoundedIntText(
            value=first.epochs, min=1, max=200, description="epochs"
        )
        self.batch_size = widgets.BoundedIntText(
            value=first.batch_size, min=1, max=4096, description="batch size"
        )
        self.download_button = widgets.Button(description="Download MNIST", icon="download")
        self.train_button = widgets.Button(description="Train", icon="play", button_style="primary")
        self.test_button = widgets.Button(description="Test", icon="check", disabled=True)
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", disabled=True)
        self.progress = widgets.FloatProgress(
            value=0,
            min=0,
            max=1,
            description="not started",
            style={"description_width": "10em"},
            layout=widgets.Layout(width="40em"),
        )
        self.status = widgets.HTML("choose a recipe and press Train")
        self.scores = widgets.HTML()
        for widget, name in [
            (self.recipe, "recipe"),
            (self.epochs, "epochs"),
            (self.batch_size, "batch"),
            (self.download_button, "download"),
            (self.train_button, "train"),
            (self.test_button, "test"),
            (self.cancel_button, "cancel"),
            (self.progress, "progress"),
            (self.status, "status"),
            (self.scores, "scores"),
        ]:
            widget.add_class(f"mnist-panel-{name}")

        self.recipe.observe(self._recipe_chosen, names="value")
        self.download_button.on_click(lambda _: self.download())
        self.train_button.on_click(lambda _: self.start())
        self.cancel_button.on_click(lambda _: self.cancel())
        self.test_button.on_click(lambda _: self.test())
        buttons = widgets.HBox(
            [self.download_button, self.train_button, self.cancel_button, self.test_button]
        )
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
        """The Train button: train in a background thread, or on Colab in the foreground."""
        if on_colab():
            self.train()
            return
        job = self._prepare(foreground=False)
        if job is not None:
            self._thread = threading.Thread(target=self._run, args=job, daemon=True)
            self._thread.start()

    def train(self) -> TrainResult | None:
        """Train in the foreground: the call returns when training ends (None if it could not
        start). An interrupt (Colab's *Interrupt execution*, Jupyter's stop button) stops it
        within one batch and keeps the best model so far, as Cancel does."""
        job = self._prepare(foreground=True)
        if job is None:
            return None
        self._run(*job)
        return self.result

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

    # --- one training run ---

    def _prepare(self, foreground: bool) -> tuple[Recipe, DataSplits] | None:
        """Check that a run can start and set the panel up for it; None when it cannot."""
        if self.running:
            self._say("already training: Cancel first", error=True)
            return None
        data = self.download()
        if data is None:
            return None
        recipe = get_recipe(self.recipe.value).replace(
            epochs=int(self.epochs.value), batch_size=int(self.batch_size.value)
        )
        self._stop.clear()
        self.error, self.result = None, None
        self._foreground, self._recipe = foreground, recipe
        self._epochs_done, self._saved_epoch, self._shown = 0, None, -math.inf
        self.progress.bar_style = ""
        self.progress.max = recipe.epochs
        self._show_progress(0.0)
        self._buttons(training=True)
        self._say(f"training {recipe.name} for {_epochs(recipe.epochs)}…{self._how_to_stop()}")
        return recipe, data

    def _run(self, recipe: Recipe, data: DataSplits) -> None:
        """Train and show how it ended; never raises (a thread has nowhere to say it)."""
        try:
            result = self._train(recipe, data)
        except KeyboardInterrupt:  # while setting up (or wrapping up), outside train's epochs
            saved = f"saved to {self.checkpoint}" if self._saved_epoch else "nothing saved"
            self._say(f"stopped after {_epochs(self._epochs_done)}; {saved}", error=True)
        except Exception as problem:  # shown in the panel: a thread has nowhere else to say it
            self.error = f"{type(problem).__name__}: {problem}"
            self._say(f"training failed: {self.error}", error=True)
        else:
            self._finished(result)
        finally:
            self._buttons(training=False)

    def _train(self, recipe: Recipe, data: DataSplits) -> TrainResult:
        check_output_path(self.checkpoint)  # a foreign file there: refused before any training
        train_part, validation = stratified_split(data.train)  # the course's split (VALIDATION)
        self._kept = self._kept_score(train_part)
        with exclusive_lock(self.checkpoint.with_name(self.checkpoint.name + ".lock")):
            self.result = train(
                recipe,
                train_part,
                validation,
                progress=False,
                callbacks=[self._epoch_done],
                stop=self._stop,
                on_progress=self._batch_done,
            )
        return self.result

    def _kept_score(self, train_part: DigitDataset) -> float:
        """The validation accuracy a run must beat to replace the checkpoint's model: that
        model's, if it was trained on the same data (else the scores are not comparable)."""
        if not self.checkpoint.is_file():
            return -math.inf
        saved = read_checkpoint(self.checkpoint)
        card = saved.get("card") or {}
        same_data = (card.get("trained_on"), card.get("training_images")) == (
            train_part.source,
            len(train_part),
        )
        score = float((saved.get("metrics") or {}).get("val_accuracy", math.nan))
        return score if same_data and math.isfinite(score) else -math.inf

    def _epoch_done(self, end: EpochEnd) -> None:
        self._epochs_done = int(end.history["epoch"].iloc[-1])
        self._save_if_best(end)
        self._show_progress(self._epochs_done)
        self.scores.value = _score_table(end.history)

    def _save_if_best(self, end: EpochEnd) -> None:
        """Write this epoch's model (atomically) if it beats the run's earlier epochs and the
        model already in the checkpoint."""
        scores = end.history["val_accuracy"]
        score = float(scores.iloc[-1])
        if not score > max([self._kept, *scores.iloc[:-1].dropna()]):
            return
        last = end.history.iloc[-1]
        assert self._recipe is not None
        save_checkpoint(
            self.checkpoint,
            end.model,
            recipe=self._recipe,
            history=end.history,
            epoch=int(last["epoch"]),
            metrics={"val_accuracy": score, "train_accuracy": float(last["train_accuracy"])},
        )
        self._saved_epoch = int(last["epoch"])

    def _batch_done(self, step: int, steps: int, loss: float) -> None:
        now = time.monotonic()
        if step < steps and now - self._shown < UPDATE_INTERVAL:
            return
        self._shown = now
        self._show_progress(self._epochs_done + step / steps)
        shown_loss = f", loss {loss:.4f}" if math.isfinite(loss) else ""
        self._say(
            f"epoch {self._epochs_done + 1}: batch {step}/{steps}{shown_loss}{self._how_to_stop()}"
        )

    def _finished(self, result: TrainResult) -> None:
        if result.best_epoch is not None:
            self.model = result.model
            for hand_over in self.on_trained:
                hand_over(self.model)
        best = "no epoch finished"
        if result.best_epoch is not None:
            metric = formatting.name(result.selected_by)
            best = f"best epoch {result.best_epoch}: {metric} {result.best_score:.2%}"
        stopped = "stopped" if self._foreground else "cancelled"
        word = {"interrupted": stopped, "completed": "finished"}.get(result.status)
        self.progress.bar_style = "success" if result.status == "completed" else "warning"
        self._say(
            f"{word or result.status} after {_epochs(result.epochs_run)}; {best}; "
            f"{self._where_saved()}"
        )

    def _where_saved(self) -> str:
        if self._saved_epoch is not None:
            return f"saved to {self.checkpoint}"
        if math.isfinite(self._kept):
            return (
                f"not saved: {self.checkpoint} keeps an earlier model, whose validation "
                f"accuracy {self._kept:.2%} this run did not beat"
            )
        return "not saved"

    # --- display ---

    def _show_progress(self, epochs_done: float) -> None:
        """Move the bar to ``epochs_done`` (fractional within an epoch) and label it."""
        planned = max(int(self.progress.max), 1)
        epoch = min(int(epochs_done) + 1, planned)
        with self.progress.hold_sync():  # value and label in one message
            self.progress.value = epochs_done
            self.progress.description = f"epoch {epoch}/{planned}, {epochs_done / planned:.0%}"

    def _how_to_stop(self) -> str:
        if not self._foreground:
            return ""  # the Cancel button says it
        return f"; to stop, {COLAB_INTERRUPT if on_colab() else 'interrupt the kernel (■)'}"

    def _buttons(self, training: bool) -> None:
        cancellable = training and not self._foreground  # a busy kernel cannot hear a click
        self.train_button.disabled = self.download_button.disabled = training
        self.train_button.button_style = "" if training else "primary"
        self.recipe.disabled = self.epochs.disabled = self.batch_size.disabled = training
        self.cancel_button.disabled = not cancellable
        self.cancel_button.button_style = "danger" if cancellable else ""  # grey while disabled
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
