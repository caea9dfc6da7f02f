"""Specification of Dropout: inverted dropout in training, identity in evaluation, randomness from its own generator."""
import numpy as np
import pytest

from lib.dropout import Dropout
from lib.network import Linear, Sequential

from exact_messages import exactly


class FixedMaskDropout(Dropout):
    """Dropout that redraws the same mask at every forward, so that finite differences see one function."""

    def forward(self, x):
        self.rng = np.random.default_rng(0)
        return super().forward(x)


# ------------------------------------------------------------------ interface
def test_defaults_and_repr():
    layer = Dropout()
    assert layer.p == 0.5 and layer.training and layer.parameters() == [] and layer.buffers() == []
    assert isinstance(layer.rng, np.random.Generator)
    assert repr(layer) == "Dropout(p=0.5)" and repr(Dropout(0.25)) == "Dropout(p=0.25)"


def test_training_zeroes_elements_and_scales_the_rest_by_one_over_one_minus_p():
    x = np.random.default_rng(1).uniform(1.0, 2.0, (200, 500))  # no zeros of its own
    out = Dropout(0.2, rng=0)(x)
    dropped = out == 0
    np.testing.assert_allclose(out[~dropped], x[~dropped] / 0.8)
    assert abs(dropped.mean() - 0.2) < 0.005  # 100,000 draws: the standard deviation is 0.0013
    assert abs(out.mean() / x.mean() - 1.0) < 0.01  # inverted dropout keeps the expected value


def test_backward_reuses_the_mask_of_the_forward():
    layer = Dropout(0.5, rng=2)
    x = np.random.default_rng(3).uniform(1.0, 2.0, (4, 6))
    out = layer(x)
    grad = np.random.default_rng(4).standard_normal((4, 6))
    np.testing.assert_allclose(layer.backward(grad), grad * out / x)
    np.testing.assert_array_equal(layer.input_cache, out / x)


def test_eval_mode_is_the_identity_and_draws_nothing():
    layer = Dropout(0.5, rng=5).eval()
    state = layer.rng.bit_generator.state
    x = np.ones((3, 4))
    assert layer(x) is x
    grad = np.full((3, 4), 2.0)
    assert layer.backward(grad) is grad
    assert layer.rng.bit_generator.state == state


def test_p_zero_keeps_everything_and_draws_nothing():
    layer = Dropout(0.0, rng=6)
    state = layer.rng.bit_generator.state
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(np.ones((2, 3))), np.ones((2, 3)))
    assert layer.rng.bit_generator.state == state


# ------------------------------------------------------------------ randomness
def test_an_int_seed_makes_the_masks_reproducible():
    x = np.ones((5, 7))
    first, second = Dropout(0.5, rng=7), Dropout(0.5, rng=7)
    for _ in range(3):  # the same sequence of masks, step after step
        np.testing.assert_array_equal(first(x), second(x))
    assert not np.array_equal(Dropout(0.5, rng=8)(x), Dropout(0.5, rng=9)(x))


def test_a_generator_is_used_as_it_is():
    generator = np.random.default_rng(10)
    layer = Dropout(0.5, rng=generator)
    assert layer.rng is generator
    out = layer(np.ones((4, 4)))
    expected = (np.random.default_rng(10).random((4, 4)) >= 0.5) * 2.0
    np.testing.assert_array_equal(out, expected)


def test_the_global_random_stream_is_untouched():
    np.random.seed(123)
    expected = np.random.rand(3)
    np.random.seed(123)
    layer = Dropout(0.3)  # seeded from the operating system, not from np.random
    for _ in range(3):
        layer.backward(np.ones((8, 8)) * layer(np.ones((8, 8))))
    Dropout(0.3, rng=1)(np.ones((2, 2)))
    np.testing.assert_array_equal(np.random.rand(3), expected)


def test_the_same_seed_gives_the_same_mask_in_float32_and_float64():
    out32 = Dropout(0.4, rng=11)(np.ones((6, 6), dtype=np.float32))
    out64 = Dropout(0.4, rng=11)(np.ones((6, 6)))
    assert out32.dtype == np.float32 and out64.dtype == np.float64
    np.testing.assert_array_equal(out32 == 0, out64 == 0)


# ------------------------------------------------------------------ gradients, dtypes, networks
@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 4, 4)])
def test_gradient_check_with_a_fixed_mask(shape):
    FixedMaskDropout(0.3).check_gradients((np.random.default_rng(12).standard_normal(shape),))


@pytest.mark.parametrize("p", [0.5, 0.3])  # 0.3 too: at p = 0.5 a scale of 1 / p equals the right 1 / (1 - p)
@pytest.mark.parametrize("upstream_seed", [None, 0])
def test_gradient_check_inside_a_network(p, upstream_seed):
    np.random.seed(5)
    network = Sequential(Linear(4, 6), FixedMaskDropout(p), Linear(6, 2))
    network.check_gradients((np.random.default_rng(13).standard_normal((3, 4)),), upstream_seed=upstream_seed)


@pytest.mark.parametrize("p", [0.3, 0.7])
def test_gradient_check_with_a_random_upstream_gradient(p):
    FixedMaskDropout(p).check_gradients((np.random.default_rng(12).standard_normal((4, 5)),), upstream_seed=1)


