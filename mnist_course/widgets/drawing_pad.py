"""Draw a digit, and the model you trained reads it, live in the notebook.

An ipycanvas pad with brush size, Clear, Undo and "Random MNIST image". When the pen rests
(``PAUSE`` after a stroke ends, so a digit of two strokes is read whole), the strokes are
rasterised in the kernel (``strokes.rasterize``), prepared exactly like MNIST
(``preprocess.to_mnist_style``), and the model's answer, its ten probabilities and the 28x28 image
it actually saw are shown. It works with mouse, pen and touch, with any checkpoint (EMNIST's 47
classes too), and keeps working after the page is reloaded (see ``_on_client_ready``).

In a notebook: ``DrawingPad(load_checkpoint("runs/fast.pt").model, examples=lesson.data.test)``.
"""

from __future__ import annotations

import asyncio
import html
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import torch
from ipycanvas import Canvas, hold_canvas
from PIL import Image, ImageOps

from ..core.errors import DataError
from ..data.dataset import DataSplits, DigitDataset
from ..images.preprocess import BlankImageError, image_from_bytes
from ..images.strokes import Stroke, rasterize
from ..inference.predict import Prediction, predict_image, predict_prepared
from ..models.classifier import Classifier
from ..training.finetune import save_own_digit
from .display import LiveWidget
from .pad_view import (
    PROMPT,
    about_html,
    answer_html,
    preview_png,
    probability_bars,
    prompt_html,
    still_bundle,
    waiting_html,
)

__all__ = ["PAUSE", "PROMPT", "DrawingPad", "probability_bars"]

PAPER, INK = "white", "black"
PAUSE = 0.8
"""Seconds the pen rests after a stroke before the pad reads the drawing: half-way through a
4 of two strokes it read "6". A new stroke within that time waits again. Outside a running
event loop (a script, a test driving the handlers) the pad reads at once."""
TOO_LITTLE = "too little ink to read: draw the digit bigger"


