"""1-D cross-correlation with a squared-error loss: the sheet's pen-and-paper task, done by code.

The layer computes, for an input x of length I and a kernel w of length K (no kernel flip,
stride 1, no padding, so the output has O = I - K + 1 entries),

    y_hat[i] = sum_k w[k] * x[i + k] + b                    i = 0 .. O-1

and the loss against a target y is L = 1/2 * ||y - y_hat||^2. Backpropagation gives

    dL/dy_hat = y_hat - y
    dL/dw[k]  = sum_i dL/dy_hat[i] * x[i + k]   (a cross-correlation of x with dL/dy_hat)
    dL/db     = sum_i dL/dy_hat[i]
    dL/dx[j]  = sum_i dL/dy_hat[i] * w[j - i]   (a full convolution of dL/dy_hat with w)

and one SGD step is w <- w - lr * dL/dw, b <- b - lr * dL/db.

Shape letters: I = input length, K = kernel length, O = I - K + 1 = output length.

The functions work on float64 copies and never modify their arguments. `CrossCorrelation1d`
wraps them as a `Module` (so `Module.check_gradients` applies), and `solve_pen_and_paper`
returns every intermediate value of the sheet's worked example; `solve_pen_and_paper.py` prints it.
"""
import math
from numbers import Real
from typing import List, NamedTuple, Sequence, Tuple, Union

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lib.network_base import Module, Parameter

# Type aliases (named at module level, so annotations stay valid at runtime on Python 3.8).
ArrayLike1d = Union[Sequence[float], np.ndarray]
Gradients1d = Tuple[np.ndarray, np.ndarray, float]  # (grad_x (I,), grad_w (K,), grad_b)
KernelAndBias = Tuple[np.ndarray, float]  # (w (K,), b)
FactorPairs = List[Tuple[float, float]]  # the products of one written-out sum

# The sheet's task (see the module docstring of solve_pen_and_paper.py).
SHEET_X = (1.0, 2.0, 3.0, 4.0)
SHEET_W = (2.0, 1.0, 3.0)
SHEET_B = 1.0
SHEET_Y = (2.0, 4.0)
SHEET_LR = 0.01


# ---------------------------------------------------------------------------------------- validation
def _as_vector(value: ArrayLike1d, name: str) -> np.ndarray:
    """Return `value` as a new non-empty, finite, 1-D float64 array, or raise naming `name`."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D sequence or array of real numbers, got {type(value).__name__}")
    try:
        array = np.array(value)  # a copy: callers' arrays are never modified
    except ValueError as error:  # ragged nested sequences (numpy >= 1.24)
        raise ValueError(f"{name} must be a 1-D sequence or array of real numbers ({error})") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.integer)
                                     or np.issubdtype(array.dtype, np.floating)
                                     or array.dtype == np.bool_):
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {array}")
    return array


def _as_scalar(value: Real, name: str, minimum: float = -math.inf) -> float:
    """Return `value` as a finite Python float >= `minimum`, or raise naming `name`."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _check_kernel_fits(x: np.ndarray, w: np.ndarray) -> None:
    if w.size > x.size:
        raise ValueError(f"kernel w of length {w.size} does not fit input x of length {x.size} (no padding): "
                         "expected len(w) <= len(x)")


