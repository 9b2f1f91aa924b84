"""Training: recipes, the engine (one epoch, one evaluation), the run around it, checkpoints."""

from .checkpoint import (
    Checkpoint,
    CheckpointError,
    last_checkpoint_path,
    load_checkpoint,
    read_checkpoint,
    save_checkpoint,
    update_metrics,
)
from .engine import Evaluation, evaluate, train_one_epoch
from .loop import EpochEnd, train
from .recipes import (
    RECIPES,
    Recipe,
    base_recipe_for,
    get_recipe,
    recipe_rows,
    recipe_table,
    split_for,
)
from .run import HISTORY_COLUMNS, TrainResult

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
    "train_one_epoch",
    "update_metrics",
]
