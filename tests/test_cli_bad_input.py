"""Bad input at the command line: one `error:` line, exit status 2, and nothing lost."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mnist_course.data import load_data, write_csv
from mnist_course.training import CheckpointError, load_checkpoint, read_checkpoint
from tests.cli import TRAIN, assert_refused, last_json, run_cli


def strict_json(text: str) -> dict:
    """Parse as strict JSON: NaN and Infinity are not JSON, and most parsers refuse them."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} in JSON output")

    return json.loads(text.strip().splitlines()[-1], parse_constant=refuse)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "fast.pt"
    last_json(run_cli(*TRAIN, "--recipe", "fast", "--epochs", "1", "--out", str(out)))
    return out


def test_export_refuses_to_overwrite_the_checkpoint(checkpoint):
    before = checkpoint.read_bytes()
    result = run_cli(
        *"export --checkpoint".split(),
        str(checkpoint),
        *"--format onnx --out".split(),
        str(checkpoint),
    )
    assert_refused(result, "is the checkpoint being exported")
    assert checkpoint.read_bytes() == before


def test_export_refuses_to_overwrite_another_checkpoint(checkpoint, tmp_path):
    other = tmp_path / "other.pt"
    other.write_bytes(checkpoint.read_bytes())
    result = run_cli(
        *"export --checkpoint".split(),
        str(checkpoint),
        *"--format torchscript --out".split(),
        str(other),
    )
    assert_refused(result, "is a checkpoint; refusing to overwrite it")
    read_checkpoint(other)


def test_train_refuses_to_overwrite_its_training_data(tmp_path):
    data = tmp_path / "train.csv"
    write_csv(load_data("digits").train, data)
    before = data.read_bytes()
    result = run_cli(*TRAIN[:1], "--source", f"csv:{data}", "--recipe", "fast", "--out", str(data))
    assert_refused(result, str(data), "cannot be read as a checkpoint", "refusing to overwrite")
    assert data.read_bytes() == before


@pytest.mark.parametrize("out", ["", "   "])
def test_an_empty_out_path_is_refused(out):
    assert_refused(run_cli(*TRAIN, "--recipe", "fast", "--out", out), "checkpoint path is empty")


def test_out_onto_a_folder_fails_before_training(tmp_path):
    started = time.perf_counter()
    result = run_cli(*TRAIN, "--recipe", "cnn5-adam", "--out", str(tmp_path))
    assert_refused(result, str(tmp_path), "is a folder")
    assert time.perf_counter() - started < 30, "no epoch should have run"
    assert list(tmp_path.iterdir()) == []


