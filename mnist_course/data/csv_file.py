"""A CSV file as people save it: gzip or not, its text encoding, and whether it is text at all.

``sniff`` finds out how to open a file (``.csv.gz`` recognised by content; UTF-8 with or without
a byte-order mark, UTF-16, any other 8-bit text read as Latin-1) or says what it is instead (a
spreadsheet, an image, random bytes); ``CsvFile.records`` reads it line by line, numbered as an
editor numbers them.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from ..core.errors import DataError

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
class CsvFile:
    """A CSV file with the compression and text encoding it was found to use."""

    path: Path
    gzipped: bool
    encoding: str

    def open_bytes(self) -> IO[bytes]:
        opened = gzip.open(self.path, "rb") if self.gzipped else self.path.open("rb")  # noqa: SIM115
        return cast(IO[bytes], opened)

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


def sniff(path: Path) -> CsvFile:
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
    return CsvFile(path, gzipped, encoding)


_OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def check_separator(path: Path, line: int, fields: list[str]) -> None:
    """A file separated by something other than commas, named as such (not '1 columns')."""
    if len(fields) != 1:
        return
    for separator, name in _OTHER_SEPARATORS.items():
        if fields[0].count(separator) >= 2:
            raise DataError(
                f"{path}: line {line} holds values separated by {name}, not commas; save it as "
                f"comma-separated CSV (pandas: pd.read_csv(path, sep={separator!r}).to_csv(new, "
                "index=False))"
            )
