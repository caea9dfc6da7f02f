"""Specification of Parameter, Module and the numpy gradient checker."""
import numpy as np
import pytest

from lib.gradient_check import numerical_gradient, rel_error
from lib.network import Linear, Sequential
from lib.activations import ReLU
from lib.network_base import Module, Parameter


class Square(Module):
    """A user-defined module: y = x**2 * a, with one parameter a."""

    def __init__(self, wrong_backward=False):
        super().__init__()
        self.a = Parameter(np.array([1.5, -0.5, 2.0]), name="a")
        self.wrong_backward = wrong_backward

    def forward(self, x):
        self.input_cache = x
        return x ** 2 * self.a.data

    def backward(self, grad):
        x = self.input_cache
        self.a.grad += (grad * x ** 2).sum(axis=0)
        factor = 3.0 if self.wrong_backward else 2.0
        return grad * factor * x * self.a.data

    def parameters(self):
        return [self.a]


def test_parameter_keeps_the_given_objects_and_defaults_grad_to_zeros():
    data, grad = np.arange(3.0), np.ones(3)
    p = Parameter(data, grad, name="w")
    assert p.data is data and p.grad is grad and p.name == "w" and p.state_dict == {}
    q = Parameter(data)
    np.testing.assert_array_equal(q.grad, np.zeros(3))
    assert q.grad.shape == data.shape


def test_module_defaults():
    m = Module()
    assert m.input_cache is None and m.training is True and m.parameters() == []
    assert m.eval() is m and m.training is False
    assert m.train() is m and m.training is True
    with pytest.raises(NotImplementedError):
        m(np.zeros(1))
    with pytest.raises(NotImplementedError):
        m.backward(np.zeros(1))


def test_check_gradients_passes_for_a_correct_user_module():
    Square().check_gradients((np.random.RandomState(0).randn(4, 3),))


def test_check_gradients_raises_for_a_wrong_backward():
    with pytest.raises(RuntimeError, match="input"):
        Square(wrong_backward=True).check_gradients((np.random.RandomState(0).randn(4, 3) + 2,))


def test_check_gradients_detects_a_wrong_parameter_gradient():
    class WrongParamGrad(Square):
        def backward(self, grad):
            out = super().backward(grad)
            self.a.grad += 1.0
            return out

    with pytest.raises(RuntimeError, match="param 'a'"):
        WrongParamGrad().check_gradients((np.random.RandomState(0).randn(4, 3),))


def test_check_gradients_works_for_sequential_and_restores_parameters():
    np.random.seed(0)
    model = Sequential(Linear(4, 5), ReLU(), Linear(5, 3))
    before = [p.data.copy() for p in model.parameters()]
    x = np.random.RandomState(1).randn(6, 4)
    model.check_gradients((x,))
    for p, old in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.data, old)


def test_check_gradients_requires_a_tuple():
    with pytest.raises(TypeError, match="input_args must be a non-empty tuple"):
        Square().check_gradients(np.zeros((2, 3)))


def test_numerical_gradient_matches_an_analytic_gradient_and_restores_x():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    original = x.copy()
    grad = numerical_gradient(lambda: np.sum(np.sin(x) * x), x)
    np.testing.assert_array_equal(x, original)
    assert rel_error(grad, np.cos(x) * x + np.sin(x)) < 1e-9


def test_numerical_gradient_rejects_integer_arrays():
    with pytest.raises(TypeError, match="floating-point"):
        numerical_gradient(lambda: 0.0, np.arange(3))


def test_rel_error():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)


def test_the_gradient_check_helpers_take_the_course_keyword_tol():
    x = np.random.RandomState(0).randn(4, 3)
    Square().check_gradients_wrt_input((x,), tol=1e-6)
    Square().check_gradients_wrt_params((x,), tol=1e-6)
    with pytest.raises(RuntimeError):
        Square(wrong_backward=True).check_gradients_wrt_input((x + 2,), tol=1e-6)
