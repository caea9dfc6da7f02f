"""1-D cross-correlation with a squared-error loss: the sheet's pen-and-paper task, done by code.

For an input x of length I and a kernel w of length K (no kernel flip, stride 1, no padding, so the
output has O = I - K + 1 entries):

    y_hat[i] = sum_k w[k] * x[i + k] + b                    i = 0 .. O-1
    L        = 1/2 * ||y - y_hat||^2

Backpropagation gives

    dL/dy_hat = y_hat - y
    dL/dw[k]  = sum_i dL/dy_hat[i] * x[i + k]   (a cross-correlation of x with dL/dy_hat)
    dL/db     = sum_i dL/dy_hat[i]
    dL/dx[j]  = sum_i dL/dy_hat[i] * w[j - i]   (a full convolution of dL/dy_hat with w)

and one SGD step is w <- w - lr * dL/dw, b <- b - lr * dL/db.

Every public function checks its arguments (float64 copies; the caller's arrays are never modified).
`format_number` and `product_terms` write the sums out, the same for `solve_pen_and_paper.py` (which prints
the worked example step by step) and the submission.
"""
from collections import namedtuple
from typing import Dict, List, Sequence, Tuple, Union

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lib.checks import check_real, check_real_vector
from lib.convolutions import calculate_conv_output

ArrayLike1d = Union[Sequence[float], np.ndarray]
FactorPairs = List[Tuple[float, float]]  # the products of one written-out sum

# The sheet's task.
SHEET_X, SHEET_W, SHEET_B, SHEET_Y, SHEET_LR = (1.0, 2.0, 3.0, 4.0), (2.0, 1.0, 3.0), 1.0, (2.0, 4.0), 0.01

PenAndPaperSolution = namedtuple("PenAndPaperSolution", [
    "x", "w", "b", "y", "lr",  # the task: x (I,), w (K,), b, y (O,), lr
    "y_hat", "loss",  # (1) forward pass and loss
    "grad_y_hat", "grad_w", "grad_b", "grad_x",  # (2) backward pass (grad_x for completeness)
    "w_new", "b_new", "y_hat_new", "loss_new"])  # (3) one SGD step and a second forward pass
PenAndPaperSolution.__doc__ = "Every intermediate value of the worked example (arrays float64, scalars floats)."


def output_length(input_length: int, kernel_length: int) -> int:
    """O = I - K + 1, the length of a stride-1, unpadded cross-correlation (ValueError unless 1 <= K <= I)."""
    if kernel_length < 1 or kernel_length > input_length:
        raise ValueError(f"kernel_length must be in [1, input_length={input_length}], got {kernel_length}")
    return calculate_conv_output([input_length], [kernel_length], [1], [0])[0]


def _input_and_kernel(x: ArrayLike1d, w: ArrayLike1d) -> Tuple[np.ndarray, np.ndarray]:
    x, w = check_real_vector(x, "x"), check_real_vector(w, "w")
    if w.size > x.size:
        raise ValueError(f"kernel w of length {w.size} does not fit input x of length {x.size} (no padding): "
                         "expected len(w) <= len(x)")
    return x, w


def _same_shape(a: ArrayLike1d, a_name: str, b: ArrayLike1d, b_name: str) -> Tuple[np.ndarray, np.ndarray]:
    a, b = check_real_vector(a, a_name), check_real_vector(b, b_name)
    if a.shape != b.shape:
        raise ValueError(f"{a_name} must have the shape of {b_name}: expected {b.shape}, got {a.shape}")
    return a, b


def cross_correlate(x: ArrayLike1d, w: ArrayLike1d, b: float) -> np.ndarray:
    """y_hat[i] = sum_k w[k] x[i+k] + b for x (I,) and w (K,), K <= I, as a float64 array (O,)."""
    x, w = _input_and_kernel(x, w)
    b = check_real(b, "b")
    return sliding_window_view(x, w.size) @ w + b  # (O, K) read-only view, row i = x[i:i+K] -> (O,)


def cross_correlate_backward(grad_y_hat: ArrayLike1d, x: ArrayLike1d,
                             w: ArrayLike1d) -> Tuple[np.ndarray, np.ndarray, float]:
    """Given g = dL/dy_hat (O,), return (dL/dx (I,), dL/dw (K,), dL/db) through y_hat = cross_correlate(x, w, b)."""
    x, w = _input_and_kernel(x, w)
    g = check_real_vector(grad_y_hat, "grad_y_hat")
    expected = (output_length(x.size, w.size),)
    if g.shape != expected:
        raise ValueError(f"grad_y_hat must have the output's shape {expected} (I - K + 1), got {g.shape}")
    grad_w = g @ sliding_window_view(x, w.size)  # (K,): sum over i of g[i] * x[i+k]
    grad_x = np.convolve(g, w, mode="full")  # (I,); np.convolve flips w, as the full convolution needs
    return grad_x, grad_w, float(np.sum(g))


