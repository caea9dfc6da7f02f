"""2-D convolution (cross-correlation) layer, the output-size formula, and `Flatten`.

Shape letters used in comments and docstrings:
    N = batch size, C = input channels, F = output channels (filters),
    H, W = input height and width, HP, WP = padded height and width,
    KH, KW = kernel height and width, OH, OW = output height and width,
    P = OH * OW * N (number of output positions over the whole batch).

How `Conv2d` computes: `im2col` (lib/kernels.py) copies every patch of the padded input, kept batch
innermost as (C, HP, WP, N), into a (C*KH*KW, P) matrix; one `np.matmul` with the (F, C*KH*KW)
weights gives the (F, OH, OW, N) output, returned as an (N, F, OH, OW) view. Feeding that view to
the next layer (ReLU keeps the layout, the next Conv2d pads it with one nearly contiguous copy)
keeps a network in the fast layout without any extra transposing copy. Backward is the same
product transposed, and `col2im_add` adds the patch gradients back onto the input, a block of output
rows at a time. Small products run as one BLAS call per output row, large ones as one call
(`ROW_PRODUCT_MAX_MACS`).
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np

from lib.checks import (IntPair, check_backward_grad, check_bool, check_feature_maps, check_int, check_int_pair,
                        check_positive_int)
from lib.kernels import col2im_add, im2col, pad_batch_inner, unpad_to_batch_first
from lib.network_base import Module, Parameter


def calculate_conv_output(input_shape: Sequence[int], kernel_size: Sequence[int],
                          stride: Sequence[int], padding: Sequence[int]) -> List[int]:
    """Output size of a convolution along each spatial dimension: `(I + 2P - K) // S + 1`.

    The one place where the formula lives: `Conv2d`, the scripts and the tests call it. Like
    PyTorch it floors, so a stride that does not divide `I + 2P - K` drops the last positions.

    Args:
        input_shape: input size per dimension (any number of dimensions), e.g. [11, 11].
        kernel_size: kernel size per dimension, same length.
        stride: step per dimension, same length, each > 0.
        padding: zero padding added on both sides per dimension, same length, each >= 0.

    Returns:
        The output size per dimension, a list of Python ints (never numpy integers).

    Raises:
        TypeError: if an argument is not a sequence or holds a non-integer.
        ValueError: if the lengths differ, or, naming the dimension, if an input size is negative,
            a kernel size or stride is <= 0, a padding is negative, or the kernel is larger than
            the padded input.
    """
    args = {"input_shape": input_shape, "kernel_size": kernel_size, "stride": stride, "padding": padding}
    values = {}
    for name, seq in args.items():
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
            raise TypeError(f"{name} must be a list or tuple of ints, got {seq!r}")
        values[name] = [check_int(v, f"{name}[{d}]") for d, v in enumerate(seq)]
    lengths = {name: len(v) for name, v in values.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"input_shape, kernel_size, stride and padding must have the same length, got lengths "
                         f"{lengths}")
    output = []
    for d, (i, k, s, p) in enumerate(zip(*values.values())):
        if i < 0:
            raise ValueError(f"input_shape must be non-negative, got {i} in dimension {d}")
        if k <= 0:
            raise ValueError(f"kernel_size must be positive, got {k} in dimension {d}")
        if s <= 0:
            raise ValueError(f"stride must be positive, got {s} in dimension {d}")
        if p < 0:
            raise ValueError(f"padding must be non-negative, got {p} in dimension {d}")
        if k > i + 2 * p:
            raise ValueError(f"kernel size {k} is larger than the padded input size {i + 2 * p} "
                             f"(input {i} + 2 * padding {p}) in dimension {d}")
        output.append((i + 2 * p - k) // s + 1)
    return output


# A product is split into one BLAS call per output row when each of those calls has at most this
# many multiply-adds: OpenBLAS runs such small products with its small-matrix kernels, without
# packing and on the calling thread, which measured 1.2-3.5x faster than one large call for the
# course's layers and for a first layer with one input channel (`benchmarks/bench_conv.py
# --products`); larger products are faster as one call, which OpenBLAS spreads over the cores.
ROW_PRODUCT_MAX_MACS = 1_000_000
# Backward builds the patch gradient a block of output rows at a time, about this many bytes, and
# adds each block back onto the input while it is still in the cache (`col2im_add`); a forward in
# evaluation mode builds the patch matrix in such blocks too. A large temporary array costs more
# than its copy: the kernel hands out and zeroes fresh pages for it on every call.
BLOCK_BYTES = 4 << 20


def _by_output_row(matrix: np.ndarray, out_h: int) -> np.ndarray:
    """View a (K, P) matrix, P = OH*OW*N, as a stack of OH matrices (OH, K, OW*N), one per output row.

    `np.matmul` on such stacks runs one BLAS product per output row, still in a single numpy call.
    For small matrices that is faster than one (K, P) product: each product is small enough for
    OpenBLAS to keep it on the calling thread and in the cache, where one product would wake a second
    thread for a fraction of a millisecond of work (notes/conv.md). `matrix` may be a column block of
    a larger matrix (a strided view).
    """
    return matrix.reshape(matrix.shape[0], out_h, -1).transpose(1, 0, 2)  # (OH, K, OW*N) view


def _rows_per_block(row_bytes: int, out_h: int) -> int:
    """How many output rows of `row_bytes` bytes each fill a block of about BLOCK_BYTES (at least 1, at most OH)."""
    return max(1, min(out_h, BLOCK_BYTES // max(1, row_bytes)))


def _stack(matrix: np.ndarray, out_h: int, by_row: bool) -> np.ndarray:
    """The (S, K, P / S) stack `np.matmul` multiplies: one matrix per output row (`_by_output_row`) or the whole."""
    return _by_output_row(matrix, out_h) if by_row else matrix[np.newaxis]  # (OH, K, OW*N) or (1, K, P) view


class Conv2d(Module):
    """2-D convolution layer (cross-correlation, no kernel flip), PyTorch layout, vectorized.

    `y[n, f, i, j] = b[f] + sum_{c, u, v} W[f, c, u, v] * xp[n, c, i*SH + u, j*SW + v]`, where `xp`
    is x zero-padded by `pad` on both sides of H and W.

    The course's initialisation, in this order (it fixes the global random stream):
    `W = np.random.randn(out_channels, in_channels, *kernel_size) * 0.1` (the only random draw),
    then `b = zeros((out_channels, 1, 1))`.

    Memory, in elements, beyond x, the output and the returned gradient: forward keeps the padded
    input N*C*HP*WP (it is `input_cache`; none without padding). A training forward builds the patch
    matrix C*KH*KW*P, P = OH*OW*N, about KH*KW / (SH*SW) times the input, which backward needs; an
    evaluation forward builds it a block of output rows at a time (about BLOCK_BYTES). Backward adds
    a copy of the output gradient F*P (none when the gradient already has the layout of this layer's
    output) and an (OH or 1, F, C*KH*KW) stack of weight-gradient parts, then allocates the padded input
    gradient N*C*HP*WP (the returned gradient is a view of it) and builds the patch gradient in
    blocks of output rows. The patch matrix and all blocks live in one scratch buffer the layer keeps
    between calls (the largest of them; see `_scratch_buffer`).

    Attributes:
        in_channels, out_channels: C and F.
        kernel_size, stride, pad: tuples (height, width) of Python ints.
        W: Parameter "conv_filter", (F, C, KH, KW).
        b: Parameter "conv_bias", (F, 1, 1); None for a layer built with `bias=False`.
        input_cache: the padded input of the last forward, (N, C, HP, WP): a view of a
            (C, HP, WP, N) array, or x itself when the padding is (0, 0).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = (1, 1), padding: IntPair = (0, 0), bias: bool = True):
        """Create the layer.

        Args:
            in_channels: C, a positive int.
            out_channels: F, a positive int.
            kernel_size: (KH, KW) positive ints, or one int for a square kernel.
            stride: (SH, SW) positive ints, or one int.
            padding: (PH, PW) non-negative ints, zeros added on both sides, or one int.
            bias: whether the layer adds a learned bias (PyTorch's `bias`). A convolution followed by
                batch normalisation needs none: the normalisation subtracts every channel's mean,
                bias included, so the bias would only cost time.

        Raises:
            TypeError: if an argument is not an int / a pair of ints, or bias is not a bool.
            ValueError: if a pair has the wrong length, a channel count, kernel size or stride is
                <= 0, or a padding is negative.
        """
        super().__init__()
        check_positive_int(in_channels, "in_channels")
        check_positive_int(out_channels, "out_channels")
        kernel_size = check_int_pair(kernel_size, "kernel_size", minimum=1)
        stride = check_int_pair(stride, "stride", minimum=1)
        padding = check_int_pair(padding, "padding", minimum=0)
        # The course's provided initialisation, in this order; W is the only random draw.
        self.out_channels, self.in_channels = int(out_channels), int(in_channels)
        self.kernel_size, self.stride, self.pad = kernel_size, stride, padding
        w = np.random.randn(out_channels, in_channels, *kernel_size) * 0.1  # (F, C, KH, KW)
        self.W = Parameter(w, name="conv_filter")
        bias = check_bool(bias, "bias")
        self.b = Parameter(np.zeros((out_channels, 1, 1)), name="conv_bias") if bias else None  # (F, 1, 1)
        self._patches = None  # (C*KH*KW, P) patch matrix of the last training forward (a view of _scratch)
        self._scratch = None  # the buffer behind the patch matrix and the blocks (see _scratch_buffer)
        self._dtype = None  # compute dtype of the last forward
        self._output_shape = None  # (N, F, OH, OW) of the last forward, which backward's grad must have
        self._by_row = True  # whether the last forward's products ran one per output row

    def __repr__(self) -> str:
        return (f"Conv2d(in={self.in_channels},out={self.out_channels},kernel={self.kernel_size},"
                f"stride={self.stride},pad={self.pad}" + (")" if self.b is not None else ",bias=False)"))

    def parameters(self) -> Tuple[Parameter, ...]:
        """Return `(W, b)`, or `(W,)` without a bias."""
        return (self.W, self.b) if self.b is not None else (self.W,)

    def _compute_output_shape(self, input_shape: Sequence[int]) -> Tuple[int, int, int, int]:
        """Output shape `(N, F, OH, OW)` for an input of shape `(N, C, H, W)`.

        Raises:
            ValueError: if the kernel does not fit the padded input (from `calculate_conv_output`).
        """
        h, w = calculate_conv_output(input_shape[2:], self.kernel_size, self.stride, self.pad)
        return int(input_shape[0]), self.out_channels, h, w

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Cross-correlate x with the filters and add the bias: `out = W_matrix @ im2col(x_padded) + b`.

        Caches the padded input in `input_cache` and, in training mode, the patch matrix.

        Args:
            x: (N, C, H, W) input, any real dtype.

        Returns:
            (N, F, OH, OW) output in numpy's result dtype of x and W (float32 stays float32).
            It is a view of an (F, OH, OW, N) array (the layout the next layer reads fastest).

        Raises:
            ValueError: if x is not 4-D, has not C channels, or the kernel does not fit the padded input.
            TypeError: if x is not numeric.
        """
        x = check_feature_maps(x, "Conv2d", self.in_channels)
        try:
            n, f, oh, ow = self._compute_output_shape(x.shape)
        except ValueError as error:  # the kernel does not fit: say which input and layer
            raise ValueError(f"{self} cannot be applied to an input of shape {x.shape}: {error}") from None
        dtype = np.result_type(x.dtype, self.W.data.dtype)
        xp = pad_batch_inner(x, self.pad)  # (C, HP, WP, N)
        self.input_cache = x if self.pad == (0, 0) else xp.transpose(3, 0, 1, 2)  # (N, C, HP, WP)
        weights = self.W.data.reshape(f, -1).astype(dtype, copy=False)  # (F, C*KH*KW)
        k = weights.shape[1]
        self._by_row = f * k * ow * n <= ROW_PRODUCT_MAX_MACS  # multiply-adds of one output row
        out = np.empty((f, oh * ow * n), dtype=dtype)  # (F, P)
        if self.training:  # one patch matrix, kept for the weight gradient
            patches = im2col(xp, self.kernel_size, self.stride, (oh, ow), dtype,
                             out=self._scratch_buffer(k * oh * ow * n, dtype))  # (C*KH*KW, P)
            np.matmul(weights, _stack(patches, oh, self._by_row), out=_stack(out, oh, self._by_row))
        else:  # nothing to keep: a block of output rows at a time
            patches = None
            rows = _rows_per_block(k * ow * n * np.dtype(dtype).itemsize, oh)
            buffer = self._scratch_buffer(k * rows * ow * n, dtype)
            for first in range(0, oh, rows):
                last = min(oh, first + rows)
                block = im2col(xp, self.kernel_size, self.stride, (oh, ow), dtype, (first, last), buffer)
                np.matmul(weights, _stack(block, last - first, self._by_row),
                          out=_stack(out[:, first * ow * n:last * ow * n], last - first, self._by_row))
        if self.b is not None:
            out += self.b.data.reshape(f, 1)
        self._patches = patches
        self._dtype = dtype
        self._output_shape = (n, f, oh, ow)
        return out.reshape(f, oh, ow, n).transpose(3, 0, 1, 2)  # (N, F, OH, OW) view

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Accumulate the filter and bias gradients and return the gradient w.r.t. the (unpadded) input.

        `W.grad += grad . patches^T`, `b.grad += grad` summed over N, OH, OW (see `backward_params`),
        and the input gradient is `col2im(W_matrix^T @ grad)`: every patch's gradient added back
        onto the input positions it was read from.

        Args:
            grad: (N, F, OH, OW) gradient of the loss w.r.t. the output of the last forward.

        Returns:
            (N, C, H, W) gradient w.r.t. x (a view of a (C, HP, WP, N) array), in the result dtype
            of grad, x and W.

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad does not have the output's shape.
        """
        grad_t = self._accumulate_param_grads(grad)  # (F, P)
        n, f, oh, ow = self._output_shape
        _, c, hp, wp = self.input_cache.shape
        kh, kw = self.kernel_size
        # Kernel offsets first, so that col2im adds one contiguous (C, R, OW, N) block per offset.
        weights_t = self.W.data.transpose(2, 3, 1, 0).reshape(kh * kw * c, f).astype(grad_t.dtype, copy=False)
        grad_xp = np.zeros((c, hp, wp, n), dtype=grad_t.dtype)  # (C, HP, WP, N)
        rows = _rows_per_block(weights_t.shape[0] * ow * n * grad_t.itemsize, oh)
        for first in range(0, oh, rows):
            last = min(oh, first + rows)
            block = grad_t[:, first * ow * n:last * ow * n]  # (F, R*OW*N) view, R = last - first
            size = weights_t.shape[0] * block.shape[1]  # the patch matrix is released: its buffer is free
            window_grads = self._scratch_buffer(size, grad_t.dtype)[:size].reshape(-1, block.shape[1])
            np.matmul(weights_t, _stack(block, last - first, self._by_row),
                      out=_stack(window_grads, last - first, self._by_row))  # (KH*KW*C, R*OW*N)
            col2im_add(window_grads.reshape(kh, kw, c, last - first, ow, n), grad_xp, self.stride, first)
        return unpad_to_batch_first(grad_xp, self.pad)  # (N, C, H, W)

    def _scratch_buffer(self, size: int, dtype) -> np.ndarray:
        """A flat array of at least `size` elements of `dtype` that this layer reuses from call to call.

        It holds the patch matrix of a training forward (until the weight gradient has used it), the
        blocks of an evaluation forward, and the blocks of the patch gradient in backward; never an
        array that leaves the layer. Reusing it spares the kernel handing out and zeroing fresh pages
        for a large temporary on every call (measured 6% of a training step of the strong CNN).
        """
        if self._scratch is None or self._scratch.size < size or self._scratch.dtype != dtype:
            self._scratch = np.empty(size, dtype=dtype)
        return self._scratch

    def backward_params(self, grad: np.ndarray) -> None:
        """Accumulate `W.grad` and `b.grad` only, without the input gradient (see `Module.backward_params`).

        Args:
            grad: (N, F, OH, OW) gradient w.r.t. the output.

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad does not have the output's shape.
        """
        self._accumulate_param_grads(grad)

    def _accumulate_param_grads(self, grad: np.ndarray) -> np.ndarray:
        """`W.grad += grad . patches^T` and `b.grad += sum of grad`; return grad as an (F, P) matrix.

        Releases the cached patch matrix (a second backward after the same forward rebuilds it).

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad does not have the output's shape.
        """
        grad = check_backward_grad(self, grad, self._output_shape)
        n, f, oh, ow = self._output_shape
        dtype = np.result_type(grad.dtype, self._dtype)
        grad_t = np.ascontiguousarray(grad.transpose(1, 2, 3, 0), dtype=dtype).reshape(f, -1)  # (F, P)
        patches = self._patches
        if patches is None:  # eval mode, or a second backward after the same forward
            patches = im2col(self.input_cache.transpose(1, 2, 3, 0), self.kernel_size, self.stride, (oh, ow), dtype)
        # patches . grad^T, the transpose of the weight gradient: OpenBLAS runs this orientation faster
        # for the strong CNN's layers (4-10% of their step in float32, `bench_conv.py --against`)
        grad_w = np.matmul(_stack(patches, oh, self._by_row), _stack(grad_t, oh, self._by_row).transpose(0, 2, 1))
        self.W.grad += grad_w.sum(axis=0).T.reshape(self.W.data.shape)  # (S, C*KH*KW, F) -> (F, C, KH, KW)
        if self.b is not None:
            self.b.grad += grad_t.sum(axis=1).reshape(f, 1, 1)
        self._patches = None  # free the patch matrix before backward allocates the patch gradient
        return grad_t


Conv2D = Conv2d  # the exercise sheet's spelling


class Flatten(Module):
    """Flatten every axis but the first: (N, ...) -> (N, D).

    Attributes:
        input_cache: the shape of the last input, used by backward to restore it.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return x reshaped to (N, D) and cache its shape.

        Args:
            x: (N, ...) array with at least one axis.

        Returns:
            (N, D) array, D the product of the other axes (a view when x's layout allows it).

        Raises:
            ValueError: if x is 0-D.
        """
        x = np.asarray(x)
        if x.ndim == 0:
            raise ValueError("Flatten expects an input with a batch axis, got a 0-D array")
        self.input_cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Reshape the (N, D) gradient back to the shape of the last input.

        Raises:
            RuntimeError: if called before forward.
        """
        if self.input_cache is None:
            raise RuntimeError("Flatten.backward called before forward")
        shape = self.input_cache
        expected = (shape[0], int(np.prod(shape[1:])))
        if np.size(grad) != expected[0] * expected[1]:
            raise ValueError(f"Flatten.backward expected grad of shape {expected}, got {np.shape(grad)}")
        return np.reshape(grad, shape)
