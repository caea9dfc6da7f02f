"""Warm-up for the convolution exercise: zero padding and the dot product of filters with one window.

The course's file: every function's body is one of the exercise's gaps (between `# START TODO` and
`# END TODO`; solved here, to be filled in the students' copy). Each function computes what one output
position of a convolution needs, for one image, a batch, or a batch and several filters;
`lib.convolutions.Conv2d` does the same for all positions at once.

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
        X: (N, C, H, W) array (this solution pads the last two axes of any array with at least two).
        pad: (pad_h, pad_w) non-negative ints, the zeros added on both sides of H and of W.

    Returns:
        (N, C, H + 2 pad_h, W + 2 pad_w) array of X's dtype.

    Raises:
        ValueError: if X has fewer than two axes or pad is not two non-negative ints.
        TypeError: if pad holds non-integers.
    """
    X = np.asarray(X)
    if X.ndim < 2:
        raise ValueError(f"X must have at least 2 axes (..., H, W), got shape {X.shape}")
    pad = check_int_pair(pad, "pad", minimum=0, allow_int=False)

    # START TODO ################
    # Add pad[0] rows of zeros above and below every image (axis H) and pad[1] columns of zeros left and
    # right of it (axis W); leave the batch and channel axes as they are. np.pad helps.
    pad_h, pad_w = pad
    result = np.pad(X, [(0, 0)] * (X.ndim - 2) + [(pad_h, pad_h), (pad_w, pad_w)])
    # END TODO ################
    return result


def _check_window(X: np.ndarray, F: np.ndarray, index, x_ndim: int, f_ndim: int) -> Tuple[int, int]:
    """Check the numbers of axes of X and F, that their channels agree and that the window at `index` lies in X.

    Returns:
        index as a pair of Python ints.

    Raises:
        ValueError: on wrong numbers of axes, different channel counts or a window outside X.
        TypeError: if index holds non-integers.
    """
    if X.ndim != x_ndim or F.ndim != f_ndim:
        raise ValueError(f"expected a {x_ndim}-D input and a {f_ndim}-D filter array, "
                         f"got shapes {X.shape} and {F.shape}")
    if X.shape[-3] != F.shape[-3]:
        raise ValueError(f"expected input with {F.shape[-3]} channels (as the filter), got {X.shape[-3]}")
    i, j = check_int_pair(index, "index", minimum=0, allow_int=False)
    (kh, kw), (h, w) = F.shape[-2:], X.shape[-2:]
    if i + kh > h or j + kw > w:
        raise ValueError(f"a {kh}x{kw} filter at index {(i, j)} does not fit an input of height {h} and width {w}")
    return i, j


def dot_product_single_filter(X: np.ndarray, F: np.ndarray, index: Tuple[int, int]):
    """Sum of `X[:, i:i+KH, j:j+KW] * F`: one filter at one position of one image.

    Args:
        X: (C, H, W) image.
        F: (C, KH, KW) filter.
        index: (i, j), the top-left corner of the window.

    Returns:
        A scalar.

    Raises:
        ValueError: on wrong numbers of axes, different channel counts or a window outside X.
    """
    X, F = np.asarray(X), np.asarray(F)
    index = _check_window(X, F, index, 3, 3)
    result = 0

    # START TODO ################
    # Take the window of X that has the filter's height and width and its top-left corner at `index`
    # (every channel), multiply it elementwise with the filter, and sum all the products.
    i, j = index
    kernel_h, kernel_w = F.shape[1:]
    result = np.sum(X[:, i:i + kernel_h, j:j + kernel_w] * F)
    # END TODO ################
    return result


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
    index = _check_window(X, F, index, 4, 3)
    result = np.zeros(len(X))  # (B,)

    # START TODO ################
    # The same dot product as above for every image of the batch at once: one number per image.
    # Use broadcasting instead of a loop over the batch.
    i, j = index
    kernel_h, kernel_w = F.shape[1:]
    window = X[:, :, i:i + kernel_h, j:j + kernel_w]  # (B, C, KH, KW)
    result = np.sum(window * F, axis=(1, 2, 3))  # F broadcast over the batch
    # END TODO ################
    return result


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
    index = _check_window(X, filters, index, 4, 4)

    # START TODO ################
    # The dot product of every filter with the window of every image: entry [b, k] belongs to image b and
    # filter k. Broadcast the batch's windows against the filters (new axes) instead of looping.
    i, j = index
    kernel_h, kernel_w = filters.shape[2:]
    window = X[:, :, i:i + kernel_h, j:j + kernel_w]  # (B, C, KH, KW)
    result = np.sum(window[:, None] * filters[None], axis=(2, 3, 4))  # (B, 1, C, KH, KW) * (1, K, ...) -> (B, K)
    # END TODO ################
    return result
