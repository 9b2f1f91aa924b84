"""The drawing notebook in a real browser: JupyterLab, headless Chromium, a mouse that draws.

Starts JupyterLab on 127.0.0.1 (random port and token), opens ``09_draw_a_digit`` in Debian's
Chromium through Playwright, runs every cell, draws digits with the mouse and waits for the
model's answer; checks Clear; saves, reloads the page and draws again (the ipycanvas reconnect
bug would leave the browser canvas blank while the kernel still answered); saves a screenshot.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from mnist_course import load_data
from mnist_course.training import get_recipe, train
from tests.drawing import TEMPLATES
from tests.notebook_server import jupyter_lab

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).parents[1]
NOTEBOOK = "09_draw_a_digit.ipynb"
SCREENSHOT = Path(os.environ.get("MNIST_COURSE_SCREENSHOTS", ROOT / "build" / "screenshots"))
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
INK_JS = """c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 128 && d[i + 3] > 0) n++;
  return n;
}"""
"""Counts dark pixels on the browser's canvas: what the learner actually sees drawn."""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM}: "
        "install Debian's 'chromium' package (make test does, as root)",
    ),  # fmt: skip
]
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> tuple[Path, bool]:
    """A model trained with the course's ``fast`` recipe; on real MNIST whenever it is there."""
    path = tmp_path_factory.mktemp("model") / "fast.pt"
    try:
        splits, real = load_data("mnist", download=False), True
        recipe = get_recipe("fast")
    except Exception:  # noqa: BLE001 - no real MNIST: the offline digits still exercise the UI
        splits, real = load_data("digits"), False
        recipe = get_recipe("fast").replace(epochs=4)
    train(recipe, splits.train, splits.test, checkpoint=path, progress=False)
    return path, real


@pytest.fixture(scope="module")
def lab(tmp_path_factory, checkpoint):
    """A JupyterLab server holding the drawing notebook and the model; stopped by its PID."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    (root / "runs").mkdir()
    shutil.copy(checkpoint[0], root / "runs" / "pad.pt")  # what lesson 09 loads
    with jupyter_lab(root) as (url, token):
        yield f"{url}/lab/tree/{NOTEBOOK}?token={token}"


def _draw(page, canvas, digit: str) -> None:
    """Drag the mouse along the strokes of ``digit``, inside the canvas (scrolled into view:
    mouse events go to what is on the screen, and Run All leaves the page at the last cell)."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for line in TEMPLATES[digit]:
        points = [(box["x"] + (0.1 + 0.8 * x) * box["width"],
                   box["y"] + (0.1 + 0.8 * y) * box["height"]) for x, y in line]  # fmt: skip
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=8)
        page.mouse.up()


def _notebook_state(page) -> str:
    """What the page shows of the notebook's run, for a failure message."""
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt").all_text_contents()
    outputs = [text[:200] for text in page.locator(".jp-OutputArea-output").all_inner_texts()]
    status = page.locator(".jp-Notebook-ExecutionIndicator").first.get_attribute("data-status")
    return f"prompts {prompts}, kernel {status}, outputs {outputs}"


RUN_STATE_JS = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
    .map(e => e.textContent.trim());  // not innerText: '' for cells scrolled out of view
  const kernel = document.querySelector(
    '.jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator');
  if (!prompts.length || !kernel) return 'loading';
  if (prompts.every(p => /\\[\\d+\\]/.test(p))) return 'done';
  if (prompts.some(p => p.includes('*'))) return 'running';
  if (prompts.every(p => !/\\d/.test(p))) return 'not started';
  return kernel.dataset.status === 'idle' ? 'stalled' : 'running';
}"""
"""Where the notebook's run stands, read from the cell prompts ([ ], [*], [3]) and the kernel."""
SETTLED_JS = (
    "() => { const s = (" + RUN_STATE_JS + ")(); return (s === 'done' || s === 'stalled') && s; }"
)


