"""Anti-aliased (blur) pooling: `BlurPool2d`, a fixed low-pass filter before subsampling.

Shape letters: N = batch size, C = channels, H, W = input height and width, OH, OW = output height
and width, F = the filter size.

A strided layer keeps one position in `stride`, so a shift of the input by less than the stride
changes which positions it keeps (aliasing). `BlurPool2d` low-pass filters before subsampling, which
keeps a strided layer closer to shift-invariant; the shift study (`lib/studies/shift_study.py`) measures
it. `lib/pooling.py` re-exports it beside the other pooling layers.
"""
from __future__ import annotations

import math

import numpy as np

from lib.checks import check_backward_grad, check_float_maps, check_positive_int
from lib.convolutions import calculate_conv_output
from lib.network_base import Module

# The binomial filter stands for a small Gaussian blur (the paper uses 1 to 7 taps); its taps C(F-1, i) grow
# like 2^F, beyond float64's range from about F = 1030, and a filter wider than a feature map blurs it away.
MAX_FILT_SIZE = 32


class BlurPool2d(Module):
    """Anti-aliased downsampling (Zhang 2019, "Making Convolutional Networks Shift-Invariant Again").

    Each channel is padded, filtered with the fixed normalised binomial filter `filt` (filt_size 4:
    outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64), then subsampled by `stride`; no trainable parameters.
    As in the paper's reference code (antialiased_cnns/blurpool.py) the padding adds (F-1)//2 rows
    and columns before and F//2 after, so OH = ceil(H / stride), and is a reflection by default:
    every output is then a weighted mean of real pixels (a constant map stays constant, borders do
    not darken). Reflection needs H, W > F//2, else ValueError; `pad_type="zero"` works for any size.
    The filter is separable, so forward filters along H then W; backward is the exact transpose,
    folding the gradients of reflected pixels back onto the pixels they copy.

    Attributes:
        channels, filt_size, stride: ints; pad_type: "reflect" or "zero".
        taps: (F,) normalised 1-D binomial filter; filt: (F, F) its outer product, the 2-D filter.
        kernel_size: (F, F), the window every output reads, as for the other window layers.
        pad_sizes: (before, after), the rows (and columns) added above (left of) and below (right of) x.
        padding: (before, before), the padding above and left, which fixes where the windows start;
            for an even F the bottom and right get one more (see pad_sizes).
        input_cache: the input shape (N, C, H, W) of the last forward (backward needs no values).
    """

    def __init__(self, channels: int, filt_size: int = 4, stride: int = 2, pad_type: str = "reflect"):
        """Build the filter.

        Raises:
            TypeError: if channels, filt_size or stride is not an int.
            ValueError: if one of them is <= 0, filt_size > MAX_FILT_SIZE (32), or pad_type is neither
                "reflect" nor "zero".
        """
        super().__init__()
        self.channels = check_positive_int(channels, "channels")
        self.filt_size = check_positive_int(filt_size, "filt_size")
        if self.filt_size > MAX_FILT_SIZE:
            raise ValueError(f"filt_size must be at most {MAX_FILT_SIZE}, got {self.filt_size}: the binomial filter "
                             f"is a small low-pass filter (the paper uses 1 to 7 taps)")
        self.stride = check_positive_int(stride, "stride")
        if pad_type not in ("reflect", "zero"):
            raise ValueError(f"pad_type must be 'reflect' or 'zero', got {pad_type!r}")
        self.pad_type = pad_type
        taps = np.array([math.comb(self.filt_size - 1, i) for i in range(self.filt_size)], dtype=np.float64)
        self.taps = taps / taps.sum()  # (F,)
        self.filt = np.outer(self.taps, self.taps)  # (F, F), sums to 1
        self.pad_sizes = ((self.filt_size - 1) // 2, self.filt_size // 2)
        self.kernel_size, self.padding = (self.filt_size, self.filt_size), (self.pad_sizes[0], self.pad_sizes[0])
        self._output_shape = self._dtype = None  # output shape and float dtype of the last forward

    def __repr__(self) -> str:
        return (f"BlurPool2d(channels={self.channels}, filt_size={self.filt_size}, stride={self.stride}, "
                f"pad_type={self.pad_type!r})")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """(N, C, H, W) input -> (N, C, ceil(H / stride), ceil(W / stride)) in x's float dtype; caches x's shape.

        Raises:
            ValueError: if x is not 4-D, has not `channels` channels, or is too small to reflect.
            TypeError: if x is not real-valued.
        """
        x = check_float_maps(x, "BlurPool2d", self.channels)
        n, c, h, w = x.shape
        before, after = self.pad_sizes
        if self.pad_type == "reflect" and min(h, w) <= after:
            raise ValueError(f"{self} needs an input larger than {after}x{after} to reflect {after} pixels "
                             f"(use pad_type='zero' for smaller maps), got shape {x.shape}")
        oh, ow = calculate_conv_output([h + before + after, w + before + after], [self.filt_size] * 2,
                                       [self.stride] * 2, [0, 0])
        self.input_cache = x.shape
        self._output_shape, self._dtype = (n, c, oh, ow), x.dtype
        rows = self._blur_along(x, 2, oh)  # (N, C, OH, W)
        return self._blur_along(rows, 3, ow)  # (N, C, OH, OW)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """(N, C, OH, OW) gradient w.r.t. the output -> (N, C, H, W) gradient w.r.t. x, spread along W then H.

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad does not have the output's shape.
        """
        grad = check_backward_grad(self, grad, self._output_shape)
        grad = grad.astype(np.result_type(grad.dtype, self._dtype), copy=False)
        _, _, h, w = self.input_cache
        rows = self._spread_along(grad, 3, w)  # (N, C, OH, W)
        return self._spread_along(rows, 2, h)  # (N, C, H, W)

    def _blur_along(self, x: np.ndarray, axis: int, out_size: int) -> np.ndarray:
        """Pad x along `axis`, filter with `taps` and keep every stride-th position: out_size positions."""
        widths = [(0, 0)] * 4
        widths[axis] = self.pad_sizes
        xp = np.moveaxis(np.pad(x, widths, mode="reflect" if self.pad_type == "reflect" else "constant"), axis, -1)
        out = np.zeros(xp.shape[:-1] + (out_size,), dtype=x.dtype)  # the filtered axis last
        span = self.stride * (out_size - 1) + 1
        for u, tap in enumerate(self.taps.astype(x.dtype)):  # a loop over the F filter taps only
            out += tap * xp[..., u:u + span:self.stride]
        return np.moveaxis(out, -1, axis)

    def _spread_along(self, grad: np.ndarray, axis: int, in_size: int) -> np.ndarray:
        """Transpose of `_blur_along`: the gradient w.r.t. its input, of size in_size along `axis`."""
        (before, after), grad = self.pad_sizes, np.moveaxis(grad, axis, -1)  # the filtered axis last
        grad_xp = np.zeros(grad.shape[:-1] + (before + in_size + after,), dtype=grad.dtype)  # w.r.t. the padded input
        span = self.stride * (grad.shape[-1] - 1) + 1
        for u, tap in enumerate(self.taps.astype(grad.dtype)):
            grad_xp[..., u:u + span:self.stride] += tap * grad
        grad_x = grad_xp[..., before:before + in_size].copy()
        if self.pad_type == "reflect":  # padded position before-1-t copied x[1+t]; before+in_size+t copied x[-2-t]
            grad_x[..., 1:before + 1] += grad_xp[..., :before][..., ::-1]
            grad_x[..., in_size - 1 - after:in_size - 1] += grad_xp[..., before + in_size:][..., ::-1]
        return np.moveaxis(grad_x, -1, axis)
