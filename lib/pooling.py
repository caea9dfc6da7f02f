"""Pooling layers: max and average pooling over windows, global average pooling, and (re-exported) blur pooling.

Shape letters: N = batch size, C = channels, H, W = input height and width, HP, WP = padded height
and width, KH, KW = window (kernel) height and width, SH, SW = strides, OH, OW = output height and
width.

`MaxPool2d` and `AvgPool2d` follow PyTorch (floor mode, padding at most half the window, average
pooling counting padded zeros). They read one (N, C, OH, OW) strided view per kernel offset and
loop only over the KH*KW offsets. When the windows tile the input exactly (stride = kernel, no
padding, the kernel divides H and W: the usual 2x2 pooling) the views come from a reshape of x and
backward writes every input position once; otherwise the views come from `lib/kernels.py` (padded,
batch innermost) and backward adds overlapping windows with `col2im`. Both paths keep the memory
layout of x, so the (N, C, H, W) views that `Conv2d` returns are read without a transposing copy.

A network whose head averages each feature map over all positions gives the same output wherever a
pattern sits in the map; that is what the shift study (`lib/studies/shift_study.py`) measures. `BlurPool2d`
low-pass filters before subsampling, which keeps a strided layer closer to shift-invariant; it lives
in `lib/blur_pool.py` and is re-exported here, beside the other pooling layers.
"""
from __future__ import annotations

from typing import Iterator, Optional, Tuple

import numpy as np

from lib.blur_pool import BlurPool2d  # noqa: F401  (re-exported: the pooling layers are imported from here)
from lib.checks import IntPair, check_backward_grad, check_feature_maps, check_float_maps, check_int_pair
from lib.convolutions import calculate_conv_output
from lib.kernels import col2im, pad_batch_inner, unpad_to_batch_first, windows
from lib.network_base import Module


