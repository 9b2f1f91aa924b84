"""Tables and numbers as a reader sees them; the DataFrames underneath stay numbers."""

import numpy as np
import pandas as pd

from mnist_course.formatting import duration, percent, readable, setting


def cells(styler):
    """The table's displayed cells, row by row, as text."""
    lines = styler.to_string(delimiter="|").strip().splitlines()
    return [line.split("|") for line in lines]


def test_a_study_summary_reads_as_percentages_seconds_and_counts():
    summary = pd.DataFrame(
        {"val_accuracy_mean": [0.563333, np.nan], "val_accuracy_sd": [0.0, 0.0],
         "seconds_mean": [20.426608, 0.775146], "runs": [1, 1], "diverged": [0, 1]},
        index=pd.Index([0.03, 10.0], name="lr"),
    )  # fmt: skip
    rows = cells(readable(summary))
    assert rows[-2:] == [["0.03", "56.33%", "0.00%", "20.4", "1", "0"],
                         ["10", "–", "0.00%", "0.8", "1", "1"]]  # fmt: skip
    assert summary["val_accuracy_mean"].iloc[0] == 0.563333, "the table itself is unchanged"


def test_a_grid_of_accuracies_and_its_float_index():
    grid = pd.DataFrame([[0.5633, 0.21], [0.3667, 0.5767]],
                        index=pd.Index([0.03, 0.3], name="lr"),
                        columns=pd.Index([64, 256], name="batch_size"))  # fmt: skip
    rows = cells(readable(grid, percent=True))
    assert ["0.03", "56.33%", "21.00%"] in rows and ["0.3", "36.67%", "57.67%"] in rows


def test_whole_numbers_stay_whole_and_text_is_shown_in_full():
    description = "R2's architecture 1: 784-128-64-10, ReLU, LogSoftmax, trained with SGD " * 2
    table = pd.DataFrame(
        {"description": [description], "parameters": [3274634], "best_epoch": [8.0]},
        index=pd.Index(["cnn5"], name="architecture"),
    )
    styler = readable(table)
    assert cells(styler)[-1] == ["cnn5", description, "3,274,634", "8"]
    assert "white-space: pre-wrap" in styler.to_html(), "long text wraps instead of being cut"


def test_row_numbers_are_hidden():
    runs = pd.DataFrame({"run": [0, 1], "status": ["completed", "diverged"]})
    assert cells(readable(runs)) == [["run", "status"], ["0", "completed"], ["1", "diverged"]]


def test_numbers_in_words():
    assert percent(0.5) == "50.00%" and percent(float("nan")) == "–"
    assert [duration(s) for s in (4.4, 192, 3900)] == ["4 s", "3 min 12 s", "1 h 5 min"]
    assert setting({"lr": 0.03, "batch_size": 1024}) == "lr 0.03, batch size 1,024"
