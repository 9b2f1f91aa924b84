"""``python -m mnist_course``: the course's command line.

Every command prints a readable summary, and with ``--json`` one JSON object as its last stdout
line. Bad input ends with exit status 2 and a single ``error:`` line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from .cli_output import emit
from .core.errors import CourseError
from .core.runtime import pick_device
from .data import SOURCE_NAMES, DigitDataset, compute_normalization, load_data
from .data.split import VALIDATION, stratified_sample
from .inference.evaluation import confusion, per_class_report
from .inference.export import export_model
from .inference.predict import predict_file
from .models import ARCHITECTURES
from .training import (
    RECIPES,
    CheckpointError,
    Recipe,
    base_recipe_for,
    evaluate,
    get_recipe,
    last_checkpoint_path,
    load_checkpoint,
    read_checkpoint,
    split_for,
    train,
    update_metrics,
)
from .training.checkpoint import check_output_path
from .training.finetune import check_ready, finetune, load_own_digits

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage mistakes also end as one ``error:`` line with status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see {self.prog} --help)\n")


def cmd_info(args: argparse.Namespace) -> dict[str, Any]:
    """Sizes, classes and pixel statistics of a data source."""
    splits = load_data(args.source, root=args.data, download=args.download)
    stats = compute_normalization(splits.train.images)
    return {
        "source": splits.train.source,
        "train": len(splits.train),
        "test": len(splits.test),
        "classes": splits.num_classes,
        "class_names": list(splits.classes),
        "class_counts": splits.train.class_counts(),
        "mean": round(stats.mean, 6),
        "std": round(stats.std, 6),
    }


MAX_SEED = 2**32 - 1
"""NumPy's seeds are 32-bit: the largest seed every library the course seeds accepts."""


def _check_training_arguments(args: argparse.Namespace) -> None:
    """The numbers ``train`` is given, each checked before any data is loaded."""
    if not (math.isfinite(args.validation) and 0 < args.validation < 1):
        raise CourseError(
            "--validation must be a fraction between 0 and 1, such as 0.1 (the share held out "
            f"to choose the best epoch), got {args.validation}"
        )
    if args.seed is not None and not 0 <= args.seed <= MAX_SEED:
        raise CourseError(f"--seed must be a whole number from 0 to {MAX_SEED}, got {args.seed}")
    if args.limit is not None and args.limit < 1:
        raise CourseError(f"--limit must be a positive number of examples, got {args.limit}")


def _limited(pool: DigitDataset, limit: int | None, recipe: Recipe, validation: float):
    """A stratified ``limit`` examples of ``pool``, or a clear word on why that is too few."""
    if not limit or limit >= len(pool):
        return pool
    held = 1 - recipe.train_fraction if recipe.train_fraction < 1 else validation
    needed = math.ceil(pool.num_classes / min(held, 1 - held))
    if limit < needed:
        raise CourseError(
            f"--limit {limit} is too few: holding out {held:.0%} for validation with each of "
            f"the {pool.num_classes} classes on both sides takes --limit {needed} or more"
        )
    return stratified_sample(pool, limit, seed=recipe.seed)


def _recipe_from(args: argparse.Namespace) -> Recipe:
    recipe = get_recipe(args.recipe) if args.recipe else base_recipe_for(args.arch)
    if args.arch and args.recipe and args.arch != recipe.arch:
        recipe = recipe.replace(arch=args.arch, name=f"{args.recipe}+{args.arch}")
    overrides = {
        "optimizer": args.optimizer,
        "lr": args.lr,
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "seed": args.seed,
    }
    return recipe.replace(**{key: value for key, value in overrides.items() if value is not None})


def cmd_train(args: argparse.Namespace) -> dict[str, Any]:
    """Train a recipe or an architecture; write the best checkpoint to --out."""
    _check_training_arguments(args)
    recipe = _recipe_from(args)
    if args.resume:  # a damaged run to continue is named as such, not as a path to protect
        try:
            read_checkpoint(last_checkpoint_path(args.out))
        except CheckpointError as exc:
            raise CourseError(f"cannot resume: {exc}") from exc
    check_output_path(args.out)  # before loading anything: a bad path fails at once
    splits = load_data(args.source, root=args.data, download=args.download)
    pool = _limited(splits.train, args.limit, recipe, args.validation)
    train_part, validation = split_for(recipe, pool, validation=args.validation)
    result = train(
        recipe,
        train_part,
        validation,
        device=args.device,
        checkpoint=args.out,
        resume=args.resume,
        progress=not args.no_progress,
    )
    test_accuracy = None
    if len(splits.test) and splits.test.is_labeled:
        test_accuracy = evaluate(result.model, splits.test).accuracy
        if result.checkpoint is not None:
            update_metrics(result.checkpoint, test_accuracy=test_accuracy)
    return {
        "recipe": recipe.name,
        "arch": recipe.arch,
        "status": result.status,
        "epochs": result.epochs_run,
        "best_epoch": result.best_epoch,
        "selected_by": result.selected_by,
        "best_accuracy": result.best_score,
        "test_accuracy": test_accuracy,
        "report_accuracy": recipe.report_accuracy,
        "train_seconds": round(result.train_seconds, 3),
        "device": str(result.device),
        "checkpoint": str(result.checkpoint) if result.checkpoint else None,
    }


