"""Write files so that a crash or a stop button never leaves half a file behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import CourseError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it over ``path`` in one step.

    If the body raises, the temporary file is removed and ``path`` keeps its old content.

    >>> with atomic_write("/tmp/example.txt", "w") as f:
    ...     _ = f.write("all or nothing")
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp_name, 0o666 & ~_current_umask())  # mkstemp makes 0600; keep usual permissions
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


@contextmanager
def exclusive_lock(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold a lock file (holding our process id) while the body runs; refuse if another holds it.

    A lock left behind by a process that no longer exists (killed, crashed) is taken over.
    """
    lock = Path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _lock_owner(lock)
            if owner is not None and _alive(owner):
                raise CourseError(
                    f"{lock.with_suffix('')}: another run (process {owner}) is writing there; "
                    "wait for it or choose another path"
                ) from None
            lock.unlink(missing_ok=True)  # stale: its owner is gone
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
        break
    else:
        raise CourseError(f"{lock}: could not take the lock")
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)


def _lock_owner(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to someone else
        return True
    return True
