import pytest
import torch

from mnist_course import CourseError, pick_device, seed_everything
from mnist_course.atomic import atomic_write


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
