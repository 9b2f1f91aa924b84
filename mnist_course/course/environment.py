"""What this machine runs the course with, and a check that its widgets work (lesson 00)."""

from __future__ import annotations

import platform
import sys

import ipywidgets as widgets
import pandas as pd
import torch
import torchvision

from ..core.runtime import pick_device
from ..widgets.display import LiveWidget


def environment_report() -> pd.DataFrame:
    """Python, PyTorch and torchvision versions, the chosen device and what accelerates it.

    One row per item, both columns text: ``formatting.readable(environment_report())`` shows it
    as a two-column table.
    """
    device = pick_device("auto")
    details = {
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "ipywidgets": widgets.__version__,
        "device": str(device),
        "cpu threads": torch.get_num_threads(),
        "on Colab": "yes" if "google.colab" in sys.modules else "no",
    }
    if device.type == "cuda":
        details["gpu"] = torch.cuda.get_device_name()
        memory = torch.cuda.get_device_properties(0).total_memory / 2**30
        details["gpu memory"] = f"{memory:.1f} GiB"
    return pd.DataFrame({"what": list(details), "value": [str(v) for v in details.values()]})


class WidgetCheck(LiveWidget):
    """A slider and a line under it that follows the slider: the widgets work when it does."""

    def __init__(self, start: int = 3) -> None:
        self.slider = widgets.IntSlider(value=start, min=0, max=9, description="a digit")
        self.echo = widgets.HTML()
        self.slider.observe(lambda _: self._follow(), names="value")
        self._follow()
        self.widget = widgets.VBox([self.slider, self.echo])

    def _follow(self) -> None:
        self.echo.value = (
            f"the slider is at <b>{self.slider.value}</b>: drag it, and this number follows"
        )

    def still(self) -> dict:
        """A saved copy has no front end to draw the slider: say what a live notebook shows."""
        return {
            "text/plain": "widget check: a slider (0 to 9) and a line under it that says "
            "where the slider is; live only in a running notebook"
        }
