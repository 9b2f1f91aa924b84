"""The gallery and the pad in Colab's widget generation: classic Notebook 6, ipywidgets 7.

Colab's front end is not JupyterLab: it renders ipywidgets 7 widgets, as the classic Notebook
does. `make colab-check` runs this on Colab's package stack (Notebook 6.5.7, ipywidgets 7.7.1);
on a stack without the classic Notebook it is skipped. It starts the Notebook server on 127.0.0.1,
opens ``01_exploring_mnist`` in headless Chromium, runs it, pages and filters the gallery, then
opens ``09_draw_a_digit``, runs it, draws digits with the mouse and reads the pad's answers.
"""

from __future__ import annotations

import re
import shutil
import sys
from importlib.metadata import PackageNotFoundError, version

import pytest

from tests.browser_helpers import CHROMIUM, INK_JS, ROOT, draw_with_mouse, sync_api
from tests.notebook_server import notebook_server


def _classic_notebook() -> str | None:
    try:
        found = version("notebook")
    except PackageNotFoundError:
        return None
    return found if found.startswith("6.") else None


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.skipif(
        _classic_notebook() is None,
        reason="the classic Notebook 6 front end is not installed (make colab-check has it)",
    ),
]

RUN_STATE_JS = """() => {
  const nb = window.Jupyter && Jupyter.notebook;
  if (!nb || !nb.kernel || !nb.kernel.is_connected()) return 'loading';
  const errors = [...document.querySelectorAll('.output_error')].map(e => e.innerText);
  if (errors.length) return 'error: ' + errors.join('\\n').slice(-2000);
  const code = nb.get_cells().filter(c => c.cell_type === 'code');
  const idle = document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null;
  return idle && code.every(c => typeof c.input_prompt_number === 'number') ? 'done' : 'running';
}"""
"""Where a run of all cells stands, from the classic Notebook's own objects."""


@pytest.fixture(scope="module")
def server(tmp_path_factory, pad_checkpoint):
    """A classic Notebook server holding lessons 01 and 09 and a model; stopped by its PID."""
    root = tmp_path_factory.mktemp("classic")
    for name in ("01_exploring_mnist.ipynb", "09_draw_a_digit.ipynb"):
        shutil.copy(ROOT / "notebooks" / name, root / name)
    (root / "runs").mkdir()
    shutil.copy(pad_checkpoint[0], root / "runs" / "pad.pt")  # what lesson 09 loads

    def command(port: int, token: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "notebook",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--port-retries=0",
            f"--NotebookApp.token={token}",
            f"--notebook-dir={root}",
        ]

    with notebook_server(command, root, "the Notebook server") as (url, token):
        yield lambda name: f"{url}/notebooks/{name}?token={token}"


WIDGETS_READY_JS = """() => {
  const kernel = window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel;
  return !!(kernel && kernel.is_connected() && kernel.widget_manager
            && kernel.comm_manager.targets['jupyter.widget']);
}"""
"""The widgets extension has given the kernel its widget manager, which listens for new widgets."""

WIDGETS_LOADED_JS = "() => Jupyter.notebook.kernel.widget_manager._loadFromKernel()"
"""Fetch the kernel's widgets as the new manager does, and wait until that is done.

widgetsnbextension 3.x's manager, once created, asks the kernel for the widgets it already holds
(through the `jupyter.widget.control` comm; a fresh kernel has not imported ipywidgets and closes
that comm, so it falls back to a `comm_info` request). Were the cells sent first, that request
would wait behind them, and its answer would list widgets whose `comm_open` the page has not yet
handled: the manager then opens those comms itself, which makes the kernel replace the widgets
with blank ones (an empty gallery, a pad without its prompt). A second fetch, started now and
awaited, ends after the manager's own, since the kernel answers in order."""


def _output_texts(page) -> list[str]:
    return [text[:300] for text in page.locator(".output_area").all_inner_texts()]


