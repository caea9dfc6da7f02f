"""Line figures: the learning curves of `train` and accuracy-against-shift style line plots.

Headless-safe like every figure of the library (see `lib.plotting.figures`): PNGs are written atomically
when a path is given, and a window opens only where one can.
"""
from typing import Dict, Optional, Sequence

import numpy as np
from matplotlib.ticker import MaxNLocator

from lib.plotting import figures
from lib.plotting.figures import PathLike, plt


def plot_learning_curves(train_costs: Sequence[float], train_accuracies: Sequence[float],
                         eval_costs: Sequence[float], eval_accuracies: Sequence[float],
                         save_path: Optional[PathLike], show: Optional[bool] = None, title: str = "") -> None:
    """Plot the four arrays returned by `train` against the epoch: loss on the left, accuracy on the right.

    Note that `train` reports the training cost as the mean over batches but the evaluation cost
    as the *sum* over batches (the course's `evaluate`); divide `eval_costs` by the number of
    evaluation batches first if the two loss curves should be on the same scale.

    Args:
        train_costs: training cost per epoch, shape (E,).
        train_accuracies: training accuracy per epoch, shape (E,).
        eval_costs: evaluation cost per epoch, shape (E,).
        eval_accuracies: evaluation accuracy per epoch, shape (E,).
        save_path: `.png` path to write the figure to atomically, or None.
        show: as in `plot_data`.
        title: figure title.

    Raises:
        ValueError: if an array is not 1-D and non-empty, their lengths differ, or `save_path` is not `.png`.
    """
    curves = {name: _as_curve(values, name) for name, values in (
        ("train_costs", train_costs), ("train_accuracies", train_accuracies),
        ("eval_costs", eval_costs), ("eval_accuracies", eval_accuracies))}
    _check_same_length(curves)
    save_path = figures.checked_png_path(save_path)

    epochs = np.arange(1, len(curves["train_costs"]) + 1)
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, kind in ((loss_ax, "costs"), (acc_ax, "accuracies")):
        ax.plot(epochs, curves["train_" + kind], marker="o", label="training (running mean during the epoch)")
        ax.plot(epochs, curves["eval_" + kind], marker="o", label="evaluation (after the epoch)")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.set_ylabel("loss" if kind == "costs" else "accuracy")
        ax.grid(True, alpha=0.3)
        ax.legend()
    plt.suptitle(title)
    figures.finish(fig, save_path, show)


def plot_training_results(results: Sequence[Sequence[float]], eval_batches: int, save_path: Optional[PathLike],
                          show: Optional[bool] = None, title: str = "") -> None:
    """`plot_learning_curves` of `train`'s results, the evaluation cost turned into a mean per batch.

    Args:
        results: `train`'s `(train_costs, train_accuracies, eval_costs, eval_accuracies)`, each (E,).
        eval_batches: the number of evaluation batches `train` summed each evaluation cost over.
        save_path, show, title: as in `plot_learning_curves`.
    """
    train_costs, train_accuracies, eval_costs, eval_accuracies = results
    plot_learning_curves(train_costs, train_accuracies, np.asarray(eval_costs) / eval_batches, eval_accuracies,
                         save_path=save_path, show=show, title=title)


def plot_lines(x: Sequence[float], series: Dict[str, Sequence[float]], xlabel: str, ylabel: str, title: str,
               save_path: Optional[PathLike], show: Optional[bool] = None) -> None:
    """Plot one line per entry of `series` against `x` (e.g. accuracy vs shift, one line per model).

    Args:
        x: the x values, shape (P,).
        series: mapping from legend label to y values, each shape (P,); at least one entry.
        xlabel: x-axis label.
        ylabel: y-axis label.
        title: figure title.
        save_path: `.png` path to write the figure to atomically, or None.
        show: as in `plot_data`.

    Raises:
        ValueError: if `series` is empty, an array is not 1-D and non-empty, a series' length differs
            from `x`'s, or `save_path` is not `.png`.
    """
    if not series:
        raise ValueError("series must hold at least one line, got an empty mapping")
    x = _as_curve(x, "x")
    lines = {label: _as_curve(values, f"series[{label!r}]") for label, values in series.items()}
    _check_same_length({"x": x, **{f"series[{label!r}]": y for label, y in lines.items()}})
    save_path = figures.checked_png_path(save_path)

    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    for label, y in lines.items():
        ax.plot(x, y, marker="o", label=str(label))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    figures.finish(fig, save_path, show)


def _as_curve(values: Sequence[float], name: str) -> np.ndarray:
    curve = np.asarray(values, dtype=float)
    if curve.ndim != 1 or curve.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of numbers, got shape {curve.shape}")
    return curve


def _check_same_length(curves: Dict[str, np.ndarray]) -> None:
    lengths = {name: len(curve) for name, curve in curves.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"all curves must have the same length, got lengths {lengths}")
