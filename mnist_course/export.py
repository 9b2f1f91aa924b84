"""Export a trained model for use outside PyTorch, and prove the copy answers the same.

The exported model is the ``Classifier`` itself with ``exp`` behind it: it takes float images
``[B, 1, 28, 28]`` with pixels in [0, 1] (ink high), normalises them as in training and returns
probabilities. After
writing, the file is loaded back (TorchScript by ``torch.jit.load``, ONNX by ONNX Runtime) and
its outputs compared with PyTorch's on a batch of real handwriting.

The ONNX exporter narrates its work (prints, and log records from ``onnxscript`` and ``onnx_ir``
that a notebook shows in red as soon as anything has set logging to INFO). An export keeps all
of it aside and shows it only when the export fails.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .atomic import atomic_write
from .classifier import Classifier
from .errors import CourseError
from .training.checkpoint import Checkpoint, CheckpointError, read_checkpoint

FORMATS = ("torchscript", "onnx")
EXPORTER_LOGGERS = ("torch.onnx", "torch.export", "onnxscript", "onnx_ir")
"""The loggers the ONNX exporter narrates on."""
TOLERANCE = 1e-4
"""Largest difference in any probability that still counts as the same model."""


class _Exp(nn.Module):
    """Log-probabilities to probabilities, for users of the exported file."""

    def forward(self, log_probs: torch.Tensor) -> torch.Tensor:
        return log_probs.exp()


@dataclass
class ExportReport:
    path: Path
    format: str
    max_abs_difference: float
    checked_on: int

    def __str__(self) -> str:
        difference = f"largest difference {self.max_abs_difference:.1g}"
        return f"{self.path} ({self.format}): answers as the PyTorch model does on " + (
            f"{self.checked_on} images ({difference})"
        )


def _check_batch(count: int = 64) -> torch.Tensor:
    """Real handwriting (scikit-learn's digits, MNIST-style) to compare the two models on."""
    from .data.sklearn_digits import load_sklearn_digits

    return load_sklearn_digits().test.images[:count].float().div(255).unsqueeze(1)


def _export_torchscript(wrapper: nn.Module, example: torch.Tensor, out: Path) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # TorchScript is deprecated, still useful
        traced = torch.jit.trace(wrapper, example)
        with atomic_write(out) as handle:
            torch.jit.save(traced, handle)
        return torch.jit.load(str(out))(example).numpy()


@contextlib.contextmanager
def _aside(narration: io.StringIO) -> Iterator[None]:
    """Send prints, warnings and the exporter's log records to ``narration`` for a while."""
    handler = logging.StreamHandler(narration)
    loggers = [logging.getLogger(name) for name in EXPORTER_LOGGERS]
    saved = [(logger.handlers, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.handlers, logger.propagate = [handler], False
    try:
        with contextlib.redirect_stdout(narration), contextlib.redirect_stderr(narration):
            yield
    finally:
        for logger, (handlers, propagate) in zip(loggers, saved, strict=True):
            logger.handlers, logger.propagate = handlers, propagate


def _export_onnx(wrapper: nn.Module, example: torch.Tensor, out: Path) -> np.ndarray:
    try:
        import onnxruntime
    except ImportError as exc:
        raise CourseError(
            "ONNX export needs the export extra: pip install 'mnist-course[export]'"
        ) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as scratch:
        staged = Path(scratch) / out.name
        batch = torch.export.Dim("batch", min=1)
        narration = io.StringIO()  # the exporter narrates each step; keep it unless it fails
        try:
            with _aside(narration):
                torch.onnx.export(
                    wrapper, (example,), staged, input_names=["images"],
                    output_names=["probabilities"], dynamic_shapes=({0: batch},),
                    external_data=False, dynamo=True, verbose=False,
                )  # fmt: skip
        except Exception:
            sys.stderr.write(narration.getvalue())
            raise
        os.replace(staged, out)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: no notes on how it optimised the graph
    session = onnxruntime.InferenceSession(str(out), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"images": example.numpy()})[0]


def _check_out(out: Path, source: Path) -> Path:
    """Refuse to write over the checkpoint being exported, or over any other checkpoint."""
    if not str(out).strip() or out.is_dir():
        raise CourseError(f"{out}: give the export a file name, such as runs/model.onnx")
    if out.exists() and out.resolve() == source.resolve():
        raise CourseError(f"{out}: is the checkpoint being exported; choose another --out path")
    if out.exists():
        try:
            read_checkpoint(out)
        except CheckpointError:
            return out  # an earlier export, or anything else that is not a checkpoint
        raise CourseError(f"{out}: is a checkpoint; refusing to overwrite it with an export")
    return out


def export_model(checkpoint: Checkpoint, fmt: str, out: str | os.PathLike[str]) -> ExportReport:
    """Write ``checkpoint``'s model as ``torchscript`` or ``onnx`` to ``out`` and verify it."""
    if fmt not in FORMATS:
        raise CourseError(f"unknown export format {fmt!r}: expected {' or '.join(FORMATS)}")
    out = _check_out(Path(out), checkpoint.path)
    model: Classifier = checkpoint.model.cpu().eval()
    wrapper = nn.Sequential(model, _Exp()).eval()
    example = _check_batch()
    with torch.no_grad():
        expected = wrapper(example).numpy()
        exported = (_export_torchscript if fmt == "torchscript" else _export_onnx)(
            wrapper, example, out
        )
    difference = float(np.abs(exported - expected).max())
    if difference > TOLERANCE:
        raise CourseError(
            f"{out}: the exported model disagrees with PyTorch by {difference:.2g} "
            f"(more than {TOLERANCE}); do not use it"
        )
    return ExportReport(out, fmt, difference, len(example))
