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
        z = np.asarray(z)
        self.input_cache = z
        return np.maximum(z, 0)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """Return `grad * (z > 0)`; grad may come flattened and is reshaped to z's shape.

        Raises:
            RuntimeError: if called before forward.
            ValueError: if grad does not have as many entries as z.
        """
        z = self.input_cache
        if z is None:
            raise RuntimeError("ReLU.backward called before forward")
        if np.size(grad) != z.size:
            raise ValueError(f"ReLU.backward expected grad with {z.size} entries (shape {z.shape}), "
                             f"got shape {np.shape(grad)}")
        return np.reshape(grad, z.shape) * (z > 0)

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

        Raises:
            ValueError: if z has no axis besides the batch axis (a 1-D vector would be N samples of one score).
        """
        z = np.asarray(z)
        if z.ndim < 2:
            raise ValueError(f"Softmax expects scores of shape (N, K, ...) with a batch axis, got shape {z.shape}; "
                             "use z[None] for a single sample")
        self.input_cache = z
        flat = z.reshape(z.shape[0], -1)  # (N, K)
        exp = np.exp(flat - flat.max(axis=1, keepdims=True))
        return (exp / exp.sum(axis=1, keepdims=True)).reshape(z.shape)

    def backward(self, grad: np.ndarray):
        """Not implemented: the softmax is only used inside `CrossEntropyLoss`, whose backward is simpler."""
        raise NotImplementedError("Softmax.backward is not implemented; use CrossEntropyLoss on logits")

    def __repr__(self) -> str:
        return "Softmax()"
