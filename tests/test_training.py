"""The train/validate loop on real handwriting (scikit-learn's digits), small enough to be quick."""

import math

import pandas as pd
import pytest
import torch

from mnist_course.data import MNIST_NORMALIZATION, stratified_split
from mnist_course.models import build_model
from mnist_course.models.classifier import Classifier
from mnist_course.training import (
    HISTORY_COLUMNS,
    CheckpointError,
    Recipe,
    evaluate,
    last_checkpoint_path,
    load_checkpoint,
    recipe_table,
    train,
)

SMALL = Recipe("test-fast", "fast", "sgd", lr=0.05, momentum=0.9, batch_size=32, epochs=4)


@pytest.fixture(scope="module")
def parts(digits):
    return stratified_split(digits.train, validation=0.2, seed=0)


@pytest.fixture(scope="module")
def trained(parts, tmp_path_factory):
    """One short run with a checkpoint, shared by the tests that only read its outcome."""
    path = tmp_path_factory.mktemp("run") / "run.pt"
    return train(SMALL, *parts, checkpoint=path, progress=False), path


def test_short_run_learns_far_above_chance(trained):
    result, _ = trained
    assert result.status == "completed"
    assert list(result.history.columns) == HISTORY_COLUMNS
    assert result.history["epoch"].tolist() == [1, 2, 3, 4]
    assert result.selected_by == "val_accuracy"
    assert result.best_score > 0.85, "ten classes: chance is 0.10"
    assert result.history["train_loss"].iloc[-1] < result.history["train_loss"].iloc[0]
    assert (result.history["seconds"] > 0).all()
    assert result.best_score == result.history["val_accuracy"].max()


def test_checkpoint_round_trip(trained, digits):
    result, path = trained
    loaded = load_checkpoint(path)
    model = loaded.model
    assert (model.arch, model.classes, loaded.recipe) == ("fast", digits.classes, SMALL)
    assert (model.name, result.model.name) == (SMALL.name, SMALL.name), "named by its recipe"
    assert model.normalization == result.model.normalization
    assert loaded.epoch == result.best_epoch and len(loaded.history) == result.best_epoch
    assert loaded.metrics["val_accuracy"] == pytest.approx(result.best_score)
    assert model.card == result.model.card, "the same card, whichever way the model came"
    ours = evaluate(result.model, digits.test)
    theirs = evaluate(model, digits.test)
    assert torch.equal(ours.predictions, theirs.predictions)
    assert last_checkpoint_path(path).is_file()


def test_without_validation_the_best_epoch_is_chosen_by_training_accuracy(parts):
    result = train(SMALL.replace(epochs=2), parts[0], progress=False)
    assert result.selected_by == "train_accuracy"
    assert result.best_score == result.history["train_accuracy"].max()
    assert result.history["val_accuracy"].isna().all()


class Pickled:
    """Any Python object: loading it would mean running its class's code."""


def test_weights_only_loading_refuses_pickled_objects(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "mnist-course-checkpoint", "payload": Pickled()}, path)
    with pytest.raises(CheckpointError, match="refusing to load: the file holds Python objects"):
        load_checkpoint(path)


