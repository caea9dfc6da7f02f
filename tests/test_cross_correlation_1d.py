"""Specification of lib.cross_correlation_1d: the sheet's pen-and-paper task, value by value.

The expected numbers below are the hand derivation (written out in each test), not the library's output.
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lib.checks import check_real, check_real_vector
from lib.cross_correlation_1d import cross_correlate as forward
from lib.cross_correlation_1d import cross_correlate_backward as backward
from lib.cross_correlation_1d import (format_number, output_length, product_terms, sgd_update, solve_pen_and_paper,
                                      squared_error_grad, squared_error_loss)
from lib.gradient_check import numerical_gradient, rel_error
from lib.network_base import Module, Parameter

EXACT = dict(rtol=0, atol=1e-12)
REPO_ROOT = Path(__file__).resolve().parent.parent


class CrossCorrelation1d(Module):
    """The task's computation as a layer (stride 1, no padding, one sequence), so `Module.check_gradients` applies.

    Parameters `w` (K,) and `b` (1,); forward caches x (I,) and returns y_hat (O,); backward accumulates
    dL/dw and dL/db and returns dL/dx (I,).
    """

    def __init__(self, w, b=0.0):
        super().__init__()
        self.w = Parameter(check_real_vector(w, "w"), name="w")
        self.b = Parameter(np.array([check_real(b, "b")]), name="b")

    def forward(self, x):
        self.input_cache = check_real_vector(x, "x")
        return forward(self.input_cache, self.w.data, self.b.data[0])

    def backward(self, grad):
        if self.input_cache is None:
            raise RuntimeError("backward called before forward")
        grad_x, grad_w, grad_b = backward(grad, self.input_cache, self.w.data)
        self.w.grad += grad_w
        self.b.grad += grad_b
        return grad_x

    def parameters(self):
        return (self.w, self.b)

    def __repr__(self):
        return f"CrossCorrelation1d(kernel={self.w.data.size})"


@pytest.fixture(scope="module")
def sheet():
    return solve_pen_and_paper()


# ------------------------------------------------------------------ the hand derivation
def test_inputs_are_the_sheets(sheet):
    np.testing.assert_array_equal(sheet.x, [1, 2, 3, 4])
    np.testing.assert_array_equal(sheet.w, [2, 1, 3])
    assert sheet.b == 1 and sheet.lr == 0.01
    np.testing.assert_array_equal(sheet.y, [2, 4])


def test_part1_forward_pass(sheet):
    # y_hat[0] = 2*1 + 1*2 + 3*3 + 1 = 14, y_hat[1] = 2*2 + 1*3 + 3*4 + 1 = 20
    np.testing.assert_allclose(sheet.y_hat, [14, 20], **EXACT)


def test_part1_loss(sheet):
    # L = 1/2 ((2 - 14)^2 + (4 - 20)^2) = 1/2 (144 + 256) = 200
    assert sheet.loss == pytest.approx(200, abs=1e-12)


def test_part2_gradient_wrt_prediction(sheet):
    # dL/dy_hat = y_hat - y = [14 - 2, 20 - 4]
    np.testing.assert_allclose(sheet.grad_y_hat, [12, 16], **EXACT)


def test_part2_gradient_wrt_kernel(sheet):
    # dL/dw[k] = sum_i g[i] x[i+k]: [12*1 + 16*2, 12*2 + 16*3, 12*3 + 16*4]
    np.testing.assert_allclose(sheet.grad_w, [44, 72, 100], **EXACT)


def test_part2_gradient_wrt_bias(sheet):
    # dL/db = 12 + 16
    assert sheet.grad_b == pytest.approx(28, abs=1e-12)


def test_part2_gradient_wrt_input(sheet):
    # dL/dx[j] = sum_i g[i] w[j-i]: [12*2, 12*1 + 16*2, 12*3 + 16*1, 16*3]
    np.testing.assert_allclose(sheet.grad_x, [24, 44, 52, 48], **EXACT)


def test_part3_sgd_step(sheet):
    # w - 0.01 * [44, 72, 100] = [2 - 0.44, 1 - 0.72, 3 - 1] ; b = 1 - 0.01 * 28
    np.testing.assert_allclose(sheet.w_new, [1.56, 0.28, 2.0], **EXACT)
    assert sheet.b_new == pytest.approx(0.72, abs=1e-12)


def test_part3_second_forward_pass_and_loss(sheet):
    # y_hat[0] = 1.56*1 + 0.28*2 + 2*3 + 0.72 = 8.84 ; y_hat[1] = 1.56*2 + 0.28*3 + 2*4 + 0.72 = 12.68
    np.testing.assert_allclose(sheet.y_hat_new, [8.84, 12.68], **EXACT)
    # L = 1/2 (6.84^2 + 8.68^2) = 1/2 (46.7856 + 75.3424) = 61.064
    assert sheet.loss_new == pytest.approx(61.064, abs=1e-12)


def test_one_step_lowers_the_loss(sheet):
    assert sheet.loss_new < sheet.loss


def test_the_solution_lists_every_intermediate_value(sheet):
    assert list(sheet._asdict()) == ["x", "w", "b", "y", "lr", "y_hat", "loss", "grad_y_hat", "grad_w", "grad_b",
                                     "grad_x", "w_new", "b_new", "y_hat_new", "loss_new"]


def test_product_terms_are_the_written_out_sums(sheet):
    terms = product_terms(sheet)
    assert terms["y_hat"][0] == [(2, 1), (1, 2), (3, 3)]
    assert terms["grad_w"][2] == [(12, 3), (16, 4)]
    for name, bias in (("y_hat", sheet.b), ("y_hat_new", sheet.b_new)):
        sums = [sum(a * c for a, c in pairs) + bias for pairs in terms[name]]
        np.testing.assert_allclose(sums, getattr(sheet, name), **EXACT)
    np.testing.assert_allclose([sum(a * c for a, c in pairs) for pairs in terms["grad_w"]], sheet.grad_w, **EXACT)


@pytest.mark.parametrize("value, text", [(14.0, "14"), (0.72, "0.72"), (61.06400000000002, "61.064"),
                                         (-0.0, "0"), (-1.5, "-1.5"), (0.01, "0.01")])
def test_format_number(value, text):
    assert format_number(value) == text


def test_script_prints_the_worked_solution():
    result = subprocess.run([sys.executable, "solve_pen_and_paper.py"], cwd=str(REPO_ROOT),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for line in ["y_hat[0] = 2*1 + 1*2 + 3*3 + 1 = 14", "dL/dw[2] = 12*3 + 16*4 = 100", "dL/db",
                 "b = 1 - 0.01 * 28 = 0.72", "y_hat[1] = 1.56*2 + 0.28*3 + 2*4 + 0.72 = 12.68", "= 61.064"]:
        assert line in result.stdout


# ------------------------------------------------------------------ general behaviour
def test_forward_matches_loop_definition_and_numpy_correlate():
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=9), rng.normal(size=4), 0.3
    loops = np.array([sum(w[k] * x[i + k] for k in range(4)) + b for i in range(6)])
    np.testing.assert_allclose(forward(x, w, b), loops, rtol=1e-13)
    np.testing.assert_allclose(forward(x, w, b), np.correlate(x, w, mode="valid") + b, rtol=1e-13)


def test_kernel_as_long_as_input_gives_one_output():
    np.testing.assert_allclose(forward([1, 2, 3], [1, 1, 1], 0.5), [6.5], **EXACT)
    assert output_length(3, 3) == 1 and isinstance(output_length(3, 3), int)


def test_functions_do_not_modify_their_arguments():
    x, w, g = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 1.0, 3.0]), np.array([12.0, 16.0])
    forward(x, w, 1.0)
    backward(g, x, w)
    sgd_update(w, 1.0, w, 1.0, 0.5)
    np.testing.assert_array_equal(x, [1, 2, 3, 4])
    np.testing.assert_array_equal(w, [2, 1, 3])
    np.testing.assert_array_equal(g, [12, 16])


@pytest.mark.parametrize("size, kernel", [(4, 3), (7, 1), (5, 5), (10, 4)])
def test_backward_matches_numerical_gradients(size, kernel):
    rng = np.random.default_rng(size * 10 + kernel)
    x, w, b = rng.normal(size=size), rng.normal(size=kernel), float(rng.normal())
    y = rng.normal(size=size - kernel + 1)

    def loss():
        return squared_error_loss(forward(x, w, b), y)

    grad_x, grad_w, grad_b = backward(squared_error_grad(forward(x, w, b), y), x, w)
    assert rel_error(grad_x, numerical_gradient(loss, x)) < 1e-8
    assert rel_error(grad_w, numerical_gradient(loss, w)) < 1e-8
    bias = np.array([b])

    def loss_of_bias():
        return squared_error_loss(forward(x, w, bias[0]), y)

    assert rel_error(grad_b, numerical_gradient(loss_of_bias, bias)) < 1e-8


def test_squared_error_grad_matches_numerical_gradient():
    y_hat, y = np.array([14.0, 20.0, -3.0]), np.array([2.0, 4.0, 1.5])
    numeric = numerical_gradient(lambda: squared_error_loss(y_hat, y), y_hat)
    assert rel_error(squared_error_grad(y_hat, y), numeric) < 1e-9


def test_layer_passes_module_gradient_check_and_accumulates():
    layer = CrossCorrelation1d([2.0, 1.0, 3.0], b=1.0)
    layer.check_gradients((np.array([1.0, -2.0, 0.5, 4.0, 3.0]),))
    layer.forward([1, 2, 3, 4])
    grad_x = layer.backward([12.0, 16.0])
    layer.backward([12.0, 16.0])  # gradients accumulate, as in every layer of the course
    np.testing.assert_allclose(grad_x, [24, 44, 52, 48], **EXACT)
    np.testing.assert_allclose(layer.w.grad, [88, 144, 200], **EXACT)
    np.testing.assert_allclose(layer.b.grad, [56], **EXACT)
    assert [p.name for p in layer.parameters()] == ["w", "b"]
    assert repr(layer) == "CrossCorrelation1d(kernel=3)"


def test_layer_training_step_reproduces_the_sheet(sheet):
    layer = CrossCorrelation1d(sheet.w, sheet.b)
    y_hat = layer.forward(sheet.x)
    layer.backward(squared_error_grad(y_hat, sheet.y))
    w_new, b_new = sgd_update(layer.w.data, layer.b.data[0], layer.w.grad, layer.b.grad[0], sheet.lr)
    np.testing.assert_allclose(w_new, sheet.w_new, **EXACT)
    assert b_new == pytest.approx(sheet.b_new, abs=1e-12)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("call, error, match", [
    (lambda: forward([1, 2], [1, 2, 3], 0), ValueError, r"kernel w of length 3 does not fit input x of length 2"),
    (lambda: forward([[1, 2], [3, 4]], [1], 0), ValueError, r"x must be 1-D, got shape \(2, 2\)"),
    (lambda: forward([1, 2], [], 0), ValueError, r"w must not be empty"),
    (lambda: forward([1, np.nan], [1], 0), ValueError, r"x must be finite"),
    (lambda: forward("1234", [1], 0), TypeError, r"x must be a 1-D sequence or array of real numbers"),
    (lambda: forward(["a", "b"], [1], 0), TypeError, r"x must hold real numbers, got dtype <U1"),
    (lambda: forward([1, 2], [1], [1, 2]), TypeError, r"b must be a real number, got list"),
    (lambda: forward([1, 2], [1], np.inf), ValueError, r"b must be finite"),
    (lambda: forward([1, 2], [1], True), TypeError, r"b must be a real number, got bool"),
    (lambda: backward([1, 2, 3], [1, 2, 3, 4], [1, 1, 1]), ValueError,
     r"grad_y_hat must have the output's shape \(2,\) \(I - K \+ 1\), got \(3,\)"),
    (lambda: squared_error_loss([1, 2], [1, 2, 3]), ValueError, r"y must have the shape of y_hat: expected \(2,\)"),
    (lambda: squared_error_grad([1, 2], [1]), ValueError, r"y must have the shape of y_hat"),
    (lambda: sgd_update([1, 2], 0, [1], 0, 0.1), ValueError, r"grad_w must have the shape of w"),
    (lambda: sgd_update([1], 0, [1], 0, -0.1), ValueError, r"lr must be >= 0.0, got -0.1"),
    (lambda: solve_pen_and_paper(y=[1, 2, 3]), ValueError, r"y must have the output's shape \(2,\)"),
    (lambda: output_length(2, 3), ValueError, r"kernel_length must be in \[1, input_length=2\], got 3"),
    (lambda: CrossCorrelation1d([[1.0]]), ValueError, r"w must be 1-D"),
    (lambda: CrossCorrelation1d([1.0]).backward([1.0]), RuntimeError, r"backward called before forward"),
])
def test_bad_input_raises_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()
