"""Benchmark 4: from drawn strokes to probabilities, one image at a time, on the CPU.

What the drawing widget does after every stroke: rasterise the strokes (Pillow), MNIST-style
preprocessing (crop, 20-pixel box, centre of mass), normalise, run the model, softmax. Reports
p50 and p95 in milliseconds over many repetitions, per architecture (untrained weights: the time
does not depend on what the weights are).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch

from benchmarks.common import finish, parser
from mnist_course.data import MNIST_NORMALIZATION
from mnist_course.images.strokes import Stroke, rasterize
from mnist_course.inference.predict import predict_image
from mnist_course.models import build_model
from mnist_course.models.classifier import Classifier

SEVEN = [Stroke(18, [(56, 42), (224, 42), (126, 252)])]


def measure(arch: str, repeats: int) -> list[float]:
    classifier = Classifier(build_model(arch), MNIST_NORMALIZATION, "0123456789").eval()
    for _ in range(20):  # warm-up: first calls allocate and pick kernels
        predict_image(classifier, rasterize(SEVEN, 280))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        predict_image(classifier, rasterize(SEVEN, 280))
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    torch.set_num_threads(1 if not args.full else torch.get_num_threads())
    repeats = 2000 if args.full else 300
    rows = []
    for arch in ("fast", "mlp", "cnn3", "cnn5"):
        times = measure(arch, repeats)
        rows.append(
            {"model": arch, "p50_ms": np.percentile(times, 50), "p95_ms": np.percentile(times, 95)}
        )
    table = pd.DataFrame(rows).set_index("model").round(3)
    figures = {
        "latency_p50_ms": float(table.loc["fast", "p50_ms"]),
        "latency_p95_ms": float(table.loc["fast", "p95_ms"]),
        "by_model": table.to_dict(orient="index"),
        "threads": torch.get_num_threads(),
    }
    finish(f"Strokes -> probabilities, one image, {repeats} repeats", table, figures)


if __name__ == "__main__":
    main()
