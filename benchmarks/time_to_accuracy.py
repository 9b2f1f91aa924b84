"""Benchmark 2: training seconds until the test accuracy first reaches 99.0 %.

The ``fast`` recipe trains on all 60,000 training images; after every epoch the test accuracy is
measured (outside the timed training). ``seconds_to_99`` is the training time at the first
epoch that reaches 99.0 %, median over seeds. ``--full`` also trains the ``best`` recipe once
and reports the highest test accuracy the course reaches and how long that takes.
"""

from __future__ import annotations

import pandas as pd

from benchmarks.common import finish, median, parser, real_mnist
from mnist_course.training import EpochEnd, evaluate, get_recipe, train

TARGET = 0.99


def accuracy_per_epoch(recipe_name: str, seed: int, splits) -> pd.DataFrame:
    """Train on all training images, scoring the test set after each epoch (outside the timing)."""
    rows = []

    def score(epoch: EpochEnd) -> None:
        rows.append(
            {
                "epoch": int(epoch.history["epoch"].iloc[-1]),
                "seconds": float(epoch.history["seconds"].sum()),
                "test_accuracy": evaluate(epoch.model, splits.test).accuracy,
            }
        )

    recipe = get_recipe(recipe_name).replace(seed=seed)
    train(recipe, splits.train, None, progress=False, callbacks=[score])
    return pd.DataFrame(rows)


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    splits = real_mnist(args.data)
    seeds = (0, 1, 2)
    runs = []
    for seed in seeds:
        curve = accuracy_per_epoch("fast", seed, splits)
        reached = curve[curve["test_accuracy"] >= TARGET]
        runs.append(
            {
                "recipe": "fast",
                "seed": seed,
                "seconds_to_99": float(reached["seconds"].iloc[0])
                if len(reached)
                else float("nan"),
                "final_accuracy": float(curve["test_accuracy"].iloc[-1]),
                "train_seconds": float(curve["seconds"].iloc[-1]),
            }
        )
        print(runs[-1], flush=True)
    figures = {
        "seconds_to_99": round(median([r["seconds_to_99"] for r in runs]), 2),
        "fast_accuracy": round(median([r["final_accuracy"] for r in runs]), 4),
    }
    if args.full:
        curve = accuracy_per_epoch("best", 0, splits)
        best = curve.loc[curve["test_accuracy"].idxmax()]
        runs.append(
            {
                "recipe": "best",
                "seed": 0,
                "seconds_to_99": float("nan"),
                "final_accuracy": float(curve["test_accuracy"].iloc[-1]),
                "train_seconds": float(curve["seconds"].iloc[-1]),
            }
        )
        figures |= {
            "best_test_accuracy": round(float(curve["test_accuracy"].iloc[-1]), 4),
            "best_seconds": round(float(curve["seconds"].iloc[-1]), 1),
            "best_epoch_accuracy": round(float(best["test_accuracy"]), 4),
        }
    table = pd.DataFrame(runs).set_index(["recipe", "seed"])
    finish("Time to 99 % test accuracy (training seconds)", table, figures)


if __name__ == "__main__":
    main()