class DrawingPad(LiveWidget):
    """The live handwriting widget. Show it by making it the last expression of a cell."""

    def __init__(
        self,
        classifier: Classifier,
        examples: DigitDataset | DataSplits | None = None,
        size: int = 280,
        brush: int = 18,
        seed: int = 0,
        save_to: str | Path = "mine",
        pause: float = PAUSE,
    ) -> None:
        self.classifier, self.size, self.save_to = classifier, size, Path(save_to)
        self.pause = pause
        self._pending: asyncio.TimerHandle | None = None  # the read waiting for the pen to rest
        if isinstance(examples, DataSplits):
            self.example_sets = {"training set": examples.train, "test set": examples.test}
        else:
            self.example_sets = {"examples": examples} if examples is not None else {}
        self.strokes: list[Stroke] = []
        self.prediction: Prediction | None = None
        self.shown_example: int | None = None
        self._drawing = False
        self._generator = torch.Generator().manual_seed(seed)
        self._make_widgets(brush)
        self._connect()
        self.widget = self._lay_out()
        self.clear()

    def _make_widgets(self, brush: int) -> None:
        size, classifier = self.size, self.classifier
        self.canvas = Canvas(
            width=size,
            height=size,
            layout=widgets.Layout(width=f"{size}px", border="1px solid #999"),
        )
        self.brush = widgets.IntSlider(value=brush, min=4, max=40, description="brush")
        self.clear_button = widgets.Button(description="Clear", icon="eraser")
        self.undo_button = widgets.Button(description="Undo", icon="undo")
        self.random_button = widgets.Button(
            description="Random MNIST image", icon="random", layout=widgets.Layout(width="auto")
        )
        self.random_button.disabled = not self.example_sets
        self.random_from = widgets.ToggleButtons(options=list(self.example_sets) or ["-"])
        self.random_from.layout.display = "" if len(self.example_sets) > 1 else "none"
        self.about_button = widgets.Button(description="About model", icon="info")
        self.about = widgets.HTML()
        self.label = widgets.Dropdown(
            options=list(classifier.classes),
            description="it is a",
            layout=widgets.Layout(width="160px"),
        )
        self.save_button = widgets.Button(
            description="Save as training example", icon="save", layout=widgets.Layout(width="auto")
        )
        self.saved = widgets.HTML()
        self.answer = widgets.HTML()
        self.preview = widgets.Image(format="png", width=140, height=140)
        self.bars = widgets.HTML()
        self.upload = widgets.FileUpload(accept="image/*", multiple=False, description="Upload")
        for widget, name in [  # a table: each widget and its CSS class (the browser tests use them)
            (self.canvas, "canvas"), (self.brush, "brush"), (self.clear_button, "clear"),
            (self.undo_button, "undo"), (self.random_button, "random"),
            (self.answer, "prediction"), (self.preview, "preview"), (self.bars, "bars"),
            (self.upload, "upload"), (self.random_from, "random-from"),
            (self.about_button, "about-button"), (self.about, "about"), (self.label, "label"),
            (self.save_button, "save"), (self.saved, "saved"),
        ]:  # fmt: skip
            widget.add_class(f"mnist-draw-{name}")

    def _connect(self) -> None:
        self.canvas.on_mouse_down(self.start_stroke)
        self.canvas.on_mouse_move(self.extend_stroke)
        self.canvas.on_mouse_up(self.end_stroke)
        self.canvas.on_mouse_out(self.end_stroke)  # released outside: the stroke ends cleanly
        self.canvas.on_touch_start(lambda touches: self.start_stroke(*touches[0]))
        self.canvas.on_touch_move(lambda touches: self.extend_stroke(*touches[0]))
        self.canvas.on_touch_end(lambda touches: self.end_stroke())
        self.canvas.on_touch_cancel(lambda touches: self.end_stroke())
        self.canvas.on_client_ready(self._on_client_ready)
        self.clear_button.on_click(lambda _: self.clear())
        self.undo_button.on_click(lambda _: self.undo())
        self.random_button.on_click(lambda _: self.show_random())
        self.about_button.on_click(lambda _: self.toggle_about())
        self.save_button.on_click(lambda _: self.save_example())
        self.upload.observe(self._on_upload, names="value")

    def _lay_out(self) -> widgets.VBox:
        # The page must not scroll while a finger draws on the canvas.
        style = widgets.HTML("<style>canvas.mnist-draw-canvas{touch-action:none}</style>")
        buttons = widgets.HBox(
            [self.clear_button, self.undo_button, self.random_button, self.about_button]
        )
        keep = widgets.HBox([self.label, self.save_button])
        left = widgets.VBox(
            [self.canvas, self.brush, buttons, self.random_from, keep, self.saved, self.about]
        )
        right = widgets.VBox(
            [self.answer, widgets.HTML("what the model sees:"), self.preview, self.bars]
        )
        hint = widgets.HTML("No drawing pad? Upload a photo of a digit:")
        fallback = widgets.Accordion([widgets.VBox([hint, self.upload])])
        fallback.set_title(0, "upload a picture instead")  # ipywidgets 7 and 8 (`titles=` is 8's)
        return widgets.VBox([style, widgets.HBox([left, right]), fallback])

    # --- the handlers: also what tests call, no browser needed ---

    @property
    def _current(self) -> Stroke | None:
        return self.strokes[-1] if self.strokes and self._drawing else None

    def start_stroke(self, x: float, y: float) -> None:
        """Pen down: a new stroke begins (a random example on the pad is wiped first)."""
        self._cancel_read()
        if self.shown_example is not None:
            self.clear()
        elif self.prediction is not None or self.strokes:
            self._show_waiting()
        self.strokes.append(Stroke(self.brush.value, [(x, y)]))
        self._drawing = True
        with hold_canvas():
            self._paint_dot(x, y, self.brush.value)

    def extend_stroke(self, x: float, y: float) -> None:
        """Pen moves: extend the stroke and paint the new segment."""
        stroke = self._current
        if stroke is None:
            return
        x0, y0 = stroke.points[-1]
        stroke.points.append((x, y))
        with hold_canvas():
            self._paint_segment(x0, y0, x, y, stroke.width)

    def end_stroke(self, x: float | None = None, y: float | None = None) -> None:
        """Pen up (or left the canvas): read the drawing once the pen rests ``pause`` seconds."""
        if not self._drawing:
            return
        self._drawing = False
        try:
            loop = asyncio.get_running_loop()  # the kernel's, in a notebook
        except RuntimeError:
            loop = None
        if loop is None or self.pause <= 0:
            self.recognise()
            return
        self._show_waiting()
        self._pending = loop.call_later(self.pause, self._read_now)

    def _read_now(self) -> None:
        self._pending = None
        self.recognise()

    def _cancel_read(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    @property
    def reading_soon(self) -> bool:
        """A stroke has ended and the pad reads it when the pen has rested long enough."""
        return self._pending is not None

    def use(self, classifier: Classifier) -> None:
        """Read with another model from now on (e.g. the training panel's newest)."""
        self.classifier = classifier
        if self.about.value:  # open: describe the model now in use
            self.about.value = self.about_model()
        self.recognise() if self.shown_example is None else self._show(None)

    def clear(self) -> None:
        """Wipe the pad and the answer."""
        self._cancel_read()
        self.strokes, self._drawing, self.shown_example = [], False, None
        self._repaint()
        self.recognise()

    def undo(self) -> None:
        """Remove the last stroke and recognise again."""
        self._cancel_read()
        if self.strokes:
            self.strokes.pop()
        self._drawing = False
        self._repaint()
        self.recognise()

    @property
    def examples(self) -> DigitDataset | None:
        """The set Random draws from: the one chosen (training or test set), if any."""
        return self.example_sets.get(self.random_from.value)

    def show_random(self) -> Prediction | None:
        """Put a random image of the chosen set on the pad and recognise it, label beside it."""
        if self.examples is None or len(self.examples) == 0:
            return None
        index = int(torch.randint(len(self.examples), (1,), generator=self._generator))
        self._cancel_read()
        self.strokes, self._drawing, self.shown_example = [], False, index
        self._repaint()
        self.prediction = predict_prepared(self.classifier, self.examples.images[index].numpy())
        labels, names = self.examples.labels, self.examples.classes
        truth = "" if labels is None else f" (the label says {names[int(labels[index])]})"
        self._show(self.prediction, note=f"image #{index} of the {self.random_from.value}{truth}")
        return self.prediction

    def about_model(self) -> str:
        """The model in use: architecture, size, recipe, its data (name and size), its scores."""
        return about_html(self.classifier)

    def toggle_about(self) -> None:
        self.about.value = "" if self.about.value else self.about_model()

    def save_example(self, label: str | None = None) -> Path | None:
        """Keep the drawing as a training example of ``label`` (the one chosen on the pad).

        The drawing as drawn goes to ``save_to/<label>/NAME.png`` (torchvision's ImageFolder
        layout, what ``finetune`` reads) and the 28x28 it became to ``save_to-28x28/<label>/``.
        """
        label = self.label.value if label is None else label
        if label not in self.classifier.classes:
            raise ValueError(f"{label!r} is not one of the model's classes")
        if self.reading_soon:  # saved before the pen rested: read it now
            self._cancel_read()
            self.recognise()
        if not self.strokes or self.prediction is None:
            self.saved.value = "draw a digit first, then save it"
            return None
        drawn = ImageOps.invert(rasterize(self.strokes, self.size))  # dark ink on white paper
        path = save_own_digit(drawn, self.prediction.model_input, label, self.save_to)
        count = len(list(path.parent.glob("*.png")))
        where = html.escape(str(path.parent))
        self.saved.value = f"saved as a {html.escape(label)}: {count} in {where}"
        return path

    def recognise(self) -> Prediction | None:
        """Predict from the strokes; a blank pad gives the prompt and no prediction."""
        try:
            self.prediction = predict_image(self.classifier, rasterize(self.strokes, self.size))
        except BlankImageError:
            self.prediction = None  # a dot too small for a digit says so; an empty pad asks
            self._show(None, problem=TOO_LITTLE if self.strokes else "")
            return None
        self._show(self.prediction)
        return self.prediction

    # --- drawing on the browser canvas ---

    def _paint_dot(self, x: float, y: float, width: float) -> None:
        self.canvas.fill_style = INK
        self.canvas.fill_circle(x, y, width / 2)

    def _paint_segment(self, x0: float, y0: float, x1: float, y1: float, width: float) -> None:
        self.canvas.stroke_style, self.canvas.line_width, self.canvas.line_cap = INK, width, "round"
        self.canvas.stroke_line(x0, y0, x1, y1)

    def _repaint(self) -> None:
        """Redraw the whole pad: the strokes, or the example shown (ink dark on paper)."""
        with hold_canvas():
            self.canvas.clear()
            self.canvas.fill_style = PAPER
            self.canvas.fill_rect(0, 0, self.size, self.size)
            if self.shown_example is not None and self.examples is not None:
                paper = np.asarray(self.surface())
                self.canvas.put_image_data(np.stack([paper] * 3, axis=-1), 0, 0)
            for stroke in self.strokes:
                self._paint_dot(*stroke.points[0], stroke.width)
                for (x0, y0), (x1, y1) in zip(stroke.points, stroke.points[1:], strict=False):
                    self._paint_segment(x0, y0, x1, y1, stroke.width)

    def _on_client_ready(self) -> None:
        """A browser view (re)connected: reload, second tab, reopened notebook.

        ipycanvas (verified with 0.14.3) remembers in the kernel which canvas its front end last
        drew on and only sends "switch canvas" when that changes; a fresh front end never gets it,
        so every later drawing command fails in the browser. Forget the remembered canvas so the
        next command switches explicitly, then replay the strokes.
        """
        self.canvas._canvas_manager._current_canvas = None
        self._repaint()

    # --- answers ---

    def _show_waiting(self) -> None:
        """The drawing changed: the answer beside it is of another drawing, so it goes."""
        self.answer.value, self.preview.value, self.bars.value = waiting_html(), preview_png(), ""

    def _show(self, prediction: Prediction | None, note: str = "", problem: str = "") -> None:
        if prediction is not None:
            self.label.value = prediction.label  # the likely label, for the learner to confirm
        if prediction is None:
            self.answer.value = prompt_html(problem)
            self.preview.value, self.bars.value = preview_png(), ""
            return
        self.answer.value = answer_html(prediction.label, prediction.confidence, note)
        self.preview.value = preview_png(prediction.model_input)
        self.bars.value = probability_bars(prediction.probabilities, self.classifier.classes)

    def _on_upload(self, change: dict) -> None:
        files = change["new"]  # ipywidgets 8: a tuple of {"name", "content", ...}
        if isinstance(files, dict):  # ipywidgets 7: {name: {"metadata": ..., "content": ...}}
            files = [{"name": name, **upload} for name, upload in files.items()]
        if files:
            self.recognise_upload(bytes(files[0]["content"]), str(files[0].get("name", "")))

    def recognise_upload(self, content: bytes, name: str) -> Prediction | None:
        """An uploaded file: read as a picture, or the pad says why not (the old answer goes)."""
        try:
            picture = image_from_bytes(content, name or "the uploaded file")
        except DataError as problem:
            self._cancel_read()
            self.strokes, self._drawing, self.shown_example = [], False, None
            self._repaint()
            self.prediction = None
            self._show(None, problem=str(problem))
            return None
        return self.recognise_picture(picture, name)

    def recognise_picture(self, picture: Image.Image, name: str = "") -> Prediction | None:
        """The fallback path: a photo or scan of a digit instead of strokes (the pad is wiped)."""
        self._cancel_read()
        self.strokes, self._drawing, self.shown_example = [], False, None
        self._repaint()
        try:
            self.prediction = predict_image(self.classifier, picture)
        except DataError as problem:  # blank, too little ink, a strip
            self.prediction = None
            self._show(None, problem=f"{name or 'the uploaded picture'}: {problem}")
            return None
        where = f"from the uploaded picture {name}" if name else "from the uploaded picture"
        self._show(self.prediction, note=where)
        return self.prediction

    def surface(self) -> Image.Image:
        """What the pad shows, as the browser draws it: dark ink on white paper."""
        if self.shown_example is not None and self.examples is not None:
            image = self.examples.images[self.shown_example].numpy()
            return Image.fromarray(255 - image).resize(
                (self.size, self.size), Image.Resampling.NEAREST
            )
        return ImageOps.invert(rasterize(self.strokes, self.size))

    def still(self) -> dict:
        """The pad, what the model sees and its answer, for a saved copy of the notebook."""
        return still_bundle(self.surface(), self.preview.value, self.answer.value)
