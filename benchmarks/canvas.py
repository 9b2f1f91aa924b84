"""Benchmark: reading digits as people draw them on the pad, `pad` recipe vs `fast`.

The MNIST test set is rendered as canvas drawings: each digit scaled to a random size and put at
a random place on the pad's 280x280 canvas, its strokes redrawn from thin (a fine pen) to very
thick (a marker), as dark ink on white paper or as ink on a transparent canvas. Every rendering
then goes through the pad's own path (``to_mnist_style``, the model's normalisation inside the
``Classifier``). Both recipes are trained in the same run on the same data; the table gives test
accuracy on MNIST itself and on the renderings, overall and per stroke width, and training time.
Goal for ``pad``: >= 99 % on both, trained in <= 60 s on a 2-core CPU.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch
from PIL import Image, ImageFilter

from benchmarks.common import finish, parser, real_mnist
from mnist_course.data import DigitDataset, stratified_sample
from mnist_course.images.preprocess import to_mnist_style
from mnist_course.training import evaluate, get_recipe, train

CANVAS = 280
PENS = {"thin": -5, "MNIST-like": 0, "thick": 9, "very thick": 17}
"""Stroke change at canvas scale: a min filter of that size thins, a max filter thickens."""


def render(image: np.ndarray, pen: str, rng: np.random.Generator) -> Image.Image:
    """One MNIST digit as it might arrive from the pad (any size, place, pen and background)."""
    size = int(rng.integers(90, 270))
    big = Image.fromarray(image).resize((size, size), Image.BILINEAR)
    change = PENS[pen]
    if change:
        kernel = abs(change) if abs(change) % 2 else abs(change) + 1
        big = big.filter(
            ImageFilter.MinFilter(kernel) if change < 0 else ImageFilter.MaxFilter(kernel)
        )
    ink = Image.new("L", (CANVAS, CANVAS), 0)
    ink.paste(big, tuple(int(v) for v in rng.integers(0, CANVAS - size + 1, 2)))
    if rng.random() < 0.5:  # dark ink on white paper
        return Image.fromarray(255 - np.asarray(ink))
    picture = Image.new("RGBA", ink.size, (20, 20, 20, 255))
    picture.putalpha(ink)  # ink on a transparent canvas
    return picture


def renderings(test: DigitDataset, seed: int = 0) -> tuple[DigitDataset, list[str]]:
    """Every test image rendered once, pens in turn, through the pad's preprocessing."""
    rng = np.random.default_rng(seed)
    pens = [list(PENS)[i % len(PENS)] for i in range(len(test))]
    images = [
        to_mnist_style(render(image, pen, rng))
        for image, pen in zip(test.images.numpy(), pens, strict=True)
    ]
    drawn = DigitDataset(torch.from_numpy(np.stack(images)), test.labels, test.classes, "canvas")
    return drawn, pens


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    splits = real_mnist(args.data)
    test = splits.test if args.full else stratified_sample(splits.test, 2000, seed=0)
    started = time.perf_counter()
    drawn, pens = renderings(test)
    seconds = time.perf_counter() - started
    print(f"rendered {len(drawn)} test digits as canvas drawings in {seconds:.0f} s")
    rows = []
    for name in ("fast", "pad"):
        result = train(get_recipe(name), splits.train, progress=False)
        canvas = evaluate(result.model, drawn)
        row = {
            "recipe": name,
            "train seconds": result.train_seconds,
            "MNIST test": evaluate(result.model, test).accuracy,
            "canvas": canvas.accuracy,
        }
        for pen in PENS:
            chosen = torch.tensor([p == pen for p in pens])
            row[f"canvas, {pen}"] = canvas.correct[chosen].float().mean().item()
        rows.append(row)
    table = pd.DataFrame(rows).set_index("recipe")
    figures = {
        "test_images": len(test),
        **{
            f"{recipe}_{key.replace(' ', '_').replace(',', '')}": round(float(value), 4)
            for recipe, row in table.iterrows()
            for key, value in row.items()
        },
    }
    finish("Canvas-like renderings of the MNIST test set", table.round(4), figures)


if __name__ == "__main__":
    main()
