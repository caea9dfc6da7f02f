"""The textbook versions of the convolution and of max pooling, written as the exercise asks for them.

Each function loops over the output rows and columns only (at most two nested loops) and broadcasts
over the batch and the channels, in float64, with `np.pad` for the padding. They are the readable
reference: the convolution's are the course's own code in `lib/convolutions.py` (the exercise's gap and
the provided backward), run without the fast path; `lib.convolutions.Conv2d` and `lib.pooling.MaxPool2d`
compute the same values many times faster (lib/kernels/ says how), and the tests check them against
these functions and against PyTorch.

Shape letters: N = batch size, C = input channels, F = output channels (filters), H, W = input
height and width, KH, KW = kernel height and width, SH, SW = strides, PH, PW = paddings,
OH, OW = output height and width (from `calculate_conv_output`, the one formula).
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from lib.checks import check_feature_maps
from lib.convolutions import Conv2d, calculate_conv_output
from lib.network_base import build_keeping_random_state

Pair = Tuple[int, int]


def _pad(x: np.ndarray, padding: Pair, fill: float = 0.0) -> np.ndarray:
    """x as float64, padded by (PH, PW) with `fill` on both sides of H and W: (N, C, H + 2PH, W + 2PW)."""
    ph, pw = padding
    return np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)


def _window(i: int, j: int, kernel_size: Pair, stride: Pair) -> Tuple[slice, slice]:
    """The rows and columns of the padded input that output position (i, j) reads."""
    (kh, kw), (sh, sw) = kernel_size, stride
    return slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)


def _course_layer(w: np.ndarray, b: Optional[np.ndarray], stride: Pair, padding: Pair) -> Conv2d:
    """A Conv2d with filters w and bias b (zeros for None) that runs the course's code (`fast_path` off).

    Building the layer draws its initial filters from the global random stream; the stream's state is
    restored, so that these functions leave `np.random` alone.
    """
    w = np.asarray(w, dtype=np.float64)
    f, c, kh, kw = w.shape
    layer = build_keeping_random_state(lambda: Conv2d(c, f, (kh, kw), stride, padding))
    layer.fast_path = False
    layer.W.data = w
    if b is not None:
        layer.b.data = np.asarray(b, dtype=np.float64).reshape(f, 1, 1)
    return layer


def conv2d_forward_naive(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray],
                         stride: Pair, padding: Pair) -> np.ndarray:
    """Cross-correlation (no kernel flip) plus bias, one output position at a time: the course's `Conv2d.forward`.

    `out[n, f, i, j] = b[f] + sum_{c, u, v} w[f, c, u, v] * xp[n, c, i*SH + u, j*SW + v]`, xp = x
    zero-padded; the exercise's gap in `lib/convolutions.py` computes it.

    Args:
        x: (N, C, H, W) input.
        w: (F, C, KH, KW) filters.
        b: (F,) or (F, 1, 1) bias, or None for none.
        stride: (SH, SW).
        padding: (PH, PW) zeros added on both sides of H and W.

    Returns:
        (N, F, OH, OW) float64 output.

    Raises:
        ValueError: if x is not 4-D, has not C channels, or the kernel does not fit the padded input.
    """
    x = check_feature_maps(x, "conv2d_forward_naive", np.shape(w)[1])
    return _course_layer(w, b, stride, padding).forward(np.asarray(x, dtype=np.float64))


def conv2d_backward_naive(x: np.ndarray, w: np.ndarray, grad: np.ndarray, stride: Pair,
                          padding: Pair) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the loss w.r.t. x, w and b, one output position at a time: the course's `Conv2d.backward`.

    Output (i, j) read the window xp[:, :, rows, cols]: its gradient `grad[:, :, i, j]` flows to
    the filters through that window and to the window through the filters. Overlapping windows
    (stride < kernel) add up.

    Args:
        x: (N, C, H, W) input of the forward pass.
        w: (F, C, KH, KW) filters.
        grad: (N, F, OH, OW) gradient of the loss w.r.t. the output.
        stride: (SH, SW).
        padding: (PH, PW).

    Returns:
        (dx (N, C, H, W), dw (F, C, KH, KW), db (F, 1, 1)), all float64.

    Raises:
        ValueError: if x is not 4-D or has not C channels.
    """
    x = check_feature_maps(x, "conv2d_backward_naive", np.shape(w)[1])
    layer = _course_layer(w, None, stride, padding)
    layer.forward(np.asarray(x, dtype=np.float64))
    dx = layer.backward(np.asarray(grad, dtype=np.float64))
    return dx, layer.W.grad, layer.b.grad