def test_damaged_and_foreign_checkpoints(tmp_path, parts):
    train(
        SMALL.replace(epochs=1), parts[0], parts[1], checkpoint=tmp_path / "ok.pt", progress=False
    )
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes((tmp_path / "ok.pt").read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="damaged or not a PyTorch checkpoint"):
        load_checkpoint(damaged)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"definitely not a checkpoint")
    with pytest.raises(CheckpointError, match="damaged or not a PyTorch checkpoint"):
        load_checkpoint(garbage)
    foreign = tmp_path / "foreign.pt"
    torch.save(build_model("mlp").state_dict(), foreign)
    with pytest.raises(CheckpointError, match="not an mnist-course checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        load_checkpoint(tmp_path / "missing.pt")


def press_stop_at(model: torch.nn.Module, call: int) -> torch.nn.Module:
    """Make the ``call``-th training forward pass raise KeyboardInterrupt, as Ctrl-C would."""
    calls = {"n": 0}

    def hook(module, inputs):
        if module.training:
            calls["n"] += 1
            if calls["n"] == call:
                raise KeyboardInterrupt

    model.register_forward_pre_hook(hook)
    return model


def test_interrupt_keeps_best_and_resume_finishes_exactly(parts, tmp_path):
    train_part, validation = parts
    recipe = SMALL.replace(epochs=4)
    per_epoch = math.ceil(len(train_part) / recipe.batch_size)
    torch.manual_seed(recipe.seed)  # the same initial weights train() would draw
    stopped_model = press_stop_at(build_model("fast"), call=2 * per_epoch + 5)  # inside epoch 3
    stopped = train(
        recipe,
        train_part,
        validation,
        model=stopped_model,
        checkpoint=tmp_path / "run.pt",
        progress=False,
    )
    assert stopped.status == "interrupted"
    assert stopped.history["epoch"].tolist() == [1, 2]
    best = load_checkpoint(tmp_path / "run.pt")
    assert best.epoch == stopped.best_epoch <= 2
    for name, value in stopped.model.state_dict().items():
        torch.testing.assert_close(value, best.model.state_dict()[name])

    resumed = train(
        recipe, train_part, validation, checkpoint=tmp_path / "run.pt", resume=True, progress=False
    )
    assert resumed.status == "completed"
    assert resumed.history["epoch"].tolist() == [1, 2, 3, 4]

    straight = train(recipe, train_part, validation, checkpoint=tmp_path / "b.pt", progress=False)
    final_resumed = load_checkpoint(last_checkpoint_path(tmp_path / "run.pt")).model.state_dict()
    final_straight = load_checkpoint(last_checkpoint_path(tmp_path / "b.pt")).model.state_dict()
    for name, value in final_straight.items():
        torch.testing.assert_close(final_resumed[name], value, msg=f"{name} differs after resume")
    pd.testing.assert_series_equal(
        resumed.history["val_accuracy"], straight.history["val_accuracy"]
    )


def test_resuming_reads_each_checkpoint_once_and_leaves_the_network(trained, monkeypatch):
    from mnist_course.training import checkpoint

    result, path = trained
    reads, read = [], checkpoint.read_checkpoint
    monkeypatch.setattr(checkpoint, "read_checkpoint", lambda p: reads.append(p.name) or read(p))
    network = build_model("fast")
    before = {k: v.clone() for k, v in network.state_dict().items()}
    saved = checkpoint.read_run(path, SMALL, {}, network)
    assert reads == ["run.last.pt", "run.pt"], "the last checkpoint once, then the best one"
    assert [row["epoch"] for row in saved.history] == [1, 2, 3, 4]
    assert saved.best_weights is not None
    for name, value in result.model.network.state_dict().items():
        torch.testing.assert_close(saved.best_weights[name], value.cpu())
    assert all(torch.equal(v, before[k]) for k, v in network.state_dict().items())


def test_a_new_run_never_reports_an_old_runs_checkpoint(parts, tmp_path):
    train(SMALL.replace(epochs=1), *parts, checkpoint=tmp_path / "run.pt", progress=False)
    stopped_at_once = press_stop_at(build_model("fast"), call=1)
    fresh = train(
        SMALL, *parts, model=stopped_at_once, checkpoint=tmp_path / "run.pt", progress=False
    )
    assert fresh.status == "interrupted"
    assert fresh.checkpoint is None and fresh.last_checkpoint is None, "those files are older"


def test_resume_refuses_a_different_recipe(parts, tmp_path):
    train(SMALL.replace(epochs=1), *parts, checkpoint=tmp_path / "run.pt", progress=False)
    with pytest.raises(CheckpointError, match="different recipe \\(lr 0.05 -> 0.5\\)"):
        train(
            SMALL.replace(lr=0.5),
            *parts,
            checkpoint=tmp_path / "run.pt",
            resume=True,
            progress=False,
        )
    with pytest.raises(CheckpointError, match="nothing to resume"):
        train(SMALL, *parts, checkpoint=tmp_path / "other.pt", resume=True, progress=False)


def test_divergence_is_a_status_not_an_exception(parts):
    exploding = Recipe("too-hot", "mlp", "sgd", lr=1e4, batch_size=32, epochs=3)
    result = train(exploding, *parts, progress=False)
    assert result.status == "diverged"
    assert len(result.history) == 1 and math.isnan(result.history["train_loss"].iloc[0])


@pytest.mark.parametrize(
    ("optimizer", "scheduler", "args"),
    [
        ("adadelta", "step", {"gamma": 0.5}),
        ("adam", "plateau", {"patience": 0}),
        ("sgd", "onecycle", {}),
    ],
)
def test_optimizers_and_schedules(parts, optimizer, scheduler, args):
    recipe = Recipe(
        "combo",
        "mlp",
        optimizer,
        lr=1.0 if optimizer == "adadelta" else 0.01,
        epochs=3,
        scheduler=scheduler,
        scheduler_args=args,
    )
    result = train(recipe, *parts, progress=False)
    assert result.status == "completed" and result.best_score > 0.5
    if scheduler == "step":
        assert result.history["lr"].tolist() == pytest.approx([1.0, 0.5, 0.25])


def test_custom_model_is_recorded_as_custom(parts, tmp_path):
    tiny = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10), torch.nn.LogSoftmax(1))
    train(SMALL.replace(epochs=1), *parts, model=tiny, checkpoint=tmp_path / "t.pt", progress=False)
    with pytest.raises(CheckpointError, match="architecture 'custom' is not one of the course's"):
        load_checkpoint(tmp_path / "t.pt")
    fresh = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(784, 10), torch.nn.LogSoftmax(1)
    )
    assert load_checkpoint(tmp_path / "t.pt", network=fresh).model.arch == "custom"


