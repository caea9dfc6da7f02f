"""Figures of a trained classifier: its convolution filters, the confusion matrix, the misclassified digits.

Headless-safe like every figure of the library (see `lib.plotting.figures`): each is saved as a PNG, under
`results/` by default or where the caller says, and a window opens only where one can. The figures
take a layer or arrays only; `lib.plotting.lab` re-exports them beside the equivariance lab's figures.

Shape letters: N images, C channels, H, W height and width, F filters, K classes.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from lib.plotting import figures
from lib.checks import check_positive_int, check_same_length
from lib.convolutions import Conv2d
from lib.plotting.figures import PathLike, plt
from lib.plotting.helpers import DIFFERENCE_CMAP, no_ticks, png_path

FILTERS_FILE = "filters.png"
CONFUSION_FILE = "confusion_matrix.png"
MISCLASSIFIED_FILE = "misclassified.png"


def plot_filters(conv_layer: Conv2d, save_path: Optional[PathLike] = None, show: Optional[bool] = None) -> None:
    """The filters of a convolution, one panel per (input channel, filter), weights written in the cells.

    Each filter has its own diverging scale centred at 0 (red > 0 > blue), so that the pattern of a
    filter with small weights shows as clearly as that of one with large weights; the titles give
    each filter's largest |weight| so that their sizes can still be compared.

    Args:
        conv_layer: a Conv2d (for the course CNN, the first layer: 5 filters of 1 x 4 x 4).
        save_path: `.png` path; None: `results/filters.png`.
        show: as in `plot_data`.

    Raises:
        TypeError: if conv_layer is not a Conv2d.
        ValueError: if `save_path` does not end in `.png`.
    """
    if not isinstance(conv_layer, Conv2d):
        raise TypeError(f"conv_layer must be a Conv2d, got {type(conv_layer).__name__}")
    save_path = png_path(save_path, FILTERS_FILE)
    weights = np.asarray(conv_layer.W.data)  # (F, C, KH, KW)
    n_filters, n_inputs, kh, kw = weights.shape
    fig, axes = plt.subplots(n_inputs, n_filters, figsize=(1.9 * n_filters + 0.4, 1.9 * n_inputs + 0.8),
                             squeeze=False, constrained_layout=True)
    for f in range(n_filters):
        scale = float(np.abs(weights[f]).max()) or 1.0
        for c in range(n_inputs):
            ax = axes[c, f]
            ax.imshow(weights[f, c], cmap=DIFFERENCE_CMAP, vmin=-scale, vmax=scale)
            no_ticks(ax)
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
    save_path = png_path(save_path, CONFUSION_FILE)
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
    save_path = png_path(save_path, MISCLASSIFIED_FILE)
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
