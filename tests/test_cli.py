"""The command-line contract: a JSON last line, and bad input as exit 2 with one error line."""

import subprocess
import sys

import numpy as np
import pytest

from mnist_course.data import write_csv, write_idx
from tests.cli import CliResult, last_json, run_cli
from tests.conftest import write_mnist_files


def test_module_entry_point_in_a_fresh_interpreter():
    result = subprocess.run(
        [sys.executable, "-m", "mnist_course", "info", "--source", "digits", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert last_json(CliResult(result.returncode, result.stdout, result.stderr))["train"] == 1437


def test_info_on_digits():
    info = last_json(run_cli("info", "--source", "digits", "--json"))
    assert (info["train"], info["test"], info["classes"]) == (1437, 360, 10)
    assert sum(info["class_counts"]) == 1437 and len(info["class_counts"]) == 10
    assert 0 < info["mean"] < 0.5 and 0 < info["std"] < 0.5


def test_info_on_idx_folder(tmp_path, digits):
    folder = write_mnist_files(digits, tmp_path / "idx")
    info = last_json(run_cli("info", "--source", f"idx:{folder}", "--json"))
    assert info["class_counts"] == digits.train.class_counts()


def test_info_on_csv_has_zero_test(tmp_path, digits):
    path = write_csv(digits.train.head(50), tmp_path / "train.csv")
    info = last_json(run_cli("info", "--source", f"csv:{path}", "--json"))
    assert (info["train"], info["test"]) == (50, 0)


def _assert_one_error_line(result, *fragments):
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_bad_csv_row_is_one_error_line(tmp_path, digits):
    path = write_csv(digits.train.head(5), tmp_path / "train.csv")
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace(",0,", ",300,", 1)
    path.write_text("\n".join(lines) + "\n")
    result = run_cli("info", "--source", f"csv:{path}", "--json")
    _assert_one_error_line(result, str(path), "line 4", "column", "300")


def test_no_data_no_network_is_one_error_line(tmp_path):
    result = run_cli("info", "--data", str(tmp_path), "--no-download", "--json")
    _assert_one_error_line(result, str(tmp_path / "MNIST" / "raw"), "MNIST_COURSE_DATA")


def test_usage_mistake_is_one_error_line():
    _assert_one_error_line(run_cli("info", "--bogus"), "unrecognized arguments")


@pytest.mark.real_mnist
def test_info_on_real_mnist(real_mnist_root):
    info = last_json(run_cli("info", "--data", str(real_mnist_root), "--json"))
    assert (info["train"], info["test"], info["classes"]) == (60000, 10000, 10)
    assert info["class_counts"] == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert info["mean"] == pytest.approx(0.1307, abs=5e-5)
    assert info["std"] == pytest.approx(0.3081, abs=5e-5)


def test_spreadsheet_given_as_csv_is_one_error_line(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    result = run_cli("info", "--source", f"csv:{path}", "--json")
    _assert_one_error_line(result, str(path), "not a CSV text file", "spreadsheet")


def test_empty_idx_set_is_one_error_line(tmp_path, digits):
    folder = write_mnist_files(digits, tmp_path / "idx")
    write_idx(np.zeros((0, 28, 28), np.uint8), folder / "train-images-idx3-ubyte.gz")
    write_idx(np.zeros(0, np.uint8), folder / "train-labels-idx1-ubyte.gz")
    result = run_cli("info", "--source", f"idx:{folder}", "--json")
    _assert_one_error_line(result, "train-images-idx3-ubyte.gz", "holds no images")


def test_data_root_that_is_a_file_is_one_error_line(tmp_path):
    (tmp_path / "data").write_text("")
    result = run_cli("info", "--data", str(tmp_path / "data"), "--json")
    _assert_one_error_line(result, str(tmp_path / "data"), "is a file, not a folder")