def _check_same_length(a: np.ndarray, a_name: str, b: np.ndarray, b_name: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{a_name} must have the shape of {b_name}: expected {b.shape}, got {a.shape}")


# ---------------------------------------------------------------------------------------- the maths
def output_length(input_length: int, kernel_length: int) -> int:
    """Length of a stride-1, unpadded cross-correlation: O = I - K + 1.

    Args:
        input_length: I >= 1.
        kernel_length: K, with 1 <= K <= I.

    Returns:
        O = I - K + 1 as a Python int.

    Raises:
        ValueError: if K < 1 or K > I.
    """
    if kernel_length < 1 or kernel_length > input_length:
        raise ValueError(f"kernel_length must be in [1, input_length={input_length}], got {kernel_length}")
    return int(input_length - kernel_length + 1)


def forward(x: ArrayLike1d, w: ArrayLike1d, b: Real) -> np.ndarray:
    """Cross-correlate x with w and add b: y_hat[i] = sum_k w[k] x[i+k] + b.

    Args:
        x: input, (I,).
        w: kernel, (K,) with K <= I; it is not flipped (cross-correlation, as in PyTorch).
        b: bias, a real number added to every output.

    Returns:
        y_hat, float64 array of shape (O,) with O = I - K + 1.

    Raises:
        TypeError: if x or w do not hold real numbers, or b is not a real number.
        ValueError: if x or w are not non-empty 1-D finite arrays, b is not finite, or len(w) > len(x).
    """
    x, w = _as_vector(x, "x"), _as_vector(w, "w")
    b = _as_scalar(b, "b")
    _check_kernel_fits(x, w)
    patches = sliding_window_view(x, w.size)  # (O, K) read-only view: row i is x[i:i+K]
    return patches @ w + b  # (O,)


def backward(grad_y_hat: ArrayLike1d, x: ArrayLike1d, w: ArrayLike1d) -> Gradients1d:
    """Gradients of a loss L through y_hat = forward(x, w, b), given dL/dy_hat.

    dL/dx[j] = sum_i g[i] w[j-i] (full convolution of g with w),
    dL/dw[k] = sum_i g[i] x[i+k] (cross-correlation of x with g), dL/db = sum_i g[i].

    Args:
        grad_y_hat: g = dL/dy_hat, (O,) with O = I - K + 1.
        x: the input of the forward pass, (I,).
        w: the kernel of the forward pass, (K,).

    Returns:
        (grad_x, grad_w, grad_b): float64 arrays (I,) and (K,), and a Python float.

    Raises:
        TypeError, ValueError: as `forward` for x and w; ValueError if grad_y_hat is not of shape (O,).
    """
    x, w = _as_vector(x, "x"), _as_vector(w, "w")
    _check_kernel_fits(x, w)
    g = _as_vector(grad_y_hat, "grad_y_hat")
    expected = (output_length(x.size, w.size),)
    if g.shape != expected:
        raise ValueError(f"grad_y_hat must have the output's shape {expected} (I - K + 1), got {g.shape}")
    patches = sliding_window_view(x, w.size)  # (O, K)
    grad_w = g @ patches  # (K,): sum over output positions i of g[i] * x[i+k]
    grad_b = float(np.sum(g))
    grad_x = np.convolve(g, w, mode="full")  # (O + K - 1,) = (I,); np.convolve flips, as the maths needs
    return grad_x, grad_w, grad_b


def squared_error_loss(y_hat: ArrayLike1d, y: ArrayLike1d) -> float:
    """L = 1/2 ||y - y_hat||^2 = 1/2 sum_i (y[i] - y_hat[i])^2 (a sum, not a mean).

    Args:
        y_hat: prediction, (O,).
        y: target, (O,).

    Returns:
        The loss as a Python float.

    Raises:
        TypeError, ValueError: if either is not a finite 1-D real array, or their shapes differ.
    """
    y_hat, y = _as_vector(y_hat, "y_hat"), _as_vector(y, "y")
    _check_same_length(y, "y", y_hat, "y_hat")
    residual = y - y_hat  # (O,)
    return 0.5 * float(residual @ residual)


def squared_error_grad(y_hat: ArrayLike1d, y: ArrayLike1d) -> np.ndarray:
    """dL/dy_hat = y_hat - y for L = 1/2 ||y - y_hat||^2.

    Args:
        y_hat: prediction, (O,).
        y: target, (O,).

    Returns:
        float64 array (O,).

    Raises:
        TypeError, ValueError: as `squared_error_loss`.
    """
    y_hat, y = _as_vector(y_hat, "y_hat"), _as_vector(y, "y")
    _check_same_length(y, "y", y_hat, "y_hat")
    return y_hat - y


def sgd_update(w: ArrayLike1d, b: Real, grad_w: ArrayLike1d, grad_b: Real, lr: Real) -> KernelAndBias:
    """One plain SGD step: w_new = w - lr * dL/dw, b_new = b - lr * dL/db (returns new values).

    Args:
        w: kernel, (K,).
        b: bias.
        grad_w: dL/dw, (K,).
        grad_b: dL/db.
        lr: learning rate, >= 0.

    Returns:
        (w_new, b_new): float64 array (K,) and a Python float. The arguments are not modified.

    Raises:
        TypeError, ValueError: on non-real or non-finite values, mismatched shapes or lr < 0.
    """
    w, grad_w = _as_vector(w, "w"), _as_vector(grad_w, "grad_w")
    _check_same_length(grad_w, "grad_w", w, "w")
    b, grad_b = _as_scalar(b, "b"), _as_scalar(grad_b, "grad_b")
    lr = _as_scalar(lr, "lr", minimum=0.0)
    return w - lr * grad_w, b - lr * grad_b


# ---------------------------------------------------------------------------------------- as a layer
class CrossCorrelation1d(Module):
    """A 1-D cross-correlation layer (stride 1, no padding) with a scalar bias, on one sequence.

    Parameters: `w` (K,) named "w" and `b` (1,) named "b" (an array, so that it can be updated
    in place like every other parameter).

    forward(x) caches x (a float64 copy, (I,)) in `input_cache` and returns y_hat (O,).
    backward(grad) accumulates dL/dw into `w.grad` and dL/db into `b.grad`, and returns dL/dx (I,).
    """

    def __init__(self, w: ArrayLike1d, b: Real = 0.0):
        """Args:
            w: initial kernel, (K,).
            b: initial bias.

        Raises:
            TypeError, ValueError: if w is not a finite non-empty 1-D real array or b not a finite real.
        """
        super().__init__()
        self.w = Parameter(_as_vector(w, "w"), name="w")
        self.b = Parameter(np.array([_as_scalar(b, "b")]), name="b")

    def forward(self, x: ArrayLike1d) -> np.ndarray:
        """y_hat = forward(x, w, b), (O,); caches x."""
        x = _as_vector(x, "x")
        y_hat = forward(x, self.w.data, self.b.data[0])
        self.input_cache = x
        return y_hat

    def backward(self, grad: ArrayLike1d) -> np.ndarray:
        """Accumulate dL/dw and dL/db from grad = dL/dy_hat (O,) and return dL/dx (I,)."""
        if self.input_cache is None:
            raise RuntimeError("backward called before forward")
        grad_x, grad_w, grad_b = backward(grad, self.input_cache, self.w.data)
        self.w.grad += grad_w
        self.b.grad += grad_b
        return grad_x

    def parameters(self):
        """Return (w, b)."""
        return (self.w, self.b)

    def __repr__(self) -> str:
        return f"CrossCorrelation1d(kernel={self.w.data.size})"


# ---------------------------------------------------------------------------------------- the sheet's task
class PenAndPaperSolution(NamedTuple):
    """Every intermediate value of the worked example (arrays are float64, scalars Python floats).

    Inputs: x (I,), w (K,), b, y (O,), lr.
    (1) forward: y_hat (O,), loss.
    (2) backward: grad_y_hat = dL/dy_hat (O,), grad_w (K,), grad_b, and grad_x (I,) for completeness.
    (3) SGD step: w_new (K,), b_new, then the second forward pass y_hat_new (O,) and loss_new.
    """

    x: np.ndarray
    w: np.ndarray
    b: float
    y: np.ndarray
    lr: float
    y_hat: np.ndarray
    loss: float
    grad_y_hat: np.ndarray
    grad_w: np.ndarray
    grad_b: float
    grad_x: np.ndarray
    w_new: np.ndarray
    b_new: float
    y_hat_new: np.ndarray
    loss_new: float

    def as_dict(self) -> dict:
        """The fields as an ordered dict name -> value."""
        return dict(self._asdict())


def solve_pen_and_paper(x: ArrayLike1d = SHEET_X, w: ArrayLike1d = SHEET_W, b: Real = SHEET_B,
                        y: ArrayLike1d = SHEET_Y, lr: Real = SHEET_LR) -> PenAndPaperSolution:
    """Solve the sheet's task: forward pass and loss, backward pass, one SGD step and a second forward pass.

    The defaults are the sheet's numbers: x = [1, 2, 3, 4], w = [2, 1, 3], b = 1, y = [2, 4], lr = 0.01.

    Args:
        x: input, (I,).
        w: kernel, (K,), K <= I.
        b: bias.
        y: target, (O,) with O = I - K + 1.
        lr: learning rate of the SGD step, >= 0.

    Returns:
        A `PenAndPaperSolution` with every intermediate value.

    Raises:
        TypeError, ValueError: on malformed input (see `forward`, `squared_error_loss`, `sgd_update`).
    """
    x, w, y = _as_vector(x, "x"), _as_vector(w, "w"), _as_vector(y, "y")
    b, lr = _as_scalar(b, "b"), _as_scalar(lr, "lr", minimum=0.0)
    _check_kernel_fits(x, w)
    expected = (output_length(x.size, w.size),)
    if y.shape != expected:
        raise ValueError(f"y must have the output's shape {expected} (len(x) - len(w) + 1), got {y.shape}")

    y_hat = forward(x, w, b)
    loss = squared_error_loss(y_hat, y)
    grad_y_hat = squared_error_grad(y_hat, y)
    grad_x, grad_w, grad_b = backward(grad_y_hat, x, w)
    w_new, b_new = sgd_update(w, b, grad_w, grad_b, lr)
    y_hat_new = forward(x, w_new, b_new)
    loss_new = squared_error_loss(y_hat_new, y)
    return PenAndPaperSolution(x=x, w=w, b=b, y=y, lr=lr, y_hat=y_hat, loss=loss, grad_y_hat=grad_y_hat,
                               grad_w=grad_w, grad_b=grad_b, grad_x=grad_x, w_new=w_new, b_new=b_new,
                               y_hat_new=y_hat_new, loss_new=loss_new)


def product_terms(solution: PenAndPaperSolution) -> dict:
    """The products that make up each output of the worked example, for writing the sums out in full.

    Used by `solve_pen_and_paper.py` (plain text) and `submission/make_numbers.py` (LaTeX), so the
    two write out the same sums.

    Args:
        solution: the result of `solve_pen_and_paper`.

    Returns:
        A dict with, per output entry, the list of factor pairs whose sum (plus the bias where there is one) is
        that entry:
        "y_hat": [[(w[k], x[i+k]) for k] for i], "grad_w": [[(g[i], x[i+k]) for i] for k] with g = dL/dy_hat,
        "y_hat_new": [[(w_new[k], x[i+k]) for k] for i].
    """
    x, g = solution.x, solution.grad_y_hat
    num_out, kernel = g.size, solution.w.size

    def correlate(w: np.ndarray) -> List[FactorPairs]:
        return [[(float(w[k]), float(x[i + k])) for k in range(kernel)] for i in range(num_out)]

    return {
        "y_hat": correlate(solution.w),
        "grad_w": [[(float(g[i]), float(x[i + k])) for i in range(num_out)] for k in range(kernel)],
        "y_hat_new": correlate(solution.w_new),
    }


def format_number(value: Real, digits: int = 12) -> str:
    """Shortest decimal form of `value` with at most `digits` significant digits (14.0 -> "14", 0.72 -> "0.72").

    Rounding to 12 significant digits hides float noise such as 61.06400000000002 -> "61.064"
    while keeping every digit of the exact decimal results of the worked example.

    Args:
        value: a real number.
        digits: significant digits kept.

    Returns:
        The number as a string, without exponent for magnitudes in [1e-4, 1e12).
    """
    text = "{:.{}g}".format(float(value), digits)
    return "0" if float(text) == 0.0 else text  # never "-0"
