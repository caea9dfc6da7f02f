"""Activation functions: ReLU (any shape) and Softmax (over all axes but the batch axis)."""
import numpy as np

from lib.network_base import Module


class ReLU(Module):
    """Rectified linear unit, `max(0, z)` elementwise, for inputs of any shape.

    Attributes:
        input_cache: the input z of the last `forward`.
    """

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return `max(0, z)` (same shape and dtype as z) and cache z."""
        self.input_cache = z
        return np.maximum(z, 0)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Return `grad * (z > 0)`; grad may come flattened and is reshaped to z's shape."""
        z = self.input_cache
        return grad.reshape(z.shape) * (z > 0)

    def __repr__(self) -> str:
        return "ReLU()"


class Softmax(Module):
    """Softmax over all axes except the batch axis 0, shifted by the maximum for stability.

    Attributes:
        input_cache: the input of the last `forward`.
    """

    def forward(self, z: np.ndarray) -> np.ndarray:
        """Return `exp(z - max) / sum(exp(z - max))`, normalised per sample.

        Args:
            z: (N, ...) scores.

        Returns:
            Probabilities of the same shape, each sample summing to 1.
        """
        self.input_cache = z
        flat = z.reshape(z.shape[0], -1)  # (N, K)
        exp = np.exp(flat - flat.max(axis=1, keepdims=True))
        return (exp / exp.sum(axis=1, keepdims=True)).reshape(z.shape)

    def backward(self, grad: np.ndarray):
        """Not implemented: the softmax is only used inside `CrossEntropyLoss`, whose backward is simpler."""
        raise NotImplementedError("Softmax.backward is not implemented; use CrossEntropyLoss on logits")

    def __repr__(self) -> str:
        return "Softmax()"
