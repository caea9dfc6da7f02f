"""Pooling layers: global average pooling over the spatial axes.

Shape letters: N = batch size, C = channels, H, W = height and width of a feature map.

A network whose head averages each feature map over all positions (instead of flattening it into a
fully connected layer) gives the same output wherever a pattern sits in the map: the average does not
care about positions. That is what the shift study (`lib/shift_study.py`) measures.
"""
from __future__ import annotations

import numpy as np

from lib.checks import check_backward_grad
from lib.network_base import Module


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
            (N, C) means, in x's dtype.

        Raises:
            ValueError: if x is not 4-D or has an empty spatial axis.
        """
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"GlobalAvgPool2d expects a 4-D input of shape (N, C, H, W), got shape {x.shape}")
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
