"""Figures of the equivariance lab: error against shift per layer, feature maps of a shifted digit,
the learned filters, the confusion matrix and the misclassified digits.

Headless-safe like every figure of the library (see `lib.figures`): each is saved as a PNG, under
`results/` by default or where the caller says, and a window opens only where one can. This module
sits next to `lib.equivariance` (whose comparison `plot_feature_maps` draws); the other figures only
take arrays.

Shape letters: N images, C channels, H, W height and width, F filters, K classes.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from lib import figures  # first: it selects matplotlib's backend before pyplot is imported
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.patches import Rectangle

from lib.checks import check_int, check_positive_int, check_same_length, is_int
from lib.convolutions import Conv2d
from lib.equivariance import SWEEP_COLUMNS, MapComparison, compare_feature_maps
from lib.figures import plt
from lib.network import Sequential
from lib.shifts import shift_images

PathLike = Union[str, Path]
EQUIVARIANCE_FILE = "equivariance.png"
FEATURE_MAPS_FILE = "feature_maps.png"
FILTERS_FILE = "conv_filters.png"
CONFUSION_FILE = "confusion_matrix.png"
MISCLASSIFIED_FILE = "misclassified.png"
ERROR_RANGE = (1e-16, 1.0)  # colour scale of the equivariance heatmaps: rounding error ... as large as the map
EXACT = 1e-12  # an error below this is rounding: the layer moved exactly
MAPS_CMAP, DIFFERENCE_CMAP = "viridis", "RdBu_r"


def plot_equivariance(rows: Sequence[Dict[str, object]], save_path: Optional[PathLike] = None,
                      show: Optional[bool] = None, model: Optional[str] = None) -> None:
    """One heatmap per layer of the relative error over the shift (dy, dx), on a log scale from 1e-16 to 1.

    Dark cells are shifts the layer follows exactly (errors of 1e-16 and below, exact zeros
    included, take the darkest colour); a stride-2 layer shows a checkerboard of even shifts, a
    stride-4 layer only the multiples of 4, a flattening head only the zero shift. Each panel's title
    counts the exact shifts (error < 1e-12); nan (nothing to compare) is left white.

    Args:
        rows: rows of `lib.equivariance.equivariance_sweep` (keys `SWEEP_COLUMNS`).
        save_path: `.png` path; None: `results/equivariance.png`.
        show: as in `plot_data`.
        model: the model whose rows to draw; None if the rows hold one model only.

    Raises:
        ValueError: if rows are empty, lack a column, hold several models and `model` is None, or
            `save_path` does not end in `.png`.
    """
    rows = _rows_of_one_model(rows, model)
    save_path = _png_path(save_path, EQUIVARIANCE_FILE)
    shifts = sorted({int(r["dy"]) for r in rows} | {int(r["dx"]) for r in rows})
    layers = sorted({(int(r["layer_index"]), str(r["layer"])) for r in rows})
    grids = {layer: np.full((len(shifts), len(shifts)), np.nan) for layer in layers}  # (dy, dx) per layer
    for r in rows:
        grids[(int(r["layer_index"]), str(r["layer"]))][shifts.index(int(r["dy"])), shifts.index(int(r["dx"]))] = \
            float(r["relative_error"])

    cols = min(3, len(layers))
    nrows = math.ceil(len(layers) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.3 * cols + 1.2, 3.5 * nrows + 0.7), squeeze=False,
                             constrained_layout=True)
    norm = LogNorm(*ERROR_RANGE)
    extent = (shifts[0] - 0.5, shifts[-1] + 0.5, shifts[-1] + 0.5, shifts[0] - 0.5)  # dy grows downwards
    for ax, (index, name) in zip(axes.flat, layers):
        grid = grids[(index, name)]
        image = ax.imshow(np.clip(grid, *ERROR_RANGE), norm=norm, cmap="viridis", extent=extent)
        exact = int(np.sum(grid < EXACT))
        ax.set_title(f"{index}: {name}\nexact for {exact} of {grid.size} shifts", fontsize=10)
        ax.set_xticks(shifts)
        ax.set_yticks(shifts)
        ax.tick_params(labelsize=8)
    for ax in axes[-1, :]:
        ax.set_xlabel("dx (pixels right)")
    for ax in axes[:, 0]:
        ax.set_ylabel("dy (pixels down)")
    for ax in axes.flat[len(layers):]:
        ax.axis("off")
    bar = fig.colorbar(image, ax=axes, shrink=0.8, extend="both")
    bar.set_label("relative error  max|a - b| / max|b|")
    fig.suptitle(f"Equivariance error per layer, {rows[0]['model']} (dark = moves exactly with the input)")
    figures.finish(fig, save_path, show)


def plot_feature_maps(model: Sequential, image: np.ndarray, shift: Union[int, Sequence[int]] = 2,
                      channels: int = 3, layer_indices: Optional[Sequence[int]] = None,
                      save_path: Optional[PathLike] = None, show: Optional[bool] = None) -> None:
    """A digit and its shifted copy, the maps of two layers for both, and their difference after alignment.

    Columns: the original's map, the shifted copy's map, the original's map moved by the cell shift
    (zero fill), and the difference "shifted - moved" in a diverging colour map centred at 0, on the
    scale of the layer's maps; the dashed box marks the cells compared (no padding, no fill band; see
    `lib.equivariance.valid_window`). Inside it, a layer that moves with the input shows white.

    Args:
        model: a Sequential taking (1, C, H, W) images.
        image: (C, H, W) or (1, C, H, W) image; channel 0 is drawn.
        shift: pixels right and down (one int), or (dy, dx).
        channels: maps drawn per layer (the first ones).
        layer_indices: layers to draw; None: the first two Conv2d layers.
        save_path: `.png` path; None: `results/feature_maps.png`.
        show: as in `plot_data`.

    Raises:
        TypeError: if shift or channels have the wrong type.
        ValueError: if the model has no Conv2d (and no indices are given), or `save_path` is not `.png`.
    """
    dy, dx = (shift, shift) if is_int(shift) else _int_pair(shift, "shift")
    channels = check_positive_int(channels, "channels")
    if layer_indices is None:
        layer_indices = [i for i, m in enumerate(getattr(model, "modules", [])) if isinstance(m, Conv2d)][:2]
        if not layer_indices:
            raise ValueError("model has no Conv2d layer; name the layers with layer_indices")
    save_path = _png_path(save_path, FEATURE_MAPS_FILE)
    comparisons = compare_feature_maps(model, image, int(dy), int(dx), layer_indices)
    image = np.asarray(image).reshape((1,) + np.shape(image)[-3:])  # (1, C, H, W)
    image, shifted_image = image[0, 0], shift_images(image, dy, dx)[0, 0]  # (H, W) each

    nrows = 1 + sum(min(channels, c.original.shape[0]) for c in comparisons)
    fig = plt.figure(figsize=(8.4, 1.95 * nrows + 0.6), constrained_layout=True)
    # Columns: three maps, the difference, the maps' colour bar, the difference's colour bar.
    grid = fig.add_gridspec(nrows, 6, width_ratios=[1, 1, 1, 1, 0.07, 0.07])
    for col, picture, title in ((0, image, "original digit"), (1, shifted_image, f"shifted by ({dy}, {dx}) pixels")):
        ax = fig.add_subplot(grid[0, col])
        ax.imshow(picture, cmap="gray")
        ax.set_title(title, fontsize=9)
        _no_ticks(ax)
    note = fig.add_subplot(grid[0, 2:])
    note.axis("off")
    note.text(0.05, 0.5, "(dy, dx): pixels down, right.\nMaps: one colour scale per layer.\n"
              "Difference: red > 0 > blue, on the maps' scale;\nthe dashed box holds the compared cells\n"
              "(no padding, no filled-in band).", fontsize=9, va="center", transform=note.transAxes)
    row = 1
    for c in comparisons:
        row = _draw_comparison(fig, grid, row, c, channels)
    fig.suptitle(f"Feature maps of a digit and of its copy shifted by ({dy}, {dx}) pixels")
    figures.finish(fig, save_path, show)


def _draw_comparison(fig: plt.Figure, grid, row: int, c: MapComparison, channels: int) -> int:
    """Draw the first `channels` maps of one `MapComparison` from grid row `row`; return the next free row."""
    shown = min(channels, c.original.shape[0])
    maps = np.stack([c.original[:shown], c.shifted[:shown]])  # (2, shown, h, w)
    low, high = float(maps.min()), float(maps.max())
    scale = float(np.abs(maps).max()) or 1.0
    rows, cols = c.window
    titles = ("original", "shifted input", f"original moved {c.cell_shift} cells", "shifted - moved")
    for k in range(shown):
        difference = c.shifted[k] - c.moved[k]  # (h, w)
        inside = difference[rows, cols]
        for col, picture in enumerate((c.original[k], c.shifted[k], c.moved[k], difference)):
            ax = fig.add_subplot(grid[row + k, col])
            diverging = col == 3
            drawn = ax.imshow(picture, cmap=DIFFERENCE_CMAP if diverging else MAPS_CMAP,
                              vmin=-scale if diverging else low, vmax=scale if diverging else high)
            _no_ticks(ax)
            title = titles[col] + "\n" if k == 0 else ""
            if diverging:
                title += f"max |diff| in box {np.abs(inside).max():.2g}" if inside.size else "no cell compared"
                ax.add_patch(Rectangle((cols.start - 0.5, rows.start - 0.5), cols.stop - cols.start,
                                       rows.stop - rows.start, fill=False, linestyle="--", linewidth=1.2))
            ax.set_title(title.strip(), fontsize=9)
            if col == 0:
                ax.set_ylabel(f"layer {c.layer_index} {c.layer}\nstride {c.stride[0]}, map {k}", fontsize=9)
            if k == 0 and col in (2, 3):
                bar = fig.colorbar(drawn, cax=fig.add_subplot(grid[row:row + shown, 2 + col]))
                bar.set_label("difference" if diverging else "maps", fontsize=9)
    return row + shown


def plot_filters(conv_layer: Conv2d, save_path: Optional[PathLike] = None, show: Optional[bool] = None) -> None:
    """The filters of a convolution, one panel per (input channel, filter), weights written in the cells.

    Each filter has its own diverging scale centred at 0 (red > 0 > blue), so that the pattern of a
    filter with small weights shows as clearly as that of one with large weights; the titles give
    each filter's largest |weight| so that their sizes can still be compared.

    Args:
        conv_layer: a Conv2d (for the course CNN, the first layer: 5 filters of 1 x 4 x 4).
        save_path: `.png` path; None: `results/conv_filters.png`.
        show: as in `plot_data`.

    Raises:
        TypeError: if conv_layer is not a Conv2d.
        ValueError: if `save_path` does not end in `.png`.
    """
    if not isinstance(conv_layer, Conv2d):
        raise TypeError(f"conv_layer must be a Conv2d, got {type(conv_layer).__name__}")
    save_path = _png_path(save_path, FILTERS_FILE)
    weights = np.asarray(conv_layer.W.data)  # (F, C, KH, KW)
    n_filters, n_inputs, kh, kw = weights.shape
    fig, axes = plt.subplots(n_inputs, n_filters, figsize=(1.9 * n_filters + 0.4, 1.9 * n_inputs + 0.8),
                             squeeze=False, constrained_layout=True)
    for f in range(n_filters):
        scale = float(np.abs(weights[f]).max()) or 1.0
        for c in range(n_inputs):
            ax = axes[c, f]
            ax.imshow(weights[f, c], cmap=DIFFERENCE_CMAP, vmin=-scale, vmax=scale)
            _no_ticks(ax)
            if kh * kw <= 25:  # small kernels: the numbers fit in the cells
                for (i, j), w in np.ndenumerate(weights[f, c]):
                    ax.text(j, i, f"{w:.2f}".replace("-0.00", "0.00"), ha="center", va="center", fontsize=7,
                            color="white" if abs(w) > 0.6 * scale else "black")
        axes[0, f].set_title(f"filter {f}\nmax |w| = {scale:.2f}", fontsize=9)
    if n_inputs > 1:
        for c in range(n_inputs):
            axes[c, 0].set_ylabel(f"input channel {c}", fontsize=9)
    fig.suptitle(f"Learned {kh}x{kw} filters of {conv_layer!r}\n(each filter on its own scale: red > 0 > blue)",
                 fontsize=10)
    figures.finish(fig, save_path, show)


def plot_confusion_matrix(y_true, y_pred, num_classes: int = 10, save_path: Optional[PathLike] = None,
                          show: Optional[bool] = None) -> np.ndarray:
    """A num_classes x num_classes matrix of counts: row = true class, column = predicted class.

    Args:
        y_true: (N,) class indices or (N, K) one-hot labels.
        y_pred: (N,) class indices or (N, K) scores (their argmax is the prediction).
        num_classes: K.
        save_path: `.png` path; None: `results/confusion_matrix.png`.
        show: as in `plot_data`.

    Returns:
        The (K, K) matrix of counts.

    Raises:
        ValueError: if the labels differ in length, are empty, or lie outside 0..K-1.
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    y_true, y_pred = _classes(y_true, "y_true", num_classes), _classes(y_pred, "y_pred", num_classes)
    check_same_length(y_true, y_pred, "y_true", "y_pred")
    save_path = _png_path(save_path, CONFUSION_FILE)
    counts = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    fig, ax = plt.subplots(figsize=(0.55 * num_classes + 2.2, 0.55 * num_classes + 1.4), constrained_layout=True)
    drawn = ax.imshow(counts, cmap="Blues")
    for (t, p), count in np.ndenumerate(counts):
        if count:
            ax.text(p, t, str(count), ha="center", va="center", fontsize=8,
                    color="white" if count > counts.max() / 2 else "black")
    ax.set_xticks(range(num_classes))
    ax.set_yticks(range(num_classes))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.colorbar(drawn, ax=ax, shrink=0.8).set_label("images")
    ax.set_title(f"Confusion matrix: {len(y_true)} images, accuracy {np.trace(counts) / len(y_true):.4f}",
                 fontsize=10)
    figures.finish(fig, save_path, show)
    return counts