class _WindowPool2d(Module):
    """What MaxPool2d and AvgPool2d share: arguments, output size, and the per-offset views of the windows."""

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0):
        """Check and store the arguments, ints or pairs (height, width); stride None means kernel_size.

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

    def _tiles(self, shape: Tuple[int, ...]) -> bool:
        """Whether the windows tile the input exactly: stride = kernel, no padding, the kernel divides H and W."""
        (kh, kw), (h, w) = self.kernel_size, shape[2:]
        return self.stride == self.kernel_size and self.padding == (0, 0) and h % kh == 0 and w % kw == 0

    def _offset_views(self, x: np.ndarray, fill: float) -> Iterator[Tuple[int, np.ndarray]]:
        """Yield (k, view) for every kernel offset (u, v), k = u*KW + v in row-major order.

        view[n, c, i, j] is the window entry (u, v) of output position (i, j): the input padded with
        `fill` at (i*SH + u, j*SW + v). Each view is a read-only (N, C, OH, OW) strided view, no copy.
        """
        n, c, oh, ow = self._output_shape
        kh, kw = self.kernel_size
        if self._tiles(x.shape):
            blocks = x.reshape(n, c, oh, kh, ow, kw)  # (N, C, OH, KH, OW, KW) view: splitting axes never copies
            return ((u * kw + v, blocks[:, :, :, u, :, v]) for u in range(kh) for v in range(kw))
        xp = pad_batch_inner(x, self.padding, fill)  # (C, HP, WP, N)
        view = windows(xp, self.kernel_size, self.stride, (oh, ow))  # (C, KH, KW, OH, OW, N)
        return ((u * kw + v, view[:, u, v].transpose(3, 0, 1, 2)) for u in range(kh) for v in range(kw))

    def _input_grad(self, grad: np.ndarray, fill_entry_grad) -> np.ndarray:
        """The (N, C, H, W) gradient w.r.t. x, in the result dtype of grad and x.

        `fill_entry_grad(k, grad, out)` writes the gradient w.r.t. window entry k into the (N, C, OH, OW)
        view `out`. Windows that tile x write every input position once, into an array laid out like x
        (the layout the layer below reads fastest); otherwise `col2im` adds the entries' gradients onto
        the padded input (overlapping windows add up) and the padding is dropped.
        """
        x = self.input_cache
        grad = grad.astype(np.result_type(grad.dtype, x.dtype), copy=False)
        n, c, oh, ow = self._output_shape
        kh, kw = self.kernel_size
        if self._tiles(x.shape):
            grad_x = np.empty_like(x, dtype=grad.dtype)  # (N, C, H, W) in x's memory layout
            targets = grad_x.reshape(n, c, oh, kh, ow, kw).transpose(3, 5, 0, 1, 2, 4)  # (KH, KW, N, C, OH, OW)
        else:
            window_grads = np.empty((kh, kw, c, oh, ow, n), dtype=grad.dtype)  # (KH, KW, C, OH, OW, N)
            targets = window_grads.transpose(0, 1, 5, 2, 3, 4)  # (KH, KW, N, C, OH, OW) view
        for u in range(kh):
            for v in range(kw):
                fill_entry_grad(u * kw + v, grad, targets[u, v])
        if self._tiles(x.shape):
            return grad_x
        padded_shape = (c, x.shape[2] + 2 * self.padding[0], x.shape[3] + 2 * self.padding[1], n)
        return unpad_to_batch_first(col2im(window_grads, padded_shape, self.stride), self.padding)  # (N, C, H, W)


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
        out, self.argmax = self._maxima(x, want_index=self.training)
        return out

    def _maxima(self, x: np.ndarray, want_index: bool):
        """(maxima, index of each window's maximum or None), one pass per kernel offset."""
        views = self._offset_views(x, fill=-np.inf)
        _, first = next(views)
        out = np.array(first, order="K")  # (N, C, OH, OW), the running maximum
        index = greater = entry = nan = None
        if want_index:
            index = np.zeros_like(out, dtype=np.min_scalar_type(self.kernel_size[0] * self.kernel_size[1] - 1))
            greater, entry = np.empty_like(out, dtype=bool), np.empty_like(out)
            nan = np.empty_like(out, dtype=bool) if np.isnan(x).any() else None  # the NaN pass only when needed
        for k, view in views:
            if want_index:
                # one copy of the strided view, then two passes over contiguous memory: measured 1.7-2.5x faster
                # than comparing and maximising the strided view directly
                np.copyto(entry, view)
                view = entry
                np.greater(view, out, out=greater)  # strictly greater: a tie keeps the earlier entry
                if nan is not None:  # PyTorch's `val > maxval || isnan(val)`: every NaN takes over
                    np.logical_or(greater, np.isnan(view, out=nan), out=greater)
                # k exceeds every index set so far, so "index = k where greater" is a maximum (no slow masked copy)
                np.maximum(index, np.multiply(greater, index.dtype.type(k), dtype=index.dtype), out=index)
            np.maximum(out, view, out=out)  # np.maximum, unlike a comparison, propagates NaN
        if want_index and self.padding != (0, 0):
            self._skip_padding(out, index)
        return out, index

    def _skip_padding(self, out: np.ndarray, index: np.ndarray) -> None:
        """Move the index of every all -inf window from a padded position to its first real pixel, in place.

        Only such a window can pick a padded entry (any other real value beats the -inf fill), and its
        real -inf pixels tie with the fill; PyTorch never pads, so it takes the first real pixel.
        """
        kw, (sh, sw), (ph, pw) = self.kernel_size[1], self.stride, self.padding
        _, _, oh, ow = out.shape
        first_u = np.maximum(ph - sh * np.arange(oh), 0)  # (OH,): first real row of each window
        first_v = np.maximum(pw - sw * np.arange(ow), 0)  # (OW,)
        first = (first_u[:, None] * kw + first_v[None, :]).astype(index.dtype)  # (OH, OW)
        all_inf = out == -np.inf  # (N, C, OH, OW)
        np.copyto(index, np.broadcast_to(first, index.shape), where=all_inf)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """(N, C, OH, OW) gradient w.r.t. the output -> (N, C, H, W) gradient w.r.t. x (the maxima only).

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad does not have the output's shape.
        """
        grad = check_backward_grad(self, grad, self._output_shape)
        if self.argmax is None:  # the forward ran in eval mode
            _, self.argmax = self._maxima(self.input_cache, want_index=True)
        index = self.argmax
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
        views = self._offset_views(x, fill=0.0)
        _, first = next(views)
        out = np.array(first, order="K")  # (N, C, OH, OW), the running sum
        for _, view in views:
            out += view
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
        return self._input_grad(share, lambda k, g, out: np.copyto(out, g))


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
