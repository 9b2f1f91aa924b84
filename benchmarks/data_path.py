"""Benchmark 1: one training epoch through the usual PyTorch data path vs the course's.

(a) ``torchvision.datasets.MNIST`` + ``ToTensor`` + ``Normalize`` + ``DataLoader``: what every
report and the PyTorch example use; each image goes through PIL and is collated in Python.
(b) ``BatchIterator``: the uint8 tensors stay in memory, each batch is one index and one
conversion; the model (a ``Classifier``) normalises the batch itself.
Same model, batch size, optimizer and seed; measured alternately in one run, median of repeats.
``--quick`` (default) times the first 300 batches of an epoch; ``--full`` whole epochs.

A third row per path times the batches alone (no model), so the table also shows why the ratio
for a given model cannot exceed ``(data + model) / model``: the ``ceiling`` column is the ratio
the epoch would reach if the course's data path cost nothing at all.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from benchmarks.common import finish, median, parser, real_mnist
from mnist_course import BatchIterator, Normalization, compute_normalization, seed_everything
from mnist_course.data import write_idx
from mnist_course.models import build_model
from mnist_course.models.classifier import Classifier

BATCH = 64
USUAL, COURSE = "torchvision + DataLoader", "in-memory BatchIterator"
DATA_ONLY = "(data only)"


def torchvision_loader(train, root: Path, mean: float, std: float) -> DataLoader:
    """The reports' pipeline, reading real IDX files through torchvision's own MNIST class."""
    raw = root / "MNIST" / "raw"
    write_idx(train.images.numpy(), raw / "train-images-idx3-ubyte")
    write_idx(train.labels.numpy().astype("uint8"), raw / "train-labels-idx1-ubyte")
    write_idx(train.images[:1].numpy(), raw / "t10k-images-idx3-ubyte")
    write_idx(train.labels[:1].numpy().astype("uint8"), raw / "t10k-labels-idx1-ubyte")
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mean,), (std,))])
    dataset = datasets.MNIST(str(root), train=True, download=False, transform=pipeline)
    return DataLoader(dataset, batch_size=BATCH, shuffle=True)


def timed_batches(batches: Iterable, limit: int | None) -> float:
    """Seconds to produce ``limit`` batches and nothing else: the data path's own cost."""
    started = time.perf_counter()
    for step, (images, labels) in enumerate(batches, start=1):
        images.sum(), labels.sum()  # touch the data, as a model's first layer would
        if limit is not None and step >= limit:
            break
    return time.perf_counter() - started


def timed_epoch(
    arch: str, batches: Iterable, limit: int | None, normalization: Normalization | None
) -> float:
    """Seconds to train ``arch`` (SGD lr 0.01) over ``batches``, at most ``limit`` of them.

    With ``normalization`` the network is wrapped in a ``Classifier`` that normalises each
    batch, as training does; without, the batches arrive normalised (torchvision's path).
    """
    seed_everything(0)
    model = build_model(arch)
    if normalization is not None:
        model = Classifier(model, normalization, classes=[str(d) for d in range(10)])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    model.train()
    started = time.perf_counter()
    for step, (images, labels) in enumerate(batches, start=1):
        loss = F.nll_loss(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if limit is not None and step >= limit:
            break
    return time.perf_counter() - started


def timed(
    arch: str | None, batches: Iterable, limit: int | None, normalization: Normalization | None
) -> float:
    """An epoch of ``arch`` over ``batches``, or with no model the batches alone."""
    if arch is None:
        return timed_batches(batches, limit)
    return timed_epoch(arch, batches, limit, normalization)


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    train = real_mnist(args.data).train
    stats = compute_normalization(train.images)
    limit, repeats = (None, 3) if args.full else (300, 3)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        loader = torchvision_loader(train, Path(scratch), stats.mean, stats.std)
        fast = BatchIterator(train, BATCH, shuffle=True)
        for arch in (None, "cnn3", "mlp"):
            times: dict[str, list[float]] = {USUAL: [], COURSE: []}
            for _ in range(repeats):  # alternate, so drift in machine load hits both alike
                times[USUAL].append(timed(arch, loader, limit, None))
                times[COURSE].append(timed(arch, fast, limit, stats))
            for path, values in times.items():
                rows.append(
                    {"model": arch or DATA_ONLY, "data path": path, "seconds": median(values)}
                )
    table = pd.DataFrame(rows).pivot(index="model", columns="data path", values="seconds")
    seconds = table[[COURSE, USUAL]].round(2).to_dict(orient="index")
    usual, course = table[USUAL], table[COURSE]
    table["speedup"] = usual / course
    model_alone = (course - course.loc[DATA_ONLY]).clip(lower=1e-9)
    table["ceiling"] = (usual / model_alone).where(table.index != DATA_ONLY)
    scope = "full epoch" if args.full else f"first {limit} batches of an epoch"
    figures = {
        "data_path_speedup": round(float(table.loc["cnn3", "speedup"]), 2),
        "data_path_speedup_mlp": round(float(table.loc["mlp", "speedup"]), 2),
        "data_only_speedup": round(float(table.loc[DATA_ONLY, "speedup"]), 1),
        "data_path_ceiling": round(float(table.loc["cnn3", "ceiling"]), 2),
        "usual_data_share_cnn3": round(float(usual.loc[DATA_ONLY] / usual.loc["cnn3"]), 3),
        "seconds": seconds,
        "scope": scope,
    }
    finish(
        f"Data path: seconds for the {scope}, batch {BATCH}, SGD (median of {repeats})",
        table.round(2),
        figures,
    )


if __name__ == "__main__":
    main()
