"""Specification of the lab's figures: what each draws, PNGs saved (by default under results/), no figure
left open, clear errors for bad input."""
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from layer_fixtures import png_size
from lib.plotting import figures
from lib.plotting import lab
from lib.activations import ReLU
from lib.convolutions import Conv2d, Flatten
from lib.equivariance.measure import compare_feature_maps, equivariance_sweep
from lib.network import Linear, Sequential


@pytest.fixture(autouse=True)
def in_a_temporary_directory(tmp_path, monkeypatch):
    """The figures save under results/ of the working directory by default: keep that out of the repository."""
    monkeypatch.chdir(tmp_path)


pytestmark = pytest.mark.usefixtures("agg_backend_and_no_leaks")


@pytest.fixture
def drawn_figures(monkeypatch):  # overrides conftest's: these tests also check the paths
    """Keep the figures that the plot functions finish, instead of saving/showing/closing them."""
    drawn = []
    monkeypatch.setattr(figures, "finish", lambda fig, save_path, show: drawn.append((fig, save_path)))
    yield drawn
    for fig, _ in drawn:
        plt.close(fig)


def tiny_cnn():
    """The course CNN's layout, smaller: for 16 x 16 images (16 -> 8 -> 4)."""
    np.random.seed(0)
    return Sequential(Conv2d(1, 3, 4, 2, 1), ReLU(), Conv2d(3, 4, 4, 2, 1), ReLU(), Flatten(), Linear(4 * 4 * 4, 10))


def digits(n=6, size=12):
    return np.random.default_rng(0).random((n, 1, size, size))


