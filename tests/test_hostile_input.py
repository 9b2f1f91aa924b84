"""What a careless or hostile user does at the command line: nothing lost, nothing silently wrong.

Each case ends in exit status 2 with one ``error:`` line naming the file or argument (or in the
right answer), and no file a user owns is replaced by any command.
"""

import errno
import gzip
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_course.core import atomic
from mnist_course.core.atomic import exclusive_lock
from mnist_course.core.errors import CourseError, DataError
from mnist_course.data import idx as idx_module
from mnist_course.data import load_data, read_csv_dataset, read_idx, write_csv
from mnist_course.training import CheckpointError, load_checkpoint
from tests.cli import TRAIN, assert_refused, last_json, run_cli


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "fast.pt"
    last_json(run_cli(*TRAIN, "--recipe", "fast", "--epochs", "1", "--out", str(out)))
    return out


def export(checkpoint: Path, out: Path | str, fmt: str = "torchscript"):
    return run_cli(
        *"export --checkpoint".split(),
        str(checkpoint),
        "--format",
        fmt,
        "--out",
        str(out),
        "--json",
    )


# Export never replaces what it did not write itself.


@pytest.mark.parametrize(
    "name, content",
    [
        ("digits.csv", b"label,pixel0\n1,0\n"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(64)),
        ("notes.txt", b"my notes\n"),
    ],
)
def test_export_refuses_to_overwrite_a_users_file(checkpoint, tmp_path, name, content):
    target = tmp_path / name
    target.write_bytes(content)
    for fmt in ("torchscript", "onnx"):
        assert_refused(export(checkpoint, target, fmt), str(target), "refusing to overwrite")
        assert target.read_bytes() == content


