"""What the drawing pad shows beside the drawing: its answer, the ten bars, the model's card.

Plain HTML strings (no plotting library, so the pad answers at once) and the pad's pictures (what
the model saw, a saved copy's still), kept apart from the widget in ``drawing_pad`` so that each
can be read, and tested, on its own.
"""

from __future__ import annotations

import html
import io
import re

import numpy as np
from PIL import Image, ImageOps

from ..models import count_parameters
from ..models.classifier import Classifier
from .display import plain, png

PROMPT = "draw a digit"
SOFTMAX_NOTE = (
    "the largest of the model's ten softmax outputs: they add up to 1, but a network can give "
    "a wrong answer a high one, so it is not the chance that the answer is right"
)


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


def answer_html(label: str, probability: float, note: str = "") -> str:
    """The pad's answer: the label and its softmax probability, called what it is."""
    extra = f"<br><small>{html.escape(note)}</small>" if note else ""
    return (
        f"<h3 class='mnist-draw-answer'>it's a {html.escape(label)} "
        f"<small title='{html.escape(SOFTMAX_NOTE)}'>(softmax probability {probability:.1%})"
        f"</small></h3>{extra}"
    )


def waiting_html() -> str:
    """Between strokes: the pad reads the drawing once the pen rests."""
    return "<h3 class='mnist-draw-answer'>… <small>(read when you pause)</small></h3>"


def prompt_html(problem: str = "") -> str:
    """No answer: the prompt, and what went wrong when something did (in red, by itself)."""
    said = (
        f"<p class='mnist-draw-problem' style='color:#b3261e'>{html.escape(problem)}</p>"
        if problem
        else ""
    )
    return f"<h3 class='mnist-draw-answer'>{PROMPT}</h3>{said}"


def source_name(source: str) -> str:
    """A data source as a learner names it: no folder in brackets, no split notes.

    ``MNIST train (/data/MNIST/raw) [train split]`` -> ``MNIST train``.
    """
    name = re.sub(r"\s*\[[^\]]*\]", "", re.sub(r"\s*\([^)]*[/\\][^)]*\)", "", source))
    return name.strip() or source


def about_html(model: Classifier) -> str:
    """The model in use, as a learner wants it: network, size, recipe, data, its scores."""
    card = model.card
    parameters = count_parameters(model.network)
    rows = {
        "architecture": model.arch,
        "parameters": f"{parameters:,}",
        "classes": f"{model.num_classes} ({' '.join(model.classes[:12])}"
        f"{' …' if model.num_classes > 12 else ''})",
        "recipe": card.get("recipe", "not recorded"),
        "trained on": (
            f"{card['training_images']:,} images ({source_name(card['trained_on'])})"
            if "trained_on" in card
            else "not recorded"
        ),
        "normalisation": f"mean {model.normalization.mean:.4f}, std {model.normalization.std:.4f}",
    }
    for key, name in (
        ("val_accuracy", "validation accuracy"),
        ("test_accuracy", "test accuracy"),
        ("holdout_accuracy", "your held-out drawings"),
    ):
        if card.get(key) is not None and card[key] == card[key]:  # NaN: not measured
            rows[name] = f"{card[key]:.2%}"
    return "".join(f"<b>{html.escape(k)}</b>: {html.escape(str(v))}<br>" for k, v in rows.items())


PREVIEW = 140
"""Side in pixels of the 28x28 image the model saw, as the pad shows it (5 pixels a pixel)."""


def preview_png(model_input: np.ndarray | None = None) -> bytes:
    """The 28x28 image the model saw, enlarged without smoothing; all black before any."""
    if model_input is None:
        return png(Image.new("L", (PREVIEW, PREVIEW), 0))
    return png(Image.fromarray(model_input).resize((PREVIEW, PREVIEW), Image.Resampling.NEAREST))


def still_bundle(surface: Image.Image, preview: bytes, answer: str) -> dict:
    """A saved copy's pad: the drawing (left), what the model sees (right), the answer as text."""
    picture = Image.new("L", (2 * PREVIEW + 12, PREVIEW), 255)
    drawing = ImageOps.expand(surface.resize((PREVIEW - 2, PREVIEW - 2)), 1, 153)
    picture.paste(drawing, (0, 0))
    picture.paste(Image.open(io.BytesIO(preview)).convert("L"), (PREVIEW + 12, 0))
    text = "drawing pad (live when the notebook runs), left; what the model sees, right: "
    return {"image/png": png(picture), "text/plain": text + plain(answer)}
