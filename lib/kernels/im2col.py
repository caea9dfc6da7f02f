"""im2col and col2im in the batch-innermost layout that Conv2d and the pooling layers share.

The speed machinery of the layers lives in this package, `lib/kernels/`, each trick explained once with
its measurement; a reader of the layers may skip it: `im2col.py` (here: the layout and the copies),
`conv.py` (Conv2d's products), `pool.py` (MaxPool2d and AvgPool2d), `batchnorm.py` (BatchNorm2d's sums).

Shape letters: N = batch size, C = channels, H, W = input height and width, HP, WP = padded height
and width, KH, KW = window (kernel) height and width, SH, SW = strides, OH, OW = output height and
width, P = OH * OW * N (output positions over the whole batch), F = filters.

`im2col` copies every window into a (C*KH*KW, P) matrix, so that a convolution or a pooling becomes
one array operation; `col2im` adds window gradients back onto the padded input, looping only over
the KH*KW kernel offsets (each offset is one strided slice of the whole batch).

The trick: batch innermost. The layers keep their padded input as a (C, HP, WP, N) array, so that
copying patches moves runs of N contiguous numbers instead of runs of KW: 5.5-6x faster than the
natural (N, C, H, W) order for the course's layers (`python -m benchmarks.bench_conv --alternatives`,
notes/conv.md).
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

Pair = Tuple[int, int]


def pad_batch_inner(x: np.ndarray, padding: Pair, fill: float = 0.0) -> np.ndarray:
    """The input padded by `padding` on both sides of H and W, in batch-innermost order.

    Args:
        x: (N, C, H, W) input.
        padding: (PH, PW) rows and columns added on each side.
        fill: the value of the padding (0 for convolutions, -inf for max pooling).

    Returns:
        (C, HP, WP, N) array; a view of x (no copy) when the padding is (0, 0).
    """
    ph, pw = padding
    x_t = x.transpose(1, 2, 3, 0)  # (C, H, W, N) view
    if ph == 0 and pw == 0:
        return x_t
    c, h, w, n = x_t.shape
    xp = np.empty((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)  # (C, HP, WP, N)
    xp[:, ph:ph + h, pw:pw + w, :] = x_t  # the one copy of the input: padding needs it anyway
    for border in (xp[:, :ph], xp[:, ph + h:], xp[:, ph:ph + h, :pw], xp[:, ph:ph + h, pw + w:]):
        border.fill(fill)  # only the border: filling all of xp first would write the input's area twice
    return xp


def windows(xp: np.ndarray, kernel_size: Pair, stride: Pair, out_hw: Pair) -> np.ndarray:
    """A read-only view of every (KH, KW) window of the padded input, without copying.

    Args:
        xp: (C, HP, WP, N) padded input.
        kernel_size: (KH, KW).
        stride: (SH, SW).
        out_hw: (OH, OW), from `calculate_conv_output`.

    Returns:
        (C, KH, KW, OH, OW, N) view: entry [c, u, v, i, j, n] is xp[c, i*SH + u, j*SW + v, n].
    """
    (kh, kw), (sh, sw), (oh, ow) = kernel_size, stride, out_hw
    c, _, _, n = xp.shape
    st_c, st_h, st_w, st_n = xp.strides
    # Safe: shape and strides only reach elements inside xp (the last window starts at
    # (OH-1)*SH <= HP-KH), and writeable=False forbids writing through overlapping windows.
    return as_strided(xp, shape=(c, kh, kw, oh, ow, n), strides=(st_c, st_h, st_w, st_h * sh, st_w * sw, st_n),
                      writeable=False)  # (C, KH, KW, OH, OW, N)


def im2col(xp: np.ndarray, kernel_size: Pair, stride: Pair, out_hw: Pair, dtype=None,
           rows: Optional[Pair] = None, out: Optional[np.ndarray] = None) -> np.ndarray:
    """Copy every window of the padded input into the columns of one matrix.

    Args:
        xp: (C, HP, WP, N) padded input.
        kernel_size, stride, out_hw: as in `windows`.
        dtype: dtype of the matrix (default xp's); the cast happens during the copy.
        rows: (first, last): only the windows of output rows first .. last - 1 (default all OH rows).
        out: a contiguous buffer of the matrix's dtype with at least as many elements, to copy into
            instead of a new array (a convolution that works a block of rows at a time reuses one).

    Returns:
        (C*KH*KW, R*OW*N) matrix, R the number of output rows (P = OH*OW*N columns for all rows);
        column (i, j, n) holds the window of output position (first + i, j) of image n.
    """
    view = windows(xp, kernel_size, stride, out_hw)  # (C, KH, KW, OH, OW, N)
    if rows is not None:
        view = view[:, :, :, rows[0]:rows[1]]  # (C, KH, KW, R, OW, N)
    dtype = xp.dtype if dtype is None else dtype
    if out is None:
        matrix = np.empty(view.shape, dtype=dtype)
    else:
        matrix = out.reshape(-1)[:view.size].reshape(view.shape)  # a view of the buffer's first elements
    np.copyto(matrix, view)  # the im2col copy
    return matrix.reshape(view.shape[0] * view.shape[1] * view.shape[2], -1)  # (C*KH*KW, R*OW*N)


def col2im(window_grads: np.ndarray, padded_shape: Tuple[int, int, int, int], stride: Pair) -> np.ndarray:
    """Add the gradient of every window back onto the positions of the padded input it covered.

    Overlapping windows (stride < kernel) add up. The loop runs over the KH*KW kernel offsets only;
    each offset adds one strided (C, OH, OW, N) block.

    Args:
        window_grads: (KH, KW, C, OH, OW, N) gradient w.r.t. each window entry (kernel offsets first,
            so that each offset's block is contiguous).
        padded_shape: (C, HP, WP, N), the shape of the padded input.
        stride: (SH, SW).

    Returns:
        (C, HP, WP, N) gradient w.r.t. the padded input.
    """
    grad_xp = np.zeros(padded_shape, dtype=window_grads.dtype)  # (C, HP, WP, N)
    col2im_add(window_grads, grad_xp, stride)
    return grad_xp


def col2im_add(window_grads: np.ndarray, grad_xp: np.ndarray, stride: Pair, first_row: int = 0) -> None:
    """Add window gradients onto `grad_xp` in place: `col2im` for the output rows from `first_row` on.

    A convolution's backward can then build the window gradients a few output rows at a time and
    add each block while it is still in the cache (see `Conv2d.backward`).

    Args:
        window_grads: (KH, KW, C, R, OW, N) gradient w.r.t. each window entry of R output rows.
        grad_xp: (C, HP, WP, N) gradient w.r.t. the padded input, updated in place.
        stride: (SH, SW).
        first_row: index of the first of the R output rows.
    """
    kh, kw, _, rows, ow, _ = window_grads.shape
    sh, sw = stride
    top = first_row * sh  # the padded input row that output row `first_row` starts at
    for u in range(kh):
        for v in range(kw):
            grad_xp[:, top + u:top + u + sh * rows:sh, v:v + sw * ow:sw, :] += window_grads[u, v]


def unpad_to_batch_first(grad_xp: np.ndarray, padding: Pair) -> np.ndarray:
    """The (N, C, H, W) gradient w.r.t. the unpadded input, a view of the (C, HP, WP, N) padded gradient."""
    ph, pw = padding
    _, hp, wp, _ = grad_xp.shape
    return grad_xp[:, ph:hp - ph, pw:wp - pw, :].transpose(3, 0, 1, 2)  # (N, C, H, W) view
