"""The drawing widget's handlers, driven directly: strokes in, prediction out, no browser."""

import io

import ipycanvas
import numpy as np
import pytest
from ipycanvas.canvas import COMMANDS
from PIL import Image

from mnist_course.classifier import Classifier
from mnist_course.drawing_pad import PROMPT, DrawingPad
from mnist_course.models import build_model
from mnist_course.predict import predict_image
from mnist_course.strokes import rasterize
from mnist_course.training import load_checkpoint, train
from tests.drawing import digit_strokes, draw_digit


@pytest.fixture(scope="module")
def classifier(digits, tmp_path_factory):
    path = tmp_path_factory.mktemp("pad") / "fast.pt"
    train("fast", digits.train, digits.test, checkpoint=path, progress=False)
    return load_checkpoint(path).model


def draw(pad: DrawingPad, digit: str) -> None:
    """What the mouse handlers receive when someone draws ``digit``."""
    for stroke in digit_strokes(digit, canvas=pad.size):
        pad.brush.value = stroke.width
        pad.start_stroke(*stroke.points[0])
        for point in stroke.points[1:]:
            pad.extend_stroke(*point)
        pad.end_stroke(*stroke.points[-1])


def test_blank_pad_asks_for_a_digit(classifier):
    pad = DrawingPad(classifier)
    assert pad.prediction is None and PROMPT in pad.answer.value and pad.bars.value == ""


def test_strokes_in_prediction_out(classifier):
    pad = DrawingPad(classifier)
    draw(pad, "7")
    expected = predict_image(classifier, rasterize(digit_strokes("7"), 280))
    assert pad.prediction.probabilities == pytest.approx(expected.probabilities)
    assert f"it's a {expected.label}" in pad.answer.value
    assert pad.bars.value.count("<div style") == 10
    preview = Image.open(io.BytesIO(bytes(pad.preview.value)))
    assert preview.size == (140, 140)
    assert (pad.prediction.model_input == expected.model_input).all()


def test_undo_and_clear(classifier):
    pad = DrawingPad(classifier)
    draw(pad, "0")
    pad.start_stroke(10, 10)
    pad.extend_stroke(60, 60)
    pad.end_stroke()
    assert len(pad.strokes) == 2
    pad.undo()
    only_zero = predict_image(classifier, rasterize(digit_strokes("0"), 280))
    assert len(pad.strokes) == 1
    assert pad.prediction.probabilities == pytest.approx(only_zero.probabilities)
    pad.clear()
    assert pad.strokes == [] and pad.prediction is None and PROMPT in pad.answer.value
    pad.undo()  # nothing left to undo: still blank, no error
    assert pad.prediction is None


def test_stroke_ended_outside_the_canvas_stays_ended(classifier):
    pad = DrawingPad(classifier)
    pad.start_stroke(100, 100)
    pad.extend_stroke(150, 150)
    pad.end_stroke(300, 300)  # on_mouse_out
    pad.extend_stroke(200, 40)  # mouse moves back in without a button: no drawing
    assert pad.strokes[0].points == [(100, 100), (150, 150)]
    pad.end_stroke()  # a later mouse-up is harmless
    assert len(pad.strokes) == 1


def test_a_single_click_is_ink(classifier):
    pad = DrawingPad(classifier)
    pad.start_stroke(140, 140)
    pad.end_stroke(140, 140)
    assert pad.prediction is not None


def test_random_example_and_then_drawing(classifier, digits):
    pad = DrawingPad(classifier, examples=digits.test, seed=3)
    answer = pad.show_random()
    index = pad.shown_example
    assert answer.model_input.tolist() == digits.test.images[index].tolist()
    assert f"the label says {digits.test.labels[index].item()}" in pad.answer.value
    draw(pad, "1")
    assert pad.shown_example is None and len(pad.strokes) == 1
    assert DrawingPad(classifier).random_button.disabled


def test_forty_seven_classes(classifier):
    letters = tuple("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt")
    emnist = Classifier(build_model("fast", 47), classifier.normalization, letters).eval()
    pad = DrawingPad(emnist)
    draw(pad, "L")
    assert pad.prediction.label in letters and len(pad.prediction.probabilities) == 47
    assert pad.bars.value.count("<div style") == 10, "only the top ten of 47 bars"


