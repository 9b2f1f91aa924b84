"""Training curves that redraw in the notebook after every epoch."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd


class LivePlot:
    """An epoch callback: shows loss and accuracy so far, replacing the previous drawing.

    Outside a notebook (no IPython display) it does nothing, so scripts can leave it on.
    """

    def __init__(self) -> None:
        self._handle = None

    def __call__(self, history: pd.DataFrame) -> None:
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            return
        if get_ipython() is None:
            return
        from ..plots import plot_history

        figure = plot_history(history)
        if self._handle is None:
            self._handle = display(figure, display_id=True)
        else:
            self._handle.update(figure)
        plt.close(figure)
