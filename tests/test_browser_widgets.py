"""R4's application in JupyterLab, in a real browser: training panel, gallery, saving a drawing.

One JupyterLab server and one headless Chromium for the module (helpers: ``browser_helpers``).
Each test opens its notebook in a workspace of its own (so a page shows that notebook alone), runs
it in smoke mode and drives the widgets with the mouse, as a learner would:

- the panel: the first cells of lesson 12 (parameters, panel): pick a recipe, press Train, watch
  the progress bar grow, Cancel, read "cancelled", load the saved model from disk and check it
  reads digits, then Test and compare the accuracy shown with the saved model's;
- the gallery: the first cells of lesson 01 (parameters, gallery): next page, "no previous page"
  on the first one, two classes ticked and filtered, the test set;
- the pad: lesson 09 whole: draw, choose the label, "Save as training example", and the PNGs
  (as drawn and 28x28) in ``mine/<label>/`` and ``mine-28x28/<label>/`` beside the notebook.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from PIL import Image

from mnist_course.course.lesson import Lesson
from mnist_course.training import evaluate, load_checkpoint
from tests.browser_helpers import CHROMIUM, INK_JS, ROOT, draw_with_mouse, open_notebook, sync_api
from tests.notebook_server import jupyter_lab

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]
expect = sync_api.expect


def _excerpt(lesson: str, target: Path, *markers: str) -> None:
    """Write the code cells of ``notebooks/<lesson>`` that contain one of ``markers`` to target."""
    notebook = json.loads((ROOT / "notebooks" / lesson).read_text())
    notebook["cells"] = [
        cell
        for cell in notebook["cells"]
        if cell["cell_type"] == "code" and any(m in "".join(cell["source"]) for m in markers)
    ]
    assert len(notebook["cells"]) == len(markers), f"{lesson} has no cell with one of {markers}"
    target.write_text(json.dumps(notebook))


class Lab(NamedTuple):
    root: Path
    """The server's folder: the notebooks' working directory, where they write files."""
    url: Callable[[str], str]
    """``url(name)`` opens notebook ``name`` in a workspace of its own."""


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Lab:
    """JupyterLab serving the notebooks the tests open (lesson 09 trains its own small model)."""
    root = tmp_path_factory.mktemp("lab")
    _excerpt(
        "12_your_own_handwriting.ipynb", root / "panel.ipynb", "Lesson.start", "TrainingPanel("
    )
    _excerpt("01_exploring_mnist.ipynb", root / "gallery.ipynb", "Lesson.start", "Gallery(")
    shutil.copy(ROOT / "notebooks" / "09_draw_a_digit.ipynb", root / "pad.ipynb")
    with jupyter_lab(root) as (url, token):
        yield Lab(
            root, lambda name: f"{url}/lab/workspaces/{Path(name).stem}/tree/{name}?token={token}"
        )


@pytest.fixture
def notebook(lab, browser):
    """``notebook(name)`` opens ``name`` on a new page and runs all its cells; the page closes."""
    expect.set_options(timeout=60_000)  # widget views render after the cells end; 2 busy cores
    pages = []

    def open_and_run(name: str):
        pages.append(open_notebook(browser, lab.url(name)))
        return pages[-1]

    yield open_and_run
    for page in pages:
        page.close()


PROGRESS_JS = """e => {
  const bar = e.querySelector('.progress-bar');
  return bar ? parseFloat(bar.style.width || bar.style.height || '0') : -1;
}"""
"""How far the panel's progress bar is filled, in percent (ipywidgets draws it as a CSS width)."""


def test_panel_trains_shows_progress_cancels_saves_and_tests(lab, notebook):
    page = notebook("panel.ipynb")
    panel = page.locator(".widget-vbox:has(.mnist-panel-train)").first
    status = panel.locator(".mnist-panel-status")
    progress = panel.locator(".mnist-panel-progress")
    expect(status).to_have_text("choose a recipe and press Train")
    expect(panel.locator(".mnist-panel-test")).to_be_disabled()

    panel.locator(".mnist-panel-recipe select").select_option("mlp-sgd")
    epochs = panel.locator(".mnist-panel-epochs input")
    expect(epochs).to_have_value("15")  # the recipe's own epochs, set by the kernel
    epochs.fill("200")  # far more than the test waits for: it cancels
    epochs.press("Enter")
    assert progress.evaluate(PROGRESS_JS) == 0
    panel.locator(".mnist-panel-train").click()
    expect(status).to_contain_text(re.compile(r"training mlp-sgd for 200 epochs|epoch \d+: batch"))
    expect(panel.locator(".mnist-panel-cancel")).to_be_enabled()
    page.wait_for_function(f"e => ({PROGRESS_JS})(e) > 0", arg=progress.element_handle())
    first = progress.evaluate(PROGRESS_JS)
    page.wait_for_function(f"e => ({PROGRESS_JS})(e) > {first}", arg=progress.element_handle())
    expect(panel.locator("table")).to_be_visible()  # the live scores, an epoch a row

    panel.locator(".mnist-panel-cancel").click()
    expect(status).to_contain_text(re.compile(r"cancelled after \d+ epochs?;"))
    expect(status).to_contain_text("saved to runs/panel.pt")
    assert 0 < progress.evaluate(PROGRESS_JS) < 100
    expect(panel.locator(".mnist-panel-train")).to_be_enabled()

    saved = load_checkpoint(lab.root / "runs" / "panel.pt")  # the best epoch so far
    assert (saved.recipe.name, saved.recipe.epochs) == ("mlp-sgd", 200) and saved.epoch >= 1
    data = Lesson.start(smoke=True).data  # the kernel's data: the same seeded smoke slice
    accuracy = evaluate(saved.model, data.test).accuracy
    assert accuracy > 0.5, f"the saved model reads digits ({accuracy:.2%})"

    panel.locator(".mnist-panel-test").click()
    expect(status).to_contain_text(re.compile(r"test accuracy \d+\.\d\d% on [\d,]+ images"))
    expect(status).to_contain_text(f"test accuracy {accuracy:.2%} on {len(data.test):,} images")


