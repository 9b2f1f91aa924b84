"""Lesson 00's environment table and its widget check."""

import sys

import torch

from mnist_course.core import runtime
from mnist_course.core.formatting import readable
from mnist_course.course.environment import WidgetCheck, environment_report


def test_the_environment_is_a_two_column_table_of_text():
    report = environment_report()
    assert report.columns.tolist() == ["what", "value"]
    values = dict(zip(report["what"], report["value"], strict=True))
    assert values["torch"] == torch.__version__
    assert values["python"] == sys.version.split()[0]
    assert values["device"] in ("cpu", "cuda", "mps")
    assert values["on Colab"] in ("yes", "no")
    shown = readable(report).to_string(delimiter="|")
    assert shown.splitlines()[0] == "what|value", "one header row, no row numbers"
    assert "dtype" not in shown and "Name:" not in shown


def test_the_widget_check_follows_its_slider_and_says_so_in_a_saved_copy(monkeypatch):
    check = WidgetCheck()
    assert "<b>3</b>" in check.echo.value
    check.slider.value = 7
    assert "<b>7</b>" in check.echo.value, "the line under the slider follows it"
    assert check.widget.children == (check.slider, check.echo)
    shown = []
    monkeypatch.setenv(runtime.SAVED_COPY, "1")
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle))
    check._ipython_display_()
    assert list(shown[0]) == ["text/plain"] and "slider" in shown[0]["text/plain"]
