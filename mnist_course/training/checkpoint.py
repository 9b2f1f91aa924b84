"""Checkpoints: weights plus everything needed to use them, written atomically, loaded safely.

A checkpoint is a plain dictionary of tensors, numbers, strings, lists and dicts saved with
``torch.save``: the architecture's name, the classes, the normalisation, the recipe, the history
and the metrics sit beside the weights, so ``load_checkpoint`` rebuilds a ready-to-use model from
the file alone. Loading uses ``torch.load(weights_only=True)``, which refuses any pickled Python
object: opening a checkpoint never runs code.

This module owns the checkpoint: the format (``save_checkpoint``, ``load_checkpoint``), what a
run writes after every epoch and reads back to resume (``save_run``, ``read_run``: the best model
to ``run.pt``, everything needed to continue to ``run.last.pt``), the scores added after training
(``update_metrics``) and the refusal to overwrite a file that is not a checkpoint of this course
(``check_output_path``). A run's bookkeeping between epochs is ``run.py``'s ``Run``.
"""

from __future__ import annotations

import copy
import io
import os
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch
import torchvision
from torch import nn

from ..core.atomic import atomic_write
from ..core.errors import CourseError
from ..data.normalization import Normalization
from ..models import ARCHITECTURES, build_model
from ..models.classifier import Classifier
from .recipes import Recipe

FORMAT = "mnist-course-checkpoint"
FORMAT_VERSION = 1
MAX_BYTES = 1 << 30
"""The most a checkpoint may hold unpacked (1 GiB): far above any course model with its optimizer
state, far below what would take the machine."""


class CheckpointError(CourseError):
    """A checkpoint that is missing, damaged, foreign or unsafe."""


def last_checkpoint_path(best: str | os.PathLike[str]) -> Path:
    """Where a run's 'last' checkpoint lives, beside its 'best': ``run.pt`` -> ``run.last.pt``."""
    best = Path(best)
    return best.with_name(f"{best.stem}.last{best.suffix or '.pt'}")


