"""train / evaluate / predict / export through the command line, on offline data."""

import numpy as np
import pytest
import torch

from mnist_course.training import load_checkpoint
from tests.cli import last_json, run_cli
from tests.drawing import draw_digit


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "fast.pt"
    summary = last_json(
        run_cli(
            *"train --recipe fast --source digits --epochs 8 --out".split(),
            str(out),
            *"--no-progress --json".split(),
        )
    )
    return out, summary


def test_train_reports_the_contract(trained):
    out, summary = trained
    assert summary["status"] == "completed" and summary["epochs"] == 8
    assert 0.8 < summary["test_accuracy"] <= 1.0
    assert summary["train_seconds"] > 0 and summary["checkpoint"] == str(out)
    assert load_checkpoint(out).metrics["test_accuracy"] == pytest.approx(summary["test_accuracy"])


def test_arch_with_overrides_and_limit(tmp_path):
    summary = last_json(
        run_cli(
            *"train --arch mlp --optimizer adam --lr 0.002 --batch-size 16 --epochs 2".split(),
            *"--limit 400 --source digits --out".split(),
            str(tmp_path / "m.pt"),
            *"--no-progress --json".split(),
        )
    )
    recipe = load_checkpoint(tmp_path / "m.pt").recipe
    assert (recipe.arch, recipe.optimizer, recipe.lr, recipe.batch_size) == (
        "mlp",
        "adam",
        0.002,
        16,
    )
    assert summary["epochs"] == 2 and summary["test_accuracy"] > 0.5


def test_evaluate_matches_train_and_sums_up(trained):
    out, summary = trained
    report = last_json(
        run_cli("evaluate", "--checkpoint", str(out), "--source", "digits", "--json")
    )
    assert report["accuracy"] == pytest.approx(summary["test_accuracy"])
    matrix = np.array(report["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == report["examples"] == 360
    assert np.trace(matrix) / matrix.sum() == pytest.approx(report["accuracy"])
    recall_of_3 = matrix[3, 3] / matrix[3].sum()
    assert report["per_class"][3]["recall"] == pytest.approx(recall_of_3)
    assert set(report["per_class"][0]) == {"class", "precision", "recall", "f1", "support"}


def test_predict_generated_images(trained, tmp_path):
    out, _ = trained
    paths = []
    for digit, kwargs in [
        ("7", {"ink": 0, "paper": 255}),
        ("1", {"canvas": 500}),
        ("0", {"mode": "RGBA"}),
    ]:
        paths.append(tmp_path / f"{digit}.png")
        draw_digit(digit, **kwargs).save(paths[-1])
    answers = last_json(run_cli("predict", "--checkpoint", str(out), *map(str, paths), "--json"))
    assert [p["image"] for p in answers["predictions"]] == [str(p) for p in paths]
    for answer in answers["predictions"]:
        assert sum(answer["probabilities"]) == pytest.approx(1, abs=1e-4)
        assert answer["digit"] == int(np.argmax(answer["probabilities"]))
        assert answer["label"] == str(answer["digit"])


def test_predict_refuses_blank_and_non_images(trained, tmp_path):
    out, _ = trained
    from PIL import Image

    Image.new("L", (64, 64), 255).save(tmp_path / "blank.png")
    (tmp_path / "notes.png").write_text("not a picture")
    for name, message in [("blank.png", "blank"), ("notes.png", "not an image")]:
        result = run_cli("predict", "--checkpoint", str(out), str(tmp_path / name))
        assert result.returncode == 2
        assert result.stderr.startswith(f"error: {tmp_path / name}") and message in result.stderr


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_export_round_trip(trained, tmp_path, fmt, digits):
    out, _ = trained
    target = tmp_path / f"model.{fmt}"
    report = last_json(
        run_cli("export", "--checkpoint", str(out), "--format", fmt, "--out", str(target), "--json")
    )
    assert report["max_abs_difference"] < 1e-4 and target.stat().st_size > 10_000
    images = digits.test.images[100:132].float().div(255).unsqueeze(1)
    with torch.no_grad():
        expected = load_checkpoint(out).model(images).exp().numpy()
    if fmt == "torchscript":
        with torch.no_grad():
            got = torch.jit.load(str(target))(images).numpy()
    else:
        import onnxruntime

        got = onnxruntime.InferenceSession(str(target)).run(None, {"images": images.numpy()})[0]
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_train_needs_recipe_or_arch():
    result = run_cli("train", "--out", "x.pt")
    assert result.returncode == 2 and "train needs --recipe NAME or --arch NAME" in result.stderr


def test_corrupt_checkpoint_is_one_error_line(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"definitely not a checkpoint")
    result = run_cli("evaluate", "--checkpoint", str(bad), "--source", "digits")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: {bad}: damaged or not a PyTorch checkpoint")


@pytest.mark.real_mnist
def test_cli_contract_on_real_mnist(real_mnist_root, tmp_path):
    out = tmp_path / "fast.pt"
    summary = last_json(
        run_cli(
            *"train --recipe fast --data".split(),
            str(real_mnist_root),
            "--out",
            str(out),
            *"--no-progress --json".split(),
        )
    )
    assert summary["status"] == "completed" and summary["test_accuracy"] >= 0.985
    report = last_json(
        run_cli("evaluate", "--checkpoint", str(out), "--data", str(real_mnist_root), "--json")
    )
    assert report["examples"] == 10000 and report["accuracy"] == pytest.approx(
        summary["test_accuracy"]
    )
    drawn = []
    for digit in "170":
        drawn.append(tmp_path / f"{digit}.png")
        draw_digit(digit, ink=0, paper=255).save(drawn[-1])
    answers = last_json(run_cli("predict", "--checkpoint", str(out), *map(str, drawn), "--json"))
    assert [p["digit"] for p in answers["predictions"]] == [1, 7, 0]
