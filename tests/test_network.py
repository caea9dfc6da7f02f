"""Specification of Linear and Sequential."""
import numpy as np
import pytest

from lib.activations import ReLU
from lib.network import Linear, Sequential

from exact_messages import exactly


def test_linear_initialisation_follows_the_course_order_of_random_draws():
    np.random.seed(3)
    layer = Linear(4, 2)
    np.random.seed(3)
    expected_w = 0.01 * np.random.randn(4, 2)
    np.testing.assert_array_equal(layer.W.data, expected_w)
    np.testing.assert_array_equal(layer.b.data, 0.01 * np.ones(2))
    assert (layer.W.name, layer.b.name) == ("W", "b")
    assert layer.parameters() == (layer.W, layer.b)


def test_linear_forward_backward_values():
    layer = Linear(2, 3)
    layer.W.data = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    layer.b.data = np.array([0.5, 0.0, -0.5])
    x = np.array([[1.0, -1.0]])
    np.testing.assert_allclose(layer(x), [[-2.5, -3.0, -3.5]])
    layer.W.grad, layer.b.grad = np.zeros((2, 3)), np.zeros(3)
    dx = layer.backward(np.array([[1.0, 0.0, 2.0]]))
    np.testing.assert_allclose(dx, [[7.0, 16.0]])
    np.testing.assert_allclose(layer.W.grad, [[1.0, 0.0, 2.0], [-1.0, 0.0, -2.0]])
    np.testing.assert_allclose(layer.b.grad, [1.0, 0.0, 2.0])


def test_linear_gradients_accumulate_across_backward_calls():
    layer = Linear(3, 2)
    x, g = np.ones((4, 3)), np.ones((4, 2))
    layer(x)
    layer.backward(g)
    layer.backward(g)
    np.testing.assert_allclose(layer.W.grad, 2 * x.T @ g)


def test_linear_gradient_check():
    np.random.seed(0)
    Linear(5, 4).check_gradients((np.random.randn(3, 5),))
    Linear(5, 4).check_gradients((np.random.randn(3, 5),), upstream_seed=0)


def test_linear_rejects_the_wrong_feature_count():
    with pytest.raises(ValueError, match="expected input x with 4 features, got 3"):
        Linear(4, 2)(np.zeros((5, 3)))


def test_linear_rejects_non_2d_input():
    with pytest.raises(ValueError, match="2-D input"):
        Linear(4, 2)(np.zeros((5, 2, 2)))


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError)])
def test_linear_rejects_bad_sizes(bad, error):
    with pytest.raises(error, match="in_features must be a positive int"):
        Linear(bad, 2)


def test_linear_backward_before_forward_or_with_the_wrong_shape():
    layer = Linear(3, 2)
    with pytest.raises(RuntimeError, match="Linear.backward called before forward"):
        layer.backward(np.ones((4, 2)))
    layer(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"Linear.backward expected grad of shape \(4, 2\), got \(4, 3\)"):
        layer.backward(np.ones((4, 3)))


def test_linear_backward_params_accumulates_without_the_input_gradient():
    layer = Linear(3, 2)
    layer(np.ones((4, 3)))
    layer.backward_params(np.ones((4, 2)))
    np.testing.assert_allclose(layer.b.grad, [4.0, 4.0])
    np.testing.assert_allclose(layer.W.grad, np.full((3, 2), 4.0))


def test_linear_keeps_float32():
    layer = Linear(3, 2)
    layer.W.data, layer.b.data = layer.W.data.astype(np.float32), layer.b.data.astype(np.float32)
    assert layer(np.ones((2, 3), dtype=np.float32)).dtype == np.float32


def test_sequential_chains_forward_and_backward():
    np.random.seed(1)
    first, relu, second = Linear(3, 4), ReLU(), Linear(4, 2)
    model = Sequential(first, relu, second)
    x = np.random.randn(5, 3)
    np.testing.assert_allclose(model(x), second(relu(first(x))))
    assert model.parameters() == [first.W, first.b, second.W, second.b]
    model.check_gradients((x,))
    model.check_gradients((x,), upstream_seed=1)


def test_sequential_train_and_eval_recurse():
    model = Sequential(Linear(2, 2), ReLU())
    model.eval()
    assert not model.training and all(not m.training for m in model.modules)
    model.train()
    assert model.training and all(m.training for m in model.modules)


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="Sequential expects Module instances, got function at position 1"):
        Sequential(Linear(2, 2), lambda x: x)


def test_sequential_backward_params_skips_only_the_first_modules_input_gradient():
    class Spy(Linear):
        calls = []

        def backward(self, grad):
            self.calls.append("backward")
            return super().backward(grad)

        def backward_params(self, grad):
            self.calls.append("backward_params")
            return super().backward_params(grad)

    model = Sequential(Spy(2, 3), ReLU(), Spy(3, 1))
    reference = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    for p, q in zip(reference.parameters(), model.parameters()):
        p.data = q.data.copy()
    x = np.random.default_rng(0).standard_normal((4, 2))
    model(x)
    reference(x)
    assert model.backward_params(np.ones((4, 1))) is None
    assert Spy.calls == ["backward", "backward_params"]  # the last Linear, then the first one
    assert reference.backward(np.ones((4, 1))).shape == (4, 2)
    for p, q in zip(reference.parameters(), model.parameters()):
        np.testing.assert_allclose(q.grad, p.grad, rtol=1e-15)


def test_reprs_and_buffers():
    assert repr(Linear(3, 2)) == "Linear(in_features=3, out_features=2)"
    assert repr(Sequential()) == "Sequential()"
    assert repr(Sequential(Linear(3, 2), ReLU())) == ("Sequential(\n  (0): Linear(in_features=3, out_features=2)"
                                                      "\n  (1): ReLU()\n)")

    class WithBuffer(ReLU):
        def buffers(self):
            return [("count", np.array([3]))]

    buffers = Sequential(Linear(2, 2), WithBuffer(), WithBuffer()).buffers()
    assert [name for name, _ in buffers] == ["1.count", "2.count"]


def test_an_empty_sequential_is_the_identity():
    model = Sequential()
    x = np.ones((2, 3))
    assert model(x) is x and model.backward(x) is x and model.parameters() == []
    model.backward_params(x)  # nothing to do, and no error


def test_bias_gradients_accumulate_too():
    layer = Linear(2, 3)
    layer(np.ones((2, 2)))
    g = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    layer.backward(g)
    layer.backward_params(g)
    np.testing.assert_allclose(layer.b.grad, 2 * g.sum(axis=0))


def test_linear_exact_messages():
    with pytest.raises(ValueError, match=exactly("Linear expects a 2-D input x of shape (N, 4), got shape (5,)")):
        Linear(4, 2)(np.zeros(5))
    with pytest.raises(ValueError, match=exactly("out_features must be a positive int, got 0")):
        Linear(4, 0)
