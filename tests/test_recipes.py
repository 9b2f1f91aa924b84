"""Every report system of shared/reports.md has a recipe with the report's stated settings."""

import pytest
import torch

from mnist_course.core.errors import CourseError
from mnist_course.models import build_model, count_parameters
from mnist_course.training import RECIPES, Recipe, recipe_table, split_for
from tests.cli import last_json, run_cli

# reports.md, report by report: (report, arch, optimizer, lr, momentum, batch, epochs, figure).
REPORT_SYSTEMS = {
    "cnn3conv-sgdm": ("R0", "cnn3conv", "sgd", 0.01, 0.9, 64, 60, 0.9935),
    "bncnn-sgdm": ("R1", "bncnn", "sgd", 0.01, None, 32, 60, 0.984),
    "mlp-sgd": ("R2", "mlp", "sgd", 0.03, 0.0, 64, 15, 0.974),
    "cnn3-sgd": ("R2", "cnn3", "sgd", 0.01, 0.0, 64, 25, 0.987),
    "cnn5-adam": ("R2", "cnn5", "adam", 1e-4, 0.0, 100, 15, 0.992),
    "mlp_ln_softmax-sgd": ("R3", "mlp_ln_softmax", "sgd", 0.1, None, 16, 20, 0.9733),
    "net1-b32": ("R4", "net1", None, None, None, 32, 20, 0.9761),
    "net2-b32": ("R4", "net2", "sgd", 0.01, 0.5, 32, 25, 0.9859),
    "net3-b16": ("R4", "net3", "adam", 1e-3, 0.0, 16, 19, 0.9930),
}  # None: the report does not state it (the course picks, and says so in the notes)


@pytest.mark.parametrize("name", sorted(REPORT_SYSTEMS))
def test_report_system_has_the_reports_settings(name):
    report, arch, optimizer, lr, momentum, batch, epochs, figure = REPORT_SYSTEMS[name]
    recipe = RECIPES[name]
    assert (recipe.report, recipe.arch, recipe.batch_size, recipe.epochs) == (
        report,
        arch,
        batch,
        epochs,
    )
    assert recipe.report_accuracy == figure
    assert recipe.notes.startswith(report)
    _, _, choices = recipe.notes.partition("Course's choice:")
    for field, stated, word in (
        ("optimizer", optimizer, recipe.optimizer.upper()[:3]),
        ("lr", lr, "lr"),
        ("momentum", momentum, "momentum"),
    ):
        if stated is not None:
            assert getattr(recipe, field) == stated, field
        else:  # the report is silent: the notes name the course's pick
            assert word.lower() in choices.lower(), (field, recipe.notes)


def test_nine_report_systems_and_the_course_recipes():
    reported = {name for name, r in RECIPES.items() if r.report != "course"}
    assert reported == set(REPORT_SYSTEMS)
    assert {"fast", "best", "mlp_ln-sgd"} <= set(RECIPES) - reported
    assert all(RECIPES[name].report == "course" for name in ("fast", "best", "mlp_ln-sgd"))


def test_report_specific_settings():
    r0, r1, r3 = RECIPES["cnn3conv-sgdm"], RECIPES["bncnn-sgdm"], RECIPES["mlp_ln_softmax-sgd"]
    assert r0.drop_last and r0.shuffle and r0.train_fraction == 0.2 and r0.normalization == "none"
    assert (r1.scheduler, r1.normalization) == ("plateau", "symmetric") and r1.augment
    assert r1.momentum > 0
    assert r3.train_fraction == 0.8  # R3's 12,000-image validation hold-out
    corrected = RECIPES["mlp_ln-sgd"]
    assert (
        corrected.replace(
            name=r3.name,
            arch=r3.arch,
            report="R3",
            report_accuracy=r3.report_accuracy,
            notes=r3.notes,
        )
        == r3
    )
    assert RECIPES["net3-b16"].scheduler is None  # R4 states no schedule


def test_split_for_honours_train_fraction(digits):
    pool = digits.train
    train, validation = split_for(RECIPES["cnn3conv-sgdm"], pool)
    assert len(train) == round(0.2 * len(pool)) and len(train) + len(validation) == len(pool)
    train, validation = split_for(RECIPES["mlp-sgd"], pool)
    assert abs(len(validation) - 0.1 * len(pool)) <= 1
    with pytest.raises(CourseError, match="train_fraction"):
        Recipe("x", "mlp", train_fraction=0)
    with pytest.raises(CourseError, match="unknown report 'R5'"):
        Recipe("x", "mlp", report="R5")


def test_recipes_command_json():
    rows = last_json(run_cli("recipes", "--json"))["recipes"]
    assert isinstance(rows, list) and [row["name"] for row in rows] == list(RECIPES)
    keys = {
        "name",
        "report",
        "arch",
        "parameters",
        "optimizer",
        "lr",
        "momentum",
        "batch_size",
        "epochs",
        "scheduler",
        "normalization",
        "augment",
        "drop_last",
        "report_accuracy",
    }
    by_name = {row["name"]: row for row in rows}
    for row in rows:
        assert keys <= set(row)
        assert row["parameters"] == count_parameters(build_model(row["arch"]))
        assert row["normalization"] in ("computed", "symmetric", "none")
        assert row["report_accuracy"] is None or 0.9 < row["report_accuracy"] < 1
    assert by_name["bncnn-sgdm"]["report"] == "R1" and by_name["fast"]["report"] == "course"
    assert by_name["net3-b16"]["parameters"] == sum(
        p.numel() for p in build_model("net3").parameters()
    )


def test_recipes_command_table():
    result = run_cli("recipes")
    assert result.returncode == 0
    for name in RECIPES:
        assert name in result.stdout
    assert "99.35%" in result.stdout and "course's choice" in result.stdout.lower()


def test_recipe_table_is_indexed_by_name():
    table = recipe_table()
    assert table.loc["net2-b32", "parameters"] == count_parameters(build_model("net2"))
    assert table.loc["cnn3conv-sgdm", "train_fraction"] == 0.2
    assert torch.isfinite(torch.tensor(table["lr"].to_numpy())).all()


def test_train_command_honours_train_fraction(tmp_path, monkeypatch):
    """R0's recipe trains on 20 % of the training images and validates on the other 80 %."""
    import mnist_course.cli as cli

    seen = {}

    def recording_train(recipe, train_data, val_data, **kwargs):
        seen["sizes"] = (len(train_data), len(val_data))
        return real_train(recipe, train_data, val_data, **kwargs)

    real_train = cli.train
    monkeypatch.setattr(cli, "train", recording_train)
    summary = last_json(
        run_cli(
            *"train --recipe cnn3conv-sgdm --epochs 1 --source digits --out".split(),
            str(tmp_path / "r0.pt"),
            *"--no-progress --json".split(),
        )
    )
    train_images, val_images = seen["sizes"]
    assert train_images + val_images == 1437  # scikit-learn digits' training split
    assert abs(train_images - 0.2 * 1437) <= 1
    assert summary["status"] == "completed"


def test_an_arch_run_starts_from_its_recipe_but_is_the_courses():
    from mnist_course.training import base_recipe_for

    custom = base_recipe_for("cnn3conv")
    assert (custom.optimizer, custom.momentum, custom.batch_size) == ("sgd", 0.9, 64)
    assert (custom.train_fraction, custom.report, custom.report_accuracy) == (1.0, "course", None)
