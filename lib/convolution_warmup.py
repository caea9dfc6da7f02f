"""Warm-up for the convolution exercise: zero padding and the dot product of filters with one patch.

Each function computes what one output position of a convolution needs, vectorized over
channels, batch and filters; `lib.convolutions.Conv2d` does the same for all positions at once.

Shape letters: B = batch size, C = channels, H, W = height and width, K = number of filters,
KH, KW = filter height and width.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from lib.checks import check_int_pair

__all__ = ["pad_array", "dot_product_single_filter", "dot_product_single_filter_with_batches",
           "dot_product_multiple_filters_with_batches"]


def pad_array(X: np.ndarray, pad: Tuple[int, int]) -> np.ndarray:
    """Zero-pad the last two axes of X symmetrically.

    Example: X of shape (1, 2, 3, 3) with pad (2, 1) gives shape (1, 2, 7, 5).

    Args:
        X: (..., H, W) array with at least two axes.
        pad: (pad_h, pad_w) non-negative ints, the zeros added on both sides of H and of W.

    Returns:
        (..., H + 2 pad_h, W + 2 pad_w) array of X's dtype (a copy, even for pad (0, 0)).

    Raises:
        ValueError: if X has fewer than two axes or pad is not two non-negative ints.
        TypeError: if pad holds non-integers.
    """
    X = np.asarray(X)
    if X.ndim < 2:
        raise ValueError(f"X must have at least 2 axes (..., H, W), got shape {X.shape}")
    pad_h, pad_w = check_int_pair(pad, "pad", minimum=0, allow_int=False)
    return np.pad(X, [(0, 0)] * (X.ndim - 2) + [(pad_h, pad_h), (pad_w, pad_w)])


def _patch(X: np.ndarray, kernel_hw: Tuple[int, int], index: Tuple[int, int]) -> np.ndarray:
    """The (..., C, KH, KW) window of X whose top-left corner is `index`, checked to lie inside X."""
    i, j = check_int_pair(index, "index", minimum=0, allow_int=False)
    kh, kw = kernel_hw
    h, w = X.shape[-2:]
    if i + kh > h or j + kw > w:
        raise ValueError(f"a {kh}x{kw} filter at index {(i, j)} does not fit an input of height {h} and width {w}")
    return X[..., i:i + kh, j:j + kw]  # (..., C, KH, KW) view


def _check_channels(X: np.ndarray, F: np.ndarray, x_ndim: int, f_ndim: int) -> None:
    """Check the number of axes of X and F and that their channel counts agree."""
    if X.ndim != x_ndim or F.ndim != f_ndim:
        raise ValueError(f"expected a {x_ndim}-D input and a {f_ndim}-D filter array, "
                         f"got shapes {X.shape} and {F.shape}")
    if X.shape[-3] != F.shape[-3]:
        raise ValueError(f"expected input with {F.shape[-3]} channels (as the filter), got {X.shape[-3]}")


def dot_product_single_filter(X: np.ndarray, F: np.ndarray, index: Tuple[int, int]):
    """Sum of `X[:, i:i+KH, j:j+KW] * F`: one filter at one position of one image.

    Args:
        X: (C, H, W) image.
        F: (C, KH, KW) filter.
        index: (i, j), the top-left corner of the window.

    Returns:
        A numpy scalar.

    Raises:
        ValueError: on wrong numbers of axes, different channel counts or a window outside X.
    """
    X, F = np.asarray(X), np.asarray(F)
    _check_channels(X, F, 3, 3)
    return np.tensordot(_patch(X, F.shape[-2:], index), F, axes=3)[()]  # () -> scalar


def dot_product_single_filter_with_batches(X: np.ndarray, F: np.ndarray, index: Tuple[int, int]) -> np.ndarray:
    """The single-filter dot product for every image of a batch.

    Args:
        X: (B, C, H, W) batch.
        F: (C, KH, KW) filter.
        index: (i, j), the top-left corner of the window.

    Returns:
        (B,) array.

    Raises:
        ValueError: on wrong numbers of axes, different channel counts or a window outside X.
    """
    X, F = np.asarray(X), np.asarray(F)
    _check_channels(X, F, 4, 3)
    return np.tensordot(_patch(X, F.shape[-2:], index), F, axes=3)  # (B, C, KH, KW) . (C, KH, KW) -> (B,)


def dot_product_multiple_filters_with_batches(X: np.ndarray, filters: np.ndarray,
                                              index: Tuple[int, int]) -> np.ndarray:
    """The dot product of every filter with the window of every image of a batch.

    Args:
        X: (B, C, H, W) batch.
        filters: (K, C, KH, KW) filters.
        index: (i, j), the top-left corner of the window.

    Returns:
        (B, K) array: entry [b, k] is the sum of `X[b, :, i:i+KH, j:j+KW] * filters[k]`.

    Raises:
        ValueError: on wrong numbers of axes, different channel counts or a window outside X.
    """
    X, filters = np.asarray(X), np.asarray(filters)
    _check_channels(X, filters, 4, 4)
    patch = _patch(X, filters.shape[-2:], index)  # (B, C, KH, KW)
    return np.tensordot(patch, filters, axes=([1, 2, 3], [1, 2, 3]))  # (B, K)
