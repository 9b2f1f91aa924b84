"""Tables and numbers as a reader sees them; the DataFrames underneath stay numbers."""

import re

import numpy as np
import pandas as pd

from mnist_course.core.formatting import duration, grid, percent, rate, readable, setting


def cells(styler):
    """The table's displayed cells, row by row, as text."""
    lines = styler.to_string(delimiter="|").strip().splitlines()
    return [line.split("|") for line in lines]


def test_a_study_summary_reads_as_percentages_seconds_and_counts():
    summary = pd.DataFrame(
        {
            "val_accuracy_mean": [0.563333, np.nan],
            "val_accuracy_sd": [0.0, 0.0],
            "seconds_mean": [20.426608, 0.775146],
            "runs": [1, 1],
            "diverged": [0, 1],
        },
        index=pd.Index([0.03, 10.0], name="lr"),
    )
    rows = cells(readable(summary))
    assert rows[-2:] == [
        ["0.03", "56.33%", "0.00%", "20.4", "1", "0"],
        ["10", "–", "0.00%", "0.8", "1", "1"],
    ]
    assert summary["val_accuracy_mean"].iloc[0] == 0.563333, "the table itself is unchanged"


def test_a_grid_of_accuracies_and_its_float_index():
    grid = pd.DataFrame(
        [[0.5633, 0.21], [0.3667, 0.5767]],
        index=pd.Index([0.03, 0.3], name="lr"),
        columns=pd.Index([64, 256], name="batch_size"),
    )
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


def test_a_history_shows_losses_with_one_number_of_decimals_and_rates_as_people_write_them():
    history = pd.DataFrame(
        {
            "epoch": [1, 2],
            "train_loss": [0.101, 0.08368],
            "val_loss": [2.121, 0.0001],
            "lr": [0.07056, 0.0002489],
        }
    )
    assert cells(readable(history))[1:] == [
        ["1", "0.1010", "2.1210", "0.0706"],
        ["2", "0.0837", "0.0001", "2.49e-4"],
    ]
    rates = [rate(r) for r in (0.1, 1e-3, 1e-4, 4e-7, 10.0)]
    assert rates == ["0.1", "0.001", "1e-4", "4e-7", "10"]


def test_image_indices_have_no_thousands_separator():
    mistakes = pd.DataFrame({"index": [1901, 12], "true": ["4", "9"], "count": [1234, 5]})
    assert cells(readable(mistakes))[1:] == [["1901", "4", "1,234"], ["12", "9", "5"]]


def test_a_named_index_is_the_first_column_under_one_left_aligned_header():
    table = pd.DataFrame(
        {"description": ["two convolutions"], "parameters": [225034]},
        index=pd.Index(["cnn3"], name="architecture"),
    )
    styler = readable(table)
    assert cells(styler) == [
        ["architecture", "description", "parameters"],
        ["cnn3", "two convolutions", "225,034"],
    ]
    html = styler.to_html()
    assert html.count("<tr>") == 2, "one header row, no separate row for the index's name"
    header_styles = re.findall(r"th\.col_heading\.col(\d)\s*\{\s*text-align: left", html)
    assert sorted(header_styles) == ["0", "1"], "the text columns' headers sit over their text"


def test_a_grid_reads_as_rows_and_columns_of_settings():
    accuracies = pd.Series(
        [0.90, 0.95, 0.80, 0.85],
        index=pd.MultiIndex.from_product([[0.01, 0.03], [32, 256]], names=["lr", "batch_size"]),
    )
    table = grid(accuracies, rows="batch_size", columns="lr")
    assert table.index.tolist() == ["batch 32", "batch 256"]
    assert table.columns.tolist() == ["lr 0.01", "lr 0.03"]
    assert table.loc["batch 256", "lr 0.01"] == 0.95
    assert cells(readable(table, percent=True)) == [
        ["", "lr 0.01", "lr 0.03"],
        ["batch 32", "90.00%", "80.00%"],
        ["batch 256", "95.00%", "85.00%"],
    ]