@pytest.mark.parametrize("p", [0.1, 0.3, 0.7])
def test_the_mask_is_zero_or_one_over_one_minus_p(p):
    layer = Dropout(p, rng=21)
    x = np.random.default_rng(22).uniform(1.0, 2.0, (50, 40))
    out = layer(x)
    scale = np.unique(layer.input_cache)
    np.testing.assert_allclose(scale, [0.0, 1.0 / (1.0 - p)], rtol=1e-15)
    np.testing.assert_array_equal(out, x * layer.input_cache)
    kept = np.random.default_rng(21).random((50, 40)) >= p  # the draw the docstring describes
    np.testing.assert_array_equal(layer.input_cache != 0, kept)


def test_dtypes():
    layer = Dropout(0.5, rng=14)
    out = layer(np.ones((3, 3), dtype=np.float32))
    assert out.dtype == layer.input_cache.dtype == layer.backward(np.ones((3, 3), dtype=np.float32)).dtype == np.float32
    assert layer(np.ones((3, 3), dtype=np.int64)).dtype == np.float64


@pytest.mark.parametrize("dtype, expected", [(np.int64, np.float64), (np.int8, np.float64), (np.uint8, np.float64),
                                             (np.float32, np.float32), (np.float64, np.float64)])
@pytest.mark.parametrize("p", [0.5, 0.0])
def test_training_and_eval_mode_give_the_same_dtype(dtype, expected, p):
    layer, x = Dropout(p, rng=15), np.arange(12).reshape(3, 4).astype(dtype)
    trained = layer.train()(x)
    evaluated = layer.eval()(x)
    assert trained.dtype == evaluated.dtype == expected
    np.testing.assert_array_equal(evaluated, x)


def test_train_and_eval_inside_a_sequential():
    np.random.seed(6)
    network = Sequential(Linear(4, 50), Dropout(0.5, rng=15), Linear(50, 2))
    x = np.random.default_rng(16).standard_normal((3, 4))
    assert not np.array_equal(network(x), network(x))  # a new mask every training forward
    network.eval()
    assert not network.modules[1].training
    np.testing.assert_array_equal(network(x), network(x))
    network.train()
    assert network.modules[1].training


# ------------------------------------------------------------------ bad arguments and inputs
@pytest.mark.parametrize("p, error, match", [
    (1.0, ValueError, r"p must be in \[0, 1\), got 1.0: p = 1 would zero every element"),
    (1, ValueError, r"p must be in \[0, 1\), got 1.0"),
    (np.float32(1.0), ValueError, r"p must be in \[0, 1\), got 1.0"),
    (1.5, ValueError, r"p must be >= 0.0 and < 1.0, got 1.5"),
    (-0.1, ValueError, r"p must be >= 0.0 and < 1.0, got -0.1"),
    (float("nan"), ValueError, "p must be finite"),
    ("0.5", TypeError, "p must be a real number"),
    (True, TypeError, "p must be a real number"),
    (None, TypeError, "p must be a real number"),
])
def test_bad_p(p, error, match):
    with pytest.raises(error, match=match):
        Dropout(p)


@pytest.mark.parametrize("rng, error, match", [
    (np.random.RandomState(0), TypeError, "rng must be None, an int seed or a numpy.random.Generator, got RandomState"),
    (0.5, TypeError, "rng must be None, an int seed or a numpy.random.Generator, got float"),
    (True, TypeError, "rng must be None, an int seed or a numpy.random.Generator, got bool"),
    (-1, ValueError, "rng seed must be >= 0, got -1"),
])
def test_bad_rng(rng, error, match):
    with pytest.raises(error, match=match):
        Dropout(0.5, rng=rng)


@pytest.mark.parametrize("x", [np.ones(3, dtype=complex), np.zeros((2, 2), dtype=bool), np.array(["a", "b"]),
                               np.array([1, None], dtype=object)])
def test_non_real_inputs_are_refused_with_their_dtype(x):
    with pytest.raises(TypeError, match=f"Dropout expects a real-valued input x, got dtype {x.dtype}"):
        Dropout(0.5, rng=0)(x)


def test_bad_inputs_and_backward_misuse():
    layer = Dropout(0.5, rng=17)
    with pytest.raises(TypeError, match="Dropout expects a real-valued input x, got dtype complex128"):
        layer(np.ones(3, dtype=complex))
    with pytest.raises(RuntimeError, match="Dropout.backward called before forward"):
        layer.backward(np.ones((2, 2)))
    layer(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"Dropout.backward expected grad of shape \(2, 2\), got \(4,\)"):
        layer.backward(np.ones(4))


def test_p_one_exact_message():
    with pytest.raises(ValueError, match=exactly("p must be in [0, 1), got 1.0: p = 1 would zero every element, and "
                                                 "the scale 1 / (1 - p) of the kept ones is undefined")):
        Dropout(1.0)


def test_a_draw_equal_to_p_keeps_its_element():
    """Kept with probability 1 - p: the uniform draws in [p, 1) keep, those in [0, p) drop."""
    class Draws(np.random.Generator):
        def random(self, size=None, dtype=np.float64, out=None):
            return np.array([0.25, 0.2499, 0.9, 0.0]).reshape(size)

    layer = Dropout(0.25, rng=Draws(np.random.PCG64(0)))
    np.testing.assert_array_equal(layer(np.ones((2, 2))), [[4 / 3, 0.0], [4 / 3, 0.0]])
