"""Fine-tuning on a learner's own handwriting: it learns their style and keeps MNIST's."""

import math
from pathlib import Path

import nbformat
import pytest
import torch

from mnist_course.core.errors import CourseError, DataError
from mnist_course.data import DIGIT_CLASSES, DigitDataset, load_sklearn_digits, stratified_split
from mnist_course.training import finetune as finetune_module
from mnist_course.training import load_checkpoint
from mnist_course.training.finetune import (
    HOLDOUT,
    OWN_VALIDATION,
    check_ready,
    choose_epoch,
    load_own_digits,
    mnist_validation_size,
    split_own,
)
from mnist_course.training.finetune import finetune as finetune_own
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
    last_json(
        run_cli(
            *"train --recipe fast --source digits --epochs 8 --out".split(),
            str(out),
            *"--no-progress --json".split(),
        )
    )
    return out


def test_finetune_learns_the_learners_style_and_keeps_mnist(base, tmp_path):
    mine = write_own_digits(tmp_path / "mine")
    out = tmp_path / "mine.pt"
    report = last_json(
        run_cli(
            *"finetune --checkpoint".split(),
            str(base),
            "--images",
            str(mine),
            *"--source digits --out".split(),
            str(out),
            *"--no-progress --json".split(),
        )
    )
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
    return run_cli(
        *"finetune --checkpoint".split(),
        str(base),
        "--images",
        str(images),
        *"--source digits --out".split(),
        str(out),
        "--no-progress",
    )


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


# The library: what it reads, when it is ready, what it reports.


def test_a_symlink_loop_counts_each_picture_once(tmp_path):
    """A link back up counted 12 pictures as 492, copies of training pictures among the held-out."""
    mine = drawing.write_own_digits(tmp_path / "mine", STYLE, 4)
    (mine / "7" / "loop").symlink_to(mine, target_is_directory=True)
    (mine / "1" / "again.png").symlink_to(mine / "1" / "000.png")  # the same picture twice
    (mine / "0" / "dangling.png").symlink_to(tmp_path / "gone.png")
    own = load_own_digits(mine, DIGIT_CLASSES)
    assert len(own) == 12 and own.class_counts()[0] == own.class_counts()[1] == 4

    (mine / "7" / "also-a-one.png").symlink_to(mine / "1" / "001.png")
    with pytest.raises(DataError, match=r"also-a-one.png: the same file as .*001.png, under two"):
        load_own_digits(mine, DIGIT_CLASSES)
    (mine / "7" / "also-a-one.png").unlink()
    (mine / "3").symlink_to(mine / "1", target_is_directory=True)
    with pytest.raises(DataError, match=r"mine/3: a symbolic link to a folder"):
        load_own_digits(mine, DIGIT_CLASSES)


def _five_ones_five_sevens_and(folder: Path, fours: int) -> Path:
    drawing.write_own_digits(folder, {"1": "1", "7": "7"}, 5)
    return drawing.write_own_digits(folder, {"4": "L"}, fours, seed=1) if fours else folder


def test_readiness_is_decided_once_and_names_the_digit(base, tmp_path):
    """Five 1s, five 7s and one 4 passed lesson 12's own check, then crashed in finetune."""
    model = load_checkpoint(base).model
    own = load_own_digits(_five_ones_five_sevens_and(tmp_path / "one-4", 1), DIGIT_CLASSES)
    message = r"own handwriting .*one-4: too few pictures of 4 \(1\): draw at least 2 of every"
    with pytest.raises(DataError, match=message):
        check_ready(own)
    with pytest.raises(DataError, match=message):
        finetune_own(model, own, load_sklearn_digits())
    refused(finetune(base, tmp_path / "one-4", tmp_path / "out.pt"), "too few pictures of 4 (1)")
    assert not (tmp_path / "out.pt").exists()

    ones = drawing.write_own_digits(tmp_path / "ones", {"1": "1"}, 5)
    with pytest.raises(DataError, match=r"pictures of only one label \(1\)"):
        check_ready(load_own_digits(ones, DIGIT_CLASSES))
    check_ready(load_own_digits(_five_ones_five_sevens_and(tmp_path / "two-4s", 2), DIGIT_CLASSES))


def test_zero_epochs_are_refused_and_nothing_is_written(base, tmp_path):
    own = load_own_digits(write_own_digits(tmp_path / "mine"), DIGIT_CLASSES)
    with pytest.raises(CourseError, match="fine-tuning needs at least 1 epoch"):
        finetune_own(
            load_checkpoint(base).model,
            own,
            load_sklearn_digits(),
            epochs=0,
            checkpoint=tmp_path / "out.pt",
        )
    result = run_cli(
        *"finetune --checkpoint".split(),
        str(base),
        "--images",
        str(tmp_path / "mine"),
        *"--source digits --out".split(),
        str(tmp_path / "out.pt"),
        *"--epochs 0 --json".split(),
    )
    refused(result, "at least 1")  # the command line's own check, or finetune's
    assert result.stdout == "" and not list(tmp_path.glob("out*"))


