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

import codecs
import csv
import gzip
import io
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import torch

from ..atomic import atomic_write
from ..errors import DataError
from .dataset import DIGIT_CLASSES, DigitDataset

PIXELS = 28 * 28
_KAGGLE_NAME = re.compile(r"pixel(\d+)$")
_ROW_BY_COL_NAME = re.compile(r"(\d+)x(\d+)$")
_SNIFF_BYTES = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"
_NOT_TEXT = {
    b"PK\x03\x04": "a ZIP archive, which is what an Excel .xlsx or a .ods spreadsheet is; "
    "save the sheet as CSV first",
    b"\xd0\xcf\x11\xe0": "an old-style Office file such as an Excel .xls spreadsheet; "
    "save the sheet as CSV first",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"BZh": "a bzip2-compressed file; decompress it first",
    b"\xfd7zXZ": "an xz-compressed file; decompress it first",
}
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
"""Characters no CSV has (tab, LF, VT, FF and CR are allowed)."""


@dataclass(frozen=True)
class _CsvFile:
    """A CSV file with the compression and text encoding it was found to use."""

    path: Path
    gzipped: bool
    encoding: str

    def open_bytes(self) -> BinaryIO:
        return gzip.open(self.path, "rb") if self.gzipped else self.path.open("rb")  # noqa: SIM115

    def open(self) -> io.TextIOWrapper:
        return io.TextIOWrapper(self.open_bytes(), encoding=self.encoding, newline="")

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """``(line number, fields)`` of every non-blank line, numbered as an editor shows them.

        Blank lines (empty or only spaces) are skipped, as pandas skips them, so the n-th record
        here is pandas' n-th row (counting a header).
        """
        with self.open() as handle:
            reader = csv.reader(handle)
            try:
                for fields in reader:
                    if fields and (len(fields) > 1 or fields[0].strip()):
                        yield reader.line_num, fields
            except (OSError, EOFError, zlib.error) as exc:
                raise DataError(f"{self.path}: damaged gzip file ({exc})") from exc

    def record(self, index: int) -> tuple[int, list[str]]:
        """The ``index``-th non-blank record (0 is the first line, header or not)."""
        for seen, (line, fields) in enumerate(self.records()):
            if seen == index:
                return line, fields
        raise IndexError(index)


def _sniff(path: Path) -> _CsvFile:
    """Find out whether ``path`` is gzipped and how its text is encoded, or say why it is no CSV."""
    if path.is_dir():
        inside = sorted(p.name for p in path.glob("*.csv*"))[:3]
        hint = f" (it holds {', '.join(inside)})" if inside else ""
        raise DataError(f"{path}: is a folder, not a CSV file{hint}; give the path of the file")
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if not path.is_file():
        raise DataError(f"{path}: not a regular file, expected a CSV file")
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    gzipped = head[:2] == _GZIP_MAGIC
    if gzipped:
        try:
            with gzip.open(path, "rb") as handle:
                head = handle.read(_SNIFF_BYTES)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{path}: damaged gzip file ({exc})") from exc
    whole = len(head) < _SNIFF_BYTES
    for magic, what in _NOT_TEXT.items():
        if head.startswith(magic):
            raise DataError(f"{path}: not a CSV text file but {what}")

    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif len(head) >= 4 and head[1::2].count(0) >= len(head) // 2 * 0.9 and 0 not in head[::2]:
        encoding = "utf-16-le"  # UTF-16 without a byte-order mark: ASCII text, every other byte 0
    elif len(head) >= 4 and head[0::2].count(0) >= len(head) // 2 * 0.9 and 0 not in head[1::2]:
        encoding = "utf-16-be"
    else:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=whole)
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "latin-1"
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=whole)
    if control := _CONTROL.search(text):
        raise DataError(
            f"{path}: not a CSV text file (character {ord(control.group()):#04x} at position "
            f"{control.start()} is binary data); expected lines of comma-separated numbers"
        )
    return _CsvFile(path, gzipped, encoding)


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


def _field_count_problem(source: _CsvFile, expected: int) -> str | None:
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
    return _read(_sniff(Path(path)), classes, label_column)


def _read(
    source: _CsvFile, classes: tuple[str, ...], label_column: str | int | None
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
    first_fields = first_records[0][1]
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
    source: _CsvFile,
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
    by_name = [i for i, name in enumerate(names) if name.strip().lower() == "label"]
    if by_name:
        return by_name[0]
    return 0 if columns == PIXELS + 1 else None


def _column(names: list[str], index: int) -> str:
    return f"column {index + 1} ({names[index]!r})" if names else f"column {index + 1}"


def _numeric_values(
    source: _CsvFile, frame: pd.DataFrame, names: list[str], header_lines: int
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
