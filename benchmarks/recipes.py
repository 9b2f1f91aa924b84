"""Benchmark 3: every report system, trained with its report's recipe, beside the report's figure.

Each recipe runs with its own settings (optimizer, rate, batch, epochs, scheduler, normalisation,
augmentation) on full MNIST. It trains on the training images less a 10 % stratified validation
split (used to keep the best epoch), or, for a recipe with ``train_fraction`` below 1, on that
share with the rest as validation (R0: train on 20 %, test on 80 %; R3: a 20 % hold-out); then
the 10,000 test images are scored once. ``--quick`` (the default) runs the recipes that finish in
a few minutes on a laptop CPU; ``--full`` runs every report system (hours on 2 CPU cores).
``--out DIR`` writes one JSON per recipe (figures, history, recipe) as soon as it finishes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import torch

from benchmarks.common import finish, machine, parser, real_mnist
from mnist_course.core.atomic import atomic_write
from mnist_course.data import stratified_sample
from mnist_course.training import RECIPES, EpochEnd, evaluate, split_for, train

QUICK = ("fast", "mlp-sgd")
MAX_VALIDATION = 12_000
"""Validation images scored after every epoch (R3's hold-out is 12,000; R0's 48,000 would cost
more than its training epoch, so R0 watches a stratified 12,000 of them)."""


def _print_epoch(name: str):
    def callback(end: EpochEnd) -> None:
        row = end.history.iloc[-1]
        print(
            f"{time.strftime('%H:%M:%S')} {name} epoch {int(row['epoch'])}: "
            f"train loss {row['train_loss']:.4f}, val loss {row['val_loss']:.4f}, "
            f"val {row['val_accuracy']:.4f}, lr {row['lr']:.3g}, {row['seconds']:.1f} s",
            flush=True,
        )

    return callback


def run_recipe(name: str, splits, out: Path | None) -> dict:
    """Train one recipe as its report did; return its figures (and write them under ``out``)."""
    recipe = RECIPES[name]
    train_part, validation = split_for(recipe, splits.train)
    watched = validation  # R0's 48,000 held-out images are scored once, at the end
    if len(validation) > MAX_VALIDATION:
        watched = stratified_sample(validation, MAX_VALIDATION, seed=recipe.seed)
    result = train(recipe, train_part, watched, progress=False, callbacks=[_print_epoch(name)])
    test = evaluate(result.model, splits.test)
    held_out = evaluate(result.model, validation)
    history = result.history
    row = {
        "recipe": name,
        "report": recipe.report,
        "test_accuracy": round(test.accuracy, 4),
        "val_accuracy": round(held_out.accuracy, 4),
        "report_accuracy": recipe.report_accuracy,
        "gap_pp": None
        if recipe.report_accuracy is None
        else round(100 * (test.accuracy - recipe.report_accuracy), 2),
        "epochs": result.epochs_run,
        "best_epoch": result.best_epoch,
        "train_images": len(train_part),
        "val_images": len(validation),
        "seconds": round(result.train_seconds, 1),
        "seconds_per_epoch": round(result.train_seconds / max(1, result.epochs_run), 1),
        "status": result.status,
    }
    if out is not None:
        record = {
            **row,
            "machine": machine(),
            "torch": torch.__version__,
            "watched_val_images": len(watched),
            "best_watched_val_accuracy": result.best_score,
            "final_watched_val_accuracy": float(history["val_accuracy"].iloc[-1]),
            "test_loss": test.loss,
            "recipe_settings": recipe.to_dict(),
            "history": history.to_dict(orient="records"),
        }
        with atomic_write(out / f"{name}.json", "w") as handle:
            json.dump(record, handle, indent=1)
    return row


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--recipes", nargs="+", choices=list(RECIPES), help="run only these")
    p.add_argument("--threads", type=int, help="torch CPU threads (1 leaves cores to others)")
    p.add_argument("--out", type=Path, metavar="DIR", help="write DIR/RECIPE.json per recipe")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    reports = [name for name, recipe in RECIPES.items() if recipe.report != "course"]
    names = args.recipes or (reports if args.full else list(QUICK))
    splits = real_mnist(args.data)
    print(f"{len(names)} recipes on {machine()}: {', '.join(names)}", flush=True)
    rows = []
    for name in names:
        rows.append(run_recipe(name, splits, args.out))
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows).set_index("recipe")
    table["meets_report"] = [
        None if pd.isna(r) else a >= r
        for a, r in zip(table["test_accuracy"], table["report_accuracy"], strict=True)
    ]
    finish("Report systems (test accuracy, training seconds)", table, {"recipes": rows})


if __name__ == "__main__":
    main()