def squared_error_loss(y_hat: ArrayLike1d, y: ArrayLike1d) -> float:
    """L = 1/2 ||y - y_hat||^2 (a sum, not a mean) for y_hat and y of the same shape (O,)."""
    y, y_hat = _same_shape(y, "y", y_hat, "y_hat")
    residual = y - y_hat  # (O,)
    return 0.5 * float(residual @ residual)


def squared_error_grad(y_hat: ArrayLike1d, y: ArrayLike1d) -> np.ndarray:
    """dL/dy_hat = y_hat - y for L = 1/2 ||y - y_hat||^2, float64 (O,)."""
    y, y_hat = _same_shape(y, "y", y_hat, "y_hat")
    return y_hat - y


def sgd_update(w: ArrayLike1d, b: float, grad_w: ArrayLike1d, grad_b: float,
               lr: float) -> Tuple[np.ndarray, float]:
    """One plain SGD step, returned as new values: (w - lr * dL/dw, b - lr * dL/db); lr >= 0."""
    grad_w, w = _same_shape(grad_w, "grad_w", w, "w")
    b, grad_b, lr = check_real(b, "b"), check_real(grad_b, "grad_b"), check_real(lr, "lr", minimum=0.0)
    return w - lr * grad_w, b - lr * grad_b


def solve_pen_and_paper(x: ArrayLike1d = SHEET_X, w: ArrayLike1d = SHEET_W, b: float = SHEET_B,
                        y: ArrayLike1d = SHEET_Y, lr: float = SHEET_LR) -> PenAndPaperSolution:
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
        TypeError, ValueError: on malformed input, naming the argument.
    """
    x, w = _input_and_kernel(x, w)
    y = check_real_vector(y, "y")
    b, lr = check_real(b, "b"), check_real(lr, "lr", minimum=0.0)
    if y.shape != (output_length(x.size, w.size),):
        raise ValueError(f"y must have the output's shape {(output_length(x.size, w.size),)} "
                         f"(len(x) - len(w) + 1), got {y.shape}")
    y_hat = cross_correlate(x, w, b)
    grad_y_hat = squared_error_grad(y_hat, y)
    grad_x, grad_w, grad_b = cross_correlate_backward(grad_y_hat, x, w)
    w_new, b_new = sgd_update(w, b, grad_w, grad_b, lr)
    y_hat_new = cross_correlate(x, w_new, b_new)
    return PenAndPaperSolution(x, w, b, y, lr, y_hat, squared_error_loss(y_hat, y), grad_y_hat, grad_w, grad_b,
                               grad_x, w_new, b_new, y_hat_new, squared_error_loss(y_hat_new, y))


def format_number(value: float, digits: int = 12) -> str:
    """Shortest decimal form of `value` with at most `digits` significant digits (14.0 -> "14", 0.72 -> "0.72").

    Rounding to 12 significant digits hides float noise such as 61.06400000000002 -> "61.064" while
    keeping every digit of the exact decimal results of the worked example; never "-0".
    """
    text = "{:.{}g}".format(float(value), digits)
    return "0" if float(text) == 0.0 else text


def product_terms(solution: PenAndPaperSolution) -> Dict[str, List[FactorPairs]]:
    """The factor pairs whose sum (plus the bias where there is one) is each output of the worked example.

    Used by `solve_pen_and_paper.py` (plain text) and `submission/make_numbers.py` (LaTeX), so both write out
    the same sums: "y_hat": [[(w[k], x[i+k]) for k] for i], "grad_w": [[(g[i], x[i+k]) for i] for k] with
    g = dL/dy_hat, "y_hat_new": [[(w_new[k], x[i+k]) for k] for i].
    """
    x, g = solution.x, solution.grad_y_hat
    num_out, kernel = g.size, solution.w.size

    def correlate(w: np.ndarray) -> List[FactorPairs]:
        return [[(float(w[k]), float(x[i + k])) for k in range(kernel)] for i in range(num_out)]

    return {"y_hat": correlate(solution.w),
            "grad_w": [[(float(g[i]), float(x[i + k])) for i in range(num_out)] for k in range(kernel)],
            "y_hat_new": correlate(solution.w_new)}
