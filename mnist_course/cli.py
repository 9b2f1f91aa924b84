"""``python -m mnist_course``: the course's command line.

Every command prints a readable summary, and with ``--json`` one JSON object as its last stdout
line. Bad input ends with exit status 2 and a single ``error:`` line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from .data import SOURCE_NAMES, compute_normalization, load_data
from .errors import CourseError

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage mistakes also end as one ``error:`` line with status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see {self.prog} --help)\n")


def _emit(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary))
        return
    width = max(len(key) for key in summary)
    for key, value in summary.items():
        shown = " ".join(map(str, value)) if isinstance(value, list) else value
        print(f"{key:<{width}}  {shown}")


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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m mnist_course", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    info = commands.add_parser("info", help=cmd_info.__doc__)
    _add_data_arguments(info)
    info.add_argument("--json", action="store_true", help="end with one JSON line")
    info.set_defaults(handler=cmd_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], dict[str, Any]] = args.handler
    try:
        summary = handler(args)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    _emit(summary, args.json)
    return 0
