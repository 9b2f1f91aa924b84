"""Numbers as a reader wants them: percentages, seconds, whole numbers, learning rates.

Every table and figure of the course shows a share (an accuracy, a precision, a probability) as a
percentage with two decimals, a loss with four decimals, seconds with one, counts as whole numbers
with thousands separators (an image's index without), and learning rates as people write them
(``0.03``, ``0.0706``, ``2.49e-4``). The DataFrames the course returns stay plain numbers, for code
to use; ``readable`` dresses one for display (a pandas ``Styler``) and leaves it unchanged:

>>> import pandas as pd
>>> runs = pd.DataFrame({"lr": [0.03, 0.00025], "val_loss": [0.101, 0.08368],
...                      "val_accuracy": [0.9812, 0.5633], "best_epoch": [8.0, None],
...                      "train_seconds": [20.43, 3.5]})
>>> print(readable(runs).to_string(delimiter=" | "))  # doctest: +NORMALIZE_WHITESPACE
lr | val_loss | val_accuracy | best_epoch | train_seconds
0.03 | 0.1010 | 98.12% | 8 | 20.4
2.5e-4 | 0.0837 | 56.33% | – | 3.5
<BLANKLINE>
>>> percent(0.98125), duration(192.4), rate(0.0002489)
('98.12%', '3 min 12 s', '2.49e-4')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pandas imports its Styler (and jinja2) only when a table is styled
    from pandas.io.formats.style import Styler

PERCENT_DECIMALS = 2
MISSING = "–"
"""Shown for a missing number (NaN), e.g. the accuracy of a diverged run."""

SHARES = ("accuracy", "precision", "recall", "f1", "confidence", "probability")
"""Words in a column's name that make it a share of 1, shown as a percentage."""

LOSS_DECIMALS = 4
SHORT = {"batch_size": "batch", "train_fraction": "share"}
"""Short names for a setting in a table's row or column label: ``batch 32``."""

NAMES = {
    "lr": "learning rate",
    "batch_size": "batch size",
    "train_fraction": "share of the training data",
    "train_loss": "training loss",
    "val_loss": "validation loss",
    "train_accuracy": "training accuracy",
    "val_accuracy": "validation accuracy",
}
"""Column names in words, for titles and axis labels."""


def percent(share: float) -> str:
    """A share of 1 as a percentage: ``0.98125`` -> ``98.12%``; NaN -> ``–``."""
    return MISSING if _missing(share) else f"{share:.{PERCENT_DECIMALS}%}"


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 12 s``, ``1 h 5 min``: a time as a reader says it."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def rate(number: float) -> str:
    """A learning rate as people write it: ``0.03``, ``0.0706``, ``1e-4``, ``2.49e-4``."""
    if _missing(number):
        return MISSING
    if number == 0 or abs(number) >= 1e-3:
        return f"{number:.3g}"
    mantissa, exponent = f"{number:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def name(column: Hashable) -> str:
    """A column's name in words: ``val_loss`` -> ``validation loss``."""
    return NAMES.get(str(column), str(column).replace("_", " "))


def value(column: Hashable, number: object) -> str:
    """One value of ``column`` as ``readable`` shows it: ``value("lr", 0.03)`` -> ``0.03``."""
    return _formatter(column, pd.Series([number]))(number)


def setting(values: dict[str, object]) -> str:
    """A setting in words: ``{"lr": 0.03, "batch_size": 64}`` -> ``lr 0.03, batch size 64``."""
    return ", ".join(f"{str(key).replace('_', ' ')} {value(key, v)}" for key, v in values.items())


def grid(results: pd.Series, rows: str, columns: str) -> pd.DataFrame:
    """A result over two settings as a table to scan: rows ``batch 32``, columns ``lr 0.01``.

    ``results`` is indexed by both settings, e.g. ``search.summary()["val_accuracy_mean"]``.
    """
    table = results.unstack(columns)
    table.index = [f"{SHORT.get(rows, rows)} {value(rows, v)}" for v in table.index]
    table.columns = [f"{SHORT.get(columns, columns)} {value(columns, v)}" for v in table.columns]
    return table


def readable(table: pd.DataFrame, percent: bool | Sequence[Hashable] = ()) -> Styler:
    """``table`` styled for a reader: shares as percentages, seconds rounded, counts whole.

    A column is a share when its name says so (``val_accuracy``, ``precision``, ...) or when it
    is listed in ``percent``; ``percent=True`` makes every number a share (a table of accuracies
    such as a grid search's). Text is shown in full, left-aligned and wrapped, under a
    left-aligned header. A named index becomes the first columns, so that the table has one
    header row; any other index is formatted by the same rules, and hidden when it only numbers
    the rows.
    """
    shares = set(table.columns) if percent is True else set(percent or ())
    if _index_as_columns(table):
        table = table.reset_index()
    styler = table.style.format(
        {column: _formatter(column, table[column], column in shares) for column in table.columns}
    )
    for axis, labels in (("index", table.index), ("columns", table.columns)):
        for level in range(labels.nlevels):
            values = labels.get_level_values(level)
            styler = styler.format_index(_formatter(values.name, values), axis=axis, level=level)
    if isinstance(table.index, pd.RangeIndex) and table.index.name is None:
        styler = styler.hide(axis="index")
    text = [column for column in table.columns if not pd.api.types.is_numeric_dtype(table[column])]
    if text:
        styler = styler.set_properties(
            subset=text, **{"text-align": "left", "white-space": "pre-wrap", "max-width": "40em"}
        )
        headers = [f"th.col_heading.col{table.columns.get_loc(column)}" for column in text]
        styler = styler.set_table_styles(
            [{"selector": ", ".join(headers), "props": "text-align: left;"}], overwrite=False
        )
    return styler


def _index_as_columns(table: pd.DataFrame) -> bool:
    """True when every level of the index is named, no column has such a name, and the
    columns are a plain list (a table over two settings keeps its row labels)."""
    names = list(table.index.names)
    return (
        all(level is not None for level in names)
        and not set(names) & set(table.columns)
        and table.columns.nlevels == 1
        and table.columns.name is None
    )


def _missing(number: object) -> bool:
    return (
        number is None
        or number is pd.NA
        or (isinstance(number, float | np.floating) and math.isnan(number))
    )


def _formatter(column: Hashable, values: pd.Series | pd.Index, share: bool = False) -> Callable:
    """How to show the values of ``column``, chosen by its name and its values."""
    text = str(column).lower()
    numbers = pd.to_numeric(pd.Series(values), errors="coerce")
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return lambda v: MISSING if _missing(v) else str(v)
    if share or any(word in text for word in SHARES):
        return percent
    if text == "lr" or text.endswith("_lr") or "learning rate" in text:
        return rate
    if "loss" in text:
        return lambda v: MISSING if _missing(v) else f"{v:.{LOSS_DECIMALS}f}"
    if "seconds" in text:
        return lambda v: MISSING if _missing(v) else f"{v:.1f}"
    finite = numbers.dropna()
    if len(finite) and (finite == finite.round()).all():
        separator = "" if text == "index" or text.endswith("_index") else ","
        return lambda v: MISSING if _missing(v) else f"{v:{separator}.0f}"
    return lambda v: MISSING if _missing(v) else f"{v:.4g}"
