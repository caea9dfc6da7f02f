"""2-D convolution (cross-correlation) layer, the output-size formula, and `Flatten`.

Shape letters used in comments and docstrings:
    N = batch size, C = input channels, F = output channels (filters),
    H, W = input height and width, HP, WP = padded height and width,
    KH, KW = kernel height and width, OH, OW = output height and width,
    P = OH * OW * N (number of output positions over the whole batch).

How `Conv2d` computes (the "why" of the memory layout):
    The padded input is kept "batch innermost", as a (C, HP, WP, N) array. A read-only strided
    view of it enumerates every patch, (C, KH, KW, OH, OW, N), and copying that view into the
    patch matrix (C*KH*KW, P) is the only im2col copy; with N innermost it copies runs of N
    contiguous numbers instead of runs of KW, and the col2im of the backward pass adds runs of N
    as well (both measured faster than the natural (N, C, H, W) order, notes/conv.md). One
    `np.matmul` with the (F, C*KH*KW) weights gives the (F, OH, OW, N) output, returned as an
    (N, F, OH, OW) view. Feeding that view to the next layer (ReLU keeps the layout, the next
    Conv2d pads it with one nearly contiguous copy) keeps a network in the fast layout without
    any extra transposing copy.
"""
from __future__ import annotations

import numbers
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from numpy.lib.stride_tricks import as_strided

from lib.network_base import Module, Parameter, check_backward_grad

IntPair = Union[int, Sequence[int]]


def _as_int(value, name: str) -> int:
    """Return `value` as a Python int; TypeError for bools, floats and anything non-integral."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    return int(value)


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
        values[name] = [_as_int(v, f"{name}[{d}]") for d, v in enumerate(seq)]
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


def _by_output_row(matrix: np.ndarray, out_h: int) -> np.ndarray:
    """View a (K, P) matrix, P = OH*OW*N, as a stack of OH matrices (OH, K, OW*N), one per output row.

    `np.matmul` on such stacks runs one BLAS product per output row. That is still a single numpy
    call, and measured faster than one (K, P) product on the course layers: each product is small
    enough for OpenBLAS to keep it on the calling thread, where one large product would wake a
    second thread for a fraction of a millisecond of work (notes/conv.md).
    """
    return matrix.reshape(matrix.shape[0], out_h, -1).transpose(1, 0, 2)  # (OH, K, OW*N) view


def _int_pair(value: IntPair, name: str) -> Tuple[int, int]:
    """Normalise an int or a 2-sequence of ints (tuple, list, array) to a tuple of two Python ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value), int(value))
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"{name} must be an int or a tuple of 2 ints (height, width), got {value!r}")
    if len(value) != 2:
        raise ValueError(f"{name} must be a tuple of 2 ints (height, width), got {len(value)} values: {value!r}")
    return (_as_int(value[0], f"{name}[0]"), _as_int(value[1], f"{name}[1]"))


