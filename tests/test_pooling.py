"""Specification of GlobalAvgPool2d: the mean of every feature map, and its gradient."""
import numpy as np
import pytest

from lib.convolutions import Conv2d
from lib.gradient_check import numerical_gradient, rel_error
from lib.network import Linear, Sequential
from lib.pooling import GlobalAvgPool2d


def test_forward_averages_each_map_over_height_and_width():
    x = np.arange(2 * 3 * 2 * 4, dtype=float).reshape(2, 3, 2, 4)
    out = GlobalAvgPool2d()(x)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out, [[3.5, 11.5, 19.5], [27.5, 35.5, 43.5]])


def test_forward_keeps_float32():
    assert GlobalAvgPool2d()(np.ones((1, 2, 3, 3), dtype=np.float32)).dtype == np.float32


def test_backward_spreads_the_gradient_evenly():
    pool = GlobalAvgPool2d()
    pool(np.zeros((2, 3, 4, 5)))
    grad = np.arange(6, dtype=float).reshape(2, 3)
    dx = pool.backward(grad)
    assert dx.shape == (2, 3, 4, 5)
    np.testing.assert_allclose(dx, np.broadcast_to(grad[:, :, None, None] / 20, (2, 3, 4, 5)))
    assert dx.flags.writeable


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 4, 5), (3, 2, 7, 1)])
def test_gradient_matches_centred_differences(shape):
    rng = np.random.RandomState(0)
    x = rng.randn(*shape)
    weights = rng.randn(shape[0], shape[1])  # a non-uniform upstream gradient
    pool = GlobalAvgPool2d()

    def loss():
        return float(np.sum(pool(x) * weights))

    numeric = numerical_gradient(loss, x)
    pool(x)
    assert rel_error(pool.backward(weights), numeric) < 1e-8


def test_module_gradient_check_passes_alone_and_inside_a_network():
    rng = np.random.RandomState(1)
    GlobalAvgPool2d().check_gradients((rng.randn(2, 3, 4, 4),))
    np.random.seed(1)
    network = Sequential(Conv2d(2, 3, (3, 3), (2, 2), (1, 1)), GlobalAvgPool2d(), Linear(3, 2))
    network.check_gradients((rng.randn(2, 2, 5, 5),))


def test_moving_content_inside_the_map_does_not_change_the_output():
    x = np.zeros((1, 2, 6, 6))
    x[0, :, 1:3, 1:3] = [[1.0, 2.0], [3.0, 4.0]]
    moved = np.roll(x, (2, 3), axis=(2, 3))  # content stays inside the map
    np.testing.assert_allclose(GlobalAvgPool2d()(moved), GlobalAvgPool2d()(x))


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 0, 4)])
def test_rejects_inputs_that_are_not_non_empty_4d_maps(shape):
    with pytest.raises(ValueError, match="GlobalAvgPool2d expects"):
        GlobalAvgPool2d()(np.zeros(shape))


def test_backward_before_forward_or_with_the_wrong_shape():
    pool = GlobalAvgPool2d()
    with pytest.raises(RuntimeError, match="GlobalAvgPool2d.backward called before forward"):
        pool.backward(np.ones((2, 3)))
    pool(np.ones((2, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"GlobalAvgPool2d.backward expected grad of shape \(2, 3\), got \(3, 2\)"):
        pool.backward(np.ones((3, 2)))
