"""Conv2d's matrix products made fast: BLAS call sizes, blocks of output rows, one reused buffer.

Shape letters: N = batch size, C = channels, H, W = input height and width, HP, WP = padded height
and width, KH, KW = window (kernel) height and width, SH, SW = strides, OH, OW = output height and
width, P = OH * OW * N (output positions over the whole batch), F = filters.

The tricks, each measured (the layer, `lib/convolutions.py`, reads without them):
- One BLAS call per output row for small products (`ROW_PRODUCT_MAX_MACS`): 1.2-3.5x faster than
  one large call for the course's layers (`python -m benchmarks.bench_conv --products 3`).
- Blocks of output rows (`BLOCK_BYTES`) and one reused buffer per layer (`Scratch`) for the large
  temporaries: fresh pages cost more than the copies into them (6% of a strong CNN training step).
- The weight gradient as `patches @ grad^T` (`weight_grad_matmul`): 4-10% of the strong CNN's layer
  steps in float32 (`python -m benchmarks.bench_conv --against`, notes/strong_cnn.md).
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from lib.kernels.im2col import Pair, col2im_add, im2col

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
