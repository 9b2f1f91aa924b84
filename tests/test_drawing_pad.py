"""The drawing widget's handlers, driven directly: strokes in, prediction out, no browser."""

import asyncio
import copy
import io

import ipycanvas
import numpy as np
import pytest
from ipycanvas.canvas import COMMANDS
from PIL import Image

from mnist_course.images.strokes import rasterize
from mnist_course.inference.predict import predict_image
from mnist_course.models import build_model
from mnist_course.models.classifier import Classifier
from mnist_course.widgets.drawing_pad import PROMPT, DrawingPad
from tests.drawing import digit_strokes, draw_digit
from tests.pad_driver import draw_on_pad


def test_blank_pad_asks_for_a_digit(classifier):
    pad = DrawingPad(classifier)
    assert pad.prediction is None and PROMPT in pad.answer.value and pad.bars.value == ""


def test_strokes_in_prediction_out(classifier):
    pad = DrawingPad(classifier)
    draw_on_pad(pad, "7")
    expected = predict_image(classifier, rasterize(digit_strokes("7"), 280))
    assert pad.prediction.probabilities == pytest.approx(expected.probabilities)
    assert f"it's a {expected.label}" in pad.answer.value
    assert pad.bars.value.count("<div style") == 10
    preview = Image.open(io.BytesIO(bytes(pad.preview.value)))
    assert preview.size == (140, 140)
    assert (pad.prediction.model_input == expected.model_input).all()


def test_undo_and_clear(classifier):
    pad = DrawingPad(classifier)
    draw_on_pad(pad, "0")
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
    draw_on_pad(pad, "1")
    assert pad.shown_example is None and len(pad.strokes) == 1
    assert DrawingPad(classifier).random_button.disabled


def test_forty_seven_classes(classifier):
    letters = tuple("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt")
    emnist = Classifier(build_model("fast", 47), classifier.normalization, letters).eval()
    pad = DrawingPad(emnist)
    draw_on_pad(pad, "L")
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
    draw_on_pad(pad, "1")
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
    draw_on_pad(pad, "7")
    assert pad.label.value == pad.prediction.label, "the pad proposes what it read"
    saved = pad.save_example("7")
    assert saved.parent == tmp_path / "mine" / "7" and saved.suffix == ".png"
    drawn = Image.open(saved)
    assert drawn.size == (280, 280) and drawn.getpixel((2, 2)) == 255, "dark ink on white paper"
    small = Image.open(tmp_path / "mine-28x28" / "7" / saved.name)
    assert small.size == (28, 28)
    assert (np.asarray(small) == pad.prediction.model_input).all()
    pad.clear()
    draw_on_pad(pad, "1")
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
    draw_on_pad(pad, "0")
    pad.recognise_picture(draw_digit("7", ink=0, paper=255))
    assert pad.strokes == [] and "uploaded picture" in pad.answer.value


def test_use_another_model(classifier):
    other = Classifier(build_model("fast"), classifier.normalization, classifier.classes).eval()
    pad = DrawingPad(classifier)
    draw_on_pad(pad, "7")
    pad.use(other)
    expected = predict_image(other, rasterize(pad.strokes, pad.size))
    assert pad.classifier is other
    assert pad.prediction.probabilities == pytest.approx(expected.probabilities)


def _stroke(pad: DrawingPad, stroke) -> None:
    pad.brush.value = stroke.width
    pad.start_stroke(*stroke.points[0])
    for point in stroke.points[1:]:
        pad.extend_stroke(*point)
    pad.end_stroke(*stroke.points[-1])


def test_the_pad_reads_when_the_pen_rests_not_between_strokes(classifier, monkeypatch):
    """Half-way through a two-stroke digit the pad said "6": it waits for a pause instead."""
    first, second = digit_strokes("7-bar")
    reads = []
    monkeypatch.setattr(DrawingPad, "recognise", _counting(DrawingPad.recognise, reads))

    async def draw_with_a_pause_between_strokes() -> DrawingPad:
        pad = DrawingPad(classifier, pause=0.3)
        reads.clear()
        _stroke(pad, first)
        assert (
            pad.reading_soon
            and pad.prediction is None
            and "read when you pause" in (pad.answer.value)
        )
        await asyncio.sleep(0.1)  # shorter than the pause: the next stroke begins
        _stroke(pad, second)
        await asyncio.sleep(0.15)
        assert reads == [] and pad.prediction is None, "no answer while the learner draws"
        await asyncio.sleep(0.4)
        assert not pad.reading_soon and len(reads) == 1
        return pad

    pad = asyncio.run(draw_with_a_pause_between_strokes())
    expected = predict_image(classifier, rasterize([first, second], 280))
    assert pad.prediction.probabilities == pytest.approx(expected.probabilities)
    assert f"it's a {expected.label}" in pad.answer.value


