"""Pooling layers: max and average pooling over windows, global average pooling, and (re-exported) blur pooling.

Shape letters: N = batch size, C = channels, H, W = input height and width, KH, KW = window (kernel)
height and width, SH, SW = strides, OH, OW = output height and width.

`MaxPool2d` and `AvgPool2d` follow PyTorch (floor mode, padding at most half the window, average
pooling counting padded zeros). Both loop only over the KH*KW kernel offsets: entry (u, v) of every
window of the batch is one (N, C, OH, OW) view of the input (`pool_views`), and backward writes each
entry's gradient back through it (`pool_input_grad`, overlapping windows adding up). These helpers,
the scan that finds max pooling's first maxima (`pool_maxima`) and their speed tricks live in
`lib/kernels/pool.py`; outputs keep the memory layout of x.

A network whose head averages each feature map over all positions gives the same output wherever a
pattern sits in the map; that is what the shift study (`lib/studies/shift_study.py`) measures. `BlurPool2d`
low-pass filters before subsampling, which keeps a strided layer closer to shift-invariant; it lives
in `lib/blur_pool.py` and is re-exported here, beside the other pooling layers.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from lib.blur_pool import BlurPool2d  # noqa: F401  (re-exported: the pooling layers are imported from here)
from lib.checks import IntPair, check_backward_grad, check_feature_maps, check_float_maps, check_int_pair
from lib.convolutions import calculate_conv_output
from lib.kernels.pool import pool_input_grad, pool_maxima, pool_views
from lib.network_base import Module


class _WindowPool2d(Module):
    """What MaxPool2d and AvgPool2d share: arguments, output size, the windows' entries and their gradients."""

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0):
        """kernel_size, stride (default: kernel_size), padding (at most half the kernel): ints or pairs.

        Raises:
            TypeError: if an argument is not an int or a pair of ints (bools and floats included).
            ValueError: if a kernel size or stride is <= 0, a padding is negative or over half the kernel.
        """
        super().__init__()
        self.kernel_size = check_int_pair(kernel_size, "kernel_size", minimum=1)
        self.stride = self.kernel_size if stride is None else check_int_pair(stride, "stride", minimum=1)
        self.padding = check_int_pair(padding, "padding", minimum=0)
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"padding must be at most half of kernel_size, got padding={self.padding} "
                             f"and kernel_size={self.kernel_size}")
        self._output_shape = None  # (N, C, OH, OW) of the last forward, which backward's grad must have

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding})"

    def _start_forward(self, x) -> np.ndarray:
        """Check x (ValueError: not 4-D or window larger than the padded input; TypeError: not real), cache it."""
        x = check_float_maps(x, type(self).__name__)
        try:
            oh, ow = calculate_conv_output(x.shape[2:], self.kernel_size, self.stride, self.padding)
        except ValueError as error:  # the window does not fit: say which input and layer
            raise ValueError(f"{self} cannot be applied to an input of shape {x.shape}: {error}") from None
        self.input_cache = x
        self._output_shape = (x.shape[0], x.shape[1], oh, ow)
        return x

    def _window_args(self):
        """(kernel_size, stride, padding, (OH, OW)): the arguments of the pooling kernels."""
        return self.kernel_size, self.stride, self.padding, self._output_shape[2:]

    def _input_grad(self, grad: np.ndarray, entry_grad) -> np.ndarray:
        """The (N, C, H, W) gradient w.r.t. x: `entry_grad(k, grad, out)` writes window entry k's into `out`."""
        return pool_input_grad(grad, self.input_cache, self.kernel_size, self.stride, self.padding, entry_grad)


