"""Cross-entropy loss on logits, computed with log-sum-exp so that it stays finite for any logits.

Shape letters: N = batch size, C = number of classes.
"""
import numpy as np

from lib.activations import Softmax
from lib.network_base import Module


class CrossEntropyLoss(Module):
    """Mean cross-entropy between softmax(preds) and one-hot labels.

    `loss = -sum(labels * log_softmax(preds)) / N`, which equals the course's
    `-sum(log(p[labels == 1])) / N` for one-hot labels but never takes log(0): the log-softmax is
    `z - max(z) - log(sum(exp(z - max(z))))`.

    Attributes:
        softmax: the `Softmax` module used for the probabilities.
        input_cache: `(p, labels)`, the probabilities (N, C) and the one-hot labels (N, C).
    """

    def __init__(self):
        super().__init__()
        self.softmax = Softmax()

    def forward(self, preds: np.ndarray, labels: np.ndarray) -> float:
        """Return the mean cross-entropy and cache `(p, labels)`.

        Args:
            preds: (N, C) logits.
            labels: (N, C) one-hot labels (the course's form), or (N,) integer class indices.

        Returns:
            The loss, a float (np.float64 for float64 inputs).

        Raises:
            ValueError: if preds is not 2-D or labels do not match its shape.
        """
        preds = np.asarray(preds)
        if preds.ndim != 2 or preds.shape[0] == 0:
            raise ValueError(f"preds must be 2-D logits of shape (N, C) with N >= 1, got shape {preds.shape}")
        labels = self._as_one_hot(np.asarray(labels), preds.shape)
        shifted = preds - preds.max(axis=1, keepdims=True)  # (N, C), max 0 per row
        exp = np.exp(shifted)
        sum_exp = exp.sum(axis=1, keepdims=True)  # (N, 1), >= 1
        p = exp / sum_exp
        self.input_cache = (p, labels)
        log_p = shifted - np.log(sum_exp)  # (N, C) log-softmax; -inf only where a logit is -inf
        # Classes with label 0 contribute nothing, even where log_p is -inf (0 * -inf would be nan).
        weighted = np.multiply(labels, log_p, out=np.zeros_like(log_p), where=labels != 0)  # (N, C)
        return -np.sum(weighted) / preds.shape[0]

    def backward(self, _=None) -> np.ndarray:
        """Return the gradient w.r.t. the logits, `(p - labels) / N`, shape (N, C).

        Raises:
            RuntimeError: if called before forward.
        """
        if self.input_cache is None:
            raise RuntimeError("CrossEntropyLoss.backward called before forward")
        p, labels = self.input_cache
        return (p - labels) / p.shape[0]

    @staticmethod
    def _as_one_hot(labels: np.ndarray, preds_shape) -> np.ndarray:
        if labels.ndim == 1 and np.issubdtype(labels.dtype, np.integer) and labels.shape[0] == preds_shape[0]:
            if labels.size and (labels.min() < 0 or labels.max() >= preds_shape[1]):
                raise ValueError(f"integer labels must lie in [0, {preds_shape[1]}), "
                                 f"got values in [{labels.min()}, {labels.max()}]")
            one_hot = np.zeros(preds_shape)
            one_hot[np.arange(preds_shape[0]), labels] = 1.0
            return one_hot
        if labels.shape != tuple(preds_shape):
            raise ValueError(f"labels must be one-hot of the same shape as preds {tuple(preds_shape)} "
                             f"(or integer class indices of shape ({preds_shape[0]},)), got shape {labels.shape}")
        return labels

    def __repr__(self) -> str:
        return "CrossEntropyLoss()"
