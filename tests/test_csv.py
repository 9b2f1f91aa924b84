import numpy as np
import pandas as pd
import pytest
import torch

from mnist_course.data import DigitDataset, read_csv_dataset, write_csv
from mnist_course.errors import DataError


@pytest.fixture(scope="module")
def small(digits) -> DigitDataset:
    return digits.train.head(12)


@pytest.mark.parametrize("layout", ["kaggle", "rxc"])
def test_round_trip_both_layouts(tmp_path, small, layout):
    path = write_csv(small, tmp_path / "train.csv", layout=layout)
    header = path.read_text().splitlines()[0].split(",")
    assert header[:3] == (
        ["label", "pixel0", "pixel1"] if layout == "kaggle" else ["label", "1x1", "1x2"]
    )
    loaded = read_csv_dataset(path)
    assert torch.equal(loaded.images, small.images)
    assert torch.equal(loaded.labels, small.labels)


def test_named_pixel_columns_are_put_back_in_order(tmp_path, small):
    frame = pd.read_csv(write_csv(small, tmp_path / "a.csv", layout="rxc"))
    shuffled = frame[["label", *np.random.default_rng(1).permutation(frame.columns[1:])]]
    shuffled.to_csv(tmp_path / "b.csv", index=False)
    assert torch.equal(read_csv_dataset(tmp_path / "b.csv").images, small.images)


def test_label_column_found_by_name_anywhere(tmp_path, small):
    frame = pd.read_csv(write_csv(small, tmp_path / "a.csv"))
    moved = frame[[*frame.columns[1:], "label"]].rename(columns={"label": "Label"})
    moved.to_csv(tmp_path / "b.csv", index=False)
    assert torch.equal(read_csv_dataset(tmp_path / "b.csv").labels, small.labels)


def test_headerless_file_uses_first_column_as_label(tmp_path, small):
    frame = pd.read_csv(write_csv(small, tmp_path / "a.csv"))
    frame.to_csv(tmp_path / "b.csv", index=False, header=False)
    loaded = read_csv_dataset(tmp_path / "b.csv")
    assert torch.equal(loaded.labels, small.labels) and torch.equal(loaded.images, small.images)


def test_unlabeled_file_loads_for_prediction(tmp_path, small):
    unlabeled = DigitDataset(small.images, None)
    loaded = read_csv_dataset(write_csv(unlabeled, tmp_path / "test.csv"))
    assert not loaded.is_labeled and torch.equal(loaded.images, small.images)
    with pytest.raises(DataError, match="has no labels"):
        loaded.class_counts()


def _corrupt(tmp_path, small, edit) -> str:
    """Write a valid CSV, apply ``edit`` to its list of lines, return the file's path."""
    path = write_csv(small, tmp_path / "bad.csv")
    lines = path.read_text().splitlines()
    edit(lines)
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _set_cell(lines, line, column, value):
    fields = lines[line - 1].split(",")
    fields[column - 1] = value
    lines[line - 1] = ",".join(fields)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda ls: ls.__setitem__(4, ls[4] + ",7"), "line 5 has 786 values, expected 785"),
        (
            lambda ls: ls.__setitem__(6, ls[6].rsplit(",", 3)[0]),
            "line 7 has 782 values, expected 785",
        ),
        (
            lambda ls: _set_cell(ls, 3, 10, "abc"),
            r"line 3, column 10 \('pixel8'\): 'abc' is not a number",
        ),
        (
            lambda ls: _set_cell(ls, 4, 2, "256"),
            r"line 4, column 2 \('pixel0'\): pixel value 256 is not a whole number in 0-255",
        ),
        (lambda ls: _set_cell(ls, 5, 30, "-1"), r"line 5, column 30 \('pixel28'\): pixel value -1"),
        (lambda ls: _set_cell(ls, 2, 5, "0.5"), r"line 2, column 5 \('pixel3'\): pixel value 0.5"),
        (lambda ls: _set_cell(ls, 9, 1, "10"), "line 9: label 10 is not one of the 10 classes"),
        (
            lambda ls: _set_cell(ls, 6, 100, "NaN"),
            r"line 6, column 100 \('pixel98'\): empty or NaN",
        ),
        (lambda ls: _set_cell(ls, 8, 50, ""), r"line 8, column 50 \('pixel48'\): empty or NaN"),
        (lambda ls: ls.__setitem__(slice(1, None), []), "has a header but no data rows"),
        (
            lambda ls: ls.__setitem__(0, ls[0].rsplit(",", 1)[0]),
            "line 2 has 785 values, expected 784",
        ),
    ],
    ids=[
        "extra-column",
        "missing-columns",
        "non-numeric",
        "pixel-256",
        "pixel-negative",
        "pixel-fraction",
        "label-outside",
        "nan",
        "empty-cell",
        "header-only",
        "short-header",
    ],
)
def test_bad_csv_names_file_line_and_column(tmp_path, small, edit, message):
    path = _corrupt(tmp_path, small, edit)
    with pytest.raises(DataError, match=message) as info:
        read_csv_dataset(path)
    assert str(info.value).startswith(path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"empty.csv: the file is empty; expected a header"):
        read_csv_dataset(tmp_path / "empty.csv")


def test_wrong_width_everywhere(tmp_path):
    pd.DataFrame(np.zeros((3, 100), dtype=int)).to_csv(tmp_path / "w.csv", index=False)
    with pytest.raises(DataError, match="100 columns, expected 784"):
        read_csv_dataset(tmp_path / "w.csv")
