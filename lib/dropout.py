"""Dropout: randomly zero activations in training, identity in evaluation (PyTorch's `nn.Dropout`).

Shape letters: N = batch size; dropout works elementwise on an input of any shape (N, ...).

Randomness comes only from the layer's own `numpy.random.Generator`, never from the global
`np.random` stream: the course's expected numbers depend on the order of the global draws
(initialisation and the per-epoch shuffle), which a dropout layer must not disturb.
"""
from __future__ import annotations

from typing import Optional, Union

import numpy as np

from lib.checks import check_backward_grad, check_real, check_real_array, is_int
from lib.network_base import Module

RngLike = Optional[Union[int, np.random.Generator]]


def _generator(rng: RngLike) -> np.random.Generator:
    """A Generator from None (fresh OS entropy), an int seed, or a Generator (used as it is, not copied)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or is_int(rng):
        if rng is not None and rng < 0:
            raise ValueError(f"rng seed must be >= 0, got {rng}")
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be None, an int seed or a numpy.random.Generator, got {type(rng).__name__}")


class Dropout(Module):
    """Inverted dropout: in training each element is zeroed with probability p and the kept ones are
    scaled by 1 / (1 - p), so the expected output equals the input; in evaluation mode it is the identity.

    Backward multiplies by the very mask forward drew. One uniform float64 number is drawn per element
    whatever x's dtype, so a seed gives the same mask in float32 and float64; p = 0 and eval mode draw nothing.

    Attributes:
        p: the probability of zeroing an element, in [0, 1).
        rng: the layer's own numpy.random.Generator.
        input_cache: the scaled mask of the last training forward, shaped and typed like the output
            (0 where dropped, 1 / (1 - p) where kept); None after an eval forward or with p = 0.
    """

    def __init__(self, p: float = 0.5, rng: RngLike = None):
        """Create the layer.

        Args:
            p: probability of zeroing an element, 0 <= p < 1.
            rng: None (seeded from the operating system), an int seed, or a Generator to draw from.

        Raises:
            TypeError: if p is not a real number or rng is of another type.
            ValueError: if p is outside [0, 1) or the seed is negative.
        """
        super().__init__()
        if check_real(p, "p") == 1.0:  # PyTorch allows it (all zeros); the course's dropout takes p in [0, 1)
            raise ValueError("p must be in [0, 1), got 1.0: p = 1 would zero every element, and the scale "
                             "1 / (1 - p) of the kept ones is undefined")
        self.p = check_real(p, "p", minimum=0.0, maximum=1.0, below_maximum=True)
        self.rng = _generator(rng)
        self._output_shape = None  # shape of the last input and output, which backward's grad must have

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Drop and rescale in training mode (caching the mask); the identity in eval mode (and for p = 0).

        Args:
            x: (N, ...) real input of any shape.

        Returns:
            Array of x's shape in x's float dtype (integers give float64) in both modes: in training mode
            `x * mask`, else x itself (a float64 copy of an integer x).

        Raises:
            TypeError: if x is not real-valued.
        """
        x = check_real_array(x, "x", "Dropout")
        self._output_shape = x.shape
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
        if not self.training or self.p == 0.0:
            self.input_cache = None
            return x.astype(dtype, copy=False)  # the same dtype as in training: modes must not change it
        keep = self.rng.random(x.shape) >= self.p  # kept with probability 1 - p
        self.input_cache = np.multiply(keep, 1.0 / (1.0 - self.p), dtype=dtype)  # the scaled mask
        return x * self.input_cache

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Multiply the gradient by the mask of the last forward (pass it through after eval mode).

        Args:
            grad: gradient w.r.t. the output, of the last input's shape.

        Returns:
            The gradient w.r.t. x, of the same shape.

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad does not have the output's shape.
        """
        grad = check_backward_grad(self, grad, self._output_shape)
        mask = self.input_cache
        return grad if mask is None else grad * mask
