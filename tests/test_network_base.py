"""Specification of Parameter, Module and the numpy gradient checker."""
import numpy as np
import pytest

from lib.gradient_check import numerical_gradient, rel_error
from lib.network import Linear, Sequential
from lib.activations import ReLU
from lib.network_base import Module, Parameter

from exact_messages import exactly


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


# --- the upstream gradient of a check: all ones (the course's) or a fixed random one ----------------------

class Centre(Module):
    """y = x - mean(x) over the batch: with all-ones weights its true input gradient is exactly zero."""

    def __init__(self, scale=1.0):
        super().__init__()
        self.scale = scale  # 1 is right; any other factor is a mistake that all-ones weights cannot see

    def forward(self, x):
        return x - x.mean(axis=0)

    def backward(self, grad):
        return self.scale * (grad - grad.mean(axis=0))


class IgnoresUpstream(Square):
    """A wrong backward that uses the upstream gradient only through its mean (right for all-ones only)."""

    def backward(self, grad):
        return super().backward(np.full_like(grad, grad.mean()))


@pytest.mark.parametrize("wrong", [Centre(scale=2.0), IgnoresUpstream()])
def test_a_random_upstream_gradient_finds_mistakes_that_all_ones_hide(wrong):
    x = np.random.RandomState(0).randn(5, 3)
    Centre().check_gradients((x,), upstream_seed=0)
    with pytest.raises(RuntimeError, match="input"):
        wrong.check_gradients((x,), upstream_seed=0)
    wrong.check_gradients((x,))  # the course's all-ones check sees nothing wrong


def test_a_random_upstream_gradient_checks_the_parameter_gradients_too():
    class WrongParamGrad(Square):
        def backward(self, grad):
            out = super().backward(grad)
            self.a.grad += (grad.sum(axis=0) - grad.shape[0]) * 0.5  # zero for all-ones weights only
            return out

    x = np.random.RandomState(0).randn(4, 3)
    WrongParamGrad().check_gradients((x,))
    with pytest.raises(RuntimeError, match="param 'a'"):
        WrongParamGrad().check_gradients((x,), upstream_seed=3)
    Square().check_gradients((x,), upstream_seed=3)


def test_the_upstream_gradient_is_fixed_by_its_seed_and_leaves_the_global_stream_alone():
    x = np.random.RandomState(0).randn(4, 3)
    module = Square()
    first = module._upstream_gradient((x,), 7)
    np.testing.assert_array_equal(first, np.random.default_rng(7).standard_normal((4, 3)))
    np.testing.assert_array_equal(module._upstream_gradient((x,), None), np.ones((4, 3)))
    np.random.seed(1)
    expected = np.random.rand()
    np.random.seed(1)
    module.check_gradients((x,), upstream_seed=7)
    assert np.random.rand() == expected


@pytest.mark.parametrize("seed, error, match", [(-1, ValueError, "upstream_seed must be >= 0, got -1"),
                                                (1.5, TypeError, "upstream_seed must be an integer, got 1.5"),
                                                (True, TypeError, "upstream_seed must be an integer, got True")])
def test_a_bad_upstream_seed_is_refused(seed, error, match):
    with pytest.raises(error, match=match):
        Square().check_gradients((np.ones((2, 3)),), upstream_seed=seed)


def test_the_check_fails_just_above_the_course_tolerance_and_passes_just_below():
    """The course's criterion: ||analytic - numeric|| / outputs <= 1e-6, per output, not in total."""
    class Offset(Square):
        offset = 0.0

        def backward(self, grad):
            return super().backward(grad) + self.offset

    x = np.random.RandomState(0).randn(4, 3)  # 12 outputs; a constant offset c gives ||.|| = c * sqrt(12)
    below, above = Offset(), Offset()
    below.offset = 0.9e-6 * 12 / np.sqrt(12)
    above.offset = 1.1e-6 * 12 / np.sqrt(12)
    below.check_gradients((x,))
    with pytest.raises(RuntimeError, match=r"Error 1\.\d{4}E-06 > 1\.0000E-06"):
        above.check_gradients((x,))


