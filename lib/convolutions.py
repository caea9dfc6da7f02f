"""2-D convolution (cross-correlation) layer, the output-size formula, and `Flatten`.

Shape letters used in comments and docstrings:
    N = batch size, C = input channels, F = output channels (filters),
    H, W = input height and width, HP, WP = padded height and width,
    KH, KW = kernel height and width, OH, OW = output height and width,
    P = OH * OW * N (number of output positions over the whole batch).

`Conv2d` computes the convolution as one matrix product: `im2col` copies every window of the padded
input into a column of a (C*KH*KW, P) matrix, and the (F, C*KH*KW) filter matrix times it is the
output. The textbook version, the exercise's two loops over the output positions, is one import
away: `from lib.naive_layers import conv2d_forward_naive, conv2d_backward_naive`. How the product
is made fast (memory layout, blocks, reused buffers, BLAS call sizes) is `lib/kernels/`'s
business, explained there once; the layer reads without it.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np

from lib.checks import (IntPair, check_backward_grad, check_bool, check_feature_maps, check_int, check_int_pair,
                        check_positive_int)
from lib.kernels.conv import Scratch, im2col_matmul, matmul_col2im, weight_grad_matmul
from lib.kernels.im2col import im2col, pad_batch_inner, unpad_to_batch_first
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


class Conv2d(Module):
    """2-D convolution layer (cross-correlation, no kernel flip), PyTorch layout, vectorized.

    `y[n, f, i, j] = b[f] + sum_{c, u, v} W[f, c, u, v] * xp[n, c, i*SH + u, j*SW + v]`, where `xp`
    is x zero-padded by `pad` on both sides of H and W. As matrices: every window of xp is a column
    of `im2col(xp)` (C*KH*KW, P), every filter a row of `W_matrix` (F, C*KH*KW), and
    `y = W_matrix @ im2col(xp) + b`. Backward: `W.grad += grad @ im2col(xp)^T`, `b.grad += grad`
    summed over N, OH and OW, and `dx = col2im(W_matrix^T @ grad)` (every window's gradient added
    back where the window was read). `lib.naive_layers.conv2d_forward_naive` computes the same with
    two loops over the output positions.

    The course's initialisation, in this order (it fixes the global random stream):
    `W = np.random.randn(out_channels, in_channels, *kernel_size) * 0.1` (the only random draw),
    then `b = zeros((out_channels, 1, 1))`.

    Memory beyond x, the output and the returned gradient: the padded input (`input_cache`; none
    without padding), in training the patch matrix (about KH*KW / (SH*SW) times the input) until
    backward, a copy of the output gradient, and the padded input gradient (lib/kernels/conv.py).

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
        self.b = Parameter(np.zeros((out_channels, 1, 1)), name="conv_bias") if check_bool(bias, "bias") else None
        self._patches = None  # im2col(xp) of the last training forward, for the weight gradient
        self._scratch = Scratch()  # memory for im2col and the patch gradient, reused from call to call
        self._dtype = None  # compute dtype of the last forward
        self._output_shape = None  # (N, F, OH, OW) of the last forward, which backward's grad must have

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
        n, f, oh, ow = self._compute_output_shape(x.shape)
        dtype = np.result_type(x.dtype, self.W.data.dtype)
        xp = pad_batch_inner(x, self.pad)  # (C, HP, WP, N): zero-padded, batch innermost
        self.input_cache = x if self.pad == (0, 0) else xp.transpose(3, 0, 1, 2)  # (N, C, HP, WP)
        weights = self.W.data.reshape(f, -1).astype(dtype, copy=False)  # W_matrix (F, C*KH*KW)
        # The patches im2col(xp) (C*KH*KW, P) times the filters: (F, P), P = OH*OW*N
        out, self._patches = im2col_matmul(weights, xp, self.kernel_size, self.stride, (oh, ow),
                                           keep_patches=self.training, scratch=self._scratch)
        if self.b is not None:
            out += self.b.data.reshape(f, 1)  # one bias per filter
        self._dtype, self._output_shape = dtype, (n, f, oh, ow)
        return out.reshape(f, oh, ow, n).transpose(3, 0, 1, 2)  # (N, F, OH, OW) view

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Accumulate the filter and bias gradients and return the gradient w.r.t. the (unpadded) input.

        `W.grad += grad @ patches^T`, `b.grad += grad` summed over N, OH, OW (see `backward_params`),
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
        grad_matrix = self._accumulate_param_grads(grad)  # W.grad += grad @ patches^T, b.grad; grad as (F, P)
        # The patches' gradient W_matrix^T @ grad, added back where each patch was read: (C, HP, WP, N)
        grad_xp = matmul_col2im(self.W.data, grad_matrix, self.input_cache.shape, self.stride,
                                self._output_shape[2:], self._scratch)
        return unpad_to_batch_first(grad_xp, self.pad)  # (N, C, H, W) view

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
        """`W.grad += grad @ patches^T` and `b.grad += sum of grad`; return grad as an (F, P) matrix.

        Releases the cached patch matrix (a second backward after the same forward rebuilds it).

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad does not have the output's shape.
        """
        grad = check_backward_grad(self, grad, self._output_shape)
        n, f, oh, ow = self._output_shape
        dtype = np.result_type(grad.dtype, self._dtype)
        grad_matrix = np.ascontiguousarray(grad.transpose(1, 2, 3, 0), dtype=dtype).reshape(f, -1)  # (F, P)
        patches = self._patches
        if patches is None:  # eval mode, or a second backward after the same forward
            patches = im2col(self.input_cache.transpose(1, 2, 3, 0), self.kernel_size, self.stride, (oh, ow), dtype)
        self.W.grad += weight_grad_matmul(grad_matrix, patches, oh).reshape(self.W.data.shape)  # (F, C, KH, KW)
        if self.b is not None:
            self.b.grad += grad_matrix.sum(axis=1).reshape(f, 1, 1)  # summed over N, OH and OW
        self._patches = None  # free the patch matrix before backward builds the patch gradient
        return grad_matrix

    def __repr__(self) -> str:
        return (f"Conv2d(in={self.in_channels},out={self.out_channels},kernel={self.kernel_size},"
                f"stride={self.stride},pad={self.pad}" + (")" if self.b is not None else ",bias=False)"))

    def parameters(self) -> Tuple[Parameter, ...]:
        """Return `(W, b)`, or `(W,)` without a bias."""
        return (self.W, self.b) if self.b is not None else (self.W,)

    def _compute_output_shape(self, input_shape: Sequence[int]) -> Tuple[int, int, int, int]:
        """Output shape `(N, F, OH, OW)` for an input of shape `(N, C, H, W)`.

        Raises:
            ValueError: if the kernel does not fit the padded input, naming the layer, the input shape
                and `calculate_conv_output`'s reason.
        """
        try:
            h, w = calculate_conv_output(input_shape[2:], self.kernel_size, self.stride, self.pad)
        except ValueError as error:  # the kernel does not fit: say which input and layer
            raise ValueError(f"{self} cannot be applied to an input of shape {tuple(input_shape)}: {error}") from None
        return int(input_shape[0]), self.out_channels, h, w


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