def image_panels(fig):
    """The axes that show an image, in drawing order."""
    return [ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"]


# --- error against shift -----------------------------------------------------------------------------

def test_plot_equivariance_draws_one_log_scaled_heatmap_per_layer(drawn_figures):
    rows = equivariance_sweep(tiny_cnn(), digits(size=16), "tiny", shifts=[-2, -1, 0, 1, 2])
    lab.plot_equivariance(rows)
    ((fig, save_path),) = drawn_figures
    assert save_path == Path("results") / "equivariance.png"
    panels = [ax for ax in fig.axes if ax.images and ax.get_title()]
    assert [ax.get_title().split("\n")[0] for ax in panels] == [
        "0: Conv2d", "1: ReLU", "2: Conv2d", "3: ReLU", "4: Flatten", "5: Linear"]
    assert [ax.get_title().split("\n")[1] for ax in panels[::2]] == [
        "exact for 9 of 25 shifts", "exact for 1 of 25 shifts", "exact for 1 of 25 shifts"]
    first = panels[0].images[0]
    assert (first.norm.vmin, first.norm.vmax) == (1e-16, 1.0)
    expected = np.array([[r["relative_error"] for r in rows if r["layer_index"] == 0 and r["dy"] == dy]
                         for dy in (-2, -1, 0, 1, 2)])  # (dy, dx)
    np.testing.assert_array_equal(first.get_array(), np.clip(expected, 1e-16, 1.0))
    assert panels[0].get_xticks().tolist() == [-2, -1, 0, 1, 2]


def test_plot_equivariance_saves_a_png_and_chooses_among_models(tmp_path):
    rows = equivariance_sweep(tiny_cnn(), digits(size=16), "a", shifts=[0, 1])
    rows += [dict(r, model="b") for r in rows]
    with pytest.raises(ValueError, match=r"rows hold several models \['a', 'b'\]; choose one with model="):
        lab.plot_equivariance(rows)
    lab.plot_equivariance(rows, tmp_path / "eq.png", model="b")
    width, height = png_size(tmp_path / "eq.png")
    assert 600 <= width <= 2000 and 400 <= height <= 1500


@pytest.mark.parametrize("rows, kwargs, message", [
    ([], {}, "rows must not be empty"),
    ([{"model": "a", "dy": 0}], {}, "rows must have the columns .* missing"),
    ([{"model": "a", "layer_index": 0, "layer": "ReLU", "dy": 0, "dx": 0, "relative_error": 0.0}],
     {"model": "b"}, r"no rows for model 'b'; the rows hold \['a'\]"),
    ([{"model": "a", "layer_index": 0, "layer": "ReLU", "dy": 0, "dx": 0, "relative_error": 0.0}],
     {"save_path": "eq.jpg"}, r"save_path must end in \.png"),
])
def test_plot_equivariance_rejects_bad_rows(rows, kwargs, message):
    with pytest.raises(ValueError, match=message):
        lab.plot_equivariance(rows, **kwargs)


# --- feature maps ----------------------------------------------------------------------------------------

def test_plot_feature_maps_draws_the_digits_the_maps_and_centred_differences(drawn_figures):
    model, image = tiny_cnn(), digits(n=1, size=16)[0]
    lab.plot_feature_maps(model, image, shift=2, channels=2)
    ((fig, save_path),) = drawn_figures
    assert save_path == Path("results") / "feature_maps.png"
    panels = image_panels(fig)
    assert len(panels) == 2 + 2 * 2 * 4  # two digits, then 2 layers x 2 maps x 4 panels
    np.testing.assert_array_equal(panels[0].images[0].get_array(), image[0])
    np.testing.assert_array_equal(panels[1].images[0].get_array()[2:, 2:], image[0, :-2, :-2])
    comparisons = compare_feature_maps(model, image, 2, 2, [0, 2])
    for layer, c in enumerate(comparisons):
        for k in range(2):
            original, shifted, moved, difference = panels[2 + 8 * layer + 4 * k:6 + 8 * layer + 4 * k]
            np.testing.assert_array_equal(original.images[0].get_array(), c.original[k])
            np.testing.assert_array_equal(shifted.images[0].get_array(), c.shifted[k])
            np.testing.assert_array_equal(moved.images[0].get_array(), c.moved[k])
            np.testing.assert_allclose(difference.images[0].get_array(), c.shifted[k] - c.moved[k])
            low, high = difference.images[0].get_clim()
            assert low == -high and high > 0 and difference.images[0].get_cmap().name == "RdBu_r"
            assert difference.patches, "the compared cells are outlined"
    assert "max |diff| in box 0" in panels[5].get_title()  # the first conv moves exactly by one cell
    assert panels[2].get_ylabel() == "layer 0 Conv2d\nstride 2, map 0"
    assert panels[10].get_ylabel() == "layer 2 Conv2d\nstride 4, map 0"


def test_plot_feature_maps_takes_signed_shifts_and_its_default_layers_from_compare_feature_maps(drawn_figures):
    model, image = tiny_cnn(), digits(n=1, size=16)[0]
    lab.plot_feature_maps(model, image, shift=(-2, 1), channels=1)
    ((fig, _),) = drawn_figures
    panels = image_panels(fig)
    np.testing.assert_array_equal(panels[1].images[0].get_array()[:-2, 1:], image[0, 2:, :-1])
    for layer, c in enumerate(compare_feature_maps(model, image, -2, 1)):  # layer_indices None in both
        np.testing.assert_array_equal(panels[2 + 4 * layer].images[0].get_array(), c.original[0])
        assert panels[2 + 4 * layer].get_ylabel().startswith(f"layer {c.layer_index} Conv2d")


def test_plot_feature_maps_saves_a_png(tmp_path):
    lab.plot_feature_maps(tiny_cnn(), digits(n=1, size=16), shift=(1, -2), save_path=tmp_path / "maps.png")
    png_size(tmp_path / "maps.png")


@pytest.mark.parametrize("kwargs, error, message", [
    ({"shift": 1.5}, TypeError, r"shift must be an int or a tuple of 2 ints \(height, width\), got 1.5"),
    ({"shift": "12"}, TypeError, r"shift must be an int or a tuple of 2 ints"),
    ({"shift": (1, 0.5)}, TypeError, r"shift must hold ints, got \(1, 0.5\)"),
    ({"shift": (1, 2, 3)}, ValueError, r"shift must be a tuple of 2 ints \(height, width\), got 3 values"),
    ({"layer_indices": 2}, TypeError, "layer_indices must be None or a sequence of layer positions, got 2"),
    ({"channels": 0}, ValueError, "channels must be a positive int, got 0"),
    ({"model": Sequential(Flatten(), Linear(256, 10))}, ValueError, "model has no Conv2d layer"),
])
def test_plot_feature_maps_rejects_bad_input(kwargs, error, message):
    arguments = {"model": tiny_cnn(), "image": digits(n=1, size=16)[0]}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        lab.plot_feature_maps(**arguments)


# --- filters, confusion matrix, misclassified digits ------------------------------------------------------

def test_plot_filters_draws_every_filter_on_its_own_centred_scale(drawn_figures):
    layer = tiny_cnn().modules[2]  # 4 filters of 3 x 4 x 4
    lab.plot_filters(layer)
    ((fig, save_path),) = drawn_figures
    assert save_path == Path("results") / "filters.png"
    panels = image_panels(fig)
    assert len(panels) == 3 * 4
    for i, ax in enumerate(panels):
        c, f = divmod(i, 4)
        np.testing.assert_array_equal(ax.images[0].get_array(), layer.W.data[f, c])
        assert ax.images[0].get_clim() == (-np.abs(layer.W.data[f]).max(), np.abs(layer.W.data[f]).max())
        assert len(ax.texts) == 16  # the weights, written in the cells
    assert panels[0].get_title().startswith("filter 0\nmax |w| = ")
    assert panels[4].get_ylabel() == "input channel 1"
    with pytest.raises(TypeError, match="conv_layer must be a Conv2d, got ReLU"):
        lab.plot_filters(ReLU())


def test_plot_confusion_matrix_counts_true_against_predicted(drawn_figures):
    y_true = np.array([0, 1, 2, 2, 9, 9, 9])
    scores = np.eye(10)[[0, 1, 2, 7, 9, 9, 4]]  # (N, 10) one-hot scores
    counts = lab.plot_confusion_matrix(np.eye(10)[y_true], scores)
    ((fig, save_path),) = drawn_figures
    assert save_path == Path("results") / "confusion_matrix.png"
    assert counts[2, 7] == 1 and counts[9, 9] == 2 and counts[9, 4] == 1 and counts.sum() == 7
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), counts)
    assert sorted(t.get_text() for t in ax.texts) == ["1"] * 5 + ["2"]  # zero cells stay empty
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted class", "true class")
    assert ax.get_title() == "Confusion matrix: 7 images, accuracy 0.7143"


