"""Progress over several training runs: one bar, which run of how many, the scores, one last line.

A study trains many runs, and a cell that trains them would otherwise sit silent for minutes.
``RunsProgress`` wraps the list of runs the way ``tqdm`` wraps any list: iterate over it, train
each run with its ``on_progress`` hook (``train(..., progress=False, on_progress=...)``) so the
bar moves within a run too, and report each run's score. The bar says which run is training, of
how many, and the last and best scores so far; it goes away at the end of the loop (or of a
``with`` block around it) and leaves one line::

    runs = RunsProgress([0.01, 0.1], epochs=8, label=lambda lr: f"lr {lr:g}")
    for lr in runs:
        result = train(recipe.replace(lr=lr), ..., progress=False, on_progress=runs.on_progress)
        runs.score(result.best_score, result.status)
    # 2 runs in 1 min 4 s: best lr 0.1, val 97.85%
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from .formatting import duration, percent
from .runtime import saved_copy


def progress_bar(*args: Any, **kwargs: Any):
    """A tqdm bar: the notebook's widget bar live, plain text (on stdout) in a saved copy."""
    if saved_copy():
        from tqdm.std import tqdm

        if kwargs.get("leave") is False:  # a bar that clears itself when done: nothing to keep
            kwargs["disable"] = True
        kwargs.setdefault("file", sys.stdout)
        kwargs.setdefault("mininterval", 1.0)
        return tqdm(*args, **kwargs)
    from tqdm.auto import tqdm

    return tqdm(*args, **kwargs)


T = TypeVar("T")
BAR_FORMAT = "{desc}{percentage:3.0f}%|{bar}| {elapsed}<{remaining}{postfix}"


class RunsProgress(Generic[T]):
    """One progress bar over ``items``, one training run each, and a closing line.

    ``epochs`` (one number, or one per item) weighs the runs, so the bar and its time estimate
    move with the epochs trained. ``score_name`` names the score ``score`` reports (a share of
    1, higher is better): ``val`` for validation accuracy. ``enabled=False`` shows nothing.
    """

    def __init__(
        self,
        items: Iterable[T],
        epochs: int | Sequence[int] = 1,
        *,
        label: Callable[[T], str] = str,
        score_name: str = "val",
        noun: str = "runs",
        enabled: bool = True,
    ) -> None:
        self.items = list(items)
        self.epochs = [epochs] * len(self.items) if isinstance(epochs, int) else list(epochs)
        if len(self.epochs) != len(self.items):
            raise ValueError(f"{len(self.epochs)} epoch counts for {len(self.items)} runs")
        self.label, self.score_name, self.noun, self.enabled = label, score_name, noun, enabled
        self.scores: list[tuple[str, float | None, str]] = []
        """``(label, score, status)`` of every run reported so far."""
        self.summary: str | None = None
        """The closing line, once the runs are over (or stopped)."""
        self._bar: Any = None  # a tqdm bar while the runs go
        self._index = -1
        self._finished = 0
        self._started = 0.0
        self._epochs_done = 0

    def __len__(self) -> int:
        return len(self.items)

    def __enter__(self) -> RunsProgress[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()  # also when a run raises: the bar goes, the line says how far it got

    def __iter__(self) -> Iterator[T]:
        self._started = time.perf_counter()
        self._bar = progress_bar(
            total=sum(self.epochs),
            bar_format=BAR_FORMAT,
            leave=False,
            disable=not self.enabled,
            dynamic_ncols=True,
        )
        try:
            for index, item in enumerate(self.items):
                self._index, self._epochs_done = index, 0
                self._bar.set_description(
                    f"run {index + 1} of {len(self.items)} ({self.label(item)})", refresh=True
                )
                yield item
                self._finished = index + 1
                self._move_to(sum(self.epochs[: index + 1]))
        finally:
            self.close()

    def on_progress(self, step: int, steps: int, mean_loss: float) -> None:
        """``train``'s progress hook: move the bar within the current run."""
        if self._index < 0:
            return
        if step == steps:
            self._epochs_done += 1
        start = sum(self.epochs[: self._index])
        within = self._epochs_done + (step / steps if step < steps else 0)
        done = min(within, self.epochs[self._index])
        self._move_to(start + done)

    def score(self, value: float | None, status: str = "completed") -> None:
        """Report the run just trained: its score (NaN or ``None`` for none) and status."""
        label = self.label(self.items[self._index])
        self._finished = self._index + 1
        value = None if value is None or math.isnan(value) else float(value)
        self.scores.append((label, value if status != "diverged" else None, status))
        shown = percent(value) if value is not None and status != "diverged" else status
        postfix = f"last {self.score_name} {shown}"
        best = self._best()
        if best is not None and len(self.scores) > 1:
            postfix += f", best {percent(best[1])} ({best[0]})"
        if self._bar is not None:
            self._bar.set_postfix_str(postfix, refresh=True)

    def close(self) -> None:
        """End the bar and print the closing line (once; the loop's end does it by itself)."""
        if self.summary is not None:
            return
        if self._bar is not None:
            self._bar.close()
        self.summary = self._closing_line()
        if self.enabled:
            print(self.summary)

    def _move_to(self, position: float) -> None:
        if self._bar is not None and position > self._bar.n:
            self._bar.update(position - self._bar.n)

    def _best(self) -> tuple[str, float] | None:
        scored = [(label, value) for label, value, _ in self.scores if value is not None]
        return max(scored, key=lambda pair: pair[1]) if scored else None

    def _closing_line(self) -> str:
        taken = duration(time.perf_counter() - self._started)
        total, done = len(self.items), self._finished
        if done == total:
            line = f"{total} {self.noun} in {taken}"
        else:
            line = f"stopped after {done} of {total} {self.noun} ({taken})"
        diverged = sum(status == "diverged" for _, _, status in self.scores)
        if diverged:
            line += f", {diverged} diverged"
        best = self._best()
        if best is not None:
            line += f": best {best[0]}, {self.score_name} {percent(best[1])}"
        elif self.scores:
            line += ": none finished with a score"
        return line
