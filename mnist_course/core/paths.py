"""Where the course looks for data, so every notebook and command agrees on one folder."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import DataError

DATA_ENV_VAR = "MNIST_COURSE_DATA"
_CHECKOUT = Path(__file__).resolve().parents[1]


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """Return the data root: the argument, else ``$MNIST_COURSE_DATA``, else the course's ``data/``.

    The last fallback is the checkout's ``data/`` folder when the package runs from a source
    checkout (so notebooks in ``notebooks/`` and commands run from the top share one download),
    and ``./data`` otherwise. A root that exists but is a file is an error (``DataError``), not
    something to download into.

    >>> data_root("~/mnist") == Path.home() / "mnist"
    True
    """
    if root is not None:
        return _folder(Path(root).expanduser(), "the data root")
    from_env = os.environ.get(DATA_ENV_VAR)
    if from_env:
        return _folder(Path(from_env).expanduser(), DATA_ENV_VAR)
    if (_CHECKOUT / "pyproject.toml").is_file():
        return _CHECKOUT / "data"
    return Path("data")


def _folder(path: Path, what: str) -> Path:
    if path.exists() and not path.is_dir():
        raise DataError(
            f"{path}: is a file, not a folder; {what} must be the folder that holds "
            "MNIST/raw/ (or where downloads may go)"
        )
    return path
