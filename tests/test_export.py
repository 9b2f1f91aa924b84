"""Export: the ONNX exporter's narration stays out of the notebook unless the export fails."""

import logging

import pandas as pd
import pytest
import torch

from mnist_course.data import MNIST_NORMALIZATION
from mnist_course.inference.export import export_model
from mnist_course.models import build_model
from mnist_course.models.classifier import Classifier
from mnist_course.training import get_recipe, load_checkpoint, save_checkpoint

pytest.importorskip("onnxscript", reason="ONNX export needs the export extra")
pytest.importorskip("onnxruntime", reason="ONNX export needs the export extra")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, digits):
    torch.manual_seed(0)
    model = Classifier(build_model("fast"), MNIST_NORMALIZATION, digits.classes, "fast").eval()
    path = tmp_path_factory.mktemp("runs") / "fast.pt"
    save_checkpoint(
        path, model, recipe=get_recipe("fast"), history=pd.DataFrame(), metrics={}, epoch=0
    )
    return load_checkpoint(path)


def test_onnx_export_is_quiet_even_with_logging_at_info(checkpoint, tmp_path, caplog, capfd):
    caplog.set_level(logging.INFO)  # as a notebook is once anything has called basicConfig(INFO)
    report = export_model(checkpoint, "onnx", tmp_path / "fast.onnx")
    assert report.max_abs_difference < 1e-4
    exporter = [r for r in caplog.records if r.name.startswith(("onnx", "torch"))]
    assert exporter == [], f"exporter records reached the notebook: {exporter[:3]}"
    out, err = capfd.readouterr()
    assert (out, err) == ("", ""), "nothing printed, not even by ONNX Runtime's C++ logger"
    assert str(report).startswith(f"{tmp_path / 'fast.onnx'} (onnx): answers as the PyTorch")
    assert logging.getLogger("onnxscript").propagate, "the loggers are left as they were"


def test_a_failing_onnx_export_shows_what_the_exporter_said(
    checkpoint, tmp_path, monkeypatch, capsys
):
    def failing_export(*args, **kwargs):
        print("[torch.onnx] Translate the graph into ONNX...")
        logging.getLogger("onnxscript.rewriter").warning("a rule could not be applied")
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(torch.onnx, "export", failing_export)
    with pytest.raises(RuntimeError, match="unsupported operator"):
        export_model(checkpoint, "onnx", tmp_path / "broken.onnx")
    err = capsys.readouterr().err
    assert "Translate the graph into ONNX" in err and "a rule could not be applied" in err
    assert not (tmp_path / "broken.onnx").exists()


def test_export_leaves_the_model_as_it_was(checkpoint, tmp_path):
    model = checkpoint.model.train()  # a model mid-training: export must not switch it
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    export_model(model, "torchscript", tmp_path / "model.ts")
    assert model.training
    assert all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())
    model.eval()
