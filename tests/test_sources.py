import socket
import time

import numpy as np
import pytest
import torch

from mnist_course import DATA_ENV_VAR, data_root, load_data
from mnist_course.core.errors import DataError
from mnist_course.data import write_csv, write_idx
from tests.conftest import write_mnist_files


def test_mnist_layout_read_in_place_without_network(mnist_root, digits, monkeypatch):
    monkeypatch.setattr(socket, "create_connection", _no_network)
    splits = load_data("mnist", root=mnist_root, verify=False)
    assert torch.equal(splits.train.images, digits.train.images)
    assert torch.equal(splits.test.labels, digits.test.labels)
    assert splits.classes == tuple("0123456789")
    assert sorted(p.name for p in (mnist_root / "MNIST" / "raw").iterdir()) == sorted(
        f"{name}.gz"
        for name in (
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        )
    ), "reading must not extract or download anything"


def test_checksums_are_verified_with_torchvision_md5s(mnist_root):
    with pytest.raises(
        DataError,
        match=r"MNIST/raw/train-images-idx3-ubyte.gz: checksum does not match torchvision's MD5",
    ):
        load_data("mnist", root=mnist_root)


def test_uncompressed_files_are_used_too(tmp_path, digits):
    write_mnist_files(digits, tmp_path / "MNIST" / "raw", gz=False)
    splits = load_data("mnist", root=tmp_path, download=False)
    assert len(splits.train) == len(digits.train)


def _no_network(*args, **kwargs):
    raise OSError("Network is unreachable")


def test_no_data_and_no_download_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match=r"no MNIST files in .*MNIST/raw .*set MNIST_COURSE_DATA"):
        load_data("mnist", root=tmp_path, download=False)


def test_failed_download_is_a_clear_error_not_a_hang(tmp_path, monkeypatch):
    monkeypatch.setattr(socket, "create_connection", _no_network)
    started = time.monotonic()
    with pytest.raises(DataError, match=r"could not download MNIST into .*Without internet"):
        load_data("mnist", root=tmp_path, download=True)
    assert time.monotonic() - started < 30


def test_fashion_mnist_has_its_class_names(tmp_path, digits):
    write_mnist_files(digits, tmp_path / "FashionMNIST" / "raw")
    splits = load_data("fashion-mnist", root=tmp_path, verify=False)
    assert splits.classes[0] == "T-shirt/top" and splits.num_classes == 10


def test_emnist_balanced_is_turned_upright_with_47_classes(tmp_path, digits):
    write_mnist_files(
        digits, tmp_path / "EMNIST" / "raw", prefix="emnist-balanced-", transpose=True
    )
    splits = load_data("emnist-balanced", root=tmp_path, download=False)
    assert splits.num_classes == 47
    assert splits.classes[10] == "A" and splits.classes[36] == "a"
    assert torch.equal(splits.train.images, digits.train.images)


def test_idx_folder_with_kaggle_names(tmp_path, digits):
    folder = write_mnist_files(digits, tmp_path / "kaggle", gz=False)
    for path in folder.iterdir():
        path.rename(path.with_name(path.name.replace("-idx", ".idx")))
    splits = load_data(f"idx:{folder}")
    assert torch.equal(splits.test.images, digits.test.images)


def test_idx_folder_missing_a_file(tmp_path, digits):
    folder = write_mnist_files(digits, tmp_path / "f")
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="no IDX file for test labels"):
        load_data(f"idx:{folder}")


def test_csv_source_has_an_empty_test_split(tmp_path, digits):
    path = write_csv(digits.train.head(30), tmp_path / "train.csv")
    splits = load_data(f"csv:{path}")
    assert len(splits.train) == 30 and len(splits.test) == 0
    assert splits.test.images.shape == (0, 28, 28)


def test_sklearn_digits_look_like_mnist(digits):
    assert (len(digits.train), len(digits.test)) == (1437, 360)
    assert digits.train.images.dtype == torch.uint8 and digits.train.images.shape[1:] == (28, 28)
    corners = digits.train.images[:, :4, :4]
    assert corners.max() == 0, "MNIST-style images have an empty border"
    assert digits.train.images.amax(dim=(1, 2)).min() >= 200, "every digit has strong ink"


def test_unknown_source(tmp_path):
    with pytest.raises(DataError, match="unknown data source 'kmnist'"):
        load_data("kmnist", root=tmp_path)


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "from-env"))
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data_root() == tmp_path / "from-env"
    monkeypatch.delenv(DATA_ENV_VAR)
    assert data_root().name == "data"


@pytest.mark.real_mnist
def test_real_mnist(real_mnist_root):
    splits = load_data("mnist", root=real_mnist_root, download=False)
    assert (len(splits.train), len(splits.test)) == (60000, 10000)
    assert splits.train.class_counts() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]


def test_idx_source_that_is_a_file_or_missing(tmp_path, digits):
    folder = write_mnist_files(digits, tmp_path / "f")
    with pytest.raises(DataError, match="is a file, not a folder of IDX files"):
        load_data(f"idx:{folder / 'train-images-idx3-ubyte.gz'}")
    with pytest.raises(DataError, match="nope: no such folder"):
        load_data(f"idx:{tmp_path / 'nope'}")


def test_idx_images_of_another_size_are_refused_when_loading(tmp_path, digits):
    folder = write_mnist_files(digits, tmp_path / "MNIST" / "raw")
    write_idx(np.zeros((len(digits.test), 20, 20), np.uint8), folder / "t10k-images-idx3-ubyte.gz")
    for source in (f"idx:{folder}", "mnist"):  # one finder and reader behind both
        with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz: images are 20x20 pixels"):
            load_data(source, root=tmp_path, download=False, verify=False)


def test_data_root_that_is_a_file_is_named_not_downloaded_into(monkeypatch, tmp_path):
    monkeypatch.setattr(socket, "create_connection", _no_network)
    data_file = tmp_path / "data.zip"
    data_file.write_bytes(b"not a folder")
    monkeypatch.setenv(DATA_ENV_VAR, str(data_file))
    with pytest.raises(
        DataError, match=r"data.zip: is a file, not a folder; MNIST_COURSE_DATA must be the folder"
    ):
        load_data("mnist")
    with pytest.raises(DataError, match=r"data.zip: is a file, not a folder; the data root"):
        load_data("mnist", root=data_file)
    monkeypatch.delenv(DATA_ENV_VAR)
    (tmp_path / "MNIST").write_bytes(b"")
    with pytest.raises(DataError, match=r"MNIST: is a file, not a folder; the MNIST files belong"):
        load_data("mnist", root=tmp_path)
