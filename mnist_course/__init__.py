"""mnist_course: the helper library behind the MNIST course notebooks.

The notebooks teach; this package does the work once, so every lesson calls the same tested code.

>>> from mnist_course import load_data
>>> splits = load_data("digits")          # offline: scikit-learn's handwriting, MNIST-style
>>> splits.train
DigitDataset(1437 labeled images [28, 28], 10 classes, source='scikit-learn digits train')

Layers, from the bottom up: a module imports from its own layer and the layers listed before
it, never from one listed after it (``tests/test_layers.py`` reads this list and checks every
import)::

    core/                             errors, atomic writes, data folder, device, seeds, formatting
    images/                           a picture made MNIST-style, strokes rasterised, augmentation
    data/                             datasets, their sources and files, splits, batches
    models/                           the architectures, the Classifier (network + normalisation)
    training/                         recipes, the engine, a run, checkpoints, studies, fine-tuning
    inference/                        evaluation reports, predictions, export, inside a network
    widgets/                          figures, the gallery, the drawing pad, the training panel
    course/ exercises/                each lesson's parameters cell, the environment, exercises
    cli.py cli_output.py __main__.py  the command line

The names below (``from mnist_course import load_data``) are imported on first use.
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "DATA_ENV_VAR": ".core.paths",
    "BatchIterator": ".data",
    "BlankImageError": ".images.preprocess",
    "Classifier": ".models.classifier",
    "CourseError": ".core.errors",
    "DataError": ".core.errors",
    "DataSplits": ".data",
    "DigitDataset": ".data",
    "Normalization": ".data",
    "compute_normalization": ".data",
    "data_root": ".core.paths",
    "load_data": ".data",
    "pick_device": ".core.runtime",
    "seed_everything": ".core.runtime",
    "stratified_split": ".data",
    "to_mnist_style": ".images.preprocess",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    """Import on first use, so ``python -m mnist_course`` starts (and stops) without torch."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name], __name__), name)
