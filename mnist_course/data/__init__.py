"""Data for the course: one dataset type, many sources, fast batches."""

from .batches import BatchIterator
from .csv_format import read_csv_dataset, write_csv
from .dataset import DIGIT_CLASSES, DataSplits, DigitDataset, DigitTorchDataset
from .idx import read_idx, write_idx
from .idx_folder import load_idx_folder
from .normalization import MNIST_NORMALIZATION, Normalization, compute_normalization
from .sklearn_digits import load_sklearn_digits
from .sources import SOURCE_NAMES, load_data
from .split import (
    VALIDATION,
    balanced_sample,
    per_class_indices,
    stratified_sample,
    stratified_split,
)

__all__ = [
    "DIGIT_CLASSES",
    "MNIST_NORMALIZATION",
    "SOURCE_NAMES",
    "VALIDATION",
    "BatchIterator",
    "DataSplits",
    "DigitDataset",
    "DigitTorchDataset",
    "Normalization",
    "balanced_sample",
    "compute_normalization",
    "load_data",
    "load_idx_folder",
    "load_sklearn_digits",
    "per_class_indices",
    "read_csv_dataset",
    "read_idx",
    "stratified_sample",
    "stratified_split",
    "write_csv",
    "write_idx",
]