class Conv2d(Module):
    """2-D convolution layer (cross-correlation, no kernel flip), PyTorch layout, vectorized.

    `y[n, f, i, j] = b[f] + sum_{c, u, v} W[f, c, u, v] * xp[n, c, i*SH + u, j*SW + v]`, where `xp`
    is x zero-padded by `pad` on both sides of H and W.

    The course's initialisation, in this order (it fixes the global random stream):
    `W = np.random.randn(out_channels, in_channels, *kernel_size) * 0.1` (the only random draw),
    then `b = zeros((out_channels, 1, 1))`.

    Memory, in elements, beyond x, the output and the returned gradient: forward keeps the padded
    input N*C*HP*WP (it is `input_cache`; none without padding) and builds the patch matrix
    C*KH*KW*P, P = OH*OW*N, about KH*KW / (SH*SW) times the input, which it keeps for backward in
    training mode only. Backward adds a copy of the output gradient F*P and an (OH, F, C*KH*KW)
    stack of weight-gradient parts; for the input gradient it releases the patch matrix, then
    allocates the patch gradient C*KH*KW*P and the padded input gradient N*C*HP*WP (the returned
    gradient is a view of it). Peak extra memory of either pass: one padded input + one patch
    matrix + one output-sized array (+ the padded input gradient in backward).

    Attributes:
        in_channels, out_channels: C and F.
        kernel_size, stride, pad: tuples (height, width) of Python ints.
        W: Parameter "conv_filter", (F, C, KH, KW).
        b: Parameter "conv_bias", (F, 1, 1).
        input_cache: the padded input of the last forward, (N, C, HP, WP): a view of a
            (C, HP, WP, N) array, or x itself when the padding is (0, 0).
        needs_input_grad: when False, `backward` accumulates the parameter gradients and returns
            None without computing the input gradient (the training loop sets it on a model's
            first layer, whose input gradient nobody reads).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = (1, 1), padding: IntPair = (0, 0)):
        """Create the layer.

        Args:
            in_channels: C, a positive int.
            out_channels: F, a positive int.
            kernel_size: (KH, KW) positive ints, or one int for a square kernel.
            stride: (SH, SW) positive ints, or one int.
            padding: (PH, PW) non-negative ints, zeros added on both sides, or one int.

        Raises:
            TypeError: if an argument is not an int / a pair of ints.
            ValueError: if a pair has the wrong length, a channel count, kernel size or stride is
                <= 0, or a padding is negative.
        """
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if _as_int(value, name) <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        kernel_size = _int_pair(kernel_size, "kernel_size")
        stride = _int_pair(stride, "stride")
        padding = _int_pair(padding, "padding")
        for name, pair, smallest in (("kernel_size", kernel_size, 1), ("stride", stride, 1), ("padding", padding, 0)):
            if min(pair) < smallest:
                expected = "positive" if smallest else "non-negative"
                raise ValueError(f"{name} must be {expected} ints (height, width), got {pair}")
        # The course's provided initialisation, in this order; W is the only random draw.
        self.out_channels, self.in_channels = int(out_channels), int(in_channels)
        self.kernel_size, self.stride, self.pad = kernel_size, stride, padding
        w = np.random.randn(out_channels, in_channels, *kernel_size) * 0.1  # (F, C, KH, KW)
        self.W = Parameter(w, name="conv_filter")
        self.b = Parameter(np.zeros((out_channels, 1, 1)), name="conv_bias")  # (F, 1, 1)
        self._patches = None  # (C*KH*KW, P) patch matrix of the last training forward
        self._dtype = None  # compute dtype of the last forward
        self._output_shape = None  # (N, F, OH, OW) of the last forward, which backward's grad must have

    def __repr__(self) -> str:
        return (f"Conv2d(in={self.in_channels},out={self.out_channels},kernel={self.kernel_size},"
                f"stride={self.stride},pad={self.pad})")

    def parameters(self) -> Tuple[Parameter, Parameter]:
        """Return `(W, b)`."""
        return self.W, self.b

    def _compute_output_shape(self, input_shape: Sequence[int]) -> Tuple[int, int, int, int]:
        """Output shape `(N, F, OH, OW)` for an input of shape `(N, C, H, W)`.

        Raises:
            ValueError: if the kernel does not fit the padded input (from `calculate_conv_output`).
        """
        h, w = calculate_conv_output(input_shape[2:], self.kernel_size, self.stride, self.pad)
        return int(input_shape[0]), self.out_channels, h, w

    def _check_input(self, x) -> np.ndarray:
        """Return x as an array after checking it is a numeric (N, C, H, W) batch with C channels."""
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"Conv2d expects a 4-D input (N, C, H, W), got a {x.ndim}-D input of shape {x.shape}")
        if x.dtype == bool or not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
            raise TypeError(f"Conv2d expects a real-valued input x, got dtype {x.dtype}")
        if x.shape[1] != self.in_channels:
            raise ValueError(f"Conv2d expected input with {self.in_channels} channels, got {x.shape[1]} "
                             f"(input shape {x.shape})")
        return x

    def _padded_batch_inner(self, x: np.ndarray) -> np.ndarray:
        """Zero-padded input in batch-innermost order, (C, HP, WP, N); a view of x when there is no padding."""
        ph, pw = self.pad
        x_t = x.transpose(1, 2, 3, 0)  # (C, H, W, N) view
        if ph == 0 and pw == 0:
            return x_t
        c, h, w, n = x_t.shape
        xp = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)  # (C, HP, WP, N)
        xp[:, ph:ph + h, pw:pw + w, :] = x_t  # the one copy of the input: padding needs it anyway
        return xp

    def _patch_matrix(self, xp: np.ndarray, out_hw: Tuple[int, int], dtype) -> np.ndarray:
        """Copy every (C, KH, KW) patch of the (C, HP, WP, N) padded input into a (C*KH*KW, P) matrix."""
        kh, kw = self.kernel_size
        sh, sw = self.stride
        c, _, _, n = xp.shape
        st_c, st_h, st_w, st_n = xp.strides
        # Safe: shape and strides only reach elements inside xp (the last patch starts at
        # (OH-1)*SH <= HP-KH), and writeable=False forbids writing through overlapping patches.
        patches = as_strided(xp, shape=(c, kh, kw, out_hw[0], out_hw[1], n),
                             strides=(st_c, st_h, st_w, st_h * sh, st_w * sw, st_n),
                             writeable=False)  # (C, KH, KW, OH, OW, N) view
        matrix = np.empty(patches.shape, dtype=dtype)  # (C, KH, KW, OH, OW, N)
        np.copyto(matrix, patches)  # the im2col copy, cast to the compute dtype on the way
        return matrix.reshape(c * kh * kw, -1)  # (C*KH*KW, P)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Cross-correlate x with the filters and add the bias; one matrix product, no Python loop.

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
        x = self._check_input(x)
        try:
            n, f, oh, ow = self._compute_output_shape(x.shape)
        except ValueError as error:  # the kernel does not fit: say which input and layer
            raise ValueError(f"{self} cannot be applied to an input of shape {x.shape}: {error}") from None
        dtype = np.result_type(x.dtype, self.W.data.dtype)
        xp = self._padded_batch_inner(x)  # (C, HP, WP, N)
        self.input_cache = x if self.pad == (0, 0) else xp.transpose(3, 0, 1, 2)  # (N, C, HP, WP)
        patches = self._patch_matrix(xp, (oh, ow), dtype)  # (C*KH*KW, P)
        weights = self.W.data.reshape(f, -1).astype(dtype, copy=False)  # (F, C*KH*KW)
        out = np.empty((f, patches.shape[1]), dtype=dtype)  # (F, P)
        np.matmul(weights, _by_output_row(patches, oh), out=_by_output_row(out, oh))  # the one matmul
        out += self.b.data.reshape(f, 1)
        self._patches = patches if self.training else None
        self._dtype = dtype
        self._output_shape = (n, f, oh, ow)
        return out.reshape(f, oh, ow, n).transpose(3, 0, 1, 2)  # (N, F, OH, OW) view

    def backward(self, grad: np.ndarray) -> Optional[np.ndarray]:
        """Accumulate the filter and bias gradients and return the gradient w.r.t. the (unpadded) input.

        `W.grad += grad . patches` (one contraction), `b.grad += grad` summed over N, OH, OW, and
        the input gradient scatters `W^T grad` back over the patches (col2im), looping only over
        the KH*KW kernel offsets.

        Args:
            grad: (N, F, OH, OW) gradient of the loss w.r.t. the output of the last forward.

        Returns:
            (N, C, H, W) gradient w.r.t. x (a view of a (C, HP, WP, N) array), in the result dtype
            of grad, x and W; None when `needs_input_grad` is False.

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad does not have the output's shape.
        """
        grad = check_backward_grad(self, grad, self._output_shape)
        n, f, oh, ow = self._output_shape
        _, c, hp, wp = self.input_cache.shape
        kh, kw = self.kernel_size
        sh, sw = self.stride
        ph, pw = self.pad
        dtype = np.result_type(grad.dtype, self._dtype)
        grad_t = np.ascontiguousarray(grad.transpose(1, 2, 3, 0), dtype=dtype).reshape(f, -1)  # (F, P)
        patches = self._patches
        if patches is None:  # eval mode, or a second backward after the same forward
            patches = self._patch_matrix(self.input_cache.transpose(1, 2, 3, 0), (oh, ow), dtype)
        grad_w = np.matmul(_by_output_row(grad_t, oh), _by_output_row(patches, oh).transpose(0, 2, 1))
        self.W.grad += grad_w.sum(axis=0).reshape(self.W.data.shape)  # (OH, F, C*KH*KW) -> (F, C, KH, KW)
        self.b.grad += grad_t.sum(axis=1).reshape(f, 1, 1)
        self._patches = patches = None  # free the patch matrix before allocating its gradient
        if not self.needs_input_grad:
            return None
        # Kernel offsets first, so that each offset's slice below is one contiguous (C, OH, OW, N) block.
        weights_t = self.W.data.transpose(2, 3, 1, 0).reshape(kh * kw * c, f).astype(dtype, copy=False)
        grad_patches = np.empty((kh * kw * c, grad_t.shape[1]), dtype=dtype)  # (KH*KW*C, P)
        np.matmul(weights_t, _by_output_row(grad_t, oh), out=_by_output_row(grad_patches, oh))
        grad_patches = grad_patches.reshape(kh, kw, c, oh, ow, n)  # (KH, KW, C, OH, OW, N)
        grad_xp = np.zeros((c, hp, wp, n), dtype=dtype)  # (C, HP, WP, N)
        for u in range(kh):  # col2im: add each kernel offset's contribution to the positions it read
            for v in range(kw):
                grad_xp[:, u:u + sh * oh:sh, v:v + sw * ow:sw, :] += grad_patches[u, v]
        return grad_xp[:, ph:ph + hp - 2 * ph, pw:pw + wp - 2 * pw, :].transpose(3, 0, 1, 2)  # (N, C, H, W)


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
