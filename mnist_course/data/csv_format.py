"""Digits as CSV: the Kaggle ``label,pixel0..pixel783`` layout and the ``label,1x1..28x28`` one.

Reading is fast (pandas' C parser) and strict: every problem is reported with the file, the line
as an editor numbers it, and the column, instead of turning into a silently wrong image. A CSV with
784 columns and no label column (Kaggle's ``test.csv``) loads as an unlabeled set for prediction.
"""

from __future__ import annotations

import csv
import os
import re
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..atomic import atomic_write
from ..errors import DataError
from .dataset import DIGIT_CLASSES, DigitDataset

PIXELS = 28 * 28
_KAGGLE_NAME = re.compile(r"pixel(\d+)$")
_ROW_BY_COL_NAME = re.compile(r"(\d+)x(\d+)$")


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


def _line_text(path: Path, line: int) -> str:
    with path.open(newline="") as handle:
        return next(islice(handle, line - 1, line), "")


def _field_count_problem(path: Path, expected: int, header_lines: int) -> str | None:
    """The first line whose number of values differs from ``expected``, described; slow path."""
    with path.open(newline="") as handle:
        for line, fields in enumerate(csv.reader(handle), start=1):
            if line <= header_lines or not fields:
                continue
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
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with path.open(newline="") as handle:
        first_line, second_line = handle.readline(), handle.readline()
    if not first_line.strip():
        raise DataError(
            f"{path}: the file is empty; expected a header such as label,pixel0,...,pixel783 "
            "and one row of 784 pixel values (0-255) per image"
        )
    first_fields = next(csv.reader([first_line]))
    has_header = not all(_is_number(field) for field in first_fields if field.strip())
    header_lines = 1 if has_header else 0
    if has_header and second_line.strip():
        # pandas would quietly turn a surplus first field into an index column
        width = len(next(csv.reader([second_line])))
        if width != len(first_fields):
            raise DataError(
                f"{path}: line 2 has {width} values, expected {len(first_fields)} "
                "(as many as the header names)"
            )

    try:
        frame = pd.read_csv(path, header=0 if has_header else None, skip_blank_lines=True)
    except pd.errors.ParserError as exc:
        problem = _field_count_problem(path, len(first_fields), header_lines)
        raise DataError(f"{path}: {problem or exc}") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not a text CSV file ({exc.reason})") from exc
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

    values = _numeric_values(path, frame, names, header_lines)
    _check_pixels(path, values, pixel_indices, names, header_lines)
    images = torch.from_numpy(values[:, pixel_indices].astype(np.uint8).reshape(-1, 28, 28))
    labels = None
    if label_index is not None:
        labels = _labels(path, values[:, label_index], classes, header_lines)
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
    by_name = [i for i, name in enumerate(names) if name.strip().lower() == "label"]
    if by_name:
        return by_name[0]
    return 0 if columns == PIXELS + 1 else None


def _column(names: list[str], index: int) -> str:
    return f"column {index + 1} ({names[index]!r})" if names else f"column {index + 1}"


def _numeric_values(
    path: Path, frame: pd.DataFrame, names: list[str], header_lines: int
) -> np.ndarray:
    """All cells as float64, or an error naming the first cell that is not a number or is empty."""
    for index, dtype in enumerate(frame.dtypes):
        if dtype.kind in "iuf":
            continue
        column = frame.iloc[:, index]
        parsed = pd.to_numeric(column, errors="coerce")
        bad = np.flatnonzero(parsed.isna().to_numpy() & column.notna().to_numpy())
        if len(bad):
            row = int(bad[0])
            raise DataError(
                f"{path}: line {row + 1 + header_lines}, {_column(names, index)}: "
                f"{column.iloc[row]!r} is not a number"
            )
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values)
    if missing.any():
        row = int(np.flatnonzero(missing.any(axis=1))[0])
        line = row + 1 + header_lines
        fields = next(csv.reader([_line_text(path, line)]), [])
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
    path: Path, values: np.ndarray, pixel_indices: list[int], names: list[str], header_lines: int
) -> None:
    pixels = values[:, pixel_indices]
    bad = (pixels < 0) | (pixels > 255) | (pixels != np.round(pixels))
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        col = pixel_indices[int(np.flatnonzero(bad[row])[0])]
        raise DataError(
            f"{path}: line {row + 1 + header_lines}, {_column(names, col)}: pixel value "
            f"{values[row, col]:g} is not a whole number in 0-255"
        )


def _labels(
    path: Path, column: np.ndarray, classes: tuple[str, ...], header_lines: int
) -> torch.Tensor:
    bad = (column < 0) | (column >= len(classes)) | (column != np.round(column))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{path}: line {row + 1 + header_lines}: label {column[row]:g} is not one of the "
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
