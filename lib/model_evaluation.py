"""Evaluation: accuracy of predictions and the loss of a model over a data set."""
from typing import Tuple

import numpy as np

from lib.checks import check_batches, check_positive_int
from lib.losses import CrossEntropyLoss
from lib.network_base import Module
from lib.utilities import cast_if_wider

# The model sees this many samples per forward pass during evaluation (rounded down to a multiple
# of the batch size, at least one batch): fewer, larger products than batch by batch, while the
# layer outputs stay small enough to be reused memory rather than fresh pages. With the process's
# default allocation (the course's scripts) 250 was faster than 1000 for the course CNN, the
# max-pooling CNN and the strong CNN; with freed memory kept (lib/cli/allocator.py, the strong CNN's
# script) neither was clearly faster (`python -m benchmarks.bench_eval_chunks [--keep-freed-memory]`,
# numbers in notes/strong_cnn.md).
EVAL_CHUNK_SIZE = 250


def accuracy(y_onehot: np.ndarray, predictions: np.ndarray) -> float:
    """Fraction of samples whose predicted class (argmax) equals the true class.

    Args:
        y_onehot: (N, C) one-hot labels, or (N,) integer class indices.
        predictions: (N, C) scores, logits or probabilities.

    Returns:
        The accuracy in [0, 1] as a float.

    Raises:
        ValueError: if the numbers of samples differ or there are none.
    """
    y_onehot = np.asarray(y_onehot)
    predictions = np.asarray(predictions)
    true_class = y_onehot if y_onehot.ndim == 1 else np.argmax(y_onehot, axis=-1)
    if true_class.shape != predictions.shape[:-1]:
        raise ValueError("labels and predictions must describe the same samples, "
                         f"got shapes {y_onehot.shape} and {predictions.shape}")
    if true_class.size == 0:
        raise ValueError("accuracy of an empty set of predictions is undefined")
    return float(np.mean(true_class == np.argmax(predictions, axis=-1)))


def predict(model: Module, x: np.ndarray, chunk_size: int = EVAL_CHUNK_SIZE) -> np.ndarray:
    """The model's output for every sample of x, computed `chunk_size` samples at a time.

    Args:
        model: the module to run (its mode is left unchanged: call `model.eval()` first for inference).
        x: (N, ...) inputs as the model takes them.
        chunk_size: samples per forward pass, a positive int (EVAL_CHUNK_SIZE by default).

    Returns:
        (N, ...) the model's outputs, e.g. (N, 10) class scores, concatenated over the chunks.

    Raises:
        ValueError: if x holds no samples; TypeError / ValueError if chunk_size is not a positive int.
    """
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    x = np.asarray(x)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"predict expects at least one sample in x, got shape {x.shape}")
    return np.concatenate([model(x[start:start + chunk_size]) for start in range(0, len(x), chunk_size)])


def evaluate(x_val: np.ndarray, y_val: np.ndarray, model: Module, loss_fn: Module,
             batch_size: int) -> Tuple[float, float]:
    """Accuracy and summed loss of `model` on a data set.

    The model runs on chunks of up to `EVAL_CHUNK_SIZE` samples for speed, but the loss is computed
    per batch of `batch_size` samples and summed, as the course defines the cost. (A larger matrix
    product may round differently in the last bit: the results agree with batch-by-batch evaluation
    to about 1e-16 relative, not bit for bit.)

    Args:
        x_val: (N, ...) inputs.
        y_val: (N, C) one-hot labels.
        model: the module to evaluate (its mode is left unchanged).
        loss_fn: loss module called as `loss_fn(preds, labels)`.
        batch_size: size of the batches the cost is summed over; N must be a multiple of it.

    Returns:
        `(accuracy, cost)`: accuracy in [0, 1] and the sum of the per-batch losses.

    Raises:
        ValueError: if the lengths differ or N is not a multiple of batch_size.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    x_val, y_val = np.asarray(x_val), np.asarray(y_val)
    check_batches(x_val, y_val, batch_size, "x_val", "y_val")
    chunk = max(batch_size, EVAL_CHUNK_SIZE // batch_size * batch_size)
    predictions = predict(model, x_val, chunk)
    cost = sum(float(loss_fn(predictions[start:start + batch_size], y_val[start:start + batch_size]))
               for start in range(0, len(x_val), batch_size))
    return accuracy(y_val, predictions), cost


def accuracy_on(model: Module, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
    """Accuracy of `model` on `(x, y)`, computed in the dtype of the model's parameters (see `evaluate`).

    x: (N, ...) inputs as the model takes them; y: (N, C) one-hot labels; N a multiple of batch_size.
    """
    params = model.parameters()
    dtype = params[0].data.dtype if len(params) else np.float64
    return evaluate(cast_if_wider(x, dtype), y, model, CrossEntropyLoss(), batch_size)[0]
