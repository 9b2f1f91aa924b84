"""What the browser tests share: Chromium, the mouse that draws, a notebook run in JupyterLab.

The fixtures that go with these (``browser``: one headless Chromium for a test module;
``pad_checkpoint``: a model for the pad) are in ``tests/conftest.py``. Importing this module skips
the importing test module when the playwright package is missing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.drawing import TEMPLATES

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).parents[1]
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
INK_JS = """c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 128 && d[i + 3] > 0) n++;
  return n;
}"""
"""Counts dark pixels on the browser's canvas: what the learner actually sees drawn."""


HIT_JS = """(c, [x, y]) => document.elementFromPoint(x, y) === c"""
"""Whether the mouse at page point (x, y) lands on canvas ``c`` and not on what covers it."""


def steady_box(page, canvas, timeout: float = 20) -> dict:
    """The canvas's box once the page holds still: the same for half a second, and the canvas
    what the mouse hits at its centre and near its corners.

    Scrolling the canvas into view makes JupyterLab lay out the cells around it again (it renders
    a long notebook's cells as they come into view), so a box read at once can be where a code
    cell lies a moment later: the strokes then miss the canvas and the pad, never told of them,
    keeps "draw a digit" (issue 24, seen as a canvas box 115 px off what the page then showed).
    """
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        inside = box is not None and all(
            canvas.evaluate(HIT_JS, [box["x"] + fx * box["width"], box["y"] + fy * box["height"]])
            for fx, fy in ((0.5, 0.5), (0.1, 0.1), (0.9, 0.1), (0.1, 0.9), (0.9, 0.9))
        )
        if inside and box == last:
            return box
        last = box if inside else None
        page.wait_for_timeout(250)
    raise AssertionError(f"the drawing pad's canvas did not hold still in {timeout:.0f} s: {last}")


def draw_with_mouse(page, canvas, digit: str) -> None:
    """Drag the mouse along the strokes of ``digit``, inside the canvas once it holds still
    (``steady_box``: mouse events go to what is on the screen, and Run All leaves the page at the
    last cell)."""
    for line in TEMPLATES[digit]:
        box = steady_box(page, canvas)
        points = [
            (box["x"] + (0.1 + 0.8 * x) * box["width"], box["y"] + (0.1 + 0.8 * y) * box["height"])
            for x, y in line
        ]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=8)
        page.mouse.up()


def notebook_state(page) -> str:
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


def run_all_cells(page) -> None:
    """Clear all outputs, then Run > Restart Kernel and Run All Cells; make sure every cell ran.

    The outputs are cleared first so that every prompt and output the page shows afterwards is of
    the run just asked for: were the numbers of an earlier, complete run still there, the run
    would read as done at once, and a test would draw on the pad of the kernel being restarted
    (issue 24: the pad showed "draw a digit" and a drawn 7 got no answer).

    A run started while the page is still wiring up its kernel connection can be dropped, wholly
    or after the first cell (those cells keep their empty ``[ ]`` prompt while the kernel sits
    idle), or reach the page before its widget manager listens ("model not found"). A restart
    asked for from the page happens over the page's own, finished connection; and a run that
    still stalls, or does not start while the kernel sits idle, is asked for again. Under heavy
    load the page can also lose its kernel connection in the restart (the server drops a message
    sent on the replaced websocket: the cells stay ``[*]`` or ``[ ]`` and the kernel "starting");
    the page is then reloaded and the run asked for again.
    """
    kernel = page.locator(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator")
    for _ in range(4):
        sync_api.expect(kernel).to_have_attribute("data-status", "idle", timeout=240_000)
        page.get_by_role("menuitem", name="Edit", exact=True).click()
        page.locator('li[data-command="editmenu:clear-all"]').click()
        page.wait_for_function(f"({RUN_STATE_JS})() === 'not started'")
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.locator('li[data-command="runmenu:restart-and-run-all"]').click()
        page.locator(".jp-Dialog .jp-mod-accept").click()  # "Restart Kernel?" - yes
        settled = _settled(page, kernel)
        if settled == "done":
            return
        if settled == "cut off":
            page.reload()
    pytest.fail(f"JupyterLab did not run the whole notebook: {notebook_state(page)}")


def _settled(page, kernel, limit: float = 240, cut_off: float = 60, not_started: float = 15) -> str:
    """Wait until the run is 'done' or 'stalled'; or 'dropped': no cell started while the kernel
    sat idle ``not_started`` seconds; or 'cut off': no connected kernel for ``cut_off`` seconds.

    A restart takes as long as it takes (under load, longer than ``not_started``): the time
    counts towards 'dropped' only while the kernel is idle, i.e. once the restart is over.
    """
    start = time.monotonic()
    unconnected_since = idle_since = None
    while True:
        state = page.evaluate(RUN_STATE_JS)
        if state in ("done", "stalled"):
            return state
        status, now = kernel.get_attribute("data-status"), time.monotonic()
        if status in ("idle", "busy"):
            unconnected_since = None
        elif unconnected_since is None:
            unconnected_since = now
        elif now - unconnected_since > cut_off:
            return "cut off"
        if state != "not started" or status != "idle":
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since > not_started:
            return "dropped"
        if now - start > limit:
            pytest.fail(
                f"the notebook's run neither ended nor stalled in {limit:.0f} s: "
                f"{notebook_state(page)}"
            )
        page.wait_for_timeout(500)


def open_notebook(browser, url: str):
    """A new page at ``url`` (a notebook in JupyterLab) with every cell run; see run_all_cells."""
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    run_all_cells(page)
    return page
