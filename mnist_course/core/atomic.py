"""Write files so that a crash or a stop button never leaves half a file behind."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import CourseError

try:  # POSIX: a lock the kernel holds for the process and drops when it dies
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

FRESH_LOCK_SECONDS = 30.0
"""Without fcntl, an empty lock file younger than this is an owner still writing its PID."""


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it over ``path`` in one step.

    If the body raises, the temporary file is removed and ``path`` keeps its old content. A
    failure of the file system itself (a full disk, no permission) becomes a ``CourseError``
    that names ``path``.

    >>> with atomic_write("/tmp/example.txt", "w") as f:
    ...     _ = f.write("all or nothing")
    """
    target = Path(path)
    tmp_name = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.chmod(tmp_name, 0o666 & ~_current_umask())  # mkstemp makes 0600; keep usual permissions
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except OSError as exc:
        _remove(tmp_name)
        keep = "; the file there before, if any, is unchanged" if target.exists() else ""
        raise CourseError(f"{target}: could not write it ({exc.strerror or exc}){keep}") from exc
    except BaseException:
        _remove(tmp_name)
        raise


def _remove(name: str | None) -> None:
    if name is not None:
        Path(name).unlink(missing_ok=True)


@contextmanager
def exclusive_lock(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold a lock file (holding our process id) while the body runs; refuse if another holds it.

    On Linux and macOS the lock is an ``fcntl.flock`` on the file: taking it is one atomic step,
    and the kernel lets go when its process ends, so a lock left by a killed run is free again.
    Elsewhere the file is created exclusively; one whose owner no longer runs is taken over.
    """
    lock = Path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    take = _take_flock if fcntl is not None else _take_exclusive_file
    release = take(lock)
    try:
        yield lock
    finally:
        release()


def _busy(lock: Path, owner: int | None) -> CourseError:
    who = f"process {owner}" if owner is not None else "a process that is starting"
    return CourseError(
        f"{lock.with_suffix('')}: another run ({who}) is writing there; "
        "wait for it or choose another path"
    )


def _take_flock(lock: Path):
    """Lock ``lock`` with flock; the file at the path must still be the one locked."""
    while True:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise _busy(lock, _lock_owner(lock)) from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if not same:  # its last owner removed it between our open and our lock: again
            os.close(fd)
            continue
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())

        def release(fd: int = fd) -> None:
            lock.unlink(missing_ok=True)  # while still held: nobody can lock this file after us
            os.close(fd)

        return release


def _take_exclusive_file(lock: Path):
    """Create ``lock`` exclusively; take over one whose owner is gone."""
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _lock_owner(lock)
            if (owner is not None and _alive(owner)) or (owner is None and _fresh(lock)):
                raise _busy(lock, owner) from None
            lock.unlink(missing_ok=True)  # stale: its owner is gone
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
        return lambda: lock.unlink(missing_ok=True)
    raise CourseError(f"{lock}: could not take the lock")


def _fresh(lock: Path) -> bool:
    try:
        return time.time() - lock.stat().st_mtime < FRESH_LOCK_SECONDS
    except FileNotFoundError:
        return False


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
    except OSError:  # Windows: no such process
        return False
    return True