def _counting(method, calls: list):
    def counted(self, *args, **kwargs):
        calls.append(args)
        return method(self, *args, **kwargs)

    return counted


def test_clear_cancels_a_pending_read_and_save_reads_at_once(classifier, tmp_path):
    async def scenario() -> tuple[DrawingPad, DrawingPad]:
        cleared = DrawingPad(classifier, pause=0.2)
        _stroke(cleared, digit_strokes("0")[0])
        cleared.clear()
        saving = DrawingPad(classifier, pause=5, save_to=tmp_path / "mine")
        _stroke(saving, digit_strokes("1")[0])
        assert saving.reading_soon and saving.prediction is None
        assert saving.save_example("1") is not None, "saved at once, read first"
        assert not saving.reading_soon and saving.prediction is not None
        await asyncio.sleep(0.4)
        return cleared, saving

    cleared, _ = asyncio.run(scenario())
    assert cleared.prediction is None and PROMPT in cleared.answer.value
    assert not cleared.reading_soon


def test_the_answer_names_a_softmax_probability_not_certainty(classifier):
    pad = DrawingPad(classifier)
    draw_on_pad(pad, "7")
    assert f"(softmax probability {pad.prediction.confidence:.1%})" in pad.answer.value
    assert "sure)" not in pad.answer.value
    assert "is not the chance that the answer is right" in pad.answer.value, "its tooltip"


def test_a_dot_too_small_for_a_digit_says_so(classifier):
    pad = DrawingPad(classifier)
    draw_on_pad(pad, "7")
    pad.brush.value = 4
    pad.clear()
    pad.start_stroke(140, 140)
    pad.end_stroke(140, 140)
    assert pad.prediction is None and "too little ink to read" in pad.answer.value
    assert pad.bars.value == ""


def _upload_value(name: str, content: bytes, ipywidgets_major: int):
    if ipywidgets_major == 8:
        return ({"name": name, "type": "", "content": memoryview(content)},)
    return {name: {"metadata": {"name": name}, "content": content}}


@pytest.mark.parametrize("ipywidgets_major", [7, 8])
def test_a_failed_upload_says_so_and_drops_the_old_answer(classifier, ipywidgets_major):
    """A text file went to the hidden log and the pad kept the previous upload's answer."""
    pad = DrawingPad(classifier)
    buffer = io.BytesIO()
    draw_digit("7", ink=0, paper=255).save(buffer, format="PNG")
    pad._on_upload({"new": _upload_value("seven.png", buffer.getvalue(), ipywidgets_major)})
    assert pad.prediction is not None and "seven.png" in pad.answer.value
    pad._on_upload({"new": _upload_value("x.txt", b"shopping list", ipywidgets_major)})
    assert pad.prediction is None and "it's a" not in pad.answer.value and pad.bars.value == ""
    assert "x.txt: not an image Pillow can read" in pad.answer.value
    assert PROMPT in pad.answer.value

    strip = io.BytesIO()
    Image.new("L", (2000, 20), 255).save(strip, format="PNG")
    pad._on_upload({"new": _upload_value("strip.png", strip.getvalue(), ipywidgets_major)})
    assert "strip.png: 2000x20 pixels is a strip" in pad.answer.value and pad.prediction is None
    blank = io.BytesIO()
    Image.new("L", (64, 64), 255).save(blank, format="PNG")
    pad._on_upload({"new": _upload_value("blank.png", blank.getvalue(), ipywidgets_major)})
    assert "blank.png: the image is blank" in pad.answer.value


def test_about_names_the_data_not_its_folder_and_follows_the_model(classifier):
    shown = copy.deepcopy(classifier)
    shown.card |= {
        "trained_on": "MNIST train (/home/me/data/MNIST/raw) [train split]",
        "training_images": 59000,
        "val_accuracy": 0.9912,
    }
    pad = DrawingPad(shown)
    pad.toggle_about()
    assert "<b>trained on</b>: 59,000 images (MNIST train)<br>" in pad.about.value
    assert "/home" not in pad.about.value and "split" not in pad.about.value
    assert "99.12%" in pad.about.value
    tuned = copy.deepcopy(classifier)
    tuned.card |= {"recipe": "fast+own", "val_accuracy": 0.5, "holdout_accuracy": 0.75}
    pad.use(tuned)
    assert "<b>recipe</b>: fast+own" in pad.about.value and "99.12%" not in pad.about.value
    assert "<b>your held-out drawings</b>: 75.00%" in pad.about.value