@pytest.mark.parametrize("ipywidgets_major", [7, 8])
def test_upload_fallback(classifier, ipywidgets_major):
    pad = DrawingPad(classifier)
    buffer = io.BytesIO()
    draw_digit("7", ink=0, paper=255).save(buffer, format="PNG")
    content = memoryview(buffer.getvalue())
    if ipywidgets_major == 8:  # FileUpload.value: a tuple of dicts
        value = ({"name": "seven.png", "type": "image/png", "content": content},)
    else:  # a dict by file name
        value = {"seven.png": {"metadata": {"name": "seven.png"}, "content": content.tobytes()}}
    pad._on_upload({"new": value})
    expected = predict_image(classifier, draw_digit("7", ink=0, paper=255))
    assert pad.prediction.probabilities == pytest.approx(expected.probabilities)
    assert "uploaded picture" in pad.answer.value


def test_reconnect_switches_canvas_again_and_replays_strokes(classifier, monkeypatch):
    """The ipycanvas workaround uses its internals, verified on 0.14 (the newest in 2026)."""
    assert ipycanvas.__version__.startswith("0.14."), (
        "re-verify the reconnect workaround (and the browser reload test) for this ipycanvas, "
        "and pin ipycanvas below it in pyproject.toml if it broke"
    )
    pad = DrawingPad(classifier)
    draw(pad, "1")
    manager = pad.canvas._canvas_manager
    assert manager._current_canvas is pad.canvas, "the kernel believes the front end has it"
    sent = []
    monkeypatch.setattr(manager, "_send_custom", lambda command, buffers=(): sent.append(command))
    pad._on_client_ready()
    batch = sent[0]
    assert batch[0][0] == COMMANDS["switchCanvas"], "a new front end must be told the canvas"
    names = {COMMANDS[name] for name in ("strokeLine", "fillCircle")}
    assert any(command[0] in names for command in batch), "the strokes are drawn again"


def test_random_from_the_training_or_the_test_set(classifier, digits):
    pad = DrawingPad(classifier, examples=digits, seed=1)
    assert pad.random_from.options == ("training set", "test set")
    pad.random_from.value = "training set"
    pad.show_random()
    index = pad.shown_example
    assert pad.prediction.model_input.tolist() == digits.train.images[index].tolist()
    truth = digits.train.classes[int(digits.train.labels[index])]
    assert f"image #{index} of the training set (the label says {truth})" in pad.answer.value
    pad.random_from.value = "test set"
    pad.show_random()
    assert pad.examples is digits.test and "of the test set" in pad.answer.value


def test_save_as_training_example(classifier, tmp_path):
    pad = DrawingPad(classifier, save_to=tmp_path / "mine")
    assert pad.save_example() is None and "draw a digit first" in pad.saved.value
    draw(pad, "7")
    assert pad.label.value == pad.prediction.label, "the pad proposes what it read"
    saved = pad.save_example("7")
    assert saved.parent == tmp_path / "mine" / "7" and saved.suffix == ".png"
    drawn = Image.open(saved)
    assert drawn.size == (280, 280) and drawn.getpixel((2, 2)) == 255, "dark ink on white paper"
    small = Image.open(tmp_path / "mine-28x28" / "7" / saved.name)
    assert small.size == (28, 28)
    assert (np.asarray(small) == pad.prediction.model_input).all()
    pad.clear()
    draw(pad, "1")
    second = pad.save_example("1")
    assert second.parent.name == "1" and "1 in" in pad.saved.value
    with pytest.raises(ValueError, match="not one of the model's classes"):
        pad.save_example("Q")


def test_about_model_describes_it(classifier):
    pad = DrawingPad(classifier)
    assert pad.about.value == ""
    pad.toggle_about()
    text = pad.about.value
    parameters = sum(p.numel() for p in classifier.network.parameters())
    assert "<b>architecture</b>: fast" in text and f"{parameters:,}" in text
    assert "<b>recipe</b>: fast" in text and "scikit-learn digits" in text
    assert "validation accuracy" in text
    pad.toggle_about()
    assert pad.about.value == ""


def test_an_upload_wipes_the_drawing(classifier):
    pad = DrawingPad(classifier)
    draw(pad, "0")
    pad.recognise_picture(draw_digit("7", ink=0, paper=255))
    assert pad.strokes == [] and "uploaded picture" in pad.answer.value


def test_use_another_model(classifier):
    other = Classifier(build_model("fast"), classifier.normalization, classifier.classes).eval()
    pad = DrawingPad(classifier)
    draw(pad, "7")
    pad.use(other)
    expected = predict_image(other, rasterize(pad.strokes, pad.size))
    assert pad.classifier is other
    assert pad.prediction.probabilities == pytest.approx(expected.probabilities)
