"""2-D convolution (cross-correlation) layer, the output-size formula, and `Flatten`: the course's file.

`calculate_conv_output` and `Conv2d.forward` are the exercise's gaps (between `# START TODO` and
`# END TODO`; solved here, to be filled in the students' copy); `Conv2d.backward` is the course's provided
backward. The forward the exercise asks for loops over the output positions only, with the batch, the
channels and the filters at once in every step.

Shape letters used in comments and docstrings:
    N = batch size, C = input channels, F = output channels (filters),
    H, W = input height and width, HP, WP = padded height and width,
    KH, KW = kernel height and width, OH, OW = output height and width.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np

from lib.checks import (IntPair, check_bool, check_conv_arguments, check_feature_maps, check_int_pair,
                        check_positive_int)
from lib.network_base import Module, Parameter
# BEGIN REFERENCE ONLY ################
from lib.kernels.conv_layer import FastConv2d
# END REFERENCE ONLY ################


def calculate_conv_output(input_shape: Sequence[int], kernel_size: Sequence[int],
                          stride: Sequence[int], padding: Sequence[int]) -> List[int]:
    """Output size of a convolution along each spatial dimension, from the input size, kernel, stride and padding.

    The one place where the formula lives: `Conv2d`, the scripts and the tests call it. Like PyTorch, it
    counts only the positions where the kernel lies wholly inside the padded input.

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
    input_shape, kernel_size, stride, padding = check_conv_arguments(input_shape, kernel_size, stride, padding)

    # START TODO ################
    # For every dimension, count the positions at which the kernel fits into the input padded with
    # `padding` zeros on both sides, when it moves `stride` steps at a time. Return Python ints.
    output = []
    for size, kernel, step, pad in zip(input_shape, kernel_size, stride, padding):
        output.append((size + 2 * pad - kernel) // step + 1)
    # END TODO ################

    return output


class Conv2d(Module):
    """2-D convolution layer (cross-correlation, no kernel flip), PyTorch layout.

    `y[n, f, i, j] = b[f] + sum_{c, u, v} W[f, c, u, v] * xp[n, c, i*SH + u, j*SW + v]`, where `xp`
    is x zero-padded by `pad` on both sides of H and W. Backward: `W.grad += ` every output's gradient
    times the window it read, summed over the batch; `b.grad += grad` summed over N, OH and OW; and
    every window's gradient `grad[:, :, i, j] . W` is added back where the window was read.

    The course's initialisation, in this order (it fixes the global random stream):
    `W = np.random.randn(out_channels, in_channels, *kernel_size) * 0.1` (the only random draw),
    then `b = zeros((out_channels, 1, 1))`.

    Attributes:
        in_channels, out_channels: C and F.
        kernel_size, stride, pad: tuples (height, width) of Python ints.
        W: Parameter "conv_filter", (F, C, KH, KW).
        b: Parameter "conv_bias", (F, 1, 1); None for a layer built with `bias=False`.
        input_cache: the zero-padded input of the last forward, (N, C, HP, WP).
    """

    # BEGIN REFERENCE ONLY ################
    # The fast path (lib/kernels/conv_layer.py) computes the same as the course's code below, many times faster,
    # and keeps float32 in float32; False runs the course's forward and backward (the tests compare the two).
    # A layer without bias (which the course does not have) always takes the fast path.
    fast_path = True
    # END REFERENCE ONLY ################

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
                batch normalisation needs none: the normalisation subtracts every channel's mean.

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
        # BEGIN REFERENCE ONLY ################
        self._fast = FastConv2d()  # the fast path's cache and memory
        # END REFERENCE ONLY ################

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Cross-correlate x with the filters and add the bias; cache the zero-padded input in `input_cache`.

        Args:
            x: (N, C, H, W) input, any real dtype.

        Returns:
            (N, F, OH, OW) output.

        Raises:
            ValueError: if x is not 4-D, has not C channels, or the kernel does not fit the padded input.
            TypeError: if x is not numeric.
        """
        x = check_feature_maps(x, "Conv2d", self.in_channels)
        # BEGIN REFERENCE ONLY ################
        if self._takes_fast_path():
            return self._fast.forward(self, x)
        # END REFERENCE ONLY ################
        feature_map = np.empty(self._compute_output_shape(x.shape))

        # START TODO ################
        # Start without padding and with stride 1; then add the stride and the zero padding of H and W.
        # Loop over the output rows and columns only (at most two nested for-loops): in each step, take the
        # window of every image of the batch and compute its dot product with every filter at once.
        # Add each filter's bias, store the padded input in self.input_cache (the backward pass reads it),
        # and return the output.
        (pad_h, pad_w), (stride_h, stride_w), (kernel_h, kernel_w) = self.pad, self.stride, self.kernel_size
        x_padded = np.pad(x, ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w)))  # (N, C, HP, WP)
        self.input_cache = x_padded
        for i in range(feature_map.shape[2]):
            for j in range(feature_map.shape[3]):
                window = x_padded[:, :, i * stride_h:i * stride_h + kernel_h, j * stride_w:j * stride_w + kernel_w]
                # every window (N, C, KH, KW) times every filter (F, C, KH, KW), summed over C, KH, KW: (N, F)
                feature_map[:, :, i, j] = np.tensordot(window, self.W.data, axes=([1, 2, 3], [1, 2, 3]))
        return feature_map + self.b.data.reshape(1, -1, 1, 1)  # one bias per filter
        # END TODO ################

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Accumulate the filter and bias gradients and return the gradient w.r.t. the (unpadded) input.

        The course's backward: it loops over the output positions and reads only `input_cache` (the padded
        input), `W.data`, `kernel_size`, `stride`, `pad` and `grad`. Overlapping windows add up.

        Args:
            grad: (N, F, OH, OW) gradient of the loss w.r.t. the output of the last forward.

        Returns:
            (N, C, H, W) gradient w.r.t. x.

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad is not an (N, F, OH, OW) array for the last forward's N and F.
        """
        # BEGIN REFERENCE ONLY ################
        if self._takes_fast_path():
            return self._fast.backward(self, grad)
        # END REFERENCE ONLY ################
        x_padded = self.input_cache  # (N, C, HP, WP)
        if x_padded is None:
            raise RuntimeError("Conv2d.backward called before forward")
        grad = np.asarray(grad)
        if grad.ndim != 4 or grad.shape[:2] != (len(x_padded), self.out_channels):
            raise ValueError(f"Conv2d.backward expected grad of shape ({len(x_padded)}, {self.out_channels}, OH, OW), "
                             f"got {grad.shape}")
        (kernel_h, kernel_w), (stride_h, stride_w), (pad_h, pad_w) = self.kernel_size, self.stride, self.pad
        grad_x_padded = np.zeros(x_padded.shape, dtype=np.result_type(grad, x_padded, self.W.data))
        for i in range(grad.shape[2]):
            for j in range(grad.shape[3]):
                rows = slice(i * stride_h, i * stride_h + kernel_h)
                cols = slice(j * stride_w, j * stride_w + kernel_w)
                grad_ij = grad[:, :, i, j]  # (N, F)
                self.W.grad += np.tensordot(grad_ij, x_padded[:, :, rows, cols], axes=([0], [0]))  # (F, C, KH, KW)
                grad_x_padded[:, :, rows, cols] += np.tensordot(grad_ij, self.W.data, axes=([1], [0]))  # (N, C, KH, KW)
        self.b.grad += grad.sum(axis=(0, 2, 3)).reshape(-1, 1, 1)  # the bias is added at every output position
        height, width = x_padded.shape[2] - 2 * pad_h, x_padded.shape[3] - 2 * pad_w
        return grad_x_padded[:, :, pad_h:pad_h + height, pad_w:pad_w + width]  # drop the padding's gradient

    # BEGIN REFERENCE ONLY ################
    def backward_params(self, grad: np.ndarray) -> None:
        """Accumulate `W.grad` and `b.grad` only, without the input gradient (see `Module.backward_params`).

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad does not have the output's shape.
        """
        if self._takes_fast_path():
            self._fast.param_grads(self, grad)
        else:
            self.backward(grad)

    def _takes_fast_path(self) -> bool:
        """Whether forward and backward run `lib/kernels/conv_layer.py` (see `fast_path`)."""
        return self.fast_path or self.b is None
    # END REFERENCE ONLY ################

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
        return int(input_shape[0]), self.out_channels, int(h), int(w)


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
