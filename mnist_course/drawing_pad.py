"""Draw a digit, and the model you trained reads it, live in the notebook.

An ipycanvas pad with brush size, Clear, Undo and "Random MNIST image". When a stroke ends, the
strokes are rasterised in the kernel (``strokes.rasterize``), prepared exactly like MNIST
(``preprocess.to_mnist_style``), and the model's answer, its ten probabilities and the 28x28 image
it actually saw are shown. It works with mouse, pen and touch, with any checkpoint (EMNIST's 47
classes too), and keeps working after the page is reloaded (see ``_on_client_ready``).

>>> DrawingPad(load_checkpoint("runs/fast.pt"), examples=lesson.data.test)
"""

from __future__ import annotations

import html
import io

import ipywidgets as widgets
import numpy as np
import torch
from ipycanvas import Canvas, hold_canvas
from PIL import Image

from .data.dataset import DigitDataset
from .predict import Classifier, Prediction, predict_image, predict_prepared
from .preprocess import BlankImageError
from .strokes import Stroke, rasterize

PROMPT = "draw a digit"
PAPER, INK = "white", "black"


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def probability_bars(probabilities: list[float], classes: tuple[str, ...], top: int = 10) -> str:
    """The most likely classes as a small HTML bar chart (no plotting library, so it is instant)."""
    if len(classes) <= top:
        order = np.arange(len(classes))
    else:
        order = np.argsort(probabilities)[::-1][:top]
    best = int(np.argmax(probabilities))
    rows = []
    for index in order:
        share = probabilities[index]
        colour = "#e8710a" if index == best else "#4a90d9"
        rows.append(
            f"<div style='display:flex;align-items:center;gap:6px;height:18px'>"
            f"<span style='width:2.2em;text-align:right'>{html.escape(classes[index])}</span>"
            f"<span style='display:inline-block;height:12px;width:{max(share * 180, 1):.0f}px;"
            f"background:{colour}'></span><span>{share:.1%}</span></div>"
        )
    return f"<div class='mnist-draw-bars'>{''.join(rows)}</div>"


