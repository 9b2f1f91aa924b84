import pytest
import torch

from mnist_course import CourseError, pick_device, seed_everything
from mnist_course.core.atomic import atomic_write
from mnist_course.core.runtime import MixedPrecision, mixed_precision


def test_auto_device_is_one_that_works():
    device = pick_device("auto")
    assert torch.zeros(2, device=device).sum().item() == 0
    assert pick_device("cpu") == torch.device("cpu")


def test_unknown_or_missing_device_is_refused():
    with pytest.raises(CourseError, match="unknown device 'tpu'"):
        pick_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(CourseError, match="'cuda' is not available"):
            pick_device("cuda")


def test_seed_everything_repeats_draws():
    seed_everything(11)
    first = torch.rand(3)
    generator = seed_everything(11)
    assert torch.equal(first, torch.rand(3))
    assert torch.equal(
        torch.randperm(10, generator=generator), torch.randperm(10, generator=seed_everything(11))
    )


def test_atomic_write_keeps_old_content_on_failure(tmp_path):
    target = tmp_path / "model.txt"
    target.write_text("good")
    with pytest.raises(RuntimeError), atomic_write(target, "w") as handle:
        handle.write("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["model.txt"], "no temporary file left behind"


@pytest.mark.parametrize(
    ("capability", "expected"),
    [
        ((9, 0), MixedPrecision(torch.bfloat16, False)),  # H100
        ((8, 0), MixedPrecision(torch.bfloat16, False)),  # A100: the first with native bf16
        ((8, 6), MixedPrecision(torch.bfloat16, False)),  # RTX 30xx
        ((7, 5), MixedPrecision(torch.float16, True)),  # T4, Colab's free GPU
        ((6, 0), MixedPrecision(torch.float16, True)),  # P100
    ],
)
def test_mixed_precision_follows_compute_capability(monkeypatch, capability, expected):
    asked = []

    def fake_capability(device=None):
        asked.append(torch.device(device))
        return capability

    monkeypatch.setattr(torch.cuda, "get_device_capability", fake_capability)
    # Emulated bf16 makes this True on a T4 too: the rule must not listen to it.
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    assert mixed_precision(torch.device("cuda", 1)) == expected
    assert mixed_precision("cuda") == expected
    assert asked == [torch.device("cuda", 1), torch.device("cuda")], "the device asked about"


@pytest.mark.parametrize("device", ["cpu", "mps", torch.device("cpu")])
def test_mixed_precision_is_plain_fp32_off_cuda(monkeypatch, device):
    def no_cuda(device=None):
        raise AssertionError("only a CUDA device has a compute capability")

    monkeypatch.setattr(torch.cuda, "get_device_capability", no_cuda)
    assert mixed_precision(device) == MixedPrecision(None, False)


@pytest.mark.parametrize(
    ("capability", "dtype", "scaled"),
    [((7, 5), torch.float16, True), ((8, 0), torch.bfloat16, False)],
)
def test_the_engine_trains_in_the_precision_the_gpu_has(monkeypatch, capability, dtype, scaled):
    """Training's Precision follows mixed_precision: a T4 gets fp16 with a scaler, no bf16."""
    import warnings

    from mnist_course.training.engine import Precision

    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no CUDA here: GradScaler says it disables itself
        precision = Precision.for_device(torch.device("cuda"))
    assert precision.dtype == dtype and (precision.scaler is not None) == scaled
    assert Precision.for_device(torch.device("cpu")).dtype is None
