"""MaxPool2d's and AvgPool2d's kernels: one strided view per kernel offset, and the argmax passes.

Shape letters: N = batch size, C = channels, H, W = input height and width, HP, WP = padded height
and width, KH, KW = window (kernel) height and width, SH, SW = strides, OH, OW = output height and
width, P = OH * OW * N (output positions over the whole batch), F = filters.

MaxPool2d and AvgPool2d loop only over the KH*KW kernel offsets: entry (u, v) of every window, over the
whole batch, is one (N, C, OH, OW) strided view of the input, and backward writes each entry's gradient
back through the same view. The windows' index k = u*KW + v runs in row-major order. Each trick below
says in its docstring what it measured (the layers, `lib/pooling.py`, read without them).
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from lib.kernels.im2col import Pair, col2im, pad_batch_inner, unpad_to_batch_first, windows


def pool_tiles(shape: Tuple[int, ...], kernel_size: Pair, stride: Pair, padding: Pair) -> bool:
    """Whether the windows tile the input exactly: stride = kernel, no padding, the kernel divides H and W."""
    (kh, kw), (h, w) = kernel_size, shape[2:]
    return stride == kernel_size and padding == (0, 0) and h % kh == 0 and w % kw == 0


def pool_views(x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, out_hw: Pair, fill: float):
    """One (N, C, OH, OW) view per window entry (u, v), in row-major order, to be read only; no copy.

    View k = u*KW + v holds, at [n, c, i, j], the input padded with `fill` at (i*SH + u, j*SW + v).
    Windows that tile x (`pool_tiles`: the usual 2x2 pooling) are views of a reshape of x itself, and
    `pool_input_grad` then writes every input position once: MaxPool2d(2)'s training step on the strong
    CNN's float32 inputs took 1.44-1.47x as long with `pool_tiles` forced to False (paired, alternating).
    Other windows come from `windows` on the padded batch-innermost copy. Either way the views keep x's
    memory layout, so the (N, C, H, W) views that `Conv2d` returns are read without a transposing copy.

    Args:
        x: (N, C, H, W) input, any memory layout.
        kernel_size, stride, padding: (height, width) pairs; out_hw: (OH, OW).
        fill: the padding's value (-inf for max pooling, 0 for average pooling).

    Returns:
        A generator of KH*KW views, each (N, C, OH, OW).
    """
    n, c = x.shape[:2]
    (oh, ow), (kh, kw) = out_hw, kernel_size
    if pool_tiles(x.shape, kernel_size, stride, padding):
        blocks = x.reshape(n, c, oh, kh, ow, kw)  # (N, C, OH, KH, OW, KW) view: splitting axes never copies
        return (blocks[:, :, :, u, :, v] for u in range(kh) for v in range(kw))
    xp = pad_batch_inner(x, padding, fill)  # (C, HP, WP, N)
    view = windows(xp, kernel_size, stride, out_hw)  # (C, KH, KW, OH, OW, N)
    return (view[:, u, v].transpose(3, 0, 1, 2) for u in range(kh) for v in range(kw))


def pool_input_grad(grad: np.ndarray, x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair,
                    entry_grad) -> np.ndarray:
    """The (N, C, H, W) gradient w.r.t. x of a pooling, in the result dtype of grad and x.

    `entry_grad(k, grad, out)` writes the gradient w.r.t. window entry k into the (N, C, OH, OW) view `out`.
    Windows that tile x write every input position once, into an array laid out like x (the layout the
    layer below reads fastest); otherwise `col2im` adds the entries' gradients onto the padded input
    (overlapping windows add up) and the padding is dropped.

    Args:
        grad: (N, C, OH, OW) gradient w.r.t. the output; x: (N, C, H, W) input of the forward.
        kernel_size, stride, padding: (height, width) pairs.
        entry_grad: called once per window entry, k = u*KW + v in row-major order.

    Returns:
        (N, C, H, W) gradient w.r.t. x: laid out like x when the windows tile it, else a view of the
        batch-innermost padded gradient.
    """
    grad = grad.astype(np.result_type(grad.dtype, x.dtype), copy=False)
    n, c, oh, ow = grad.shape
    kh, kw = kernel_size
    tiles = pool_tiles(x.shape, kernel_size, stride, padding)
    if tiles:
        grad_x = np.empty_like(x, dtype=grad.dtype)  # (N, C, H, W) in x's memory layout
        targets = grad_x.reshape(n, c, oh, kh, ow, kw).transpose(3, 5, 0, 1, 2, 4)  # (KH, KW, N, C, OH, OW)
    else:
        window_grads = np.empty((kh, kw, c, oh, ow, n), dtype=grad.dtype)  # (KH, KW, C, OH, OW, N)
        targets = window_grads.transpose(0, 1, 5, 2, 3, 4)  # (KH, KW, N, C, OH, OW) view
    for u in range(kh):
        for v in range(kw):
            entry_grad(u * kw + v, grad, targets[u, v])
    if tiles:
        return grad_x
    padded_shape = (c, x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1], n)
    return unpad_to_batch_first(col2im(window_grads, padded_shape, stride), padding)  # (N, C, H, W)


def pool_maxima(x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, out_hw: Pair,
                with_argmax: bool) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Every window's maximum and, if asked, the index k = u*KW + v of its first maximum, in one scan.

    The scan keeps a running maximum over the KH*KW entry views; PyTorch's rules for the index:
    a later entry takes over only if strictly greater (ties keep the first maximum) or NaN (so the
    last NaN wins); a window of -inf only keeps its index on a real pixel (`_first_real_entries`).
    The tricks, with their measurements:
    - each strided entry view is copied once into a contiguous buffer, then compared and maximised
      there: measured 1.7-2.5x faster than comparing and maximising the strided view directly (a
      pairwise tournament over the entries instead was 1.08-1.39x slower, notes/strong_cnn.md);
    - k exceeds every index set so far, so "index = k where greater" is `np.maximum(index, greater * k)`,
      no slow masked copy;
    - the NaN test runs only when x holds a NaN.

    Args:
        x: (N, C, H, W) input; kernel_size, stride, padding: (height, width) pairs; out_hw: (OH, OW).
        with_argmax: whether to compute the index (training: backward needs it).

    Returns:
        (maxima, index): (N, C, OH, OW) maxima in x's dtype and memory layout; the (N, C, OH, OW)
        index in the smallest unsigned int type that holds KH*KW - 1, or None.
    """
    views = pool_views(x, kernel_size, stride, padding, out_hw, fill=-np.inf)
    out = np.array(next(views), order="K")  # (N, C, OH, OW), the running maximum
    index = greater = entry = nan = None
    if with_argmax:
        index = np.zeros_like(out, dtype=np.min_scalar_type(kernel_size[0] * kernel_size[1] - 1))
        greater, entry = np.empty_like(out, dtype=bool), np.empty_like(out)
        nan = np.empty_like(out, dtype=bool) if np.isnan(x).any() else None
    for k, view in enumerate(views, start=1):
        if with_argmax:
            np.copyto(entry, view)
            view = entry
            np.greater(view, out, out=greater)  # strictly greater: a tie keeps the earlier entry
            if nan is not None:  # PyTorch's `val > maxval || isnan(val)`: every NaN takes over
                np.logical_or(greater, np.isnan(view, out=nan), out=greater)
            np.maximum(index, np.multiply(greater, index.dtype.type(k), dtype=index.dtype), out=index)
        np.maximum(out, view, out=out)  # np.maximum, unlike a comparison, propagates NaN
    if with_argmax and padding != (0, 0):
        _first_real_entries(out, index, kernel_size[1], stride, padding)
    return out, index


def _first_real_entries(out: np.ndarray, index: np.ndarray, kw: int, stride: Pair, padding: Pair) -> None:
    """Move the index of every all -inf window from a padded position to its first real pixel, in place.

    Only such a window can pick a padded entry (any other real value beats the -inf fill), and its
    real -inf pixels tie with the fill; PyTorch never pads, so it takes the first real pixel.
    """
    (sh, sw), (ph, pw) = stride, padding
    _, _, oh, ow = out.shape
    first_u = np.maximum(ph - sh * np.arange(oh), 0)  # (OH,): first real row of each window
    first_v = np.maximum(pw - sw * np.arange(ow), 0)  # (OW,)
    first = (first_u[:, None] * kw + first_v[None, :]).astype(index.dtype)  # (OH, OW)
    np.copyto(index, np.broadcast_to(first, index.shape), where=out == -np.inf)  # out == -inf: (N, C, OH, OW)
