"""Where the course looks for data, so every notebook and command agrees on one folder."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV_VAR = "MNIST_COURSE_DATA"
_CHECKOUT = Path(__file__).resolve().parents[1]


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """Return the data root: the argument, else ``$MNIST_COURSE_DATA``, else the course's ``data/``.

    The last fallback is the checkout's ``data/`` folder when the package runs from a source
    checkout (so notebooks in ``notebooks/`` and commands run from the top share one download),
    and ``./data`` otherwise.

    >>> data_root("~/mnist") == Path.home() / "mnist"
    True
    """
    if root is not None:
        return Path(root).expanduser()
    from_env = os.environ.get(DATA_ENV_VAR)
    if from_env:
        return Path(from_env).expanduser()
    if (_CHECKOUT / "pyproject.toml").is_file():
        return _CHECKOUT / "data"
    return Path("data")
