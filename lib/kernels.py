"""The layers' speed tricks, each explained once with its measurement: a reader of the layers may skip this module.

Shape letters: N = batch size, C = channels, H, W = input height and width, HP, WP = padded height
and width, KH, KW = window (kernel) height and width, SH, SW = strides, OH, OW = output height and
width, P = OH * OW * N (output positions over the whole batch), F = filters.

`im2col` copies every window into a (C*KH*KW, P) matrix, so that a convolution or a pooling becomes
one array operation; `col2im` adds window gradients back onto the padded input, looping only over
the KH*KW kernel offsets (each offset is one strided slice of the whole batch). The tricks:
- Batch innermost: the layers keep their padded input as a (C, HP, WP, N) array, so that copying
  patches moves runs of N contiguous numbers instead of runs of KW: 5.5-6x faster than the natural
  (N, C, H, W) order for the course's layers (`python -m benchmarks.bench_conv --alternatives`, notes/conv.md).
- One BLAS call per output row for small products (`ROW_PRODUCT_MAX_MACS`): 1.2-3.5x faster than
  one large call for the course's layers (`python -m benchmarks.bench_conv --products 3`).
- Blocks of output rows (`BLOCK_BYTES`) and one reused buffer per layer (`Scratch`) for the large
  temporaries: fresh pages cost more than the copies into them (6% of a strong CNN training step).
- The weight gradient as `patches @ grad^T` (`weight_grad_matmul`): 4-10% of the strong CNN's layer
  steps in float32 (`python -m benchmarks.bench_conv --against`, notes/strong_cnn.md).
- Pooling (`pool_views`, `pool_input_grad`, `pool_maxima`) and batch normalisation (`channel_sum`,
  `channel_dot`, `scale_shift`): the last two sections, each trick measured in its function's docstring.
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


# ---------------------------------------------------------------------------------- Convolution (Conv2d)
# A product is split into one BLAS call per output row when each of those calls has at most this
# many multiply-adds: OpenBLAS runs such small products with its small-matrix kernels, without
# packing and on the calling thread, which measured 1.2-3.5x faster than one large call for the
# course's layers and for a first layer with one input channel (`python -m benchmarks.bench_conv
# --products 3`); larger products are faster as one call, which OpenBLAS spreads over the cores.
ROW_PRODUCT_MAX_MACS = 1_000_000
# Backward builds the patch gradient a block of output rows at a time, about this many bytes, and
# adds each block back onto the input while it is still in the cache (`col2im_add`); a forward in
# evaluation mode builds the patch matrix in such blocks too. A large temporary array costs more
# than its copy: the kernel hands out and zeroes fresh pages for it on every call.
BLOCK_BYTES = 4 << 20


class Scratch:
    """A flat buffer that one layer reuses from call to call for its large temporaries.

    A convolution keeps in it the patch matrix of a training forward (until the weight gradient has
    used it), the blocks of an evaluation forward and the blocks of the patch gradient in backward;
    never an array that leaves the layer. Reusing it spares the kernel handing out and zeroing fresh
    pages for a large temporary on every call (measured 6% of a training step of the strong CNN).
    """

    def __init__(self):
        self._buffer = None

    def get(self, size: int, dtype) -> np.ndarray:
        """A flat array of at least `size` elements of `dtype`: the last one when it is large enough."""
        if self._buffer is None or self._buffer.size < size or self._buffer.dtype != dtype:
            self._buffer = np.empty(size, dtype=dtype)
        return self._buffer


def _stack(matrix: np.ndarray, out_h: int, by_row: bool) -> np.ndarray:
    """The (K, P) matrix, P = OH*OW*N, as the stack `np.matmul` multiplies: (OH, K, OW*N) by rows, else (1, K, P).

    `np.matmul` on the stack of output rows runs one BLAS product per row, still in a single numpy
    call: each product is small enough for OpenBLAS to keep it on the calling thread and in the cache,
    where one product would wake a second thread for a fraction of a millisecond of work
    (notes/conv.md). `matrix` may be a column block of a larger matrix (a strided view).
    """
    if by_row:
        return matrix.reshape(matrix.shape[0], out_h, -1).transpose(1, 0, 2)  # (OH, K, OW*N) view
    return matrix[np.newaxis]  # (1, K, P) view


def _one_product_per_row(rows: int, inner: int, columns: int, out_h: int) -> bool:
    """Whether a (rows, inner) x (inner, columns) product over out_h output rows runs as one BLAS call per row."""
    return rows * inner * (columns // out_h) <= ROW_PRODUCT_MAX_MACS  # multiply-adds of one output row


def _matmul_by_rows(a: np.ndarray, b: np.ndarray, out_h: int, out: np.ndarray) -> None:
    """`out = a @ b` for a (M, K) `a` and a (K, R*OW*N) `b` of R = out_h output rows, by rows or as one product."""
    by_row = _one_product_per_row(a.shape[0], a.shape[1], b.shape[1], out_h)
    np.matmul(a, _stack(b, out_h, by_row), out=_stack(out, out_h, by_row))


def _rows_per_block(row_bytes: int, out_h: int) -> int:
    """How many output rows of `row_bytes` bytes each fill a block of about BLOCK_BYTES (at least 1, at most OH)."""
    return max(1, min(out_h, BLOCK_BYTES // max(1, row_bytes)))


def im2col_matmul(weights: np.ndarray, xp: np.ndarray, kernel_size: Pair, stride: Pair, out_hw: Pair,
                  keep_patches: bool, scratch: Scratch) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """`weights @ im2col(xp)`: every filter's dot product with every window of the padded input.

    Args:
        weights: (F, C*KH*KW) filters, one per row, in the dtype to compute in.
        xp: (C, HP, WP, N) padded input.
        kernel_size, stride, out_hw: as in `windows`.
        keep_patches: build the whole (C*KH*KW, P) patch matrix and return it (a training forward:
            the weight gradient needs it); otherwise build it a block of output rows at a time,
            about BLOCK_BYTES each, and return None.
        scratch: the layer's `Scratch`, which holds the patch matrix or the blocks.

    Returns:
        (out, patches): the (F, P) product, a new array, and the (C*KH*KW, P) patch matrix (a view
        of the scratch buffer) or None.
    """
    (out_h, out_w), n = out_hw, xp.shape[3]
    f, k = weights.shape
    dtype = weights.dtype
    out = np.empty((f, out_h * out_w * n), dtype=dtype)  # (F, P)
    if keep_patches:
        patches = im2col(xp, kernel_size, stride, out_hw, dtype, out=scratch.get(k * out_h * out_w * n, dtype))
        _matmul_by_rows(weights, patches, out_h, out)
        return out, patches
    rows = _rows_per_block(k * out_w * n * dtype.itemsize, out_h)
    buffer = scratch.get(k * rows * out_w * n, dtype)
    for first in range(0, out_h, rows):
        last = min(out_h, first + rows)
        block = im2col(xp, kernel_size, stride, out_hw, dtype, (first, last), buffer)  # (C*KH*KW, R*OW*N)
        _matmul_by_rows(weights, block, last - first, out[:, first * out_w * n:last * out_w * n])
    return out, None


def weight_grad_matmul(grad_t: np.ndarray, patches: np.ndarray, out_h: int) -> np.ndarray:
    """`grad_t @ patches^T`: the (F, C*KH*KW) filter gradient, summed over every output position.

    It is computed as its transpose, `patches @ grad_t^T`: OpenBLAS runs this orientation faster for
    the strong CNN's layers (4-10% of their step in float32, `python -m benchmarks.bench_conv --against`).

    Args:
        grad_t: (F, P) gradient w.r.t. the output, P = OH*OW*N.
        patches: (C*KH*KW, P) patch matrix of the forward.
        out_h: OH.

    Returns:
        (F, C*KH*KW) array (a transposed view).
    """
    by_row = _one_product_per_row(grad_t.shape[0], patches.shape[0], patches.shape[1], out_h)
    parts = np.matmul(_stack(patches, out_h, by_row), _stack(grad_t, out_h, by_row).transpose(0, 2, 1))  # (S, K, F)
    return parts.sum(axis=0).T  # (F, C*KH*KW)


def matmul_col2im(w: np.ndarray, grad_t: np.ndarray, padded_shape: Tuple[int, int, int, int], stride: Pair,
                  out_hw: Pair, scratch: Scratch) -> np.ndarray:
    """`col2im(W_matrix^T @ grad_t)`: every patch's gradient added back onto the padded input.

    The patch gradient is built a block of output rows at a time (about BLOCK_BYTES, in `scratch`),
    each block added back while it is still in the cache.

    Args:
        w: (F, C, KH, KW) filters.
        grad_t: (F, P) gradient w.r.t. the output, in the dtype to compute in.
        padded_shape: (N, C, HP, WP), the shape of the padded input.
        stride: (SH, SW).
        out_hw: (OH, OW).
        scratch: the layer's `Scratch` (its patch matrix must no longer be needed).

    Returns:
        (C, HP, WP, N) gradient w.r.t. the padded input.
    """
    f, c, kh, kw = w.shape
    n, _, hp, wp = padded_shape
    out_w = out_hw[1]
    # Kernel offsets first, so that col2im adds one contiguous (C, R, OW, N) block per offset.
    weights_t = w.transpose(2, 3, 1, 0).reshape(kh * kw * c, f).astype(grad_t.dtype, copy=False)  # (KH*KW*C, F)
    grad_xp = np.zeros((c, hp, wp, n), dtype=grad_t.dtype)  # (C, HP, WP, N)
    rows = _rows_per_block(weights_t.shape[0] * out_w * n * grad_t.itemsize, out_hw[0])
    for first in range(0, out_hw[0], rows):
        last = min(out_hw[0], first + rows)
        block = grad_t[:, first * out_w * n:last * out_w * n]  # (F, R*OW*N) view, R = last - first
        size = weights_t.shape[0] * block.shape[1]
        window_grads = scratch.get(size, grad_t.dtype)[:size].reshape(-1, block.shape[1])  # (KH*KW*C, R*OW*N)
        _matmul_by_rows(weights_t, block, last - first, window_grads)
        col2im_add(window_grads.reshape(kh, kw, c, last - first, out_w, n), grad_xp, stride, first)
    return grad_xp


# Pooling
#
# MaxPool2d and AvgPool2d loop only over the KH*KW kernel offsets: entry (u, v) of every window, over the
# whole batch, is one (N, C, OH, OW) strided view of the input, and backward writes each entry's gradient
# back through the same view. The windows' index k = u*KW + v runs in row-major order.


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


# Batch normalisation


def per_channel(values: np.ndarray, dtype) -> np.ndarray:
    """A (C,) vector as a (C, 1, 1) array of `dtype`, which broadcasts against (N, C, H, W)."""
    return values.astype(dtype, copy=False).reshape(-1, 1, 1)  # (C, 1, 1)


def scale_shift(x: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """`x * scale + shift` per channel: (N, C, H, W) x, (C,) scale and shift used in x's dtype; x's layout.

    The shift is added in place: the expression `x * scale + shift` took 1.2x as long on the strong
    CNN's first batch-norm input ((125, 16, 14, 14) float32, batch innermost; paired, alternating).
    """
    out = x * per_channel(scale, x.dtype)
    out += per_channel(shift, x.dtype)
    return out


def channel_sum(a: np.ndarray) -> np.ndarray:
    """(C,) float64 sums of an (N, C, H, W) array over N, H and W.

    Each image's H*W values are summed in a's dtype (numpy's pairwise summation: relative error
    about 1e-7 in float32), the N partial sums in float64; for float32 that measured 3-4x faster
    than a float64 reduction of the whole array, at the same accuracy for batch-norm purposes.
    """
    return a.sum(axis=(2, 3)).sum(axis=0, dtype=np.float64)  # (N, C) -> (C,)


def channel_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(C,) float64 sums of a * b over N, H and W, without an (N, C, H, W) product array (as `channel_sum`)."""
    return np.einsum("nchw,nchw->nc", a, b).sum(axis=0, dtype=np.float64)  # (N, C) -> (C,)