def test_export_refuses_what_is_not_a_regular_file(checkpoint, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert_refused(export(checkpoint, fifo), "not a regular file")
    assert fifo.is_fifo()


def test_export_replaces_only_an_earlier_export_of_the_same_format(checkpoint, tmp_path):
    target = tmp_path / "model.out"
    assert last_json(export(checkpoint, target, "torchscript"))["format"] == "torchscript"
    first = target.stat().st_mtime_ns
    last_json(export(checkpoint, target, "torchscript"))
    assert target.stat().st_mtime_ns != first
    assert_refused(export(checkpoint, target, "onnx"), "not an earlier onnx export")
    onnx_file = tmp_path / "model.onnx"
    last_json(export(checkpoint, onnx_file, "onnx"))
    last_json(export(checkpoint, onnx_file, "onnx"))
    assert_refused(export(checkpoint, onnx_file, "torchscript"), "not an earlier torchscript")


@pytest.mark.parametrize("out", ["", "  "])
def test_export_with_an_empty_out_path(checkpoint, out):
    assert_refused(export(checkpoint, out), "--out path is empty")


def full_disk(monkeypatch):
    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", no_space)


def test_export_on_a_full_disk_names_the_file(checkpoint, tmp_path, monkeypatch):
    full_disk(monkeypatch)
    target = tmp_path / "model.ts"
    assert_refused(export(checkpoint, target), str(target), "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_training_on_a_full_disk_keeps_the_old_checkpoint(checkpoint, tmp_path, monkeypatch):
    out = tmp_path / "run.pt"
    out.write_bytes(checkpoint.read_bytes())
    full_disk(monkeypatch)
    result = run_cli(*TRAIN, "--recipe", "fast", "--epochs", "1", "--out", str(out))
    assert_refused(result, "could not write it", "No space left on device")
    assert out.read_bytes() == checkpoint.read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# Small files that would take the machine.


def write_gzip_bomb(path: Path, header_dims: tuple[int, ...], inflated: int) -> None:
    header = bytes([0, 0, 0x08, len(header_dims)]) + struct.pack(
        f">{len(header_dims)}I", *header_dims
    )
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(header)
        chunk = bytes(1 << 20)
        for _ in range(inflated >> 20):
            handle.write(chunk)


def test_a_gzip_bomb_is_never_inflated(tmp_path):
    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    write_gzip_bomb(bomb, (10, 28, 28), 256 << 20)  # 256 MiB of zeros in about 250 KB
    assert bomb.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="has extra bytes"):
            read_idx(bomb, expected_ndim=3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak:,} bytes held while reading a {bomb.stat().st_size:,}-byte file"


def test_a_header_promising_more_than_any_digit_set_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(idx_module, "MAX_BYTES", 1 << 20)
    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    write_gzip_bomb(bomb, (2000, 28, 28), 2 << 20)
    with pytest.raises(DataError, match="more than any digit set"):
        read_idx(bomb, expected_ndim=3)


CHECKPOINT_BOMB = """
import resource, sys
import torch
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
from mnist_course.training import CheckpointError, load_checkpoint
try:
    load_checkpoint(sys.argv[1])
except CheckpointError as exc:
    print("refused:", exc)
"""


def test_a_checkpoint_whose_tensors_claim_more_than_it_stores(checkpoint, tmp_path):
    payload = torch.load(checkpoint, weights_only=True)
    first = next(iter(payload["state_dict"]))
    payload["state_dict"][first] = torch.zeros(1).expand(4_000_000_000)  # 16 GB, from 4 bytes
    bomb = tmp_path / "bomb.pt"
    torch.save(payload, bomb)
    assert bomb.stat().st_size < 1 << 20
    limit = 6 << 30  # torch itself maps about 3 GiB of address space; the bomb asks for 16
    command = [sys.executable, "-c", CHECKPOINT_BOMB, str(bomb), str(limit)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert "refused:" in result.stdout, result.stderr[-2000:]
    assert "stores 4 bytes for it" in result.stdout and first in result.stdout


def flip_a_weight_byte(source: Path, target: Path) -> None:
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        member = max(archive.infolist(), key=lambda m: m.file_size)  # the largest weights
        offset = member.header_offset
    name_length, extra_length = struct.unpack("<HH", data[offset + 26 : offset + 30])
    start = offset + 30 + name_length + extra_length
    data[start + 5] ^= 0x40
    target.write_bytes(bytes(data))


def test_weights_damaged_on_disk_are_refused(checkpoint, tmp_path):
    damaged = tmp_path / "damaged.pt"
    flip_a_weight_byte(checkpoint, damaged)
    with pytest.raises(CheckpointError, match="no longer matches its checksum"):
        load_checkpoint(damaged)
    result = run_cli("evaluate", "--checkpoint", str(damaged), "--source", "digits")
    assert_refused(result, str(damaged), "damaged")


def test_a_torchscript_export_given_as_checkpoint(checkpoint, tmp_path):
    exported = tmp_path / "model.ts"
    last_json(export(checkpoint, exported))
    result = run_cli("predict", "--checkpoint", str(exported), __file__)
    assert_refused(result, "a TorchScript export", "torch.jit.load")
    assert "weights_only" not in result.stderr


def test_duplicate_class_names_in_a_checkpoint(checkpoint, tmp_path):
    payload = torch.load(checkpoint, weights_only=True)
    payload["classes"] = ["0", "1", "2", "3", "4", "5", "6", "7", "7", "9"]
    broken = tmp_path / "twice.pt"
    torch.save(payload, broken)
    result = run_cli("evaluate", "--checkpoint", str(broken), "--source", "digits")
    assert_refused(result, "malformed checkpoint metadata", "'7' named twice")


# Silent wrong answers.


def test_a_model_of_other_classes_is_not_scored_on_digits(checkpoint, tmp_path):
    payload = torch.load(checkpoint, weights_only=True)
    clothes = "T-shirt,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot"
    payload["classes"] = clothes.split(",")
    fashion = tmp_path / "fashion.pt"
    torch.save(payload, fashion)
    result = run_cli("evaluate", "--checkpoint", str(fashion), "--source", "digits")
    assert_refused(result, "reads 10 classes (T-shirt", "has 10 (0, 1, 2")


def test_resume_on_other_data_is_refused(tmp_path):
    out = tmp_path / "run.pt"
    args = (*TRAIN, "--arch", "mlp", "--out", str(out))
    last_json(run_cli(*args, "--epochs", "1", "--limit", "300"))
    before = out.read_bytes()
    result = run_cli(*args, "--epochs", "2", "--limit", "400", "--resume")
    assert_refused(result, "trained on other data", "training set: 270 images")
    assert out.read_bytes() == before
    assert last_json(run_cli(*args, "--epochs", "2", "--limit", "300", "--resume"))["epochs"] == 2


def test_resume_from_a_truncated_last_checkpoint_says_so(tmp_path):
    out = tmp_path / "run.pt"
    last_json(
        run_cli(*TRAIN, "--arch", "mlp", "--epochs", "1", "--limit", "300", "--out", str(out))
    )
    last = tmp_path / "run.last.pt"
    last.write_bytes(last.read_bytes()[:-500])
    result = run_cli(
        *TRAIN, *"--arch mlp --epochs 2 --limit 300 --out".split(), str(out), "--resume"
    )
    assert_refused(result, "cannot resume", str(last), "damaged")


def test_a_headerless_csv_with_the_label_last_is_read_right(tmp_path):
    digits = load_data("digits").train.head(50)
    path = tmp_path / "openml.csv"
    flat = digits.images.reshape(50, -1).numpy().astype(int)
    rows = np.column_stack([flat, digits.labels.numpy()])
    path.write_text("\n".join(",".join(map(str, row)) for row in rows) + "\n")
    read = read_csv_dataset(path)
    assert torch.equal(read.labels, digits.labels) and torch.equal(read.images, digits.images)


def test_a_headerless_csv_with_no_label_column_is_refused(tmp_path):
    path = tmp_path / "nolabels.csv"
    rows = np.full((5, 785), 200)
    path.write_text("\n".join(",".join(map(str, row)) for row in rows) + "\n")
    with pytest.raises(DataError, match="no column looks like labels"):
        read_csv_dataset(path)


@pytest.mark.parametrize("separator, name", [(";", "semicolons"), ("\t", "tabs")])
def test_a_csv_with_another_separator_is_named(tmp_path, separator, name):
    digits = load_data("digits").train.head(5)
    comma = tmp_path / "comma.csv"
    write_csv(digits, comma)
    other = tmp_path / "other.csv"
    other.write_text(comma.read_text().replace(",", separator))
    result = run_cli("info", "--source", f"csv:{other}")
    assert_refused(result, str(other), f"separated by {name}", "sep=")


def test_the_lock_is_held_from_the_moment_its_file_exists(tmp_path):
    lock = tmp_path / "run.pt.lock"
    with exclusive_lock(lock):
        lock.write_text("")  # the moment before an owner has written its process id
        with pytest.raises(CourseError, match="another run"), exclusive_lock(lock):
            pass
        assert lock.exists()
    assert not lock.exists()
    lock.write_text("999999999")  # left by a run that was killed: free again
    with exclusive_lock(lock):
        assert lock.read_text() == str(os.getpid())


# Tracebacks and misleading messages.


@pytest.mark.parametrize("validation", ["0", "1", "nan", "1.5", "-0.1"])
def test_validation_must_be_a_fraction(tmp_path, validation):
    result = run_cli(
        *TRAIN, *"--recipe fast --validation".split(), validation, "--out", str(tmp_path / "x.pt")
    )
    assert_refused(result, "--validation must be a fraction between 0 and 1")


@pytest.mark.parametrize("seed", ["-1", str(2**70)])
def test_seed_out_of_range_is_named_before_loading(tmp_path, seed):
    paths = ["--data", str(tmp_path / "none"), "--out", str(tmp_path / "x.pt")]
    result = run_cli(*TRAIN, "--recipe", "fast", "--seed", seed, *paths)
    assert_refused(result, "--seed must be a whole number from 0 to 4294967295")


def test_limit_one_names_the_limit(tmp_path):
    result = run_cli(*TRAIN, "--recipe", "fast", "--limit", "1", "--out", str(tmp_path / "x.pt"))
    assert_refused(result, "--limit 1 is too few", "--limit 100 or more")


def test_finetune_with_no_epochs_is_refused(checkpoint, tmp_path):
    out = tmp_path / "t.pt"
    paths = ["--checkpoint", str(checkpoint), "--images", str(tmp_path), "--out", str(out)]
    result = run_cli("finetune", "--source", "digits", "--epochs", "0", *paths)
    assert_refused(result, "--epochs must be at least 1")
    assert not out.exists()


def test_warnings_are_not_printed_beside_the_error_line(tmp_path):
    digits = load_data("digits").train.head(5)
    path = tmp_path / "inf.csv"
    write_csv(digits, path)
    lines = path.read_text().splitlines()
    lines[2] = "inf" + lines[2][lines[2].index(",") :]
    path.write_text("\n".join(lines) + "\n")
    result = run_cli("info", "--source", f"csv:{path}")
    assert_refused(result, str(path), "line 3", "label inf")


def test_finetune_never_overwrites_a_users_file(checkpoint, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    paths = ["--checkpoint", str(checkpoint), "--images", str(tmp_path), "--out", str(notes)]
    result = run_cli("finetune", "--source", "digits", *paths)
    assert_refused(result, str(notes), "refusing to overwrite")
    assert notes.read_text() == "my notes\n"


@pytest.mark.parametrize(
    "size, pixels", [((280, 280), {(140, 140): 0}), ((20000, 20), {})], ids=["speck", "strip"]
)
def test_pictures_that_hold_no_digit_are_refused(checkpoint, tmp_path, size, pixels):
    from PIL import Image

    picture = Image.new("L", size, 255)
    for xy, shade in pixels.items():
        picture.putpixel(xy, shade)
    if not pixels:
        picture.paste(0, (9000, 5, 11000, 15))  # a dark bar in a very long strip
    path = tmp_path / "picture.png"
    picture.save(path)
    assert_refused(run_cli("predict", "--checkpoint", str(checkpoint), str(path)), str(path))


def test_the_reading_commands_write_nothing(checkpoint, tmp_path, monkeypatch):
    from PIL import Image

    picture = tmp_path / "bar.png"
    image = Image.new("L", (280, 280), 255)
    image.paste(0, (120, 40, 160, 240))  # a thick bar: read as a 1
    image.save(picture)
    monkeypatch.chdir(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in [*tmp_path.rglob("*"), checkpoint]}
    for args in (
        ("info", "--source", "digits"),
        ("recipes",),
        ("evaluate", "--checkpoint", str(checkpoint), "--source", "digits"),
        ("predict", "--checkpoint", str(checkpoint), str(picture)),
    ):
        run_cli(*args)
    after = {p: p.stat().st_mtime_ns for p in [*tmp_path.rglob("*"), checkpoint]}
    assert after == before