def save_checkpoint(
    path: str | os.PathLike[str],
    model: Classifier,
    *,
    recipe: Recipe,
    history: pd.DataFrame,
    metrics: dict[str, float],
    epoch: int,
    training_state: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically: a crash mid-save leaves the previous file intact."""
    from .. import __version__

    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "arch": model.arch,
        "classes": list(model.classes),
        "normalization": model.normalization.to_dict(),
        "card": dict(model.card),
        "recipe": recipe.to_dict(),
        "history": history.to_dict(orient="list"),
        "metrics": dict(metrics),
        "epoch": epoch,
        "state_dict": {
            k: v.detach().cpu().contiguous() for k, v in model.network.state_dict().items()
        },
        "training_state": training_state,
        "versions": {
            "mnist_course": __version__,
            "torch": str(torch.__version__),  # TorchVersion is a class; weights_only refuses it
            "torchvision": str(torchvision.__version__),
        },
    }
    _write(path, payload)
    return Path(path)


def _write(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    """Serialise in memory first: a full disk is then a plain, named write error."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with atomic_write(path) as handle:
        handle.write(buffer.getbuffer())


def _check_archive(path: Path) -> None:
    """Before unpickling: the zip's members are whole (CRC) and not absurdly large."""
    if not zipfile.is_zipfile(path):
        return  # not torch.save's zip format: torch.load says what it is
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if any(m.filename.endswith("/constants.pkl") for m in members):
                raise CheckpointError(
                    f"{path}: a TorchScript export (what the export command writes), not a "
                    "checkpoint; load it with torch.jit.load, or give the .pt checkpoint it "
                    "was exported from"
                )
            unpacked = sum(m.file_size for m in members)
            if unpacked > MAX_BYTES:
                raise CheckpointError(
                    f"{path}: unpacks to {unpacked:,} bytes, more than any course model "
                    f"({MAX_BYTES:,} at most); refusing to load it"
                )
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise CheckpointError(f"{path}: damaged or not a PyTorch checkpoint ({exc})") from exc
    if damaged is not None:
        raise CheckpointError(
            f"{path}: damaged: its part {damaged!r} no longer matches its checksum (the file "
            "changed on disk or in a copy); retrain, or copy it again"
        )


def _check_tensors(path: Path, value: Any, where: str = "") -> None:
    """Refuse a tensor that claims more values than its file stores (a view over a few values
    expanded to billions), before anything reads it."""
    if isinstance(value, torch.Tensor):
        claimed = value.numel() * value.element_size()
        stored = value.untyped_storage().nbytes()
        if claimed > stored or claimed > MAX_BYTES:
            shape = "x".join(map(str, value.shape))
            raise CheckpointError(
                f"{path}: tensor {where or 'in it'} has shape {shape} ({claimed:,} bytes) but "
                f"the file stores {stored:,} bytes for it; refusing to load it"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_tensors(path, item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_tensors(path, item, f"{where}[{index}]")


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The raw checkpoint dictionary, or a ``CheckpointError`` saying what is wrong with it."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file")
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    _check_archive(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "unsupported global" in str(exc).lower():  # a pickled class or function: runs code
            raise CheckpointError(
                f"{path}: refusing to load: the file holds Python objects, not just weights and "
                "plain data, and loading them could run code (weights_only=True)"
            ) from exc
        with open(path, "rb") as handle:
            if handle.read(1) == b"\x80":  # a pickle stream of its own, not torch.save's zip
                raise CheckpointError(
                    f"{path}: refusing to load: a plain Python pickle, not a PyTorch checkpoint; "
                    "unpickling it could run code"
                ) from exc
        raise CheckpointError(f"{path}: damaged or not a PyTorch checkpoint (unreadable)") from exc
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: damaged or not a PyTorch checkpoint ({reason})") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            f"{path}: not an mnist-course checkpoint (no '{FORMAT}' marker); a bare state_dict "
            "loads with model.load_state_dict(torch.load(path, weights_only=True))"
        )
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(f"{path}: written by a newer mnist-course; upgrade to read it")
    _check_tensors(path, payload)
    return payload


def update_metrics(path: str | os.PathLike[str], **metrics: float) -> None:
    """Add figures measured after training (e.g. test accuracy) to a checkpoint, atomically."""
    payload = read_checkpoint(path)
    payload["metrics"].update(metrics)
    _write(path, payload)


@dataclass
class Checkpoint:
    """A trained model ready to use (``model``), with what it was trained on and how."""

    path: Path
    model: Classifier
    recipe: Recipe
    history: pd.DataFrame
    metrics: dict[str, float]
    epoch: int
    training_state: dict[str, Any] | None


def load_checkpoint(
    path: str | os.PathLike[str],
    device: torch.device | str = "cpu",
    network: nn.Module | None = None,
) -> Checkpoint:
    """Rebuild the trained model from a checkpoint, in eval mode on ``device``.

    A model of the course's architectures is rebuilt from its name; for a network of your own
    (saved as architecture ``custom``) pass a freshly built one as ``network``.
    """
    return _from_payload(Path(path), read_checkpoint(path), device, network)


def _from_payload(
    path: Path, payload: dict[str, Any], device: torch.device | str, network: nn.Module | None
) -> Checkpoint:
    """``load_checkpoint`` on a payload already read (and checked) from ``path``."""
    try:
        arch, classes = str(payload["arch"]), tuple(str(c) for c in payload["classes"])
        normalization = Normalization(**payload["normalization"])
        recipe = Recipe.from_dict(payload["recipe"])
        history = pd.DataFrame(payload["history"])
        metrics = {str(k): float(v) for k, v in payload["metrics"].items()}
        epoch = int(payload["epoch"])
        weights = dict(payload["state_dict"])
        card = dict(payload.get("card") or {}) | {"epoch": epoch, **metrics}
    except (KeyError, TypeError, ValueError, AttributeError, CourseError) as exc:
        raise CheckpointError(f"{path}: malformed checkpoint metadata ({exc})") from exc
    twice = sorted({name for name in classes if classes.count(name) > 1})
    if twice or not classes:
        problem = f"{', '.join(map(repr, twice))} named twice" if twice else "no class names"
        raise CheckpointError(f"{path}: malformed checkpoint metadata ({problem})")
    if network is None:
        if arch not in ARCHITECTURES:
            raise CheckpointError(
                f"{path}: architecture {arch!r} is not one of the course's; rebuild the network "
                "yourself and load it with load_checkpoint(path, network=...)"
            )
        network = build_model(arch, num_classes=len(classes))
    bad = [k for k, v in weights.items() if v.is_floating_point() and not v.isfinite().all()]
    if bad:
        raise CheckpointError(f"{path}: weights {bad[0]!r} hold NaN or infinite values; retrain")
    try:
        network.load_state_dict(weights)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise CheckpointError(
            f"{path}: weights do not fit architecture {arch!r} ({first})"
        ) from exc
    model = Classifier(network, normalization, classes, arch, card).to(device).eval()
    return Checkpoint(
        path=path,
        model=model,
        recipe=recipe,
        history=history,
        metrics=metrics,
        epoch=epoch,
        training_state=payload.get("training_state"),
    )


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """Refuse, before any training, a checkpoint path that would fail or destroy something."""
    if not str(path).strip():
        raise CourseError("the checkpoint path is empty: give a file name such as runs/model.pt")
    path = Path(path)
    for target in (path, last_checkpoint_path(path)):
        if target.is_dir():
            raise CourseError(f"{target}: is a folder; give a file name such as {target}/model.pt")
        if target.exists():
            try:
                read_checkpoint(target)
            except CheckpointError as exc:
                reason = str(exc).removeprefix(f"{target}: ")
                raise CourseError(
                    f"{target}: exists and cannot be read as a checkpoint of this course "
                    f"({reason}); refusing to overwrite it (choose another path, or move the "
                    "file away first)"
                ) from exc
    return path


def save_run(
    path: Path,
    model: Classifier,
    *,
    recipe: Recipe,
    history: pd.DataFrame,
    training_state: dict[str, Any],
    improved: bool,
) -> None:
    """After an epoch: everything to continue the run to ``run.last.pt`` (the optimizer, the
    schedule, the shuffling, the run's own state, its data's digests: ``training_state``); the
    model also to ``run.pt`` when the epoch is the best so far."""
    last = history.iloc[-1]
    common = {
        "recipe": recipe,
        "history": history,
        "epoch": int(last["epoch"]),
        "metrics": {k: float(last[k]) for k in ("val_accuracy", "train_accuracy")},
    }
    save_checkpoint(last_checkpoint_path(path), model, training_state=training_state, **common)
    if improved:
        save_checkpoint(path, model, **common)


@dataclass
class SavedRun:
    """A run read back to resume: the last epoch's weights and training state, the history, the
    best epoch's weights (``None`` when no best checkpoint was written)."""

    weights: dict[str, torch.Tensor]
    training_state: dict[str, Any]
    history: list[dict]
    best_weights: dict[str, torch.Tensor] | None


def read_run(path: Path, recipe: Recipe, data: dict[str, str], network: nn.Module) -> SavedRun:
    """Read the run saved at ``path`` to continue it with ``recipe`` on ``data`` (digests);
    refuses another recipe or other data, naming what changed. ``network`` is not changed."""
    last = last_checkpoint_path(path)
    if not last.is_file():
        raise CheckpointError(f"nothing to resume: {last} does not exist")
    payload = read_checkpoint(last)
    try:
        saved_recipe = Recipe.from_dict(payload["recipe"])
    except (KeyError, TypeError, ValueError, CourseError) as exc:
        raise CheckpointError(f"{last}: malformed checkpoint metadata ({exc})") from exc
    _check_same_run(saved_recipe, recipe, last)  # before the weights: name the real cause
    saved = _from_payload(last, payload, "cpu", copy.deepcopy(network))
    state = saved.training_state or {}
    _check_same_data(state.get("data") or {}, data, last)
    return SavedRun(
        weights=saved.model.network.state_dict(),
        training_state=state,
        history=saved.history.to_dict(orient="records"),
        best_weights=read_checkpoint(path)["state_dict"] if path.is_file() else None,
    )


def _check_same_data(saved: dict[str, str], asked: dict[str, str], path: Path) -> None:
    """Resuming continues on the data the run started on (older checkpoints did not record it)."""
    changed = [
        f"{key}: {saved[key]} -> {value}"
        for key, value in asked.items()
        if key in saved and saved[key] != value
    ]
    if changed:
        raise CheckpointError(
            f"{path} was trained on other data ({'; '.join(changed)}); resume with the same "
            "--source, --limit and --validation, or start a new run"
        )


def _check_same_run(saved: Recipe, asked: Recipe, path: Path) -> None:
    """Resuming continues one run: only the number of epochs may change, and not for one-cycle."""
    if saved.replace(epochs=asked.epochs) != asked:
        changed = [
            f"{k} {saved.to_dict().get(k)!r} -> {v!r}"
            for k, v in asked.to_dict().items()
            if saved.to_dict().get(k) != v and k != "epochs"
        ]
        raise CheckpointError(
            f"{path} was trained with a different recipe ({'; '.join(changed)}); "
            "resume with the recipe it was saved with, or start a new run"
        )
    if asked.scheduler == "onecycle" and asked.epochs != saved.epochs:
        raise CheckpointError(
            f"{path}: a one-cycle schedule is planned for {saved.epochs} epochs and cannot be "
            f"stretched to {asked.epochs}; start a new run instead"
        )