def test_the_check_differentiates_float64_copies_and_leaves_the_inputs_and_the_gradients_alone():
    x = np.random.RandomState(0).randn(4, 3).astype(np.float32)
    x_before = x.copy()
    module = Square()
    module.a.data = module.a.data.astype(np.float32)
    module.a.grad = np.full(3, 5.0, dtype=np.float32)
    module.check_gradients((x,), upstream_seed=1)
    np.testing.assert_array_equal(x, x_before)
    assert module.a.data.dtype == np.float32
    np.testing.assert_array_equal(module.a.grad, np.zeros(3))  # zeroed after the check


def test_a_backward_without_an_input_gradient_fails_the_check():
    class NoInputGradient(Square):
        def backward(self, grad):
            super().backward(grad)

    with pytest.raises(RuntimeError, match="returned no input gradient"):
        NoInputGradient().check_gradients((np.ones((2, 3)),))


def test_parameter_repr_and_module_buffers_and_backward_params():
    assert repr(Parameter(np.zeros((2, 3)), name="W")) == "Parameter(name='W', shape=(2, 3))"
    assert Module().buffers() == []
    module = Square()
    x = np.array([[1.0, 2.0, 3.0]])
    module(x)
    assert module.backward_params(np.ones((1, 3))) is None
    np.testing.assert_array_equal(module.a.grad, x[0] ** 2)  # the default runs backward and drops its result


def test_to_casts_every_parameter_and_resets_its_gradient():
    model = Square()
    model.a.grad = np.ones(3)
    assert model.to(np.float32) is model
    assert model.a.data.dtype == model.a.grad.dtype == np.float32
    np.testing.assert_array_equal(model.a.data, np.array([1.5, -0.5, 2.0], dtype=np.float32))
    np.testing.assert_array_equal(model.a.grad, np.zeros(3))
    data = model.a.data
    model.to(np.float32)
    assert model.a.data is data  # already of that dtype: no copy
    with pytest.raises(TypeError, match="dtype must be a floating-point type such as np.float32, got int64"):
        model.to(np.int64)


def test_exact_messages_of_the_check():
    message = "input_args must be a non-empty tuple of forward's arguments, got {}"
    with pytest.raises(TypeError, match=exactly(message.format("list"))):
        Square().check_gradients([np.zeros((2, 3))])
    with pytest.raises(TypeError, match=exactly(message.format("tuple"))):
        Square().check_gradients(())
    wrong = Square(wrong_backward=True)
    with pytest.raises(RuntimeError, match=r"^Check of gradient w\.r\.t\. input for .*Square object .* failed\. "
                                           r"Error \d\.\d{4}E[+-]\d\d > 1\.0000E-06\.$"):
        wrong.check_gradients((np.ones((2, 3)) + 1,))


def test_an_error_equal_to_the_tolerance_passes():
    """The course fails a check whose error is *above* 1e-6."""
    Module()._check_error(np.array([1e-6]), np.array([0.0]), 1, 1e-6, "input")
    with pytest.raises(RuntimeError, match="Error 2.0000E-06 > 1.0000E-06"):
        Module()._check_error(np.array([2e-6]), np.array([0.0]), 1, 1e-6, "input")


def test_the_check_accepts_integer_inputs():
    np.random.seed(0)
    Linear(3, 2).check_gradients((np.arange(6).reshape(2, 3),), upstream_seed=2)


def test_the_parameter_check_divides_by_the_number_of_outputs_too():
    class ParamOffset(Square):
        offset = 0.0

        def backward(self, grad):
            out = super().backward(grad)
            self.a.grad += self.offset
            return out

    x = np.random.RandomState(0).randn(4, 3)  # 12 outputs; a has 3 entries: ||offset|| = c * sqrt(3)
    below, above = ParamOffset(), ParamOffset()
    below.offset, above.offset = 0.9e-6 * 12 / np.sqrt(3), 1.1e-6 * 12 / np.sqrt(3)
    below.check_gradients((x,))
    with pytest.raises(RuntimeError, match="param 'a'"):
        above.check_gradients((x,))


def test_the_repr_of_a_parameter_without_a_shape():
    assert repr(Parameter(2.0, name="s")) == "Parameter(name='s', shape=None)"
