"""Batch normalisation of feature maps: `BatchNorm2d`, PyTorch's layer with its defaults.

Shape letters: N = batch size, C = channels (features), H, W = height and width of a feature map,
M = N * H * W, the number of values per channel that one batch normalises together.

In training mode every channel is normalised with the mean and the biased variance of its M values
in the batch, then scaled by `weight` and shifted by `bias`; the running statistics follow the batch
statistics as exponential moving averages. In evaluation mode the running statistics replace the
batch statistics, so an image's output no longer depends on the rest of its batch.

dtypes: the output and the input gradient have x's float dtype (float32 stays float32; integer
inputs are normalised in float64). The per-channel sums end in float64 (`channel_sum` and
`channel_dot` in `lib/kernels/batchnorm.py`) and the statistics are cast to x's dtype where they touch x. The
running statistics stay float64 whatever the input dtype: one model, saved once, serves float32 and
float64 runs, and thousands of momentum updates add no float32 rounding. `weight` and `bias` are
used in x's dtype and keep their own; the sums behind their gradients end in float64 too.
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np

from lib.checks import (check_backward_grad, check_float_maps, check_positive_int, check_real,
                        check_values_per_channel)
from lib.kernels.batchnorm import channel_dot, channel_sum, per_channel, scale_shift
from lib.network_base import Module, Parameter


class BatchNorm2d(Module):
    """Batch normalisation over (N, H, W) per channel, PyTorch's `nn.BatchNorm2d(num_features, eps, momentum)`.

    `out = (x - mean) / sqrt(var + eps) * weight + bias`, per channel. Training mode uses the batch's
    mean and biased variance over the M = N*H*W values of a channel and updates, in place,
    `running = (1 - momentum) * running + momentum * batch_statistic`, with the UNBIASED variance
    (times M / (M - 1)) going into `running_var`, as PyTorch does. Evaluation mode uses the running
    statistics. Backward is exact for the mode of the last forward: in training mode it includes the
    gradient through the batch mean and variance. dtypes: see the module's docstring.

    Attributes:
        num_features: C.
        eps: added to the variance before the square root; momentum: weight of the newest batch.
        weight: Parameter "weight", (C,), ones; bias: Parameter "bias", (C,), zeros.
        running_mean: (C,) float64, zeros; running_var: (C,) float64, ones. Both are updated in
            place (never replaced), so arrays returned by `buffers()` stay the layer's.
        input_cache: a training forward caches (x_hat, inv_std, None): the normalised input
            (N, C, H, W) and the (C,) float64 1 / sqrt(var + eps); an eval forward caches
            (x, inv_std, mean) with the running statistics it used (x a reference, not a copy).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        """num_features an int > 0, eps > 0, momentum in [0, 1]; else TypeError or ValueError naming the argument."""
        super().__init__()
        self.num_features = check_positive_int(num_features, "num_features")
        self.eps = check_real(eps, "eps")
        if self.eps <= 0:  # eps keeps a constant channel from dividing by zero
            raise ValueError(f"eps must be > 0, got {self.eps}")
        self.momentum = check_real(momentum, "momentum", minimum=0.0, maximum=1.0)
        self.weight = Parameter(np.ones(self.num_features), name="weight")  # (C,)
        self.bias = Parameter(np.zeros(self.num_features), name="bias")  # (C,)
        self.running_mean, self.running_var = np.zeros(self.num_features), np.ones(self.num_features)  # (C,) each
        self._output_shape = None  # (N, C, H, W) of the last forward, which backward's grad must have

    def forward(self, x: np.ndarray) -> np.ndarray:
        """(N, C, H, W) input, any layout -> (N, C, H, W) output in x's float dtype and layout.

        Training mode also updates the running statistics. Raises ValueError if x is not 4-D, has not C
        channels, or (training mode) has a single value per channel; TypeError if x is not real-valued.
        """
        x = check_float_maps(x, "BatchNorm2d", self.num_features)
        dtype = x.dtype
        if self.training:
            count = check_values_per_channel(x, "BatchNorm2d")  # M = N*H*W, at least 2
            mean = channel_sum(x) / count  # (C,) float64
            x_hat = x - per_channel(mean, dtype)  # (N, C, H, W), centred for now
            var = channel_dot(x_hat, x_hat) / count  # (C,) float64, biased
            inv_std = 1.0 / np.sqrt(var + self.eps)  # (C,) float64
            x_hat *= per_channel(inv_std, dtype)  # (N, C, H, W), normalised
            self._update_running_statistics(mean, var, count)
            self.input_cache = (x_hat, inv_std, None)
            out = scale_shift(x_hat, self.weight.data, self.bias.data)  # x_hat * weight + bias
        else:  # (x - running_mean) * inv_std * weight + bias as x * scale + shift: two passes over x
            inv_std = 1.0 / np.sqrt(self.running_var + self.eps)  # (C,) float64
            scale = self.weight.data * inv_std  # (C,)
            self.input_cache = (x, inv_std, self.running_mean.copy())
            out = scale_shift(x, scale, self.bias.data - self.running_mean * scale)
        self._output_shape = x.shape
        return out

    def _update_running_statistics(self, mean: np.ndarray, var: np.ndarray, count: int) -> None:
        """`running = (1 - momentum) * running + momentum * batch`, in place (`buffers()` stays valid), with
        the batch's UNBIASED variance, `var * M / (M - 1)`, going into `running_var` as in PyTorch."""
        m = self.momentum
        self.running_mean[...] = (1.0 - m) * self.running_mean + m * mean
        self.running_var[...] = (1.0 - m) * self.running_var + m * var * (count / (count - 1))

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """(N, C, H, W) gradient w.r.t. the output -> (N, C, H, W) gradient w.r.t. x (result dtype of grad and x).

        With g = grad, x_hat the normalised input and sums over N, H, W per channel:
        `bias.grad += sum(g)`, `weight.grad += sum(g * x_hat)`. Input gradient in training mode (the
        batch statistics depend on x): `weight * inv_std / M * (M * g - sum(g) - x_hat * sum(g * x_hat))`;
        in evaluation mode (fixed statistics): `weight * inv_std * g`. Raises RuntimeError if called
        before forward, ValueError if grad does not have the output's shape.
        """
        grad = check_backward_grad(self, grad, self._output_shape)
        first, inv_std, mean = self.input_cache
        dtype = np.result_type(grad.dtype, first.dtype)
        grad = grad.astype(dtype, copy=False)
        x_hat = first if mean is None else (first - per_channel(mean, dtype)) * per_channel(inv_std, dtype)
        grad_bias, grad_weight = channel_sum(grad), channel_dot(grad, x_hat)  # (C,) float64 each
        self.weight.grad += grad_weight
        self.bias.grad += grad_bias
        coefficient = per_channel(self.weight.data * inv_std, dtype)  # (C, 1, 1)
        if mean is not None:  # eval-mode forward: the statistics were constants
            return grad * coefficient
        count = grad.shape[0] * grad.shape[2] * grad.shape[3]  # M
        grad_x = x_hat * per_channel(-grad_weight / count, dtype)  # then in place, in x_hat's memory layout
        grad_x += grad
        grad_x -= per_channel(grad_bias / count, dtype)
        grad_x *= coefficient
        return grad_x

    def parameters(self) -> List[Parameter]:
        """Return `[weight, bias]`."""
        return [self.weight, self.bias]

    def buffers(self) -> List[Tuple[str, np.ndarray]]:
        """Return `[("running_mean", running_mean), ("running_var", running_var)]`, the arrays themselves."""
        return [("running_mean", self.running_mean), ("running_var", self.running_var)]

    def __repr__(self) -> str:
        return f"BatchNorm2d({self.num_features}, eps={self.eps}, momentum={self.momentum})"
