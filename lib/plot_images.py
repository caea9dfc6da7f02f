"""Figures of the course: image grids, learning curves and line plots, safe on headless machines.

Every function saves a PNG when given `save_path` and opens a window only where one can open.
Importing this module selects matplotlib's non-interactive Agg backend when there is no display
(Linux and other X11/Wayland systems without DISPLAY or WAYLAND_DISPLAY), before pyplot is
imported, unless the user chose a backend with the MPLBACKEND environment variable. `plt.show()`
is then only called with an interactive backend, so nothing blocks or fails on a server or in CI,
and figures that are not shown are closed so that repeated calls do not accumulate memory.

Shape letters: N images, C channels, H height, W width.
"""
import os
import sys
import warnings
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

import matplotlib
import numpy as np
from matplotlib.ticker import MaxNLocator


def display_available() -> bool:
    """Whether a window can open: always on Windows and macOS, elsewhere only with an X11 or Wayland display."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# Must happen before pyplot is imported; an explicit MPLBACKEND is the user's choice and wins.
if not os.environ.get("MPLBACKEND") and not display_available():
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (after the backend choice above)

from lib.checks import check_positive_int  # noqa: E402
from lib.utilities import atomic_write  # noqa: E402

PathLike = Union[str, Path]
# Backends that render to files only; plt.show() with them does nothing useful (matplotlib warns).
_NON_INTERACTIVE_BACKENDS = frozenset({"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"})


def plot_data(data: np.ndarray, rows: int = 5, cols: int = 4, plot_border: bool = True, title: str = "",
              labels: Optional[Sequence] = None, save_path: Optional[PathLike] = None,
              show: Optional[bool] = None) -> None:
    """Draw the first rows*cols images (channel 0) in a greyscale grid.

    All images share one grey scale (the minimum and maximum of the drawn images), so their
    brightness can be compared.

    Args:
        data: images, shape (N, C, H, W) with N >= rows*cols and C >= 1; channel 0 is drawn.
        rows: number of grid rows, a positive int.
        cols: number of grid columns, a positive int.
        plot_border: True draws a frame around each image (ticks are always off); False hides the axes.
        title: figure title (`plt.suptitle`).
        labels: optional sequence of at least rows*cols labels; label i becomes the title of image i.
        save_path: optional `.png` path; the figure is written there atomically (directories are created).
        show: None opens a window only where a display exists; True asks for one even without a
            detected display; False never opens one. A window needs an interactive backend.

    Raises:
        ValueError: if `data` is not 4-D with at least one channel, holds fewer than rows*cols images,
            `rows`/`cols` are not positive, `labels` are too few, or `save_path` does not end in `.png`.
        TypeError: if `rows` or `cols` is not an int.
    """
    data = np.asarray(data)
    if data.ndim != 4 or data.shape[1] < 1:
        raise ValueError(f"data must have shape (N, C, H, W) with C >= 1, got shape {data.shape}")
    rows = check_positive_int(rows, "rows")
    cols = check_positive_int(cols, "cols")
    count = rows * cols
    if data.shape[0] < count:
        raise ValueError(f"data must hold at least rows*cols = {count} images, got {data.shape[0]}")
    if labels is not None and len(labels) < count:
        raise ValueError(f"labels must hold at least rows*cols = {count} entries, got {len(labels)}")
    save_path = _checked_png_path(save_path)

    images = data[:count, 0]  # (rows*cols, H, W)
    vmin, vmax = float(images.min()), float(images.max())
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.6 * rows + 0.6), squeeze=False,
                             constrained_layout=True)
    for i, ax in enumerate(axes.flat):
        ax.imshow(images[i], cmap="gray", vmin=vmin, vmax=vmax)
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=10)
        if plot_border:
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            ax.axis("off")
    plt.suptitle(title)
    _finish(fig, save_path, show)


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
    save_path = _checked_png_path(save_path)

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
    _finish(fig, save_path, show)


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
    save_path = _checked_png_path(save_path)

    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    for label, y in lines.items():
        ax.plot(x, y, marker="o", label=str(label))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    _finish(fig, save_path, show)


def _as_curve(values: Sequence[float], name: str) -> np.ndarray:
    curve = np.asarray(values, dtype=float)
    if curve.ndim != 1 or curve.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of numbers, got shape {curve.shape}")
    return curve


def _check_same_length(curves: Dict[str, np.ndarray]) -> None:
    lengths = {name: len(curve) for name, curve in curves.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"all curves must have the same length, got lengths {lengths}")


def _checked_png_path(save_path: Optional[PathLike]) -> Optional[Path]:
    if save_path is None:
        return None
    path = Path(save_path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"save_path must end in .png, got {str(save_path)!r}")
    return path


def _backend_is_interactive() -> bool:
    return matplotlib.get_backend().lower() not in _NON_INTERACTIVE_BACKENDS


def _should_show(show: Optional[bool]) -> bool:
    """Decide whether to call plt.show(): see `plot_data`'s `show` argument."""
    wanted = display_available() if show is None else bool(show)
    if wanted and not _backend_is_interactive():
        if show:  # the caller asked explicitly: say why no window appears
            warnings.warn(f"show=True, but matplotlib's backend {matplotlib.get_backend()!r} cannot open a "
                          "window (no display?); set MPLBACKEND to an interactive backend such as TkAgg",
                          UserWarning, stacklevel=4)  # 4: the caller of plot_*
        return False
    return wanted


def _finish(fig: "plt.Figure", save_path: Optional[Path], show: Optional[bool]) -> None:
    """Save `fig` if asked, then show it, or close it so that figures do not pile up across calls."""
    try:
        if save_path is not None:
            atomic_write(save_path, lambda f: fig.savefig(f, format="png"))
        showing = _should_show(show)
    except BaseException:
        plt.close(fig)
        raise
    if showing:
        plt.show()
    else:
        plt.close(fig)
