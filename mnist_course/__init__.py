"""mnist_course: the helper library behind the MNIST course notebooks.

The notebooks teach; this package does the work once, so every lesson calls the same tested code.

>>> from mnist_course import load_data
>>> splits = load_data("digits")          # offline: scikit-learn's handwriting, MNIST-style
>>> splits.train
DigitDataset(1437 labeled images [28, 28], 10 classes, source='scikit-learn digits train')
"""

from .data import (
    BatchIterator,
    DataSplits,
    DigitDataset,
    Normalization,
    compute_normalization,
    load_data,
    stratified_split,
)
from .errors import CourseError, DataError
from .paths import DATA_ENV_VAR, data_root
from .preprocess import BlankImageError, to_mnist_style
from .runtime import pick_device, seed_everything

__version__ = "0.1.0"

__all__ = [
    "DATA_ENV_VAR",
    "BatchIterator",
    "BlankImageError",
    "CourseError",
    "DataError",
    "DataSplits",
    "DigitDataset",
    "Normalization",
    "compute_normalization",
    "data_root",
    "load_data",
    "pick_device",
    "seed_everything",
    "stratified_split",
    "to_mnist_style",
]
