"""Benchmark: fine-tuning on a learner's own handwriting, before and after, side by side.

A learner draws 25 of each of three digits on the pad, as many Europeans write them: 1s with a
long flag (which MNIST-trained models read as 7s), crossed 7s and plain 0s, at any size, place
and pen width, saved as the pad saves them (dark ink on white, ``mine/<label>/*.png``). A
model trained on real MNIST (``pad``, what lesson 09 trains, and ``fast``) is fine-tuned on them
with ``finetune`` (MNIST mixed in), for three seeds, each keeping its own stratified quarter of
the drawings aside. The table gives the accuracy on those held-out drawings and on MNIST's test
set, before and after. Goal: the held-out drawings go up while MNIST drops by at most 0.3 points.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import pandas as pd

from benchmarks.common import finish, median, parser, real_mnist
from mnist_course.training import get_recipe, train
from mnist_course.training.finetune import finetune, load_own_digits
from tests.drawing import write_own_digits

STYLE = {"0": "0", "1": "1-flag", "7": "7-bar"}
"""The learner's digits (label -> stroke template in tests/drawing.py)."""
PER_DIGIT = 25
SEEDS = (0, 1, 2)


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    splits = real_mnist(args.data)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_own_digits(Path(tmp) / "mine", STYLE, PER_DIGIT)
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
