"""Training: recipes, the train/validate loop, checkpoints and evaluation."""

from .checkpoint import (
    Checkpoint,
    CheckpointError,
    last_checkpoint_path,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
    update_metrics,
)
from .evaluate import Evaluation, evaluate
from .loop import HISTORY_COLUMNS, EpochEnd, TrainResult, train
from .recipes import (
    RECIPES,
    Recipe,
    base_recipe_for,
    get_recipe,
    recipe_rows,
    recipe_table,
    split_for,
)

__all__ = [
    "HISTORY_COLUMNS",
    "RECIPES",
    "Checkpoint",
    "CheckpointError",
    "EpochEnd",
    "Evaluation",
    "Recipe",
    "TrainResult",
    "base_recipe_for",
    "evaluate",
    "get_recipe",
    "last_checkpoint_path",
    "load_checkpoint",
    "read_checkpoint",
    "recipe_rows",
    "recipe_table",
    "save_checkpoint",
    "split_for",
    "train",
    "update_metrics",
]
