"""Live widgets and progress bars, and what a saved copy of a notebook shows instead."""

import base64
import io

import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell
from PIL import Image
from tqdm.std import tqdm as text_tqdm

from mnist_course.core.progress import progress_bar
from mnist_course.core.runtime import SAVED_COPY
from mnist_course.widgets.drawing_pad import PROMPT, DrawingPad
from mnist_course.widgets.gallery import Gallery
from mnist_course.widgets.panel import TrainingPanel
from tests.pad_driver import draw_on_pad


def shown(thing) -> list[dict]:
    """The MIME bundles that displaying ``thing`` in a notebook would publish."""
    published = []
    shell = InteractiveShell.instance()
    original = shell.display_pub.publish
    shell.display_pub.publish = lambda data, metadata=None, **kw: published.append(data)
    try:
        from IPython.display import display

        display(thing)
    finally:
        shell.display_pub.publish = original
    return published


def picture(bundle: dict) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))


def test_live_the_widget_itself_is_shown(digits, monkeypatch):
    monkeypatch.delenv(SAVED_COPY, raising=False)
    (bundle,) = shown(Gallery(digits))
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_saved_copy_shows_the_gallery_page_as_a_picture(digits, monkeypatch):
    monkeypatch.setenv(SAVED_COPY, "1")
    gallery = Gallery(digits, per_page=40, columns=10, zoom=1)
    gallery.next_page()
    (bundle,) = shown(gallery)
    assert "application/vnd.jupyter.widget-view+json" not in bundle
    assert np.array_equal(np.asarray(picture(bundle)), np.asarray(gallery.render()))
    assert bundle["text/plain"].startswith("gallery: page 2 of ")
    assert "<" not in bundle["text/plain"], "the status line without its HTML"


def test_saved_copy_shows_the_pad_with_its_answer(classifier, monkeypatch):
    monkeypatch.setenv(SAVED_COPY, "1")
    pad = DrawingPad(classifier)
    (blank,) = shown(pad)
    assert blank["text/plain"].endswith(PROMPT)
    draw_on_pad(pad, "7")
    (drawn,) = shown(pad)
    assert f"it's a {pad.prediction.label}" in drawn["text/plain"]
    before, after = np.asarray(picture(blank)), np.asarray(picture(drawn))
    assert before.shape == after.shape and (before != after).any(), "the drawing is in the picture"
    ink = np.asarray(pad.surface()) < 128
    assert ink.any() and not ink.all(), "dark ink on white paper"


def test_saved_copy_shows_the_panel_status(monkeypatch):
    monkeypatch.setenv(SAVED_COPY, "1")
    panel = TrainingPanel()
    panel.test()  # nothing trained yet: the panel says so
    (bundle,) = shown(panel)
    assert bundle["text/plain"] == "training panel: train a model first"
    assert "train a model first" in bundle["text/html"]


@pytest.mark.parametrize("saved", [False, True])
def test_progress_bars_are_text_in_a_saved_copy(saved, monkeypatch, capsys):
    monkeypatch.setenv(SAVED_COPY, "1" if saved else "0")
    bar = progress_bar(range(3), desc="runs")
    assert isinstance(bar, text_tqdm) and (type(bar) is text_tqdm) == saved
    list(bar)
    bar.close()
    transient = progress_bar(range(3), desc="epoch", leave=False)
    assert transient.disable == saved, "a bar that clears itself is left out of a saved copy"
    if saved:
        assert "runs: 100%" in capsys.readouterr().out
