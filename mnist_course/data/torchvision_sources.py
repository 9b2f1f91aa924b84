"""MNIST, Fashion-MNIST and EMNIST Balanced through torchvision, offline when the files are there.

Files already under ``<root>/<Name>/raw/`` (gz or not) are read in place: nothing is downloaded or
extracted, so a read-only shared copy works. ``.gz`` files are checked against torchvision's own
MD5 list (``check_integrity``) before use. Only when files are missing, and ``download`` is true,
does torchvision download them (with its checksums); a failed download becomes a clear error.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from torchvision import datasets
from torchvision.datasets.utils import check_integrity

from ..core.errors import DataError
from .dataset import DIGIT_CLASSES, DataSplits
from .idx_folder import find_idx_files, missing_parts, read_idx_splits

DOWNLOAD_TIMEOUT_S = 60


@dataclass(frozen=True)
class TorchvisionSource:
    """How one torchvision dataset is laid out on disk and how to download it."""

    name: str
    dataset_class: type
    classes: tuple[str, ...]
    prefix: str = ""
    transpose: bool = False
    download_kwargs: tuple[tuple[str, str], ...] = ()

    @property
    def folder(self) -> str:
        return self.dataset_class.__name__

    def checksums(self) -> dict[str, str]:
        """MD5 of each distributed ``.gz`` file, from torchvision (EMNIST has one zip only)."""
        return dict(getattr(self.dataset_class, "resources", []))


SOURCES: dict[str, TorchvisionSource] = {
    "mnist": TorchvisionSource("MNIST", datasets.MNIST, DIGIT_CLASSES),
    "fashion-mnist": TorchvisionSource(
        "Fashion-MNIST", datasets.FashionMNIST, tuple(datasets.FashionMNIST.classes)
    ),
    # EMNIST images are stored transposed; the letters/digits read correctly after a transpose.
    "emnist-balanced": TorchvisionSource(
        "EMNIST Balanced",
        datasets.EMNIST,
        tuple(datasets.EMNIST.classes_split_dict["balanced"]),
        prefix="emnist-balanced-",
        transpose=True,
        download_kwargs=(("split", "balanced"),),
    ),
}


@contextmanager
def _network_timeout(seconds: float) -> Iterator[None]:
    """torchvision's downloader sets no timeout; without one, a dead network can hang forever."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _download(spec: TorchvisionSource, root: Path) -> None:
    raw = root / spec.folder / "raw"
    try:
        with _network_timeout(DOWNLOAD_TIMEOUT_S):
            spec.dataset_class(str(root), train=True, download=True, **dict(spec.download_kwargs))
    except (RuntimeError, OSError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"could not download {spec.name} into {raw} ({first_line}). Without internet, copy "
            f"the {spec.name} files into {raw}, or set MNIST_COURSE_DATA to a folder that has "
            f"{spec.folder}/raw/ in it, or use the offline source 'digits'"
        ) from exc


def _verify(spec: TorchvisionSource, path: Path) -> None:
    expected = spec.checksums().get(path.name)
    if expected is not None and not check_integrity(str(path), expected):
        raise DataError(
            f"{path}: checksum does not match torchvision's MD5 for {spec.name} "
            "(damaged or not the original file); delete it so that it is downloaded again, or "
            "copy the original file there"
        )


def load_torchvision(
    name: str, root: Path, download: bool = True, verify: bool = True
) -> DataSplits:
    """Load ``name`` (mnist, fashion-mnist, emnist-balanced) from ``root``; download if allowed."""
    spec = SOURCES[name]
    raw = root / spec.folder / "raw"
    for folder in (root, root / spec.folder, raw):
        if folder.exists() and not folder.is_dir():
            raise DataError(
                f"{folder}: is a file, not a folder; the {spec.name} files belong in {raw}/"
            )
    files = find_idx_files(raw, spec.prefix)
    if missing := missing_parts(files):
        if not download:
            raise DataError(
                f"no {spec.name} files in {raw} (missing: {', '.join(missing)}). "
                "Let the course download them (it needs internet), copy them there, or set "
                f"MNIST_COURSE_DATA to a folder that has {spec.folder}/raw/ in it"
            )
        _download(spec, root)
        files = find_idx_files(raw, spec.prefix)
        if missing_parts(files):
            raise DataError(f"the {spec.name} download finished but {raw} still lacks files")
    if verify:
        for path in files.values():
            _verify(spec, path)
    return read_idx_splits(files, spec.classes, name=spec.name, transpose=spec.transpose)