def test_evaluate_unlabeled(digits):
    from mnist_course import DigitDataset

    unlabeled = DigitDataset(digits.test.images[:7], None)
    scores = evaluate(
        Classifier(build_model("mlp"), MNIST_NORMALIZATION, digits.classes), unlabeled
    )
    assert math.isnan(scores.accuracy) and scores.predictions.shape == (7,)
    torch.testing.assert_close(scores.probabilities.sum(dim=1), torch.ones(7))


def test_recipe_table_has_the_reports_figures():
    table = recipe_table()
    assert table.loc["mlp-sgd", ["lr", "batch_size", "epochs"]].tolist() == [0.03, 64, 15]
    assert table.loc["cnn5-adam", "optimizer"] == "adam"
    assert table.loc["cnn3-sgd", "report_accuracy"] == 0.987


def test_evaluate_and_predict_run_in_eval_mode_and_restore_the_mode(trained, digits):
    """Dropout off while scoring, and the caller's mode back afterwards, also after an error."""
    from mnist_course.inference.predict import predict_prepared

    model = trained[0].model
    modes = []
    hook = model.network.register_forward_pre_hook(
        lambda module, inputs: modes.append(module.training)
    )
    try:
        for mode in (True, False):
            model.train(mode)
            evaluate(model, digits.test)
            predict_prepared(model, digits.test.images[0].numpy())
            assert model.training is mode
        assert modes and not any(modes), "every forward pass ran in eval mode"
        model.train()

        def fail(module, inputs):
            raise RuntimeError("boom")

        failing = model.network.register_forward_pre_hook(fail)
        with pytest.raises(RuntimeError, match="boom"):
            evaluate(model, digits.test)
        failing.remove()
        assert model.training, "a failed evaluation leaves the model in the mode it was in"
    finally:
        hook.remove()
        model.eval()
