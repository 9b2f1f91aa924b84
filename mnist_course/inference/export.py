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
import copy
import io
import logging
import os
import sys
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..core.atomic import atomic_write
from ..core.errors import CourseError
from ..models.classifier import Classifier
from ..training.checkpoint import Checkpoint, CheckpointError, read_checkpoint

FORMATS = ("torchscript", "onnx")
EXPORTER_LOGGERS = ("torch.onnx", "torch.export", "onnxscript", "onnx_ir")
"""The loggers the ONNX exporter narrates on."""
TOLERANCE = 1e-4
"""Largest difference in any probability that still counts as the same model."""
MARK = "mnist-course-export"
"""Written into every export (TorchScript extra file, ONNX metadata): what export may replace."""


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
    from ..data.sklearn_digits import load_sklearn_digits

    return load_sklearn_digits().test.images[:count].float().div(255).unsqueeze(1)


def _export_torchscript(wrapper: nn.Module, example: torch.Tensor, out: Path) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # TorchScript is deprecated, still useful
        traced = torch.jit.trace(wrapper, example)
        with atomic_write(out) as handle:
            torch.jit.save(traced, handle, _extra_files={MARK: "torchscript"})
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
    batch = torch.export.Dim("batch", min=1)
    narration = io.StringIO()  # the exporter narrates each step; keep it unless it fails
    try:
        with _aside(narration):
            program = torch.onnx.export(
                wrapper,
                (example,),
                None,
                input_names=["images"],
                output_names=["probabilities"],
                dynamic_shapes=({0: batch},),
                dynamo=True,
                verbose=False,
            )
    except Exception:
        sys.stderr.write(narration.getvalue())
        raise
    assert program is not None  # export without a file name returns the program
    proto = program.model_proto
    proto.metadata_props.add(key=MARK, value="onnx")
    with atomic_write(out) as handle:
        handle.write(proto.SerializeToString())
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: no notes on how it optimised the graph
    session = onnxruntime.InferenceSession(str(out), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"images": example.numpy()})[0]


def _export_format(path: Path) -> str | None:
    """The format of an earlier export of this course at ``path``, or None for anything else."""
    if zipfile.is_zipfile(path):
        with contextlib.suppress(zipfile.BadZipFile, OSError, KeyError), zipfile.ZipFile(path) as z:
            marks = [m for m in z.namelist() if m.endswith(f"/extra/{MARK}")]
            return z.read(marks[0]).decode() if marks else None
        return None
    try:
        import onnx

        props = {
            p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props
        }
    except Exception:  # not ONNX (a CSV, a photo, notes), or no onnx to read it with
        return None
    return props.get(MARK)


def _check_out(out: str | os.PathLike[str], fmt: str, source: Path | None) -> Path:
    """Refuse to replace anything but an earlier export of this course in the same format."""
    if not str(out).strip():
        raise CourseError(
            "the --out path is empty: give the export a file name, such as runs/model.onnx"
        )
    out = Path(out)
    if out.is_dir():
        raise CourseError(
            f"{out}: is a folder; give the export a file name, such as "
            f"{out / ('model.onnx' if fmt == 'onnx' else 'model.ts')}"
        )
    if not os.path.lexists(out):
        return out
    if source is not None and out.resolve() == source.resolve():
        raise CourseError(f"{out}: is the checkpoint being exported; choose another --out path")
    if out.is_symlink() or not out.is_file():
        raise CourseError(f"{out}: exists and is not a regular file; refusing to replace it")
    if _export_format(out) == fmt:
        return out  # an earlier export of the same kind: the user asked for a fresh one
    try:
        read_checkpoint(out)
    except CheckpointError:
        raise CourseError(
            f"{out}: exists and is not an earlier {fmt} export of this course; refusing to "
            "overwrite it (choose another --out path, or move the file away first)"
        ) from None
    raise CourseError(f"{out}: is a checkpoint; refusing to overwrite it with an export")


def export_model(
    model: Classifier | Checkpoint, fmt: str, out: str | os.PathLike[str]
) -> ExportReport:
    """Write the model (a ``Classifier`` or a loaded ``Checkpoint``) as ``torchscript`` or ``onnx``
    to ``out`` and verify it. The model itself is left as it was (device, mode)."""
    if fmt not in FORMATS:
        raise CourseError(f"unknown export format {fmt!r}: expected {' or '.join(FORMATS)}")
    source = model.path if isinstance(model, Checkpoint) else None
    out = _check_out(out, fmt, source)
    classifier = model.model if isinstance(model, Checkpoint) else model
    wrapper = nn.Sequential(copy.deepcopy(classifier).cpu(), _Exp()).eval()
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
