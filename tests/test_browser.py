"""The drawing notebook in a real browser: JupyterLab, headless Chromium, a mouse that draws.

Starts JupyterLab on 127.0.0.1 (random port and token), opens ``09_draw_a_digit`` in Debian's
Chromium through Playwright, runs every cell, draws digits with the mouse and waits for the
model's answer; checks Clear; saves, reloads the page and draws again (the ipycanvas reconnect
bug would leave the browser canvas blank while the kernel still answered); saves a screenshot.
The helpers are in ``tests/browser_helpers``, the fixtures ``browser`` and ``pad_checkpoint``
in ``tests/conftest``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.browser_helpers import (
    CHROMIUM,
    INK_JS,
    ROOT,
    draw_with_mouse,
    notebook_state,
    open_notebook,
    sync_api,
)
from tests.notebook_server import jupyter_lab

NOTEBOOK = "09_draw_a_digit.ipynb"
SCREENSHOT = Path(os.environ.get("MNIST_COURSE_SCREENSHOTS", ROOT / "build" / "screenshots"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM}: "
        "install Debian's 'chromium' package (make test does, as root)",
    ),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, pad_checkpoint):
    """A JupyterLab server holding the drawing notebook and the model; stopped by its PID."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    (root / "runs").mkdir()
    shutil.copy(pad_checkpoint[0], root / "runs" / "pad.pt")  # what lesson 09 loads
    with jupyter_lab(root) as (url, token):
        yield f"{url}/lab/tree/{NOTEBOOK}?token={token}"


def test_draw_recognise_clear_reload_and_draw_again(lab, pad_checkpoint, browser):
    expect = sync_api.expect
    expect.set_options(timeout=60_000)
    recognised = r"it's a \d" if not pad_checkpoint[1] else None
    page = open_notebook(browser, lab)

    canvas = page.locator("canvas.mnist-draw-canvas")
    answer = page.locator(".mnist-draw-answer")
    try:
        expect(answer).to_have_text("draw a digit", timeout=180_000)  # the notebook ran
    except AssertionError as missing:
        raise AssertionError(f"no drawing pad: {notebook_state(page)}") from missing

    for digit in ("7", "1"):
        draw_with_mouse(page, canvas, digit)
        expect_answer(page, canvas, f"it's a {digit}" if recognised is None else "it's a")
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
    draw_with_mouse(page, canvas, "0")
    expect_answer(page, canvas, "it's a 0" if recognised is None else "it's a")
    assert canvas.evaluate(INK_JS) > 500, "after a reload the browser canvas still draws"
    assert (SCREENSHOT / "draw_a_digit.png").stat().st_size > 10_000


def expect_answer(page, canvas, text: str) -> None:
    """The pad answers ``text``; if not, say whether the strokes reached the kernel at all (the
    kernel paints them on the browser's canvas, so a drawing with no ink never got there)."""
    answer = page.locator(".mnist-draw-answer")
    try:
        sync_api.expect(answer).to_contain_text(text)
    except AssertionError as missing:
        ink = canvas.evaluate(INK_JS)
        where = "they reached the kernel" if ink else "no ink: the kernel never got the strokes"
        raise AssertionError(
            f"the pad says {answer.inner_text()!r}, not {text!r}; {ink} dark pixels drawn ({where})"
        ) from missing
