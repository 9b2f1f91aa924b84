"""mnist_course: the helper library behind the MNIST course notebooks.

The notebooks teach; this package does the work once, so every lesson calls the same tested code.

>>> from mnist_course import load_data
>>> splits = load_data("digits")          # offline: scikit-learn's handwriting, MNIST-style
>>> splits.train
DigitDataset(1437 labeled images [28, 28], 10 classes, source='scikit-learn digits train')
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "DATA_ENV_VAR": ".paths",
    "BatchIterator": ".data",
    "BlankImageError": ".preprocess",
    "Classifier": ".classifier",
    "CourseError": ".errors",
    "DataError": ".errors",
    "DataSplits": ".data",
    "DigitDataset": ".data",
    "Normalization": ".data",
    "compute_normalization": ".data",
    "data_root": ".paths",
    "load_data": ".data",
    "pick_device": ".runtime",
    "seed_everything": ".runtime",
    "stratified_split": ".data",
    "to_mnist_style": ".preprocess",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    """Import on first use, so ``python -m mnist_course`` starts (and stops) without torch."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name], __name__), name)
