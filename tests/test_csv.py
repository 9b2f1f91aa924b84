import gzip
import io
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from mnist_course.core.errors import DataError
from mnist_course.data import DigitDataset, read_csv_dataset, write_csv


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


# Files as people save them: compressed, with a byte-order mark, in another encoding, CRLF.


def _csv_bytes(small, tmp_path, header=True) -> bytes:
    path = write_csv(small, tmp_path / "plain.csv")
    text = path.read_text()
    return (text if header else text.split("\n", 1)[1]).encode()


def _assert_same(loaded, small):
    assert torch.equal(loaded.images, small.images) and torch.equal(loaded.labels, small.labels)


@pytest.mark.parametrize("header", [True, False], ids=["header", "headerless"])
def test_utf8_byte_order_mark_keeps_every_row(tmp_path, small, header):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv_bytes(small, tmp_path, header))
    _assert_same(read_csv_dataset(path), small)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_read(tmp_path, small, encoding):
    path = tmp_path / "unicode.csv"
    path.write_bytes(_csv_bytes(small, tmp_path).decode().encode(encoding))
    _assert_same(read_csv_dataset(path), small)


def test_latin1_header_is_read(tmp_path, small):
    text = _csv_bytes(small, tmp_path).decode().replace("label", "étiquette", 1)
    path = tmp_path / "latin1.csv"
    path.write_bytes(text.encode("latin-1"))
    _assert_same(read_csv_dataset(path, label_column="étiquette"), small)


def test_latin1_cell_after_the_first_64k_is_named(tmp_path, digits):
    lines = write_csv(digits.train.head(80), tmp_path / "a.csv").read_bytes().split(b"\n")
    assert sum(len(line) + 1 for line in lines[:70]) > 1 << 16, "past what is sniffed"
    fields = lines[69].split(b",")
    fields[3] = b"\xe9"
    lines[69] = b",".join(fields)
    path = tmp_path / "late.csv"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(DataError, match=r"late.csv: line 70, column 4 \('pixel2'\): 'é' is not"):
        read_csv_dataset(path)


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_windows_and_old_mac_line_ends(tmp_path, small, newline):
    path = tmp_path / "crlf.csv"
    lines = _csv_bytes(small, tmp_path).decode().splitlines()
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    _assert_same(read_csv_dataset(path), small)
    _set_cell(lines, 4, 2, "256")
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    with pytest.raises(DataError, match=r"line 4, column 2 \('pixel0'\): pixel value 256"):
        read_csv_dataset(path)


@pytest.mark.parametrize("name", ["train.csv.gz", "train.csv"])
def test_gzipped_csv_is_read(tmp_path, small, name):
    path = tmp_path / name
    path.write_bytes(gzip.compress(_csv_bytes(small, tmp_path)))
    _assert_same(read_csv_dataset(path), small)


def test_damaged_gzip_is_named(tmp_path, small):
    path = tmp_path / "train.csv.gz"
    path.write_bytes(gzip.compress(_csv_bytes(small, tmp_path))[:-200])
    with pytest.raises(DataError, match="train.csv.gz: damaged gzip file"):
        read_csv_dataset(path)


def test_blank_lines_do_not_shift_line_numbers(tmp_path, small):
    lines = _csv_bytes(small, tmp_path).decode().splitlines()
    lines[3:3] = ["", "   "]  # editor lines 4 and 5 are blank
    path = tmp_path / "blank.csv"
    path.write_text("\n".join(lines) + "\n\n")
    _assert_same(read_csv_dataset(path), small)
    _set_cell(lines, 8, 30, "-1")
    _set_cell(lines, 9, 1, "12")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"line 8, column 30 \('pixel28'\): pixel value -1"):
        read_csv_dataset(path)
    _set_cell(lines, 8, 30, "0")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="line 9: label 12 is not one of the 10 classes"):
        read_csv_dataset(path)


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (28, 28)).save(buffer, format="PNG")
    return buffer.getvalue()


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda: np.random.default_rng(0).bytes(5000), "not a CSV text file .*binary data"),
        (_xlsx_bytes, "not a CSV text file but a ZIP archive, .*xlsx.*save the sheet as CSV"),
        (_png_bytes, "not a CSV text file but a PNG image"),
        (lambda: gzip.compress(_png_bytes()), "not a CSV text file but a PNG image"),
    ],
    ids=["random-bytes", "xlsx", "png", "gzipped-png"],
)
def test_a_file_that_is_not_text_is_named(tmp_path, content, message):
    path = tmp_path / "train.csv"
    path.write_bytes(content())
    with pytest.raises(DataError, match=message) as info:
        read_csv_dataset(path)
    assert str(info.value).startswith(str(path))


def test_a_folder_is_not_called_missing(tmp_path, small):
    write_csv(small, tmp_path / "train.csv")
    with pytest.raises(DataError, match=r": is a folder, not a CSV file \(it holds train.csv\)"):
        read_csv_dataset(tmp_path)