def _nothing_saved(summary: dict[str, Any]) -> str | None:
    """Why a finished command has nothing to show for itself, if so (said as an error)."""
    if summary.get("status") == "diverged" and summary.get("checkpoint") is None:
        return (
            f"training diverged in epoch {summary['epochs']} (the loss became NaN or infinite) "
            "before any epoch finished: nothing was saved; try a lower --lr"
        )
    return None


def cmd_evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """Accuracy, confusion matrix and per-class scores of a checkpoint on a data split."""
    model = load_checkpoint(args.checkpoint, device=pick_device(args.device)).model
    splits = load_data(args.source, root=args.data, download=args.download)
    data = getattr(splits, args.split)
    if len(data) == 0:
        raise CourseError(f"{data.source} is empty; evaluate on --split train instead")
    if not data.is_labeled:
        raise CourseError(
            f"{data.source} has no labels, so there is nothing to score against; "
            "use the predict command to read unlabeled images"
        )
    model.require_classes(data.classes, data.source, model=str(args.checkpoint))
    scores = evaluate(model, data)
    labels = scores.true_labels
    report = per_class_report(labels, scores.predictions, model.classes)
    return {
        "checkpoint": str(args.checkpoint),
        "data": data.source,
        "examples": len(data),
        "accuracy": scores.accuracy,
        "loss": scores.loss,
        "confusion_matrix": confusion(labels, scores.predictions, data.num_classes).tolist(),
        "per_class": [{"class": name, **row} for name, row in report.to_dict("index").items()],
    }


def cmd_predict(args: argparse.Namespace) -> dict[str, Any]:
    """Read digits from image files (any size, dark-on-light or light-on-dark)."""
    model = load_checkpoint(args.checkpoint).model
    predictions = []
    for path in args.images:
        answer = predict_file(model, path)
        predictions.append(
            {
                "image": str(path),
                "digit": answer.index,
                "label": answer.label,
                "confidence": round(answer.confidence, 6),
                "probabilities": [round(p, 6) for p in answer.probabilities],
            }
        )
    return {"predictions": predictions}


def cmd_export(args: argparse.Namespace) -> dict[str, Any]:
    """Export a checkpoint to TorchScript or ONNX and check it answers like PyTorch."""
    report = export_model(load_checkpoint(args.checkpoint), args.format, args.out)
    return {
        "path": str(report.path),
        "format": report.format,
        "max_abs_difference": report.max_abs_difference,
        "checked_on": report.checked_on,
    }


def cmd_finetune(args: argparse.Namespace) -> dict[str, Any]:
    """Fine-tune a checkpoint on your own handwriting (DIR/<label>/*.png) mixed with MNIST."""
    if args.epochs < 1:
        raise CourseError(f"--epochs must be at least 1, got {args.epochs}")
    out = check_output_path(args.out)
    if out.resolve() == Path(args.checkpoint).resolve():
        raise CourseError(f"{out}: is the checkpoint being fine-tuned; choose another --out path")
    checkpoint = load_checkpoint(args.checkpoint, device=pick_device(args.device))
    own = load_own_digits(args.images, checkpoint.model.classes)
    check_ready(own)  # before MNIST loads: a folder that is not ready fails at once
    mnist = load_data(args.source, root=args.data, download=args.download)
    checkpoint.model.require_classes(mnist.classes, mnist.train.source, model=args.checkpoint)
    report = finetune(
        checkpoint.model,
        own,
        mnist,
        epochs=args.epochs,
        seed=args.seed,
        checkpoint=out,
        progress=not args.no_progress,
    )
    return report.as_dict()