HOLD_LOCK = """
import sys, time
from mnist_course.core.atomic import exclusive_lock
with exclusive_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_a_second_run_at_the_same_path_is_refused_while_the_first_runs(tmp_path):
    out = tmp_path / "shared.pt"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path / "shared.pt.lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = run_cli(*TRAIN, "--recipe", "fast", "--epochs", "1", "--out", str(out))
        assert_refused(result, "another run", str(holder.pid))
        assert not out.exists()
    finally:
        holder.kill()  # as kill -9 would: no clean-up, the lock file stays behind
        holder.wait()
    assert (tmp_path / "shared.pt.lock").exists()
    # The holder is gone: its lock is stale and the next run takes it over and cleans up.
    last_json(run_cli(*TRAIN, "--recipe", "fast", "--epochs", "1", "--out", str(out)))
    assert out.is_file() and not (tmp_path / "shared.pt.lock").exists()


def test_zero_optimiser_steps_is_an_error_and_writes_nothing(tmp_path):
    out = tmp_path / "never.pt"
    result = run_cli(*TRAIN, "--recipe", "fast", "--limit", "100", "--out", str(out))
    assert_refused(result, "no training step possible", "batch of 128")
    assert not out.exists() and not (tmp_path / "never.last.pt").exists()


def test_too_few_examples_to_split_gets_the_course_wording(tmp_path):
    result = run_cli(*TRAIN, "--recipe", "fast", "--limit", "50", "--out", str(tmp_path / "x.pt"))
    assert_refused(result, "--limit 50 is too few", "--limit 100 or more")
    assert "test_size" not in result.stderr, "scikit-learn's wording"


@pytest.mark.parametrize("lr", ["nan", "inf", "-1"])
def test_a_learning_rate_that_is_not_a_positive_number(tmp_path, lr):
    result = run_cli(*TRAIN, "--recipe", "fast", "--lr", lr, "--out", str(tmp_path / "x.pt"))
    assert_refused(result, "lr must be a number > 0")


def test_training_images_without_contrast_have_no_normalisation(tmp_path):
    digits = load_data("digits").train.head(200)
    blank = tmp_path / "blank.csv"
    write_csv(type(digits)(torch.zeros_like(digits.images), digits.labels, digits.classes), blank)
    result = run_cli(
        *TRAIN[:1],
        "--source",
        f"csv:{blank}",
        *"--recipe mlp-sgd --out".split(),
        str(tmp_path / "x.pt"),
    )
    assert_refused(result, "std above 0", "every pixel has the same value")


def test_a_diverged_run_says_nothing_was_saved_and_still_prints_strict_json(tmp_path):
    result = run_cli(
        *TRAIN,
        *"--arch mlp --lr 10000 --batch-size 32 --epochs 3 --out".split(),
        str(tmp_path / "hot.pt"),
    )
    assert_refused(result, "diverged in epoch 1", "nothing was saved", "lower --lr")
    summary = strict_json(result.stdout)
    assert summary["status"] == "diverged" and summary["checkpoint"] is None
    assert not (tmp_path / "hot.pt").exists()


def test_evaluate_on_unlabeled_data_says_so(checkpoint, tmp_path):
    unlabeled = tmp_path / "unlabeled.csv"
    test = load_data("digits").test.head(20)
    write_csv(type(test)(test.images, None, test.classes), unlabeled)
    result = run_cli(
        *"evaluate --checkpoint".split(),
        str(checkpoint),
        "--source",
        f"csv:{unlabeled}",
        *"--split train".split(),
    )
    assert_refused(result, "has no labels", "predict")


def _rewrite(source: Path, target: Path, change) -> Path:
    payload = torch.load(source, weights_only=True)
    change(payload)
    torch.save(payload, target)
    return target


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p["recipe"].update(lr="fast"),
        lambda p: p["recipe"].update(batch_size=[64]),
        lambda p: p.pop("classes"),
        lambda p: p.update(metrics=None),
        lambda p: p.update(normalization={"mean": 0.1}),
    ],
    ids=["lr-text", "batch-list", "no-classes", "metrics-none", "half-normalization"],
)
def test_malformed_checkpoint_metadata(checkpoint, tmp_path, change):
    broken = _rewrite(checkpoint, tmp_path / "broken.pt", change)
    with pytest.raises(CheckpointError, match="malformed checkpoint metadata"):
        load_checkpoint(broken)
    assert_refused(run_cli("predict", "--checkpoint", str(broken), __file__), "malformed")


def test_nan_weights_are_refused(checkpoint, tmp_path):
    def poison(payload):
        first = next(iter(payload["state_dict"]))
        payload["state_dict"][first] = torch.full_like(payload["state_dict"][first], float("nan"))

    broken = _rewrite(checkpoint, tmp_path / "nan.pt", poison)
    result = run_cli("evaluate", "--checkpoint", str(broken), "--source", "digits", "--json")
    assert_refused(result, "NaN or infinite")


class Shell:
    def __reduce__(self):
        return (os.system, ("echo this would have run",))


def test_a_pickle_that_would_run_code_is_refused_not_called_damaged(tmp_path):
    evil = tmp_path / "evil.pt"
    torch.save({"format": "mnist-course-checkpoint", "x": Shell()}, evil)
    assert_refused(run_cli("predict", "--checkpoint", str(evil), __file__), "refusing to load")
    plain = tmp_path / "plain.pt"
    import pickle

    plain.write_bytes(pickle.dumps({"x": Shell()}))
    assert_refused(run_cli("predict", "--checkpoint", str(plain), __file__), "plain Python pickle")


def test_a_folder_given_as_checkpoint(tmp_path):
    assert_refused(run_cli("predict", "--checkpoint", str(tmp_path), __file__), "is a folder")


def test_resume_with_another_architecture_names_the_change(tmp_path):
    out = tmp_path / "run.pt"
    last_json(run_cli(*TRAIN, "--arch", "mlp", "--epochs", "1", "--out", str(out)))
    result = run_cli(*TRAIN, "--arch", "cnn3", "--epochs", "2", "--out", str(out), "--resume")
    assert_refused(result, "different recipe", "arch 'mlp' -> 'cnn3'")


def test_ctrl_c_during_start_up_prints_no_traceback():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for delay in (0.3, 1.0, 2.5):
        process = subprocess.Popen(
            [sys.executable, "-m", "mnist_course", "info", "--source", "digits"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
        assert "Traceback" not in stderr, f"after {delay} s:\n{stderr}"
        assert process.returncode in (0, 130, -signal.SIGINT), (delay, process.returncode)


def test_command_line_hints_name_no_python_arguments(tmp_path, mnist_root):
    missing = run_cli("info", "--source", "mnist", "--data", str(tmp_path), "--no-download")
    assert_refused(missing, "Let the course download them")
    damaged = tmp_path / "damaged"
    raw = damaged / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for path in (mnist_root / "MNIST" / "raw").iterdir():
        (raw / path.name).write_bytes(path.read_bytes())  # scikit-learn's digits: not the originals
    checksum = run_cli("info", "--source", "mnist", "--data", str(damaged), "--no-download")
    assert_refused(checksum, "checksum does not match", "downloaded again")
    for result in (missing, checksum):
        assert "=True" not in result.stderr and "=False" not in result.stderr, result.stderr
