"""Digits as CSV: the Kaggle ``label,pixel0..pixel783`` layout and the ``label,1x1..28x28`` one.

Reading is fast and lean (pandas' C parser straight into uint8) and strict: every problem is
reported with the file, the line as an editor numbers it (blank lines included), and the column,
instead of turning into a silently wrong image. A CSV with 784 columns and no label column
(Kaggle's ``test.csv``) loads as an unlabeled set for prediction.

Files as people save them are accepted: gzip-compressed (``.csv.gz``, recognised by content),
UTF-8 with or without a byte-order mark, UTF-16 (as Excel's "Unicode text" writes it), any other
8-bit text (read as Latin-1: the numbers are plain ASCII either way), and LF, CRLF or CR line
ends. A file that is not text at all (a spreadsheet, an image, random bytes) is named as such.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..core.atomic import atomic_write
from ..core.errors import DataError
from .csv_file import CsvFile, check_separator, sniff
from .dataset import DIGIT_CLASSES, DigitDataset

PIXELS = 28 * 28
_KAGGLE_NAME = re.compile(r"pixel(\d+)$")
_ROW_BY_COL_NAME = re.compile(r"(\d+)x(\d+)$")
LABEL_NAMES = ("label", "class")
"""Header names of a label column (Kaggle says ``label``, OpenML's mnist_784 ``class``)."""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _pixel_position(name: str) -> int | None:
    """Where a named pixel column sits in row-major order, or None for an unknown name."""
    if match := _KAGGLE_NAME.fullmatch(name.strip()):
        return int(match.group(1))
    if match := _ROW_BY_COL_NAME.fullmatch(name.strip()):
        row, col = int(match.group(1)), int(match.group(2))
        return (row - 1) * 28 + (col - 1)
    return None


def _field_count_problem(source: CsvFile, expected: int) -> str | None:
    """The first line whose number of values differs from ``expected``, described; slow path."""
    for line, fields in source.records():
        if len(fields) != expected:
            return f"line {line} has {len(fields)} values, expected {expected}"
    return None


def read_csv_dataset(
    path: str | os.PathLike[str],
    classes: tuple[str, ...] = DIGIT_CLASSES,
    label_column: str | int | None = None,
) -> DigitDataset:
    """Read digits from a CSV file: one image per row, 784 pixel values 0..255, maybe a label.

    The label column is found by name (``label``, any case), by ``label_column`` (a name or a
    0-based position), or as the first of 785 columns. With 784 columns and no label the set is
    unlabeled.
    """
    return _read(sniff(Path(path)), classes, label_column)


def _read(
    source: CsvFile, classes: tuple[str, ...], label_column: str | int | None
) -> DigitDataset:
    path = source.path
    first_records = []
    for record in source.records():
        first_records.append(record)
        if len(first_records) == 2:
            break
    if not first_records:
        raise DataError(
            f"{path}: the file is empty; expected a header such as label,pixel0,...,pixel783 "
            "and one row of 784 pixel values (0-255) per image"
        )
    first_line, first_fields = first_records[0]
    check_separator(path, first_line, first_fields)
    has_header = not all(_is_number(field) for field in first_fields if field.strip())
    if has_header and len(first_records) > 1:
        # pandas would quietly turn a surplus first field into an index column
        line, fields = first_records[1]
        if len(fields) != len(first_fields):
            raise DataError(
                f"{path}: line {line} has {len(fields)} values, expected {len(first_fields)} "
                "(as many as the header names)"
            )

    def read_frame(**dtype: type) -> pd.DataFrame:
        # an open handle, not the path: given a path, pandas holds about 4x the file in memory
        with source.open_bytes() as handle:
            return pd.read_csv(
                handle,
                header=0 if has_header else None,
                skip_blank_lines=True,
                encoding=source.encoding,
                engine="c",
                **dtype,
            )

    try:
        try:  # the fast path: every cell straight into uint8 (labels of up to 256 classes too)
            frame = read_frame(dtype=np.uint8)
        except (pd.errors.ParserError, UnicodeDecodeError):
            raise
        except (ValueError, OverflowError):
            # a cell that is no byte: read again as pandas sees fit, to say which and where
            frame = read_frame()
    except pd.errors.ParserError as exc:
        problem = _field_count_problem(source, len(first_fields))
        raise DataError(f"{path}: {problem or exc}") from exc
    except UnicodeDecodeError as exc:
        if source.encoding != "utf-8":
            raise DataError(f"{path}: not {source.encoding} text ({exc.reason})") from exc
        # UTF-8 at the start, something else later: any 8-bit text reads as Latin-1
        return _read(replace(source, encoding="latin-1"), classes, label_column)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: damaged gzip file ({exc})") from exc
    return _dataset(source, frame, has_header, classes, label_column)


def _dataset(
    source: CsvFile,
    frame: pd.DataFrame,
    has_header: bool,
    classes: tuple[str, ...],
    label_column: str | int | None,
) -> DigitDataset:
    path = source.path
    header_lines = 1 if has_header else 0
    if len(frame) == 0:
        raise DataError(f"{path}: has a header but no data rows")

    names = [str(name) for name in frame.columns] if has_header else []
    label_index = _find_label_column(path, frame.shape[1], names, label_column)
    pixel_indices = [i for i in range(frame.shape[1]) if i != label_index]
    if len(pixel_indices) != PIXELS:
        expected = "785 (a label and 784 pixels)" if label_index is not None else "784"
        raise DataError(f"{path}: {frame.shape[1]} columns, expected {expected}")
    if names:
        positions = [_pixel_position(names[i]) for i in pixel_indices]
        if sorted(p for p in positions if p is not None) == list(range(PIXELS)):
            pixel_indices = [i for _, i in sorted(zip(positions, pixel_indices, strict=True))]

    def line_of(row: int) -> int:
        return source.record(row + header_lines)[0]

    if all(dtype == np.uint8 for dtype in frame.dtypes):
        values = frame.to_numpy()
    else:
        values = _numeric_values(source, frame, names, header_lines)
    if label_index is not None and label_column is None and not names:
        label_index = _label_position(path, values, classes)  # by position: first or last?
        pixel_indices = [i for i in range(frame.shape[1]) if i != label_index]
    if values.dtype != np.uint8:
        _check_pixels(path, values, pixel_indices, names, line_of)
    images = torch.from_numpy(
        values[:, pixel_indices].astype(np.uint8, copy=False).reshape(-1, 28, 28)
    )
    labels = None
    if label_index is not None:
        labels = _labels(path, values[:, label_index], classes, line_of)
    return DigitDataset(images, labels, classes, source=f"CSV {path}")


def _find_label_column(
    path: Path, columns: int, names: list[str], label_column: str | int | None
) -> int | None:
    if isinstance(label_column, int):
        if not 0 <= label_column < columns:
            raise DataError(f"{path}: label column {label_column} is outside 0..{columns - 1}")
        return label_column
    if isinstance(label_column, str):
        matches = [
            i for i, name in enumerate(names) if name.strip().lower() == label_column.lower()
        ]
        if not matches:
            raise DataError(f"{path}: no column named {label_column!r} in the header")
        return matches[0]
    by_name = [i for i, name in enumerate(names) if name.strip().lower() in LABEL_NAMES]
    if by_name:
        return by_name[0]
    return 0 if columns == PIXELS + 1 else None


def _could_be_labels(column: np.ndarray, classes: tuple[str, ...]) -> bool:
    whole = (column >= 0) & (column < len(classes)) & (column == np.round(column))
    return bool(whole.all()) and (len(column) == 1 or len(np.unique(column)) > 1)


def _label_position(path: Path, values: np.ndarray, classes: tuple[str, ...]) -> int:
    """785 columns and no header: the label is first (Kaggle) or last (OpenML's mnist_784).

    A column of labels holds whole numbers 0..classes-1 and more than one of them; the first
    pixel of a digit (a corner) is 0 in every row.
    """
    last = values.shape[1] - 1
    for index in (0, last):
        if _could_be_labels(values[:, index], classes):
            return index
    if _could_be_labels(values[:1, 0], classes):  # one label throughout: a set of one digit
        return 0
    first = np.unique(values[:, 0])
    shown = ", ".join(f"{v:g}" for v in first[:5]) + (", ..." if len(first) > 5 else "")
    raise DataError(
        f"{path}: no column looks like labels: the first column holds {shown} and the last "
        f"neither holds whole numbers 0..{len(classes) - 1} with more than one of them; add a "
        "header that names the label column 'label'"
    )


def _column(names: list[str], index: int) -> str:
    return f"column {index + 1} ({names[index]!r})" if names else f"column {index + 1}"


def _numeric_values(
    source: CsvFile, frame: pd.DataFrame, names: list[str], header_lines: int
) -> np.ndarray:
    """All cells as float64, or an error naming the first cell that is not a number or is empty."""
    path = source.path
    for index, dtype in enumerate(frame.dtypes):
        if dtype.kind in "iuf":
            continue
        column = frame.iloc[:, index]
        parsed = pd.to_numeric(column, errors="coerce")
        bad = np.flatnonzero(parsed.isna().to_numpy() & column.notna().to_numpy())
        if len(bad):
            row = int(bad[0])
            line = source.record(row + header_lines)[0]
            raise DataError(
                f"{path}: line {line}, {_column(names, index)}: "
                f"{column.iloc[row]!r} is not a number"
            )
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values)
    if missing.any():
        row = int(np.flatnonzero(missing.any(axis=1))[0])
        line, fields = source.record(row + header_lines)
        if len(fields) != frame.shape[1]:
            raise DataError(
                f"{path}: line {line} has {len(fields)} values, expected {frame.shape[1]}"
            )
        col = int(np.flatnonzero(missing[row])[0])
        raise DataError(
            f"{path}: line {line}, {_column(names, col)}: empty or NaN, expected a number"
        )
    return values