@pytest.mark.parametrize("y_true, y_pred, message", [
    ([0, 1], [0], "y_true and y_pred must have the same length, got 2 and 1"),
    ([0, 10], [0, 1], r"y_true must lie in 0..9, got values from 0 to 10"),
    ([0.5, 1.0], [0, 1], r"y_true must be \(N,\) class indices or \(N, K\) one-hot labels or scores"),
])
def test_plot_confusion_matrix_rejects_bad_labels(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        lab.plot_confusion_matrix(y_true, y_pred)


def test_plot_misclassified_titles_each_wrong_digit(drawn_figures):
    images = digits(n=8)
    y_true = np.array([1, 2, 3, 4, 5, 6, 7, 8])
    y_pred = np.array([1, 0, 3, 9, 5, 6, 2, 8])
    shown = lab.plot_misclassified(images, y_true, y_pred, n=2)
    ((fig, save_path),) = drawn_figures
    assert save_path == Path("results") / "misclassified.png"
    np.testing.assert_array_equal(shown, [1, 3])
    panels = image_panels(fig)
    assert [ax.get_title() for ax in panels] == ["true 2 / predicted 0", "true 4 / predicted 9"]
    np.testing.assert_array_equal(panels[1].images[0].get_array(), images[3, 0])
    assert fig._suptitle.get_text() == "Misclassified: 3 of 8 images (the first 2 shown)"


def test_plot_misclassified_says_so_when_nothing_is_wrong(drawn_figures):
    shown = lab.plot_misclassified(digits(n=3), [1, 2, 3], [1, 2, 3])
    assert shown.size == 0
    assert drawn_figures[0][0].axes[0].texts[0].get_text() == "no misclassified images"


def test_the_figures_save_pngs_under_results_by_default(tmp_path):
    lab.plot_filters(tiny_cnn().modules[0])
    lab.plot_confusion_matrix([0, 1, 1], [0, 1, 0])
    lab.plot_misclassified(digits(n=3), [0, 1, 1], [0, 1, 0])
    for name in ("filters.png", "confusion_matrix.png", "misclassified.png"):
        png_size(tmp_path / "results" / name)


def test_plot_misclassified_rejects_bad_input():
    with pytest.raises(ValueError, match=r"images must have shape \(N, C, H, W\) with C >= 1, got shape \(3, 12\)"):
        lab.plot_misclassified(np.zeros((3, 12)), [0, 1, 2], [0, 1, 2])
    with pytest.raises(ValueError, match="images and y_true must have the same length, got 3 and 2"):
        lab.plot_misclassified(digits(n=3), [0, 1], [0, 1])
