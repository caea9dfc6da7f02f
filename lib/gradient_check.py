"""Numerical gradients by centred differences, and the two measures of how far an analytic gradient is off.

`numerical_gradient` is the one numerical gradient of the project (CS231n style: float64, h = 1e-5,
each entry restored). Two measures compare it with a backward pass:
* `course_gradient_error`, the course's criterion: the 2-norm of the difference divided by the
  number of outputs (what `scipy.optimize.check_grad` on `sum(forward(...))` gave the course), which
  `Module.check_gradients` requires to be <= 1e-6;
* `rel_error`, the largest entry-wise relative error, which the tests use for stricter checks.
"""
from typing import Callable

import numpy as np

DEFAULT_STEP = 1e-5


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = DEFAULT_STEP) -> np.ndarray:
    """Gradient of the scalar function `f` w.r.t. the array `x`, by centred differences.

    `f` takes no arguments and reads `x` itself, so `x` may be an input or a parameter's `.data`
    that the caller's closure uses. Each entry of `x` is perturbed in place and restored exactly
    afterwards, so `x` is unchanged when this returns.

    Args:
        f: function of no arguments returning a scalar; it must depend on the current values of `x`.
        x: float array, perturbed in place; use float64 so that `h` is resolved.
        h: step of the centred difference.

    Returns:
        float64 array shaped like `x`: (f(x + h e_i) - f(x - h e_i)) / (2h) for every entry i.

    Raises:
        TypeError: if `x` is not a floating-point numpy array (an integer array cannot hold x + h).
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError("x must be a floating-point numpy array, got {}".format(
            getattr(x, "dtype", type(x).__name__)))
    grad = np.zeros(x.shape, dtype=np.float64)
    flat_x = x.reshape(-1)  # (size,) view when x is contiguous
    if not np.shares_memory(flat_x, x):
        raise ValueError("x must be contiguous so that it can be perturbed in place")
    flat_grad = grad.reshape(-1)
    for i in range(flat_x.size):
        original = flat_x[i]
        flat_x[i] = original + h
        f_plus = float(f())
        flat_x[i] = original - h
        f_minus = float(f())
        flat_x[i] = original
        flat_grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def course_gradient_error(analytic: np.ndarray, numeric: np.ndarray, num_outputs: int) -> float:
    """The course's gradient-check error: ||analytic - numeric||_2 / max(num_outputs, 1).

    Args:
        analytic: the gradient from a backward pass, any shape.
        numeric: the centred-difference gradient, the same number of entries.
        num_outputs: the number of outputs of the function that was summed.

    Returns:
        The error as a Python float.
    """
    return float(np.linalg.norm(np.ravel(analytic) - np.ravel(numeric))) / max(num_outputs, 1)


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest relative error between two arrays, max |a - b| / max(1e-8, |a| + |b|).

    Args:
        a: array of any shape.
        b: array broadcastable to `a`.

    Returns:
        The maximum relative error as a Python float (0.0 for empty arrays).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