def _check_pixels(
    path: Path,
    values: np.ndarray,
    pixel_indices: list[int],
    names: list[str],
    line_of: Callable[[int], int],
) -> None:
    pixels = values[:, pixel_indices]
    bad = (pixels < 0) | (pixels > 255) | (pixels != np.round(pixels))
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        col = pixel_indices[int(np.flatnonzero(bad[row])[0])]
        raise DataError(
            f"{path}: line {line_of(row)}, {_column(names, col)}: pixel value "
            f"{values[row, col]:g} is not a whole number in 0-255"
        )


def _labels(
    path: Path, column: np.ndarray, classes: tuple[str, ...], line_of: Callable[[int], int]
) -> torch.Tensor:
    bad = (column < 0) | (column >= len(classes)) | (column != np.round(column))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{path}: line {line_of(row)}: label {column[row]:g} is not one of the "
            f"{len(classes)} classes (expected a whole number 0..{len(classes) - 1})"
        )
    return torch.from_numpy(column.astype(np.int64))


def write_csv(dataset: DigitDataset, path: str | os.PathLike[str], layout: str = "kaggle") -> Path:
    """Write ``dataset`` as CSV (``layout`` ``kaggle``: pixel0..; ``rxc``: 1x1..28x28); atomic."""
    if layout == "kaggle":
        pixel_names = [f"pixel{i}" for i in range(PIXELS)]
    elif layout == "rxc":
        pixel_names = [f"{r}x{c}" for r in range(1, 29) for c in range(1, 29)]
    else:
        raise ValueError(f"unknown CSV layout {layout!r}: expected 'kaggle' or 'rxc'")
    if tuple(dataset.images.shape[1:]) != (28, 28):
        raise DataError(f"{dataset.source}: CSV export needs 28x28 images")
    frame = pd.DataFrame(dataset.images.reshape(len(dataset), -1).numpy(), columns=pixel_names)
    if dataset.labels is not None:
        frame.insert(0, "label", dataset.labels.numpy())
    path = Path(path)
    with atomic_write(path, "w") as handle:
        frame.to_csv(handle, index=False)
    return path
