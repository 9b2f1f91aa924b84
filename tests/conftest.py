"""Shared test data: scikit-learn's real handwriting, written in the formats the course reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mnist_course.data import DataSplits, load_sklearn_digits, write_idx

MNIST_NAMES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}


def write_mnist_files(
    splits: DataSplits, folder: Path, prefix: str = "", gz: bool = True, transpose: bool = False
) -> Path:
    """Write ``splits`` as the four MNIST IDX files into ``folder`` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    for (split, kind), name in MNIST_NAMES.items():
        data = getattr(splits, split)
        array = data.images if kind == "images" else data.labels
        if kind == "images" and transpose:
            array = array.transpose(1, 2)
        write_idx(array.numpy().astype("uint8"), folder / f"{prefix}{name}{'.gz' if gz else ''}")
    return folder


@pytest.fixture(scope="session")
def digits() -> DataSplits:
    """scikit-learn's digits as 28x28 MNIST-style images (1437 train / 360 test)."""
    return load_sklearn_digits()


@pytest.fixture(scope="session")
def mnist_root(digits: DataSplits, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data root laid out like torchvision's, ``<root>/MNIST/raw/*.gz``, holding the digits."""
    root = tmp_path_factory.mktemp("data")
    write_mnist_files(digits, root / "MNIST" / "raw")
    return root


@pytest.fixture(scope="session")
def real_mnist_root() -> Path:
    """The real MNIST root from ``$MNIST_COURSE_DATA``; tests using it skip when it is not set."""
    value = os.environ.get("MNIST_COURSE_DATA")
    if not value or not (Path(value) / "MNIST" / "raw").is_dir():
        pytest.skip("real MNIST not available: set MNIST_COURSE_DATA to a root with MNIST/raw/")
    return Path(value)


@pytest.fixture(scope="session")
def classifier(digits: DataSplits, tmp_path_factory: pytest.TempPathFactory):
    """The drawing pad's model for tests without a browser: the ``fast`` recipe on the digits.

    Shared by every test that uses it: tests that change a model change a ``copy.deepcopy``.
    """
    from mnist_course.training import load_checkpoint, train

    path = tmp_path_factory.mktemp("pad") / "fast.pt"
    train("fast", digits.train, digits.test, checkpoint=path, progress=False)
    return load_checkpoint(path).model


@pytest.fixture(scope="session")
def pad_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bool]:
    """The pad's model for the browser tests, and whether it was trained on real MNIST.

    The course's ``fast`` recipe, on real MNIST whenever it is there; without it, 4 epochs on
    scikit-learn's digits, which still exercise the whole page (the digits it reads may be wrong).
    """
    from mnist_course import load_data
    from mnist_course.training import get_recipe, train

    path = tmp_path_factory.mktemp("model") / "fast.pt"
    try:
        splits, real = load_data("mnist", download=False), True
        recipe = get_recipe("fast")
    except Exception:  # noqa: BLE001 - no real MNIST: the offline digits still exercise the UI
        splits, real = load_data("digits"), False
        recipe = get_recipe("fast").replace(epochs=4)
    train(recipe, splits.train, splits.test, checkpoint=path, progress=False)
    return path, real


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's, through Playwright), one for a test module's pages.

    Skips the test when the playwright package is missing; a module that needs Chromium itself
    skips on ``tests.browser_helpers.CHROMIUM`` not existing.
    """
    from tests.browser_helpers import CHROMIUM, CHROMIUM_FLAGS, sync_api

    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()