def test_the_report_says_where_the_model_was_written_and_what_it_mixed_in(base, tmp_path):
    own = load_own_digits(write_own_digits(tmp_path / "mine"), DIGIT_CLASSES)
    splits, out = load_sklearn_digits(), tmp_path / "tuned.pt"
    report = finetune_own(load_checkpoint(base).model, own, splits, epochs=1, checkpoint=out)
    assert report.checkpoint == out and out.is_file()
    assert report.as_dict()["checkpoint"] == str(out) and "model" not in report.as_dict()
    pool = len(splits.train) - mnist_validation_size(len(splits.train))  # under MNIST_MIX: all
    assert report.mnist_mixed_in == pool and report.model.card["trained_on"].startswith(f"{pool} ")
    saved = load_checkpoint(out).model.card
    assert saved["test_accuracy"] == report.mnist_test_accuracy_after
    assert saved["holdout_accuracy"] == report.holdout_accuracy_after
    assert report.model.card["test_accuracy"] == report.mnist_test_accuracy_after

    unsaved = finetune_own(load_checkpoint(base).model, own, splits, epochs=1, mnist_mix=0)
    assert unsaved.checkpoint is None and unsaved.as_dict()["checkpoint"] is None
    assert unsaved.mnist_mixed_in == 0 and unsaved.model.card["trained_on"].startswith("0 MNIST")


def test_mnist_mix_zero_set_on_the_module_means_none(base, tmp_path, monkeypatch):
    """Lesson 12's exercise: fine-tune with no MNIST in the mix (0 raised inside the split)."""
    monkeypatch.setattr(finetune_module, "MNIST_MIX", 0)
    own = load_own_digits(write_own_digits(tmp_path / "mine"), DIGIT_CLASSES)
    report = finetune_own(load_checkpoint(base).model, own, load_sklearn_digits(), epochs=1)
    assert report.mnist_mixed_in == 0 and report.status == "completed"


def test_lesson_12_asks_check_ready_and_reads_the_tuned_model_on_a_second_pad():
    """The lesson once counted PNG files itself (and disagreed with finetune), and handed the
    tuned model to the first pad, so both pads read with it and mirrored each other."""
    notebook = Path(__file__).parents[1] / "notebooks" / "12_your_own_handwriting.ipynb"
    code = "\n".join(
        cell.source
        for cell in nbformat.read(notebook, as_version=4).cells
        if cell.cell_type == "code"
    )
    assert "check_ready(own)" in code and ".glob(" not in code
    assert "DrawingPad(tuned" in code and ".use(tuned)" not in code


def test_finetune_leaves_the_model_it_was_given_as_it_was(base, tmp_path):
    model = load_checkpoint(base).model
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    card = dict(model.card)
    mine = load_own_digits(write_own_digits(tmp_path / "mine"), model.classes)
    report = finetune_own(model, mine, load_sklearn_digits(), epochs=1, progress=False)
    assert report.model is not model
    assert model.card == card and not model.training
    assert all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())
    tuned = report.model.card
    assert tuned["epoch"] == 1 and tuned["holdout_accuracy"] == report.holdout_accuracy_after


# Which pictures choose the epoch (issue 21): a share of yours that is neither trained on nor
# held out, with MNIST validation images; the held-out pictures only measure.


def _numbered(per_class: dict[int, int]) -> DigitDataset:
    """Pictures that say which they are: picture ``i`` holds ``i`` in its first two pixels."""
    labels = [label for label, count in per_class.items() for _ in range(count)]
    images = torch.zeros(len(labels), 28, 28, dtype=torch.uint8)
    index = torch.arange(len(labels))
    images[:, 0, 0], images[:, 0, 1] = index % 256, index // 256
    return DigitDataset(images, torch.tensor(labels), DIGIT_CLASSES, "numbered")


def _numbers(data: DigitDataset) -> set[int]:
    return set((data.images[:, 0, 0].int() + 256 * data.images[:, 0, 1].int()).tolist())


