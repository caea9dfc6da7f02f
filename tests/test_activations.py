"""Specification of ReLU and Softmax."""
import numpy as np
import pytest

from lib.activations import ReLU, Softmax

from exact_messages import exactly


def test_relu_forward_and_backward_on_4d_maps():
    z = np.array([-2.0, -0.5, 0.5, 3.0]).reshape(1, 1, 2, 2)
    relu = ReLU()
    np.testing.assert_array_equal(relu(z), [[[[0.0, 0.0], [0.5, 3.0]]]])
    grad = relu.backward(np.array([[1.0, 2.0, 3.0, 4.0]]))  # flattened gradient is reshaped
    np.testing.assert_array_equal(grad, [[[[0.0, 0.0], [3.0, 4.0]]]])


def test_relu_gradient_check_away_from_zero():
    rng = np.random.RandomState(0)
    z = rng.randn(3, 2, 4, 4)
    z += np.sign(z) * 0.1  # keep the kink at 0 out of reach of the finite differences
    ReLU().check_gradients((z,))
    ReLU().check_gradients((z,), upstream_seed=0)


def test_relu_keeps_the_dtype():
    assert ReLU()(np.ones(3, dtype=np.float32)).dtype == np.float32


def test_softmax_normalises_over_all_but_the_batch_axis():
    z = np.random.RandomState(0).randn(4, 2, 3)
    p = Softmax()(z)
    assert p.shape == z.shape
    np.testing.assert_allclose(p.reshape(4, -1).sum(axis=1), np.ones(4))


def test_softmax_is_stable_for_huge_scores():
    p = Softmax()(np.array([[1e4, 0.0, -1e4]]))
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0]])


def test_softmax_backward_is_not_implemented():
    with pytest.raises(NotImplementedError):
        Softmax().backward(np.ones((1, 2)))


def test_relu_backward_before_forward_or_with_the_wrong_size():
    relu = ReLU()
    with pytest.raises(RuntimeError, match="ReLU.backward called before forward"):
        relu.backward(np.ones(3))
    relu(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"expected grad with 6 entries \(shape \(2, 3\)\), got shape \(5,\)"):
        relu.backward(np.ones(5))


def test_softmax_rejects_an_input_without_a_batch_axis():
    with pytest.raises(ValueError, match=r"Softmax expects scores of shape \(N, K, ...\) with a batch axis"):
        Softmax()(np.array([1.0, 2.0, 3.0]))


def test_relu_accepts_lists():
    relu = ReLU()
    np.testing.assert_array_equal(relu([[-1.0, 2.0]]), [[0.0, 2.0]])
    np.testing.assert_array_equal(relu.backward([[5.0, 5.0]]), [[0.0, 5.0]])


def test_relu_passes_the_upstream_gradient_only_where_z_is_positive():
    z = np.array([[-1.0, 0.0, 2.0], [3.0, -4.0, 1e-300]])
    relu = ReLU()
    np.testing.assert_array_equal(relu(z), [[0.0, 0.0, 2.0], [3.0, 0.0, 1e-300]])
    np.testing.assert_array_equal(relu.backward(np.array([[5.0, 6.0, 7.0], [8.0, 9.0, 10.0]])),
                                  [[0.0, 0.0, 7.0], [8.0, 0.0, 10.0]])  # 0 at z = 0, as PyTorch


def test_softmax_values_per_sample_and_the_cached_input():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, np.log(2.0)]])
    softmax = Softmax()
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(softmax(z), [e / e.sum(), [0.25, 0.25, 0.5]], rtol=1e-15)
    assert softmax.input_cache is z
    p = softmax(np.array([[[1.0, 2.0], [3.0, 4.0]]]))  # (1, 2, 2): one distribution over all 4 entries
    np.testing.assert_allclose(p, np.exp([[[1.0, 2.0], [3.0, 4.0]]]) / np.exp([1.0, 2.0, 3.0, 4.0]).sum())


def test_reprs():
    assert (repr(ReLU()), repr(Softmax())) == ("ReLU()", "Softmax()")


def test_softmax_subtracts_each_samples_own_maximum():
    """Rows of very different scales: a maximum over the whole batch would underflow the second row to 0 / 0."""
    p = Softmax()(np.array([[1000.0, 1001.0], [0.0, 1.0]]))
    expected = np.exp([0.0, 1.0]) / np.exp([0.0, 1.0]).sum()
    np.testing.assert_allclose(p, [expected, expected], rtol=1e-15)


def test_exact_messages():
    with pytest.raises(RuntimeError, match=exactly("ReLU.backward called before forward")):
        ReLU().backward(np.ones(3))
    with pytest.raises(NotImplementedError,
                       match=exactly("Softmax.backward is not implemented; use CrossEntropyLoss on logits")):
        Softmax().backward(np.ones((1, 2)))
    with pytest.raises(ValueError, match=exactly("Softmax expects scores of shape (N, K, ...) with a batch axis, got "
                                                 "shape (3,); use z[None] for a single sample")):
        Softmax()(np.array([1.0, 2.0, 3.0]))
