"""Training curves that redraw in the notebook after every epoch."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt

if TYPE_CHECKING:
    from .loop import EpochEnd


class LivePlot:
    """An epoch callback: shows loss and accuracy so far, replacing the previous drawing.

    Outside a notebook (no IPython display) it does nothing, so scripts can leave it on.
    """

    def __init__(self) -> None:
        self._handle = None

    def __call__(self, epoch: EpochEnd) -> None:
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            return
        if get_ipython() is None:
            return
        from ..plots import plot_history

        figure = plot_history(epoch.history)
        if self._handle is None:
            self._handle = display(figure, display_id=True)
        else:
            self._handle.update(figure)
        plt.close(figure)