PICTURE_JS = """async img => {
  try {
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return Array.from(digest, b => b.toString(16).padStart(2, '0')).join('');
  } catch (error) { return null; }  // a picture being replaced: its old blob URL is revoked
}"""
"""A digest of the PNG an ``<img>`` shows (ipywidgets 8 gives each new picture a new blob URL)."""


def _wait_for_picture(page, picture, digest: str, same: bool) -> str:
    """Wait until ``picture`` shows the PNG of ``digest`` (``same``) or another one; its digest."""
    compare = "===" if same else "!=="
    return page.wait_for_function(
        f"async ([img, digest]) => {{ const now = await ({PICTURE_JS})(img); "
        f"return now !== null && now {compare} digest && now; }}",
        arg=[picture.element_handle(), digest],
    ).json_value()


def test_gallery_pages_filters_and_switches_sets(notebook):
    page = notebook("gallery.ipynb")
    gallery = page.locator(".widget-vbox:has(.mnist-gallery-next)").first
    status = gallery.locator(".mnist-gallery-status")
    picture = gallery.locator("img.mnist-gallery-picture")
    expect(status).to_contain_text(
        re.compile(r"page 1 of [\d,]+ · images 1–100 of [\d,]+ \(all classes, training set")
    )
    everything = int(re.search(r"of ([\d,]+) \(", status.inner_text())[1].replace(",", ""))
    first_page = _wait_for_picture(page, picture, "", same=False)

    gallery.locator(".mnist-gallery-next").click()
    expect(status).to_contain_text(re.compile(r"page 2 of [\d,]+ · images 101–200"))
    _wait_for_picture(page, picture, first_page, same=False)  # the next page: other images
    gallery.locator(".mnist-gallery-previous").click()
    expect(status).to_contain_text(re.compile(r"page 1 of [\d,]+ · images 1–100"))
    expect(status).not_to_contain_text("there is no previous page")
    _wait_for_picture(page, picture, first_page, same=True)  # the same random first page again
    gallery.locator(".mnist-gallery-previous").click()
    expect(status).to_contain_text("there is no previous page: this is the first one")
    expect(status).to_contain_text("page 1 of")

    for digit in ("3", "5"):
        gallery.locator(f".mnist-gallery-class-{digit} input").check()
    gallery.locator(".mnist-gallery-filter").click()
    expect(status).to_contain_text(
        re.compile(r"page 1 of [\d,]+ · images 1–[\d,]+ of [\d,]+ \(only 3, 5, training set")
    )
    only_3_and_5 = int(re.search(r"of ([\d,]+) \(", status.inner_text())[1].replace(",", ""))
    assert 0 < only_3_and_5 < everything / 3, "about a fifth of the images are 3s and 5s"
    gallery.get_by_role("button", name="test set").click()
    expect(status).to_contain_text(re.compile(r"page 1 of [\d,]+ · .*\(only 3, 5, test set"))


def test_pad_saves_a_drawing_as_a_training_example(lab, notebook):
    page = notebook("pad.ipynb")
    canvas = page.locator("canvas.mnist-draw-canvas")
    answer = page.locator(".mnist-draw-answer")
    label = page.locator(".mnist-draw-label select")
    saved = page.locator(".mnist-draw-saved")
    expect(answer).to_have_text("draw a digit")
    page.locator(".mnist-draw-save").click()
    expect(saved).to_have_text("draw a digit first, then save it")

    for digit in ("7", "1"):
        page.locator(".mnist-draw-clear").click()
        expect(answer).to_have_text("draw a digit")
        draw_with_mouse(page, canvas, digit)
        expect(answer).to_contain_text(re.compile(r"it's a \d"))
        assert canvas.evaluate(INK_JS) > 500
        read = re.search(r"it's a (\d)", answer.inner_text())[1]
        expect(label).to_have_value(read)  # the pad offers the label it read...
        label.select_option(digit)  # ...and the learner says what it is
        page.locator(".mnist-draw-save").click()
        expect(saved).to_have_text(f"saved as a {digit}: 1 in mine/{digit}")

        drawn = list((lab.root / "mine" / digit).glob("*.png"))
        assert len(drawn) == 1, drawn
        assert Image.open(drawn[0]).size == (280, 280), "the drawing as drawn"
        assert Image.open(drawn[0]).getextrema() == (0, 255), "dark ink on white paper"
        small = Image.open(lab.root / "mine-28x28" / digit / drawn[0].name)
        assert small.size == (28, 28), "the 28x28 the model saw, under the same name"
        assert small.getextrema()[1] > 128, "the digit is in the 28x28 copy"
