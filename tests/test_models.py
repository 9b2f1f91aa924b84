import math

import pytest
import torch

from mnist_course.core.errors import CourseError
from mnist_course.models import ARCHITECTURES, architecture_table, build_model, count_parameters


def dense(inputs: int, outputs: int) -> int:
    return inputs * outputs + outputs


def conv(channels_in: int, channels_out: int, kernel: int, bias: bool = True) -> int:
    return channels_in * channels_out * kernel * kernel + (channels_out if bias else 0)


BATCH_NORM = 2  # a weight and a bias per channel

# Parameter counts derived from each architecture's description, layer by layer.
EXPECTED_PARAMETERS = {
    "mlp": dense(784, 128) + dense(128, 64) + dense(64, 10),
    "cnn3": conv(1, 32, 3) + conv(32, 64, 3) + dense(64 * 5 * 5, 128) + dense(128, 10),
    "cnn5": conv(1, 32, 5) + conv(32, 64, 5) + dense(64 * 7 * 7, 1024) + dense(1024, 10),
    "cnn3conv": conv(1, 32, 3)
    + conv(32, 64, 3)
    + conv(64, 128, 3)
    + dense(128 * 3 * 3, 128)
    + dense(128, 10),
    "bncnn": conv(1, 32, 3, False)
    + conv(32, 64, 3, False)
    + conv(64, 128, 3, False)
    + BATCH_NORM * (32 + 64 + 128)
    + dense(128 * 3 * 3, 128)
    + dense(128, 10),
    "mlp_ln": dense(784, 256)
    + BATCH_NORM * 256
    + dense(256, 128)
    + BATCH_NORM * 128
    + dense(128, 10),
    "mlp_ln_softmax": dense(784, 256)
    + BATCH_NORM * 256
    + dense(256, 128)
    + BATCH_NORM * 128
    + dense(128, 10),
    "net1": dense(784, 512) + dense(512, 256) + dense(256, 10),
    # R4's Net2, the PyTorch MNIST example: 28 -5x5-> 24 -pool-> 12 -5x5-> 8 -pool-> 4
    "net2": conv(1, 10, 5) + conv(10, 20, 5) + dense(20 * 4 * 4, 50) + dense(50, 10),
    # R4's Net3 (Kaggle): 28 -5x5-> 24 -5x5-> 20 -pool-> 10 -5x5-> 6 -pool-> 3
    "net3": conv(1, 32, 5)
    + conv(32, 32, 5)
    + conv(32, 64, 5)
    + dense(64 * 3 * 3, 256)
    + dense(256, 10),
    "fast": conv(1, 16, 5, False)
    + conv(16, 32, 5, False)
    + BATCH_NORM * (16 + 32)
    + dense(32 * 4 * 4, 10),
    "padnet": conv(1, 16, 5, False)
    + conv(16, 32, 5, False)
    + BATCH_NORM * (16 + 32)
    + dense(32 * 4 * 4, 256)
    + dense(256, 10),
}


def test_every_architecture_is_checked():
    assert set(EXPECTED_PARAMETERS) == set(ARCHITECTURES)


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMETERS))
def test_parameter_count(name):
    assert count_parameters(build_model(name)) == EXPECTED_PARAMETERS[name]


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
@pytest.mark.parametrize("classes", [10, 47])
def test_shapes_and_log_probabilities(name, classes):
    model = build_model(name, num_classes=classes).eval()
    with torch.no_grad():
        out = model(torch.randn(3, 1, 28, 28))
    assert out.shape == (3, classes)
    torch.testing.assert_close(out.exp().sum(dim=1), torch.ones(3))


def test_reference_architectures_have_the_reports_layers():
    kinds = lambda name: [type(m).__name__ for m in build_model(name)]  # noqa: E731
    cnn3, cnn5 = kinds("cnn3"), kinds("cnn5")
    assert cnn3.count("Conv2d") == 2 and cnn3.count("MaxPool2d") == 2 and cnn3.count("Linear") == 2
    assert all(
        m.kernel_size == (3, 3)
        for m in build_model("cnn3")
        if hasattr(m, "kernel_size") and isinstance(m, torch.nn.Conv2d)
    )
    assert {m.p for m in build_model("cnn3") if isinstance(m, torch.nn.Dropout)} == {0.2}
    assert cnn5.count("Conv2d") == 2 and cnn5.count("Linear") == 2
    assert {m.p for m in build_model("cnn5") if isinstance(m, torch.nn.Dropout)} == {0.5}
    assert kinds("mlp")[-1] == "LogSoftmax" and cnn3[-1] == "LogSoftmax"


def test_r4_nets_have_the_published_sizes():
    """Net2 is the ~21.8k-parameter PyTorch example, Net3 the ~228k-parameter Kaggle net."""
    assert 21_000 < EXPECTED_PARAMETERS["net2"] < 22_000
    assert 227_000 < EXPECTED_PARAMETERS["net3"] < 229_000
    net2, net3 = build_model("net2"), build_model("net3")
    assert [m.padding for m in net3 if isinstance(m, torch.nn.Conv2d)] == [(0, 0)] * 3
    assert [m.out_channels for m in net3 if isinstance(m, torch.nn.Conv2d)] == [32, 32, 64]
    assert [m.p for m in net3 if isinstance(m, torch.nn.Dropout)] == [0.5, 0.5, 0.5]
    assert [type(m).__name__ for m in net2].count("Dropout2d") == 1
    assert [m.out_features for m in net2 if isinstance(m, torch.nn.Linear)] == [50, 10]


def test_double_softmax_loss_has_a_floor():
    """R3's net: log_softmax(softmax(z)) can never drop the loss below ln(e + 9) - 1 (~1.461)."""
    model = build_model("mlp_ln_softmax")
    assert [type(m).__name__ for m in model][-2:] == ["Softmax", "LogSoftmax"]
    probabilities = torch.eye(10) * 1.0  # a perfectly confident, perfectly right softmax output
    loss = torch.nn.functional.nll_loss(model[-1](probabilities), torch.arange(10))
    floor = math.log(math.e + 9) - 1
    assert loss.item() == pytest.approx(floor, abs=1e-6) and floor == pytest.approx(1.461, abs=1e-3)
    with torch.no_grad():
        out = model.eval()(torch.randn(64, 1, 28, 28) * 50)  # whatever the input, never below
    assert (-out.max(dim=1).values).min().item() >= floor - 1e-6


def test_table_and_unknown_name():
    table = architecture_table()
    assert list(table.index) == list(ARCHITECTURES)
    assert table.loc["mlp", "parameters"] == EXPECTED_PARAMETERS["mlp"]
    assert all(table["description"].str.len() > 10)
    with pytest.raises(CourseError, match="unknown architecture 'resnet'"):
        build_model("resnet")
