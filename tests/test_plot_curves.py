"""Specification of the line figures: learning curves and line plots, saved as PNGs, clear errors."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from layer_fixtures import png_size
from lib.plotting import figures
from lib.plotting import curves
from lib.plotting.curves import plot_learning_curves, plot_lines

pytestmark = pytest.mark.usefixtures("agg_backend_and_no_leaks")


def test_plot_learning_curves_saves_loss_and_accuracy_panels(tmp_path, show_calls, monkeypatch):
    costs, accuracies = [1.0, 0.6, 0.4], [0.5, 0.8, 0.9]
    plot_learning_curves(costs, accuracies, [1.1, 0.7, 0.5], [0.4, 0.7, 0.85], tmp_path / "curves.png")
    assert png_size(tmp_path / "curves.png")[0] >= 500
    drawn = []
    monkeypatch.setattr(figures, "finish", lambda fig, save_path, show: drawn.append(fig))
    plot_learning_curves(costs, accuracies, [1.1, 0.7, 0.5], [0.4, 0.7, 0.85], None)
    loss_ax, acc_ax = drawn[0].axes
    assert (loss_ax.get_ylabel(), acc_ax.get_ylabel()) == ("loss", "accuracy")
    np.testing.assert_array_equal(loss_ax.lines[0].get_xdata(), [1, 2, 3])  # epochs start at 1
    np.testing.assert_array_equal(acc_ax.lines[1].get_ydata(), [0.4, 0.7, 0.85])
    plt.close(drawn[0])


def test_plot_learning_curves_rejects_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="all curves must have the same length, got lengths"):
        plot_learning_curves([1.0, 0.5], [0.5, 0.8], [1.0], [0.5], None)
    with pytest.raises(ValueError, match=r"train_costs must be a non-empty 1-D sequence of numbers, got shape \(0,\)"):
        plot_learning_curves([], [], [], [], None)


def test_plot_lines_draws_one_line_per_series(tmp_path, drawn_figures):
    series = {"MLP": [0.95, 0.5, 0.2], "CNN": [0.96, 0.9, 0.7]}
    plot_lines([0, 1, 2], series, "shift (pixels)", "accuracy", "Accuracy vs shift", tmp_path / "shift.png")
    (ax,) = drawn_figures[0].axes
    assert [line.get_label() for line in ax.lines] == ["MLP", "CNN"]
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), series["CNN"])
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("shift (pixels)", "accuracy", "Accuracy vs shift")


def test_plot_lines_saves_a_png(tmp_path, show_calls):
    plot_lines([0, 1], {"MLP": [0.9, 0.5]}, "shift", "accuracy", "", tmp_path / "shift.png")
    assert png_size(tmp_path / "shift.png") == (600, 400)


@pytest.mark.parametrize("x, series, message", [
    ([0, 1], {}, "series must hold at least one line, got an empty mapping"),
    ([0, 1], {"MLP": [0.9]}, r"all curves must have the same length, got lengths \{'x': 2, \"series\['MLP'\]\": 1\}"),
])
def test_plot_lines_rejects_bad_input(x, series, message):
    with pytest.raises(ValueError, match=message):
        plot_lines(x, series, "shift", "accuracy", "", None)


def test_plot_training_results_shows_the_evaluation_cost_per_batch(monkeypatch):
    drawn = []
    monkeypatch.setattr(curves, "plot_learning_curves", lambda *args, **kwargs: drawn.append((args, kwargs)))
    results = (np.array([0.9, 0.4]), np.array([0.7, 0.9]), np.array([20.0, 10.0]), np.array([0.8, 0.95]))
    curves.plot_training_results(results, 10, None, title="t")
    (args, kwargs), = drawn
    np.testing.assert_array_equal(args[2], [2.0, 1.0])
    assert args[0] is results[0] and args[3] is results[3] and kwargs["title"] == "t"
