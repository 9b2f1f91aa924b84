"""Benchmark: fine-tuning on a learner's own handwriting, before and after, side by side.

A learner draws 25 of each of three digits on the pad, as many Europeans write them: 1s with a
long flag (which MNIST-trained models read as 7s), crossed 7s and plain 0s, at any size, place
and pen width, saved as the pad saves them (dark ink on white, ``mine/<label>/*.png``). A
model trained on real MNIST (``pad``, what lesson 07 trains, and ``fast``) is fine-tuned on them
with ``finetune`` (MNIST mixed in), for three seeds, each keeping its own stratified quarter of
the drawings aside. The table gives the accuracy on those held-out drawings and on MNIST's test
set, before and after. Goal: the held-out drawings go up while MNIST drops by at most 0.3 points.
"""

from __future__ import annotations

import copy
import random
import tempfile
from pathlib import Path

import pandas as pd
from PIL import ImageOps

from benchmarks.common import finish, median, parser, real_mnist
from mnist_course.finetune import finetune, load_own_digits
from mnist_course.training import get_recipe, train
from tests.drawing import draw_digit

STYLE = {"0": "0", "1": "1-flag", "7": "7-bar"}
"""The learner's digits (label -> stroke template in tests/drawing.py)."""
PER_DIGIT = 25
SEEDS = (0, 1, 2)


def draw_own_digits(folder: Path, seed: int = 0) -> Path:
    """PER_DIGIT drawings of each digit in STYLE, each a little different, as the pad saves them."""
    rng = random.Random(seed)
    for label, template in STYLE.items():
        (folder / label).mkdir(parents=True, exist_ok=True)
        for index in range(PER_DIGIT):
            size = rng.uniform(0.35, 0.8)
            left, top = rng.uniform(0, 1 - size), rng.uniform(0, 1 - size)
            picture = draw_digit(template, box=(left, top, left + size, top + size),
                                 width=rng.uniform(0.05, 0.18))  # fmt: skip
            ImageOps.invert(picture).save(folder / label / f"{index:03}.png")
    return folder


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    splits = real_mnist(args.data)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = draw_own_digits(Path(tmp) / "mine")
        for name in ("pad", "fast"):
            base = train(get_recipe(name), splits.train, progress=False).model
            own = load_own_digits(folder, base.classes)
            for seed in SEEDS:
                report = finetune(copy.deepcopy(base), own, splits, seed=seed)  # it trains in place
                rows.append({
                    "base": name, "seed": seed, "holdout images": report.holdout,
                    "own before": report.holdout_accuracy_before,
                    "own after": report.holdout_accuracy_after,
                    "MNIST before": report.mnist_test_accuracy_before,
                    "MNIST after": report.mnist_test_accuracy_after,
                    "status": report.status,
                })  # fmt: skip
    table = pd.DataFrame(rows).set_index(["base", "seed"])
    table["MNIST drop (pp)"] = 100 * (table["MNIST before"] - table["MNIST after"])
    figures = {"own_images": PER_DIGIT * len(STYLE)}
    for name in ("pad", "fast"):
        runs = table.loc[name]
        figures[name] = {
            "own_before_median": round(median(list(runs["own before"])), 4),
            "own_after_median": round(median(list(runs["own after"])), 4),
            "mnist_drop_pp_max": round(float(runs["MNIST drop (pp)"].max()), 2),
        }
    finish("Fine-tuning on a learner's own drawings (held out), and MNIST's test set",
           table.round(4), figures)  # fmt: skip


if __name__ == "__main__":
    main()