def _listen(page) -> list[str]:
    """The page's console warnings and errors and its uncaught exceptions, as they come."""
    heard: list[str] = []
    page.on("console", lambda m: m.type in ("warning", "error") and heard.append(m.text[:300]))
    page.on("pageerror", lambda error: heard.append(f"uncaught: {error}"[:300]))
    return heard


def _run_all(page) -> None:
    """Run every cell once the kernel and the widget manager are ready; wait until all have run."""
    try:
        page.wait_for_function(WIDGETS_READY_JS, timeout=90_000)
    except sync_api.TimeoutError:
        pytest.fail("the kernel or the widgets extension did not come up within 90 s")
    page.evaluate(WIDGETS_LOADED_JS)
    page.evaluate("() => Jupyter.notebook.execute_all_cells()")
    settled = (
        f"() => {{ const s = ({RUN_STATE_JS})(); return !/^(running|loading)$/.test(s) && s; }}"
    )
    state = page.wait_for_function(settled, timeout=300_000).json_value()
    assert state == "done", state


def test_gallery_pages_and_filters_in_the_classic_notebook(server, browser):
    expect = sync_api.expect
    expect.set_options(timeout=60_000)  # widget views render after the cells end; 2 busy cores
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    heard = _listen(page)
    page.goto(server("01_exploring_mnist.ipynb"))
    _run_all(page)
    gallery = page.locator(".widget-vbox:has(.mnist-gallery-next)").first
    status = gallery.locator(".mnist-gallery-status")
    picture = gallery.locator("img.mnist-gallery-picture")
    try:
        expect(status).to_contain_text(
            re.compile(r"page 1 of [\d,]+ · images 1–100 of [\d,]+ \(all")
        )
    except AssertionError as missing:
        raise AssertionError(
            f"no gallery; the outputs: {_output_texts(page)}; the console: {heard}"
        ) from missing
    first_picture = picture.get_attribute("src")
    gallery.locator(".mnist-gallery-next").click()
    expect(status).to_contain_text("page 2 of")
    expect(status).to_contain_text("images 101–200")
    expect(picture).not_to_have_attribute("src", first_picture)  # the next page: other images
    gallery.locator(".mnist-gallery-previous").click()
    expect(status).to_contain_text("page 1 of")
    gallery.locator(".mnist-gallery-previous").click()
    expect(status).to_contain_text("there is no previous page")
    for digit in ("3", "5"):
        gallery.locator(f".mnist-gallery-class-{digit} input").check()
    gallery.locator(".mnist-gallery-filter").click()
    expect(status).to_contain_text(
        re.compile(r"page 1 of [\d,]+ · images 1–[\d,]+ of [\d,]+ \(only 3, 5")
    )
    page.close()


def test_pad_reads_digits_drawn_in_the_classic_notebook(server, browser, pad_checkpoint):
    expect = sync_api.expect
    expect.set_options(timeout=60_000)
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    heard = _listen(page)
    page.goto(server("09_draw_a_digit.ipynb"))
    _run_all(page)
    canvas = page.locator("canvas.mnist-draw-canvas")
    answer = page.locator(".mnist-draw-answer")
    try:
        expect(answer).to_have_text("draw a digit")
    except AssertionError as missing:
        raise AssertionError(
            f"no drawing pad; the outputs: {_output_texts(page)}; the console: {heard}"
        ) from missing
    real = pad_checkpoint[1]
    for digit in ("7", "1"):
        draw_with_mouse(page, canvas, digit)
        expect(answer).to_contain_text(f"it's a {digit}" if real else "it's a")
        assert canvas.evaluate(INK_JS) > 500, "the strokes are drawn in the browser"
        page.locator(".mnist-draw-clear").click()
        expect(answer).to_have_text("draw a digit")
        assert canvas.evaluate(INK_JS) == 0, "Clear empties the browser canvas"
    page.close()