class MaxPool2d(_WindowPool2d):
    """Maximum over every (KH, KW) window, PyTorch's `nn.MaxPool2d(kernel_size, stride, padding)`.

    `out[n, c, i, j] = max_{u, v} xp[n, c, i*SH + u, j*SW + v]`, xp = x padded with -inf. Backward
    sends each output's gradient to the window's FIRST maximum in row-major order (PyTorch's CPU
    rule for ties, e.g. all-zero windows after a ReLU); overlapping windows add up. As in PyTorch's
    CPU kernel, NaN counts as larger than everything (the output is NaN and the gradient goes to the
    window's LAST NaN), and a padded position never takes the gradient: a window whose real pixels
    are all -inf sends it to its first real pixel.

    Attributes:
        kernel_size, stride, padding: tuples (height, width) of Python ints.
        input_cache: the input x of the last forward (a reference, not a copy).
        argmax: (N, C, OH, OW) unsigned ints, the index u*KW + v of each window's maximum, cached
            by a training forward; an eval forward leaves it None and backward recomputes it from x.
    """

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0):
        """kernel_size, stride (default: kernel_size), padding (at most half the kernel): ints or pairs."""
        super().__init__(kernel_size, stride, padding)
        self.argmax = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """(N, C, H, W) input, any layout -> (N, C, OH, OW) maxima in x's float dtype and layout.

        Integer inputs are pooled in float64. Caches x and, in training mode, `argmax`.
        """
        x = self._start_forward(x)
        out, self.argmax = pool_maxima(x, *self._window_args(), with_argmax=self.training)
        return out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """(N, C, OH, OW) gradient w.r.t. the output -> (N, C, H, W) gradient w.r.t. x (the maxima only).

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad does not have the output's shape.
        """
        grad = check_backward_grad(self, grad, self._output_shape)
        if self.argmax is None:  # the forward ran in eval mode
            _, self.argmax = pool_maxima(self.input_cache, *self._window_args(), with_argmax=True)
        index = self.argmax
        # window entry k gets the gradient of the outputs whose maximum it is
        return self._input_grad(grad, lambda k, g, out: np.multiply(g, index == k, out=out))


class AvgPool2d(_WindowPool2d):
    """Mean over every (KH, KW) window, PyTorch's `nn.AvgPool2d(kernel_size, stride, padding)`.

    `out[n, c, i, j] = sum_{u, v} xp[n, c, i*SH + u, j*SW + v] / (KH*KW)`, xp = x zero-padded: padded
    zeros count in the divisor (PyTorch's default `count_include_pad=True`). Backward spreads each
    output gradient evenly, `grad / (KH*KW)`, over its window.

    Attributes:
        kernel_size, stride, padding: tuples (height, width) of Python ints.
        input_cache: the input x of the last forward (a reference; backward reads only its shape and layout).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """(N, C, H, W) input, any layout -> (N, C, OH, OW) means in x's float dtype and layout; caches x."""
        x = self._start_forward(x)
        entries = pool_views(x, *self._window_args(), fill=0.0)  # one (N, C, OH, OW) view per window entry (u, v)
        out = np.array(next(entries), order="K")  # (N, C, OH, OW), the running sum, in x's memory layout
        for entry in entries:
            out += entry
        out /= self.kernel_size[0] * self.kernel_size[1]
        return out

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """(N, C, OH, OW) gradient w.r.t. the output -> (N, C, H, W) gradient w.r.t. x.

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad does not have the output's shape.
        """
        grad = check_backward_grad(self, grad, self._output_shape)
        share = grad / (self.kernel_size[0] * self.kernel_size[1])
        return self._input_grad(share, lambda k, g, out: np.copyto(out, g))  # every entry gets the share


class GlobalAvgPool2d(Module):
    """Mean of every feature map over its height and width: (N, C, H, W) -> (N, C).

    Same as PyTorch's `nn.AdaptiveAvgPool2d(1)` followed by a flatten.

    Attributes:
        input_cache: the input shape `(N, C, H, W)` of the last `forward` (backward needs no values).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Average x over its last two axes and cache its shape.

        Args:
            x: (N, C, H, W) feature maps.

        Returns:
            (N, C) means, in x's float dtype (integers give float64).

        Raises:
            ValueError: if x is not 4-D or has an empty spatial axis.
            TypeError: if x is not real-valued.
        """
        x = check_feature_maps(x, "GlobalAvgPool2d")
        if x.shape[2] == 0 or x.shape[3] == 0:
            raise ValueError(f"GlobalAvgPool2d expects non-empty feature maps, got shape {x.shape}")
        self.input_cache = x.shape
        return x.mean(axis=(2, 3))  # (N, C)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Spread each output gradient evenly over the H*W positions it averaged.

        Args:
            grad: (N, C) gradient w.r.t. the output.

        Returns:
            (N, C, H, W) gradient w.r.t. x: `grad / (H * W)` at every position.

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad is not (N, C).
        """
        shape = self.input_cache
        grad = check_backward_grad(self, grad, None if shape is None else shape[:2])
        n, c, h, w = shape
        grad = grad.reshape(n, c, 1, 1)  # (N, C, 1, 1)
        # A broadcast view would be read-only and alias one value per map; the layer below may
        # write into its incoming gradient, so return a real array.
        return np.broadcast_to(grad / (h * w), (n, c, h, w)).copy()  # (N, C, H, W)

    def __repr__(self) -> str:
        return "GlobalAvgPool2d()"
