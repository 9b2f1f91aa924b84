import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mnist_course.core.errors import CourseError
from mnist_course.data import MNIST_NORMALIZATION
from mnist_course.inference.inside import (
    embed,
    feature_maps,
    first_layer_filters,
    plot_embedding,
    plot_feature_maps,
    plot_filters,
    plot_saliency,
    saliency,
)
from mnist_course.models import build_model
from mnist_course.models.classifier import Classifier
from mnist_course.training import evaluate

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    matplotlib.pyplot.close("all")


def classifier(arch: str, seed: int = 0) -> Classifier:
    torch.manual_seed(seed)
    return Classifier(build_model(arch), MNIST_NORMALIZATION, tuple("0123456789"), arch=arch)


class LeftHalf(nn.Module):
    """Passes on only the left 14 columns: the right half cannot change the output."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[..., :14]


def test_first_layer_filters_are_a_copy_of_the_first_convolutions_weights():
    model = classifier("fast")
    filters = first_layer_filters(model)
    assert filters.shape == (16, 1, 5, 5)
    assert torch.equal(filters, model.network[0].weight)
    filters.zero_()
    assert model.network[0].weight.abs().sum() > 0, "changing the copy must not change the model"


def test_a_network_without_convolutions_has_no_filters_or_maps():
    model = classifier("mlp")
    with pytest.raises(CourseError, match="'mlp' network has no convolution layer, so no filters"):
        first_layer_filters(model)
    with pytest.raises(CourseError, match="no convolution layer"):
        feature_maps(model, torch.zeros(28, 28, dtype=torch.uint8))


def test_feature_maps_are_the_normalised_image_filtered_by_each_filter(digits):
    model = classifier("cnn3")
    image = digits.test.images[0]
    maps = feature_maps(model, image)
    assert maps.shape == (32, 26, 26)
    normalised = (image.float() / 255 - MNIST_NORMALIZATION.mean) / MNIST_NORMALIZATION.std
    conv = model.network[0]
    expected = F.conv2d(normalised[None, None], conv.weight, conv.bias)[0]
    torch.testing.assert_close(maps, expected.detach())
    assert feature_maps(model, image.numpy(), layer="4").shape == (64, 11, 11)  # second conv


def test_feature_maps_name_the_layers_when_one_is_unknown():
    model = classifier("fast")
    with pytest.raises(CourseError, match=r"no layer '99' in the network: its layers are 0, 1, 2"):
        feature_maps(model, torch.zeros(28, 28, dtype=torch.uint8), layer="99")
    with pytest.raises(CourseError, match=r"layer '8' outputs \[512\], not feature maps"):
        feature_maps(model, torch.zeros(28, 28, dtype=torch.uint8), layer="8")  # Flatten


def test_saliency_is_zero_where_a_pixel_cannot_change_the_output(digits):
    network = nn.Sequential(LeftHalf(), nn.Flatten(), nn.Linear(28 * 14, 10), nn.LogSoftmax(dim=1))
    model = Classifier(network, MNIST_NORMALIZATION, digits.classes)
    maps, predicted = saliency(model, digits.test.images[:5])
    assert maps.shape == (5, 28, 28) and predicted.shape == (5,)
    assert torch.all(maps[..., 14:] == 0)
    assert torch.all(maps[..., :14].flatten(1).max(dim=1).values > 0)


def test_saliency_is_the_gradient_of_the_winning_log_probability(digits):
    model = classifier("fast").double().eval()
    image = digits.test.images[3].double() / 255
    maps, predicted = saliency(model, image[None])
    assert predicted[0] == model(image[None]).argmax()
    row, column = divmod(int(maps[0].argmax()), 28)
    step = 1e-6
    nudged = image.clone()
    nudged[row, column] += step
    change = model(nudged[None])[0, predicted[0]] - model(image[None])[0, predicted[0]]
    assert abs(change.item()) / step == pytest.approx(maps[0, row, column].item(), rel=1e-3)


def test_saliency_runs_in_eval_mode_and_leaves_the_model_as_it_was(digits):
    model = classifier("cnn3")  # dropout: in training mode two runs would differ
    model.train()
    first, _ = saliency(model, digits.test.images[:4])
    second, _ = saliency(model, digits.test.images[:4])
    assert torch.equal(first, second)
    assert model.training
    assert all(parameter.grad is None for parameter in model.parameters())
    pixels = digits.test.images[:4].float() / 255  # floats in [0, 1] give the same maps
    torch.testing.assert_close(saliency(model, pixels)[0], first)
    assert not pixels.requires_grad, "the caller's tensor must not start tracking gradients"


def test_embedding_has_a_row_per_image_with_labels_and_misread_flags(digits):
    model = classifier("fast")
    model.train()
    table = embed(model, digits.test, method="pca")
    assert model.training
    assert list(table.columns) == ["x", "y", "true", "predicted", "misread"]
    assert len(table) == len(digits.test)
    scores = evaluate(model, digits.test)
    classes = np.asarray(digits.classes)
    assert table["true"].tolist() == classes[digits.test.labels.numpy()].tolist()
    assert table["predicted"].tolist() == classes[scores.predictions.numpy()].tolist()
    assert table["misread"].tolist() == (~scores.correct).tolist()
    assert 0 < table["misread"].sum() < len(table), "an untrained model gets some right, not all"


def test_pca_projects_the_last_linear_layers_inputs_on_their_two_main_directions(digits):
    model = classifier("fast")
    pca = embed(model, digits.test, method="pca")
    last = [module for module in model.network.modules() if isinstance(module, nn.Linear)][-1]
    seen = []
    handle = last.register_forward_hook(lambda module, args, output: seen.append(args[0]))
    with torch.no_grad():
        model.eval()(digits.test.images)
    handle.remove()
    features = seen[0].flatten(1).double().numpy()
    centred = features - features.mean(axis=0)
    directions = np.linalg.svd(centred, full_matrices=False)[2][:2]  # the two main axes
    expected = centred @ directions.T
    points = pca[["x", "y"]].to_numpy()
    signs = np.sign((points * expected).sum(axis=0))  # an axis may come out reversed
    assert np.allclose(points, expected * signs, atol=1e-3 * np.abs(expected).max())
    assert pca["x"].var() > pca["y"].var() > 0


def test_tsne_places_every_image(digits):
    model = classifier("fast")
    sample = digits.test.subset(range(40))
    tsne = embed(model, sample, method="tsne")
    assert len(tsne) == 40 and np.isfinite(tsne[["x", "y"]].to_numpy()).all()


def test_embedding_needs_a_known_method_and_a_linear_layer(digits):
    with pytest.raises(CourseError, match="unknown method 'umap'"):
        embed(classifier("fast"), digits.test, method="umap")
    network = nn.Sequential(nn.Conv2d(1, 10, 28), nn.Flatten(), nn.LogSoftmax(dim=1))
    with pytest.raises(CourseError, match="no linear layer"):
        embed(Classifier(network, MNIST_NORMALIZATION, digits.classes), digits.test)


def test_the_pictures_show_what_they_say(digits):
    model = classifier("fast")
    assert len(plot_filters(first_layer_filters(model)).axes) == 16
    assert len(plot_feature_maps(feature_maps(model, digits.test.images[0])).axes) == 16
    figure = plot_saliency(model, digits.test, [0, 1, 2])
    _, predicted = saliency(model, digits.test.images[:3])
    titles = [axis.get_title() for axis in figure.axes[:3]]  # the top row: the digits
    for title, label, guess in zip(titles, digits.test.labels[:3], predicted, strict=True):
        assert title == f"true {digits.classes[label]}, read {digits.classes[guess]}"
    table = embed(model, digits.test)
    legend = plot_embedding(table, digits.classes).axes[0].get_legend()
    texts = [text.get_text() for text in legend.get_texts()]
    assert texts == [*digits.classes, f"misread ({table['misread'].sum()})"]
