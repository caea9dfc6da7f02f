"""Textbook loop-based 2-D convolution: the reference `lib.convolutions.Conv2d` is checked against.

Written for obviousness, not speed: explicit loops over batch, filters and output positions,
`np.pad` for the padding, float64 throughout. Shape letters as in `lib/convolutions.py`.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from lib.convolutions import calculate_conv_output


def conv2d_forward_loops(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                         stride: Tuple[int, int], padding: Tuple[int, int]) -> np.ndarray:
    """Cross-correlation plus bias by loops.

    Args:
        x: (N, C, H, W) input.
        w: (F, C, KH, KW) filters.
        b: (F,) or (F, 1, 1) bias.
        stride: (SH, SW).
        padding: (PH, PW) zeros on both sides.

    Returns:
        (N, F, OH, OW) float64 output, sizes from `calculate_conv_output` (the one formula).
    """
    n, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    sh, sw = stride
    ph, pw = padding
    xp = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = calculate_conv_output((h, wd), (kh, kw), stride, padding)
    b = np.asarray(b, dtype=np.float64).reshape(f)
    out = np.zeros((n, f, oh, ow))
    for i in range(n):
        for k in range(f):
            for r in range(oh):
                for s in range(ow):
                    patch = xp[i, :, r * sh:r * sh + kh, s * sw:s * sw + kw]  # (C, KH, KW)
                    out[i, k, r, s] = np.sum(patch * w[k]) + b[k]
    return out


def conv2d_backward_loops(x: np.ndarray, w: np.ndarray, grad: np.ndarray,
                          stride: Tuple[int, int], padding: Tuple[int, int]
                          ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the loss w.r.t. x, w and b by loops over the output positions.

    Args:
        x: (N, C, H, W) input of the forward pass.
        w: (F, C, KH, KW) filters.
        grad: (N, F, OH, OW) gradient w.r.t. the output.
        stride: (SH, SW).
        padding: (PH, PW).

    Returns:
        (dx (N, C, H, W), dw (F, C, KH, KW), db (F, 1, 1)), all float64.
    """
    _, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    sh, sw = stride
    ph, pw = padding
    xp = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    db = np.zeros((f, 1, 1))
    n, _, oh, ow = grad.shape
    for i in range(n):
        for k in range(f):
            for r in range(oh):
                for s in range(ow):
                    g = grad[i, k, r, s]
                    rows = slice(r * sh, r * sh + kh)
                    cols = slice(s * sw, s * sw + kw)
                    dw[k] += g * xp[i, :, rows, cols]
                    dxp[i, :, rows, cols] += g * w[k]
                    db[k] += g
    return dxp[:, :, ph:ph + h, pw:pw + wd], dw, db


def assert_layer_matches_loops(layer, x: np.ndarray, rng: np.random.Generator, rtol: float = 1e-12) -> np.ndarray:
    """Check a fresh Conv2d's forward, input gradient and parameter gradients against the loops above.

    Args:
        layer: a `lib.convolutions.Conv2d` whose gradients are still zero.
        x: (N, C, H, W) input.
        rng: draws the upstream gradient.
        rtol: relative (and absolute) tolerance.

    Returns:
        The layer's (N, F, OH, OW) output.
    """
    out = layer(x)
    np.testing.assert_allclose(out, conv2d_forward_loops(x, layer.W.data, layer.b.data, layer.stride, layer.pad),
                               rtol=rtol, atol=rtol)
    grad = rng.standard_normal(out.shape)
    dx = layer.backward(grad)
    dx_ref, dw_ref, db_ref = conv2d_backward_loops(x, layer.W.data, grad, layer.stride, layer.pad)
    np.testing.assert_allclose(dx, dx_ref, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(layer.W.grad, dw_ref, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(layer.b.grad, db_ref, rtol=rtol, atol=rtol)
    return out