def cmd_recipes(args: argparse.Namespace) -> dict[str, Any]:
    """Every recipe: whose it is (R0..R4 or the course's), its settings and the report's figure."""
    from .training import recipe_rows

    return {"recipes": recipe_rows()}


def _add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", metavar="ROOT", help="data root (default: $MNIST_COURSE_DATA or data/)"
    )
    parser.add_argument(
        "--source", default="mnist", help=f"one of {', '.join(SOURCE_NAMES)} (default: mnist)"
    )
    parser.add_argument(
        "--no-download", dest="download", action="store_false", help="never use the network"
    )


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="end with one JSON line")


Handler = Callable[[argparse.Namespace], dict[str, Any]]


def _command(
    commands: argparse._SubParsersAction,
    name: str,
    handler: Handler,
    *,
    data: bool = False,
    device: bool = False,
) -> argparse.ArgumentParser:
    """A subcommand running ``handler`` (its docstring is the help), with the shared options."""
    command = commands.add_parser(name, help=handler.__doc__)
    command.set_defaults(handler=handler)
    if data:
        _add_data_arguments(command)
    if device:
        command.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    _add_json(command)
    return command


def _add_train_arguments(fit: argparse.ArgumentParser) -> None:
    which = fit.add_argument_group("what to train (one of)")
    which.add_argument("--recipe", choices=list(RECIPES), help="a named recipe")
    which.add_argument("--arch", choices=list(ARCHITECTURES), help="an architecture")
    fit.add_argument("--optimizer", choices=["sgd", "adam", "adadelta"])
    fit.add_argument("--lr", type=float)
    fit.add_argument("--batch-size", type=int)
    fit.add_argument("--epochs", type=int)
    fit.add_argument("--seed", type=int)
    fit.add_argument("--out", required=True, metavar="PATH", help="best checkpoint (.pt)")
    fit.add_argument("--limit", type=int, metavar="N", help="train on a stratified N examples")
    fit.add_argument(
        "--validation",
        type=float,
        default=VALIDATION,
        help=f"share held out ({VALIDATION}; a recipe with train_fraction < 1 holds out the rest)",
    )
    fit.add_argument("--resume", action="store_true", help="continue from PATH's .last.pt")
    fit.add_argument("--no-progress", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m mnist_course", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _command(commands, "info", cmd_info, data=True)
    _add_train_arguments(_command(commands, "train", cmd_train, data=True, device=True))

    score = _command(commands, "evaluate", cmd_evaluate, data=True, device=True)
    score.add_argument("--checkpoint", required=True, metavar="PATH")
    score.add_argument("--split", choices=["test", "train"], default="test")

    guess = _command(commands, "predict", cmd_predict)
    guess.add_argument("--checkpoint", required=True, metavar="PATH")
    guess.add_argument("images", nargs="+", metavar="IMAGE")

    tune = _command(commands, "finetune", cmd_finetune, data=True, device=True)
    tune.add_argument("--checkpoint", required=True, metavar="IN")
    tune.add_argument("--images", required=True, metavar="DIR", help="DIR/<label>/*.png")
    tune.add_argument("--out", required=True, metavar="OUT", help="the fine-tuned checkpoint")
    tune.add_argument("--epochs", type=int, default=4)
    tune.add_argument("--seed", type=int, default=0)
    tune.add_argument("--no-progress", action="store_true", help="no progress bars")

    ship = _command(commands, "export", cmd_export)
    ship.add_argument("--checkpoint", required=True, metavar="PATH")
    ship.add_argument("--format", required=True, choices=["torchscript", "onnx"])
    ship.add_argument("--out", required=True, metavar="PATH")
    _command(commands, "recipes", cmd_recipes)
    return parser


def _os_error(exc: OSError) -> str:
    where = exc.filename or "a file the command uses"
    return f"{where}: {exc.strerror or exc}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; warnings are shown after a success, dropped before an ``error:`` line."""
    with warnings.catch_warnings(record=True) as heard:
        warnings.simplefilter("default")
        try:
            parser = build_parser()
            args = parser.parse_args(argv)
            if args.command == "train" and not (args.recipe or args.arch):
                parser.error("train needs --recipe NAME or --arch NAME")
            handler: Callable[[argparse.Namespace], dict[str, Any]] = args.handler
            summary = handler(args)
        except CourseError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except OSError as exc:
            print(f"error: {_os_error(exc)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt:
            print("error: interrupted", file=sys.stderr)
            return 130
    for warning in heard:
        warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    emit(args.command, summary, args.json)
    if problem := _nothing_saved(summary):
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 130 if summary.get("status") == "interrupted" else 0