class DrawingPad:
    """The live handwriting widget. Show it by making it the last expression of a cell."""

    def __init__(
        self,
        classifier: Classifier,
        examples: DigitDataset | None = None,
        size: int = 280,
        brush: int = 18,
        seed: int = 0,
    ) -> None:
        self.classifier, self.examples, self.size = classifier, examples, size
        self.strokes: list[Stroke] = []
        self.prediction: Prediction | None = None
        self.shown_example: int | None = None
        self._drawing = False
        self._generator = torch.Generator().manual_seed(seed)

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
        self.random_button.disabled = examples is None
        self.answer = widgets.HTML()
        self.preview = widgets.Image(format="png", width=140, height=140)
        self.bars = widgets.HTML()
        self.upload = widgets.FileUpload(accept="image/*", multiple=False, description="Upload")
        for widget, name in [
            (self.canvas, "canvas"), (self.brush, "brush"), (self.clear_button, "clear"),
            (self.undo_button, "undo"), (self.random_button, "random"),
            (self.answer, "prediction"), (self.preview, "preview"), (self.bars, "bars"),
            (self.upload, "upload"),
        ]:  # fmt: skip
            widget.add_class(f"mnist-draw-{name}")

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
        self.upload.observe(self._on_upload, names="value")

        # The page must not scroll while a finger draws on the canvas.
        style = widgets.HTML("<style>canvas.mnist-draw-canvas{touch-action:none}</style>")
        buttons = widgets.HBox([self.clear_button, self.undo_button, self.random_button])
        left = widgets.VBox([self.canvas, self.brush, buttons])
        right = widgets.VBox([self.answer, widgets.HTML("what the model sees:"), self.preview,
                              self.bars])  # fmt: skip
        hint = widgets.HTML("No drawing pad? Upload a photo of a digit:")
        fallback = widgets.Accordion([widgets.VBox([hint, self.upload])])
        fallback.set_title(0, "upload a picture instead")  # ipywidgets 7 and 8 (`titles=` is 8's)
        self.widget = widgets.VBox([style, widgets.HBox([left, right]), fallback])
        self.clear()

    # --- the handlers: also what tests call, no browser needed ---

    @property
    def _current(self) -> Stroke | None:
        return self.strokes[-1] if self.strokes and self._drawing else None

    def start_stroke(self, x: float, y: float) -> None:
        """Pen down: a new stroke begins (a random example on the pad is wiped first)."""
        if self.shown_example is not None:
            self.clear()
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
        """Pen up (or left the canvas): recognise what is drawn so far."""
        if not self._drawing:
            return
        self._drawing = False
        self.recognise()

    def clear(self) -> None:
        """Wipe the pad and the answer."""
        self.strokes, self._drawing, self.shown_example = [], False, None
        self._repaint()
        self.recognise()

    def undo(self) -> None:
        """Remove the last stroke and recognise again."""
        if self.strokes:
            self.strokes.pop()
        self._drawing = False
        self._repaint()
        self.recognise()

    def show_random(self) -> Prediction | None:
        """Put a random image of ``examples`` on the pad and recognise it."""
        if self.examples is None or len(self.examples) == 0:
            return None
        index = int(torch.randint(len(self.examples), (1,), generator=self._generator))
        self.strokes, self._drawing, self.shown_example = [], False, index
        self._repaint()
        self.prediction = predict_prepared(self.classifier, self.examples.images[index].numpy())
        truth = ""
        if self.examples.labels is not None:
            truth = f" (the label says {self.examples.classes[int(self.examples.labels[index])]})"
        self._show(self.prediction, note=f"MNIST test image #{index}{truth}")
        return self.prediction

    def recognise(self) -> Prediction | None:
        """Predict from the strokes; a blank pad gives the prompt and no prediction."""
        try:
            self.prediction = predict_image(self.classifier, rasterize(self.strokes, self.size))
        except BlankImageError:
            self.prediction = None
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
                image = self.examples.images[self.shown_example].numpy()
                big = Image.fromarray(255 - image).resize((self.size, self.size), Image.NEAREST)
                self.canvas.put_image_data(np.stack([np.asarray(big)] * 3, axis=-1), 0, 0)
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

    def _show(self, prediction: Prediction | None, note: str = "") -> None:
        if prediction is None:
            self.answer.value = f"<h3 class='mnist-draw-answer'>{PROMPT}</h3>"
            self.preview.value = _png(Image.new("L", (140, 140), 0))
            self.bars.value = ""
            return
        label = html.escape(prediction.label)
        extra = f"<br><small>{html.escape(note)}</small>" if note else ""
        self.answer.value = (
            f"<h3 class='mnist-draw-answer'>it's a {label} "
            f"<small>({prediction.confidence:.1%} sure)</small></h3>{extra}"
        )
        self.preview.value = _png(
            Image.fromarray(prediction.model_input).resize((140, 140), Image.NEAREST)
        )
        self.bars.value = probability_bars(prediction.probabilities, self.classifier.classes)

    def _on_upload(self, change: dict) -> None:
        files = change["new"]  # ipywidgets 8: a tuple of {"name", "content", ...}
        if isinstance(files, dict):  # ipywidgets 7: {name: {"metadata": ..., "content": ...}}
            files = list(files.values())
        if files:
            self.recognise_picture(Image.open(io.BytesIO(bytes(files[0]["content"]))))

    def recognise_picture(self, picture: Image.Image) -> Prediction | None:
        """The fallback path: a photo or scan of a digit instead of strokes."""
        try:
            self.prediction = predict_image(self.classifier, picture)
            self._show(self.prediction, note="from the uploaded picture")
        except BlankImageError:
            self.prediction = None
            self._show(None)
        return self.prediction

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
