import gzip
import struct

import numpy as np
import pytest

from mnist_course.core.errors import DataError
from mnist_course.data import read_idx, write_idx
from mnist_course.data.idx_folder import read_idx_pair


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_round_trip_plain_and_gzip(tmp_path, name):
    images = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    path = write_idx(images, tmp_path / name)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    np.testing.assert_array_equal(read_idx(path, expected_ndim=3), images)


def test_header_is_the_mnist_layout(tmp_path):
    path = write_idx(np.arange(3, dtype=np.uint8), tmp_path / "labels")
    assert path.read_bytes()[:8] == bytes([0, 0, 8, 1]) + struct.pack(">I", 3)


def test_wrong_magic_number_is_named(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"\x12\x34\x56\x78" + bytes(100))
    with pytest.raises(
        DataError, match=r"train-images-idx3-ubyte: not an IDX file \(magic number 0x12345678"
    ):
        read_idx(path)


def test_labels_file_given_as_images_is_caught(tmp_path):
    path = write_idx(np.zeros(4, dtype=np.uint8), tmp_path / "labels")
    with pytest.raises(DataError, match="0x00000801 says 1-D data, expected images"):
        read_idx(path, expected_ndim=3)


def test_truncated_body_reports_sizes(tmp_path):
    path = write_idx(np.zeros((3, 28, 28), dtype=np.uint8), tmp_path / "images")
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(
        DataError, match=r"truncated: the header promises shape \[3, 28, 28\] \(2352 bytes"
    ):
        read_idx(path)


def test_truncated_gzip_stream_is_a_clear_error(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(bytes(5000))[:-20])
    with pytest.raises(DataError, match="damaged gzip file"):
        read_idx(path)


def test_images_and_labels_of_different_lengths(tmp_path):
    images = write_idx(np.zeros((4, 28, 28), dtype=np.uint8), tmp_path / "img")
    labels = write_idx(np.zeros(3, dtype=np.uint8), tmp_path / "lbl")
    with pytest.raises(DataError, match=r"img has 4 images but .*lbl has 3 labels"):
        read_idx_pair(images, labels)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_idx(tmp_path / "nope")


def _pair(tmp_path, images, labels):
    return (
        write_idx(images, tmp_path / "train-images-idx3-ubyte"),
        write_idx(labels, tmp_path / "train-labels-idx1-ubyte"),
    )


def test_images_that_are_not_28x28_are_refused_at_load(tmp_path):
    images, labels = _pair(tmp_path, np.zeros((4, 32, 32), np.uint8), np.zeros(4, np.uint8))
    with pytest.raises(DataError, match="images are 32x32 pixels, expected 28x28") as info:
        read_idx_pair(images, labels)
    assert str(info.value).startswith(str(images))


def test_an_empty_set_is_refused(tmp_path):
    images, labels = _pair(tmp_path, np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8))
    with pytest.raises(DataError, match="holds no images") as info:
        read_idx_pair(images, labels)
    assert str(info.value).startswith(str(images))


def test_a_bad_label_is_blamed_on_the_labels_file(tmp_path):
    images, labels = _pair(
        tmp_path, np.zeros((5, 28, 28), np.uint8), np.array([0, 1, 2, 10, 11], np.uint8)
    )
    with pytest.raises(
        DataError, match=r"label 10 \(item 3, counting from 0\) is not one of the 10 classes"
    ) as info:
        read_idx_pair(images, labels)
    assert str(info.value).startswith(str(labels)), "the labels file is the one to fix"
    assert str(info.value).endswith("; 1 more like it")
