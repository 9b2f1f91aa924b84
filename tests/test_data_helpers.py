"""Normalisation, splits, the dataset type and the fast batch iterator."""

import pytest
import torch
from torch.utils.data import DataLoader

from mnist_course import BatchIterator, DigitDataset, Normalization, compute_normalization
from mnist_course.core.errors import DataError
from mnist_course.data import balanced_sample, stratified_sample, stratified_split
from mnist_course.models.classifier import Classifier


def test_normalization_is_computed_exactly(digits):
    stats = compute_normalization(digits.train.images)
    pixels = digits.train.images.double() / 255
    assert stats.mean == pytest.approx(pixels.mean().item(), abs=1e-9)
    assert stats.std == pytest.approx(pixels.std(unbiased=False).item(), abs=1e-9)


def test_symmetric_variant_maps_to_minus_one_one():
    out = Normalization.symmetric().apply(torch.tensor([0.0, 0.5, 1.0]))
    assert out.tolist() == [-1.0, 0.0, 1.0]


@pytest.mark.real_mnist
def test_real_mnist_constants(real_mnist_root):
    from mnist_course import load_data

    stats = compute_normalization(load_data("mnist", root=real_mnist_root).train.images)
    assert stats.mean == pytest.approx(0.1307, abs=5e-5) and stats.std == pytest.approx(
        0.3081, abs=5e-5
    )


def test_split_is_stratified_disjoint_and_seeded(digits):
    train, val = stratified_split(digits.train, validation=0.2, seed=3)
    assert len(train) + len(val) == len(digits.train)
    total = torch.tensor(digits.train.class_counts(), dtype=torch.float)
    share = torch.tensor(val.class_counts(), dtype=torch.float) / total
    assert (share - 0.2).abs().max() < 1.0 / total.min(), (
        "each class keeps its share, up to rounding"
    )
    again, _ = stratified_split(digits.train, validation=0.2, seed=3)
    other, _ = stratified_split(digits.train, validation=0.2, seed=4)
    assert torch.equal(train.images, again.images) and not torch.equal(train.images, other.images)
    rows = {bytes(image.numpy()) for image in digits.train.images}
    assert {bytes(image.numpy()) for image in val.images} <= rows


def test_stratified_and_balanced_samples(digits):
    sample = stratified_sample(digits.train, 100, seed=0)
    assert len(sample) == 100 and min(sample.class_counts()) >= 9
    balanced = balanced_sample(digits.train, per_class=50, seed=0)
    assert balanced.class_counts() == [50] * 10
    with pytest.raises(
        DataError, match="class '0' has only 142 examples, fewer than the 200 asked for"
    ):
        balanced_sample(digits.train, per_class=200)


def test_a_stratified_sample_of_none_is_empty(digits):
    """0 means none (fine-tuning without MNIST in the mix), not an error inside the split."""
    none = stratified_sample(digits.train, 0)
    assert len(none) == 0 and none.images.shape == (0, 28, 28) and none.class_counts() == [0] * 10
    assert none.classes == digits.train.classes
    with pytest.raises(DataError, match="a sample of -1 examples; expected 0 or more"):
        stratified_sample(digits.train, -1)


def test_dataset_validates_on_construction():
    images = torch.zeros((3, 28, 28), dtype=torch.uint8)
    with pytest.raises(DataError, match="3 images but 2 labels"):
        DigitDataset(images, torch.zeros(2, dtype=torch.int64), source="x")
    with pytest.raises(DataError, match="label 12 is outside the 10 classes"):
        DigitDataset(images, torch.tensor([0, 12, 3]), source="x")
    with pytest.raises(DataError, match="uint8 tensor"):
        DigitDataset(images.float(), None)


def test_dataset_views(digits):
    sevens = digits.train.of_class(7)
    assert set(sevens.labels.tolist()) == {7} and len(sevens) == digits.train.class_counts()[7]
    image, label = digits.train.as_torch_dataset()[0]
    assert image.shape == (1, 28, 28) and image.min() >= 0 and image.max() <= 1
    assert label == int(digits.train.labels[0])


def test_batches_cover_every_example_once_per_epoch(digits):
    batches = BatchIterator(digits.train, batch_size=100, shuffle=True, seed=1)
    assert len(batches) == 15
    seen = torch.cat([labels for _, labels in batches])
    assert torch.equal(seen.sort().values, digits.train.labels.sort().values)
    assert len(BatchIterator(digits.train, batch_size=100, drop_last=True)) == 14
    assert (
        sum(len(y) for _, y in BatchIterator(digits.train, batch_size=100, drop_last=True)) == 1400
    )


def test_shuffle_is_seeded_and_changes_each_epoch(digits):
    first = BatchIterator(digits.train, batch_size=64, shuffle=True, seed=5)
    second = BatchIterator(digits.train, batch_size=64, shuffle=True, seed=5)
    epoch1, epoch1_again = next(iter(first))[1], next(iter(second))[1]
    assert torch.equal(epoch1, epoch1_again)
    assert not torch.equal(epoch1, next(iter(first))[1])


def test_batches_match_the_dataloader_path(digits):
    """In-memory batches through a Classifier see what DataLoader + Normalize hands a network."""
    norm = compute_normalization(digits.train.images)
    fast = BatchIterator(digits.train, batch_size=32)
    slow = DataLoader(digits.train.as_torch_dataset(norm), batch_size=32)
    seen = []
    model = Classifier(torch.nn.Identity(), norm, digits.classes)
    for (x_fast, y_fast), (x_slow, y_slow) in zip(fast, slow, strict=True):
        assert x_fast.shape == (len(y_fast), 1, 28, 28)
        assert x_fast.min() >= 0 and x_fast.max() <= 1
        torch.testing.assert_close(model(x_fast), x_slow)
        assert torch.equal(y_fast, y_slow)
        seen.append(model(x_fast))
    normalised = torch.cat(seen)
    assert normalised.mean().item() == pytest.approx(0, abs=1e-5)
    assert normalised.std().item() == pytest.approx(1, abs=1e-3)


def test_augment_sees_pixels_in_unit_range(digits):
    seen = {}

    def augment(images):
        seen["range"] = (images.min().item(), images.max().item())
        return images.flip(-1)

    x, _ = next(iter(BatchIterator(digits.train, batch_size=8, augment=augment)))
    assert seen["range"] == (0.0, 1.0)
    torch.testing.assert_close(x[:, 0], digits.train.images[:8].float().div(255).flip(-1))