def test_your_pictures_split_three_ways_stratified_and_disjoint():
    own = _numbered({0: 30, 1: 30, 7: 12, 4: 2})
    parts = split_own(own, seed=0)
    train, choose, holdout = _numbers(parts.train), _numbers(parts.choose), _numbers(parts.holdout)
    assert train | choose | holdout == set(range(len(own)))
    assert len(train) + len(choose) + len(holdout) == len(own), "a picture in two parts"
    counts = {name: getattr(parts, name).class_counts() for name in ("train", "choose", "holdout")}
    drawn = own.class_counts()
    for digit in (0, 1, 7, 4):
        held, rest = counts["holdout"][digit], drawn[digit] - counts["holdout"][digit]
        assert held >= 1 and abs(held - HOLDOUT * drawn[digit]) <= 1, digit
        assert counts["choose"][digit] == min(round(OWN_VALIDATION * rest), rest - 1), digit
        assert counts["train"][digit] >= 1, digit
    assert counts["choose"][0] >= 5 and counts["train"][0] >= 15
    assert (counts["holdout"][4], counts["choose"][4], counts["train"][4]) == (1, 0, 1)
    # The hold-out is the one split lesson 12 makes by hand: stratified_split, the same seed.
    _, by_hand = stratified_split(own, validation=len(parts.holdout), seed=0)
    assert _numbers(by_hand) == holdout
    other = split_own(own, seed=1)
    assert _numbers(other.choose) != choose and _numbers(other.holdout) != holdout


def _scores(*epochs: tuple[float, float]) -> list[dict[str, float]]:
    return [
        {"epoch": epoch, "own_val_accuracy": own, "mnist_val_accuracy": mnist}
        for epoch, (own, mnist) in enumerate(epochs, start=1)
    ]


def test_the_epoch_reads_your_pictures_best_while_mnist_stays_within_the_margin():
    floor = 0.99
    best_within = _scores((0.9, 0.995), (1.0, 0.991), (1.0, 0.989))
    assert choose_epoch(best_within, floor) == 2, "epoch 3 reads yours as well but loses MNIST"
    assert choose_epoch(_scores((0.9, 0.995), (0.9, 0.996), (0.8, 0.999)), floor) == 2
    assert choose_epoch(_scores((1.0, 0.995), (1.0, 0.995)), floor) == 2, "a tie: the later"
    assert choose_epoch(_scores((1.0, 0.996), (1.0, 0.995)), floor) == 1, "then the better on MNIST"
    assert choose_epoch(_scores((1.0, 0.98), (0.5, 0.985)), floor) == 2, "none keeps MNIST"
    nothing_to_choose_with = _scores((math.nan, 0.992), (math.nan, 0.995), (math.nan, 0.991))
    assert choose_epoch(nothing_to_choose_with, floor) == 2, "MNIST alone, as before"
    exactly_at_the_floor = _scores((0.9, 0.996), (1.0, float(torch.tensor(0.993))))
    assert choose_epoch(exactly_at_the_floor, float(torch.tensor(0.996)) - 0.003) == 2


def test_the_held_out_pictures_never_choose_the_epoch(base, tmp_path):
    """Replace every held-out picture by its negative: the epoch, its scores and the weights
    stay exactly the same; only the held-out figures change."""
    model, splits = load_checkpoint(base).model, load_sklearn_digits()
    own = load_own_digits(write_own_digits(tmp_path / "mine"), DIGIT_CLASSES)
    held = split_own(own, seed=0).holdout.images
    is_held = (own.images[:, None] == held[None]).flatten(2).all(2).any(1)
    assert int(is_held.sum()) == len(held) == 12
    images = own.images.clone()
    images[is_held] = 255 - images[is_held]
    spoiled = DigitDataset(images, own.labels, own.classes, "held-out pictures spoiled")
    parts = split_own(own, seed=0)
    assert torch.equal(split_own(spoiled, seed=0).choose.images, parts.choose.images)

    first = finetune_own(model, own, splits, epochs=3)
    second = finetune_own(model, spoiled, splits, epochs=3)
    assert second.holdout_accuracy_after != first.holdout_accuracy_after, "the spoiling mattered"
    assert first.epoch == second.epoch and first.scores.equals(second.scores)
    weights = second.model.state_dict()
    assert all(torch.equal(v, weights[k]) for k, v in first.model.state_dict().items())
    assert first.chose_with == len(parts.choose) == 9
    assert f"x {len(parts.train)} own" in first.model.card["trained_on"], "nor trained on"


def test_the_checkpoint_holds_the_chosen_epoch_and_every_epochs_scores(base, tmp_path):
    own = load_own_digits(write_own_digits(tmp_path / "mine"), DIGIT_CLASSES)
    out = tmp_path / "tuned.pt"
    model = load_checkpoint(base).model
    report = finetune_own(model, own, load_sklearn_digits(), epochs=2, checkpoint=out)
    saved = load_checkpoint(out)
    assert saved.epoch == report.epoch == saved.model.card["epoch"] == report.model.card["epoch"]
    assert list(saved.history["own_val_accuracy"]) == list(report.scores["own_val_accuracy"])
    assert list(report.scores["epoch"]) == [1, 2] and report.as_dict()["epoch"] == report.epoch
    assert "scores" not in report.as_dict()