def max_pool2d_forward_naive(x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair) -> np.ndarray:
    """The maximum of every window, one output position at a time (PyTorch's `max_pool2d`).

    `out[n, c, i, j] = max_{u, v} xp[n, c, i*SH + u, j*SW + v]`, xp = x padded with -inf, so that
    padding never wins. A window holding NaN gives NaN, as in PyTorch.

    Args:
        x: (N, C, H, W) input.
        kernel_size: (KH, KW).
        stride: (SH, SW).
        padding: (PH, PW) -inf added on both sides of H and W.

    Returns:
        (N, C, OH, OW) float64 output.

    Raises:
        ValueError: if x is not 4-D or the window does not fit the padded input.
    """
    x = check_feature_maps(x, "max_pool2d_forward_naive")
    xp = _pad(x, padding, fill=-np.inf)  # (N, C, HP, WP)
    oh, ow = calculate_conv_output(x.shape[2:], kernel_size, stride, padding)
    out = np.empty(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            rows, cols = _window(i, j, kernel_size, stride)
            out[:, :, i, j] = xp[:, :, rows, cols].max(axis=(2, 3))  # (N, C)
    return out


def max_pool2d_backward_naive(x: np.ndarray, grad: np.ndarray, kernel_size: Pair, stride: Pair,
                              padding: Pair) -> np.ndarray:
    """Gradient w.r.t. x of max pooling: each output's gradient goes to its window's maximum.

    On ties the FIRST maximum in row-major order takes it (PyTorch's CPU rule, e.g. for all-zero
    windows after a ReLU); overlapping windows add up. Not modelled, unlike `lib.pooling.MaxPool2d`:
    PyTorch sends a NaN window's gradient to its LAST NaN (here: its first), and a window whose real
    pixels are all -inf to its first real pixel (here: possibly a padded position, whose gradient is
    dropped). Inputs without NaN and -inf never meet either case.

    Args:
        x: (N, C, H, W) input of the forward pass.
        grad: (N, C, OH, OW) gradient of the loss w.r.t. the output.
        kernel_size: (KH, KW).
        stride: (SH, SW).
        padding: (PH, PW).

    Returns:
        (N, C, H, W) float64 gradient w.r.t. x.

    Raises:
        ValueError: if x is not 4-D.
    """
    x = check_feature_maps(x, "max_pool2d_backward_naive")
    (kh, kw), (ph, pw), (h, wd) = kernel_size, padding, x.shape[2:]
    xp = _pad(x, padding, fill=-np.inf)  # (N, C, HP, WP)
    grad = np.asarray(grad, dtype=np.float64)
    grad_xp = np.zeros_like(xp)
    n, c, oh, ow = grad.shape
    batch, channel = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")  # (N, C) each
    for i in range(oh):
        for j in range(ow):
            rows, cols = _window(i, j, kernel_size, stride)
            first_max = xp[:, :, rows, cols].reshape(n, c, kh * kw).argmax(axis=2)  # (N, C): u*KW + v
            u, v = np.divmod(first_max, kw)
            # one position per image and channel: the fancy-indexed += never meets an index twice
            grad_xp[batch, channel, rows.start + u, cols.start + v] += grad[:, :, i, j]
    return grad_xp[:, :, ph:ph + h, pw:pw + wd]  # drop the padding's gradient
