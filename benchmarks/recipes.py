"""Benchmark 3: every report recipe, trained as the report did, next to the report's accuracy.

Each recipe is trained with its own hyperparameters on MNIST's training set less a 10 % stratified
validation split (used to keep the best epoch), then scored once on the 10,000 test images.
``--quick`` (the default) runs the recipes that finish in a few minutes on a laptop CPU;
``--full`` runs them all (about an hour or more on 2 CPU cores).
"""

from __future__ import annotations

import pandas as pd

from benchmarks.common import finish, parser, real_mnist
from mnist_course.data import stratified_split
from mnist_course.training import RECIPES, evaluate, train

QUICK = ("fast", "mlp-sgd")


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--recipes", nargs="+", choices=list(RECIPES), help="run only these")
    args = p.parse_args()
    names = args.recipes or (list(RECIPES) if args.full else list(QUICK))
    splits = real_mnist(args.data)
    train_part, validation = stratified_split(splits.train, validation=0.1, seed=0)
    rows = []
    for name in names:
        recipe = RECIPES[name]
        result = train(recipe, train_part, validation, progress=False)
        accuracy = evaluate(result.model, splits.test).accuracy
        rows.append({
            "recipe": name, "accuracy": round(accuracy, 4),
            "report_accuracy": recipe.report_accuracy, "seconds": round(result.train_seconds, 1),
            "epochs": result.epochs_run, "status": result.status,
        })  # fmt: skip
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows).set_index("recipe")
    table["meets_report"] = [
        None if pd.isna(r) else a >= r
        for a, r in zip(table["accuracy"], table["report_accuracy"], strict=True)
    ]
    finish("Reference recipes (test accuracy, training seconds)", table, {"recipes": rows})


if __name__ == "__main__":
    main()
