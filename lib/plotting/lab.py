"""Figures of the equivariance lab: error against shift per layer, feature maps of a shifted digit.

Headless-safe like every figure of the library (see `lib.plotting.figures`): each is saved as a PNG, under
`results/` by default or where the caller says, and a window opens only where one can. This module
sits next to `lib.equivariance.measure` (whose comparison `plot_feature_maps` draws). The lab's figures of
the trained classifier (filters, confusion matrix, misclassified digits) live in
`lib.plotting.classification` and are re-exported here, so that the lab takes all its figures from one
module.

Shape letters: N images, C channels, H, W height and width.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Union

from lib.plotting import figures  # first: it selects matplotlib's backend before pyplot is imported
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.patches import Rectangle

from lib.checks import check_int_pair, check_positive_int
from lib.equivariance.measure import EXACT, SWEEP_COLUMNS, MapComparison, compare_feature_maps
from lib.plotting.figures import PathLike, plt
from lib.network import Sequential
# Re-exported: the lab takes all its figures from this module.
from lib.plotting.classification import (CONFUSION_FILE, FILTERS_FILE, MISCLASSIFIED_FILE,  # noqa: F401
                                         plot_confusion_matrix, plot_filters, plot_misclassified)  # noqa: F401
from lib.plotting.helpers import DIFFERENCE_CMAP, no_ticks, png_path
from lib.shifts import shift_images

EQUIVARIANCE_FILE = "equivariance.png"
FEATURE_MAPS_FILE = "feature_maps.png"
ERROR_RANGE = (1e-16, 1.0)  # colour scale of the equivariance heatmaps: rounding error ... as large as the map
MAPS_CMAP = "viridis"


def plot_equivariance(rows: Sequence[Dict[str, object]], save_path: Optional[PathLike] = None,
                      show: Optional[bool] = None, model: Optional[str] = None) -> None:
    """One heatmap per layer of the relative error over the shift (dy, dx), on a log scale from 1e-16 to 1.

    Dark cells are shifts the layer follows exactly (errors of 1e-16 and below, exact zeros
    included, take the darkest colour); a stride-2 layer shows a checkerboard of even shifts, a
    stride-4 layer only the multiples of 4, a flattening head only the zero shift. Each panel's title
    counts the exact shifts (error < EXACT, 1e-12); nan (nothing to compare) is left white.

    Args:
        rows: rows of `lib.equivariance.measure.equivariance_sweep` (keys `SWEEP_COLUMNS`).
        save_path: `.png` path; None: `results/equivariance.png`.
        show: as in `plot_data`.
        model: the model whose rows to draw; None if the rows hold one model only.

    Raises:
        ValueError: if rows are empty, lack a column, hold several models and `model` is None, or
            `save_path` does not end in `.png`.
    """
    rows = _rows_of_one_model(rows, model)
    save_path = png_path(save_path, EQUIVARIANCE_FILE)
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
        image = ax.imshow(np.clip(grid, *ERROR_RANGE), norm=norm, cmap=MAPS_CMAP, extent=extent)
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
    `lib.equivariance.measure.valid_window`). Inside it, a layer that moves with the input shows white.

    Args:
        model: a Sequential taking (1, C, H, W) images.
        image: (C, H, W) or (1, C, H, W) image; channel 0 is drawn.
        shift: pixels right and down (one int), or (dy, dx).
        channels: maps drawn per layer (the first ones).
        layer_indices: layers to draw; None: the first two Conv2d layers (see `compare_feature_maps`).
        save_path: `.png` path; None: `results/feature_maps.png`.
        show: as in `plot_data`.

    Raises:
        TypeError: if shift, channels or layer_indices have the wrong type.
        ValueError: if shift is a sequence of other than 2 ints, the model has no Conv2d (and no indices are
            given), or `save_path` is not `.png`.
    """
    dy, dx = check_int_pair(shift, "shift", minimum=None)  # signed: (dy, dx) = (rows down, columns right)
    channels = check_positive_int(channels, "channels")
    save_path = png_path(save_path, FEATURE_MAPS_FILE)
    comparisons = compare_feature_maps(model, image, dy, dx, layer_indices)
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
        no_ticks(ax)
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
            no_ticks(ax)
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
