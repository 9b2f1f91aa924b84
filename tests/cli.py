"""Run the command line in-process: the subprocess contract without re-importing torch."""

import contextlib
import io
import json
from dataclasses import dataclass

from mnist_course.cli import main


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> CliResult:
    """Run the command line in this process (fast), capturing what it prints and its status."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = exit_.code
    return CliResult(code, out.getvalue(), err.getvalue())


def last_json(result: CliResult) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


TRAIN = ("train", "--source", "digits", "--no-progress", "--json")
"""A quick training command: scikit-learn's digits, no bars, a JSON summary."""


def assert_refused(result, *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