def _run_all_cells(page) -> None:
    """Run > Restart Kernel and Run All Cells, and make sure every code cell ran.

    A run started while the page is still wiring up its kernel connection can be dropped, wholly
    or after the first cell (those cells keep their empty ``[ ]`` prompt while the kernel sits
    idle), or reach the page before its widget manager listens ("model not found"). A restart
    asked for from the page happens over the page's own, finished connection; and a run that
    still stalls is asked for again. Under heavy load the page can also lose its kernel
    connection in the restart (the server drops a message sent on the replaced websocket: the
    cells stay ``[*]`` and the kernel "starting"); the page is then reloaded and the run asked
    for again.
    """
    kernel = page.locator(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator")
    for _ in range(4):
        sync_api.expect(kernel).to_have_attribute("data-status", "idle", timeout=240_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.locator('li[data-command="runmenu:restart-and-run-all"]').click()
        page.locator(".jp-Dialog .jp-mod-accept").click()  # "Restart Kernel?" - yes
        try:
            page.wait_for_function(f"({RUN_STATE_JS})() !== 'not started'", timeout=15_000)
        except sync_api.TimeoutError:
            continue
        settled = _settled(page, kernel)
        if settled == "done":
            return
        if settled == "cut off":
            page.reload()
    pytest.fail(f"JupyterLab did not run the whole notebook: {_notebook_state(page)}")


def _settled(page, kernel, limit: float = 240, cut_off: float = 60) -> str:
    """Wait until the run is 'done' or 'stalled', or 'cut off': no connected kernel for a while."""
    start = time.monotonic()
    unconnected_since = None
    while True:
        try:
            return page.wait_for_function(SETTLED_JS, timeout=10_000).json_value()
        except sync_api.TimeoutError:
            now = time.monotonic()
        if kernel.get_attribute("data-status") in ("idle", "busy"):
            unconnected_since = None
        elif unconnected_since is None:
            unconnected_since = now
        elif now - unconnected_since > cut_off:
            return "cut off"
        if now - start > limit:
            pytest.fail(f"the notebook's run neither ended nor stalled in {limit:.0f} s: "
                        f"{_notebook_state(page)}")  # fmt: skip


def open_notebook(browser, url: str):
    """A new page at ``url`` (a notebook in JupyterLab) with every cell run; see _run_all_cells."""
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    _run_all_cells(page)
    return page


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, one for the module's pages."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def test_draw_recognise_clear_reload_and_draw_again(lab, checkpoint, browser):
    expect = sync_api.expect
    expect.set_options(timeout=60_000)
    recognised = r"it's a \d" if not checkpoint[1] else None
    page = open_notebook(browser, lab)

    canvas = page.locator("canvas.mnist-draw-canvas")
    answer = page.locator(".mnist-draw-answer")
    try:
        expect(answer).to_have_text("draw a digit", timeout=180_000)  # the notebook ran
    except AssertionError as missing:
        raise AssertionError(f"no drawing pad: {_notebook_state(page)}") from missing

    for digit in ("7", "1"):
        _draw(page, canvas, digit)
        expect(answer).to_contain_text(f"it's a {digit}" if recognised is None else "it's a")
        assert canvas.evaluate(INK_JS) > 500, "the strokes are drawn in the browser"
        if digit == "7":
            page.locator(".mnist-draw-clear").click()
            expect(answer).to_have_text("draw a digit")
            assert canvas.evaluate(INK_JS) == 0

    SCREENSHOT.mkdir(parents=True, exist_ok=True)
    page.locator(".jp-OutputArea-output:has(canvas.mnist-draw-canvas)").screenshot(
        path=SCREENSHOT / "draw_a_digit.png"
    )

    page.locator('.jp-NotebookPanel-toolbar [data-command="docmanager:save"]').click()
    expect(page.locator(".lm-TabBar-tab.jp-mod-dirty")).to_have_count(0)
    page.reload()
    canvas = page.locator("canvas.mnist-draw-canvas")
    answer = page.locator(".mnist-draw-answer")
    expect(canvas).to_be_visible()
    page.wait_for_function(
        f"() => ({INK_JS})(document.querySelector('canvas.mnist-draw-canvas')) > 500"
    )
    page.locator(".mnist-draw-clear").click()
    expect(answer).to_have_text("draw a digit")
    _draw(page, canvas, "0")
    expect(answer).to_contain_text("it's a 0" if recognised is None else "it's a")
    assert canvas.evaluate(INK_JS) > 500, "after a reload the browser canvas still draws"
    assert (SCREENSHOT / "draw_a_digit.png").stat().st_size > 10_000