def plot_misclassified(images: np.ndarray, y_true, y_pred, n: int = 20, cols: int = 5,
                       save_path: Optional[PathLike] = None, show: Optional[bool] = None) -> np.ndarray:
    """The first n misclassified images (channel 0), each titled "true t / predicted p".

    Args:
        images: (N, C, H, W) images.
        y_true: (N,) class indices or (N, K) one-hot labels.
        y_pred: (N,) class indices or (N, K) scores.
        n: most images drawn.
        cols: grid columns.
        save_path: `.png` path; None: `results/misclassified.png`.
        show: as in `plot_data`.

    Returns:
        The indices of the drawn images (possibly empty: then the figure says so).

    Raises:
        ValueError: if images are not 4-D, the lengths differ, or `save_path` is not `.png`.
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1] < 1:
        raise ValueError(f"images must have shape (N, C, H, W) with C >= 1, got shape {images.shape}")
    n, cols = check_positive_int(n, "n"), check_positive_int(cols, "cols")
    y_true, y_pred = _classes(y_true, "y_true"), _classes(y_pred, "y_pred")
    check_same_length(images, y_true, "images", "y_true")
    check_same_length(y_true, y_pred, "y_true", "y_pred")
    save_path = _png_path(save_path, MISCLASSIFIED_FILE)
    wrong = np.flatnonzero(y_true != y_pred)[:n]
    cols = max(1, min(cols, len(wrong)))
    nrows = max(1, math.ceil(len(wrong) / cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(1.75 * cols, 1.9 * nrows + 0.6), squeeze=False,
                             constrained_layout=True)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong):
        ax.imshow(images[i, 0], cmap="gray")
        ax.set_title(f"true {y_true[i]} / predicted {y_pred[i]}", fontsize=8)
    if len(wrong) == 0:
        axes[0, 0].text(0.5, 0.5, "no misclassified images", ha="center", va="center")
    fig.suptitle(f"Misclassified: {int(np.sum(y_true != y_pred))} of {len(y_true)} images "
                 f"(the first {len(wrong)} shown)", fontsize=10)
    figures.finish(fig, save_path, show)
    return wrong


def _rows_of_one_model(rows: Sequence[Dict[str, object]], model: Optional[str]) -> List[Dict[str, object]]:
    """The rows of `model` (or of the only model), checked for the sweep's columns."""
    rows = list(rows)
    if not rows:
        raise ValueError("rows must not be empty")
    missing = [c for c in SWEEP_COLUMNS if c not in rows[0]]
    if missing:
        raise ValueError(f"rows must have the columns {SWEEP_COLUMNS}, missing {missing}")
    names = list(dict.fromkeys(r["model"] for r in rows))
    if model is None and len(names) > 1:
        raise ValueError(f"rows hold several models {names}; choose one with model=")
    chosen = [r for r in rows if r["model"] == (names[0] if model is None else model)]
    if not chosen:
        raise ValueError(f"no rows for model {model!r}; the rows hold {names}")
    return chosen


def _classes(labels, name: str, num_classes: Optional[int] = None) -> np.ndarray:
    """(N,) class indices from (N,) integers or (N, K) one-hot labels / scores (argmax)."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    if labels.ndim != 1 or not (labels.size == 0 or np.issubdtype(labels.dtype, np.integer)):
        raise ValueError(f"{name} must be (N,) class indices or (N, K) one-hot labels or scores, "
                         f"got shape {labels.shape} and dtype {labels.dtype}")
    if num_classes is not None and labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{name} must lie in 0..{num_classes - 1}, got values from {labels.min()} to {labels.max()}")
    return labels.astype(int)


def _int_pair(value, name: str) -> Tuple[int, int]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise TypeError(f"{name} must be an int or a pair of ints (dy, dx), got {value!r}")
    return check_int(value[0], f"{name}[0]"), check_int(value[1], f"{name}[1]")


def _png_path(save_path: Optional[PathLike], default_name: str) -> Path:
    return figures.RESULTS_DIR / default_name if save_path is None else figures.checked_png_path(save_path)


def _no_ticks(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
