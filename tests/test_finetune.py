"""Fine-tuning on a learner's own handwriting: it learns their style and keeps MNIST's."""

from pathlib import Path

import pytest

from tests import drawing
from tests.cli import last_json, run_cli

# A learner whose 1s have a foot (drawn like an L), whose 7s and 0s are ordinary.
STYLE = {"1": "L", "7": "7", "0": "0"}


def write_own_digits(folder: Path) -> Path:
    """16 drawings of each digit in STYLE, a little different each, as the pad saves them."""
    return drawing.write_own_digits(folder, STYLE, 16, sizes=(0.5, 0.65), widths=(0.06, 0.14))


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "fast.pt"
    last_json(run_cli("train", "--recipe", "fast", "--source", "digits", "--epochs", "8",
                      "--out", str(out), "--no-progress", "--json"))  # fmt: skip
    return out


def test_finetune_learns_the_learners_style_and_keeps_mnist(base, tmp_path):
    mine = write_own_digits(tmp_path / "mine")
    out = tmp_path / "mine.pt"
    report = last_json(run_cli("finetune", "--checkpoint", str(base), "--images", str(mine),
                               "--source", "digits", "--out", str(out), "--no-progress",
                               "--json"))  # fmt: skip
    assert report["images"] == 48 and report["holdout"] == 12 and report["status"] == "completed"
    assert report["holdout_accuracy_before"] < 0.9, "the footed 1s should puzzle the base model"
    assert report["holdout_accuracy_after"] > report["holdout_accuracy_before"]
    assert report["holdout_accuracy_after"] >= 0.9
    drop = report["mnist_test_accuracy_before"] - report["mnist_test_accuracy_after"]
    assert drop <= 0.03, f"forgot the others' handwriting: {drop:.1%} lower"
    assert out.is_file() and report["checkpoint"] == str(out)


def refused(result, fragment: str) -> None:
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith("error: ") and fragment in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def finetune(base: Path, images: Path, out: Path):
    return run_cli("finetune", "--checkpoint", str(base), "--images", str(images),
                   "--source", "digits", "--out", str(out), "--no-progress")  # fmt: skip


def test_bad_folders_are_refused(base, tmp_path):
    out = tmp_path / "out.pt"
    refused(finetune(base, tmp_path / "missing", out), "no such folder")
    (tmp_path / "file").write_text("x")
    refused(finetune(base, tmp_path / "file", out), "is a file, not a folder")

    empty = tmp_path / "empty"
    (empty / "3").mkdir(parents=True)
    refused(finetune(base, empty, out), "no pictures found")

    one = write_own_digits(tmp_path / "one")
    for label in ("7", "0"):
        for picture in (one / label).iterdir():
            picture.unlink()
        (one / label).rmdir()
    refused(finetune(base, one, out), "only one label (1)")

    stranger = write_own_digits(tmp_path / "stranger")
    (stranger / "x").mkdir()
    refused(finetune(base, stranger, out), "'x' is not one of the model's classes")

    broken = write_own_digits(tmp_path / "broken")
    (broken / "7" / "zz.png").write_bytes(b"not a picture at all")
    refused(finetune(base, broken, out), "zz.png: not an image Pillow can read")

    refused(finetune(base, write_own_digits(tmp_path / "ok"), base), "is the checkpoint")
    assert not out.exists()
