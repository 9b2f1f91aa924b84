"""The IDX format MNIST ships in, read and written without torchvision's download machinery.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian uint32 per dimension, then the values. Images are ``0x00000803`` (3-D uint8),
labels ``0x00000801`` (1-D uint8). Files may be gzip-compressed, as distributed.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import IO, cast

import numpy as np

from ..core.atomic import atomic_write
from ..core.errors import DataError

_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype: code for code, dtype in _TYPES.items()}
_KIND = {1: "labels (magic 0x00000801)", 3: "images (magic 0x00000803)"}


MAX_BYTES = 1 << 30
"""The most data an IDX file's header may promise (1 GiB: EMNIST's largest set is 0.55 GiB)."""


def _open(path: Path) -> IO[bytes]:
    """The file's bytes, inflated as they are read when it is gzip-compressed."""
    with path.open("rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    opened = gzip.open(path, "rb") if gzipped else path.open("rb")  # noqa: SIM115
    return cast(IO[bytes], opened)


def _read_exactly(handle: IO[bytes], count: int, path: Path) -> bytes:
    try:
        return handle.read(count)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: damaged gzip file ({exc}); download it again") from exc


def read_idx(path: str | os.PathLike[str], expected_ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (gzip or not) into a NumPy array, checking its header against its size.

    ``expected_ndim`` (1 for labels, 3 for images) turns a swapped images/labels file into a clear
    error instead of a shape mismatch later. A gzip file is inflated only as far as its header
    promises, so a small file that would inflate to gigabytes is refused, not unpacked.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with _open(path) as handle:
        magic_bytes = _read_exactly(handle, 4, path)
        dims, dtype = _header(path, handle, magic_bytes, expected_ndim)
        expected_bytes = math.prod(dims) * dtype.itemsize
        if expected_bytes > MAX_BYTES:
            raise DataError(
                f"{path}: the header promises shape {list(dims)} ({expected_bytes:,} bytes), "
                f"more than any digit set ({MAX_BYTES:,} bytes at most); refusing to read it"
            )
        body = _read_exactly(handle, expected_bytes + 1, path)
    if len(body) != expected_bytes:
        problem = "truncated" if len(body) < expected_bytes else "has extra bytes"
        follow = f"{len(body)} bytes follow" if len(body) < expected_bytes else "more follow"
        raise DataError(
            f"{path}: {problem}: the header promises shape {list(dims)} "
            f"({expected_bytes} bytes of data) but {follow}"
        )
    array = np.frombuffer(body, dtype=dtype).reshape(dims)
    return array.astype(dtype.newbyteorder("="), copy=True)


def _header(
    path: Path, handle: IO[bytes], data: bytes, expected_ndim: int | None
) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and type an IDX header (magic number, then one uint32 per dimension) gives."""
    if len(data) < 4:
        raise DataError(f"{path}: only {len(data)} bytes, too short to be an IDX file")
    magic = int.from_bytes(data[:4], "big")
    if data[0] != 0 or data[1] != 0 or data[2] not in _TYPES or data[3] == 0:
        raise DataError(
            f"{path}: not an IDX file (magic number 0x{magic:08X}; expected "
            "0x00000803 for images or 0x00000801 for labels)"
        )
    ndim = data[3]
    if expected_ndim is not None and ndim != expected_ndim:
        raise DataError(
            f"{path}: magic number 0x{magic:08X} says {ndim}-D data, expected "
            f"{_KIND.get(expected_ndim, f'{expected_ndim}-D data')}"
        )
    sizes = _read_exactly(handle, 4 * ndim, path)
    if len(sizes) < 4 * ndim:
        raise DataError(
            f"{path}: truncated header ({4 + len(sizes)} bytes, expected {4 + 4 * ndim})"
        )
    return struct.unpack(f">{ndim}I", sizes), _TYPES[data[2]]


def write_idx(array: np.ndarray, path: str | os.PathLike[str]) -> Path:
    """Write ``array`` as an IDX file, gzip-compressed when ``path`` ends in ``.gz``; atomic."""
    path = Path(path)
    array = np.asarray(array)
    big_endian = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    if big_endian not in _CODES:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    header = bytes([0, 0, _CODES[big_endian], array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    payload = header + array.astype(big_endian).tobytes()
    if path.suffix == ".gz":
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    with atomic_write(path) as handle:
        handle.write(payload)
    return path
