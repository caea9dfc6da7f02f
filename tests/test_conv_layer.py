"""Specification of `Conv2d` and `Flatten`: the course's interface, exact values, gradients, dtypes, bad input.

The fixtures `fixtures/conv2d.npz` (named arrays per configuration) and the course's `conv*.npy` next to
this file were written by `tools/generate_conv_fixtures.py` with PyTorch (float64); the tests never need torch.
"""
from pathlib import Path

import numpy as np
import pytest

from conv_checks import assert_layer_matches_naive
from exact_messages import exactly
from lib.kernels import conv as conv_kernels
from lib.convolutions import Conv2D, Conv2d, Flatten, calculate_conv_output
from lib.gradient_check import rel_error
from lib.naive_layers import conv2d_backward_naive, conv2d_forward_naive

FIXTURE_DIR = Path(__file__).resolve().parent

# (N, C, H, W, F, kernel, stride, padding): stride not dividing, padding > 0, non-square and 1x1
# kernels, batch 1, one and several channels.
SWEEP = [
    (2, 3, 11, 11, 10, (3, 3), (1, 1), (0, 0)),
    (2, 3, 11, 11, 10, (3, 3), (2, 2), (1, 1)),
    (1, 1, 5, 5, 1, (3, 3), (1, 1), (0, 0)),
    (3, 2, 7, 9, 4, (2, 5), (3, 1), (2, 3)),
    (2, 4, 6, 5, 3, (1, 1), (2, 3), (0, 1)),
    (2, 1, 8, 8, 2, (3, 3), (3, 3), (0, 0)),
    (1, 5, 4, 4, 6, (4, 4), (2, 2), (1, 1)),
]


def load_fixtures():
    """The PyTorch fixtures as a list of (config dict, arrays dict), one per `caseNN/` prefix of the file."""
    fixtures = {}
    with np.load(FIXTURE_DIR / "fixtures" / "conv2d.npz", allow_pickle=False) as saved:
        for key in sorted(saved.files):
            case, name = key.split("/")
            fixtures.setdefault(case, {})[name] = saved[key]
    return [({name: tuple(int(v) for v in arrays.pop(name)) for name in ("kernel", "stride", "padding")}, arrays)
            for arrays in fixtures.values()]


FIXTURES = load_fixtures()


def make_layer(c, f, kernel, stride, padding, seed=0):
    """A Conv2d with random filters and a non-zero bias (the course initialises it to zeros)."""
    layer = Conv2d(c, f, kernel, stride, padding)
    rng = np.random.default_rng(seed)
    layer.W.data = rng.standard_normal(layer.W.data.shape)
    layer.b.data = rng.standard_normal((f, 1, 1))
    return layer


# ------------------------------------------------------------------ the course's interface
def test_initialisation_follows_the_course_order_of_random_draws():
    np.random.seed(5)
    layer = Conv2d(3, 4, (2, 3), stride=(2, 1), padding=(1, 0))
    after = np.random.rand()
    np.random.seed(5)
    expected_w = np.random.randn(4, 3, 2, 3) * 0.1
    assert np.random.rand() == after  # W is the only random draw
    np.testing.assert_array_equal(layer.W.data, expected_w)
    np.testing.assert_array_equal(layer.b.data, np.zeros((4, 1, 1)))
    assert (layer.W.name, layer.b.name) == ("conv_filter", "conv_bias")
    assert layer.parameters() == (layer.W, layer.b)
    assert (layer.in_channels, layer.out_channels) == (3, 4)
    assert (layer.kernel_size, layer.stride, layer.pad) == ((2, 3), (2, 1), (1, 0))


def test_repr_and_the_sheet_spelling():
    assert repr(Conv2d(1, 3, (3, 3))) == "Conv2d(in=1,out=3,kernel=(3, 3),stride=(1, 1),pad=(0, 0))"
    assert repr(Conv2d(1, 3, [4, 4], [2, 2], [1, 1])) == "Conv2d(in=1,out=3,kernel=(4, 4),stride=(2, 2),pad=(1, 1))"
    assert repr(Conv2d(2, 5, 3, 2, 1)) == "Conv2d(in=2,out=5,kernel=(3, 3),stride=(2, 2),pad=(1, 1))"
    assert Conv2D is Conv2d


def test_compute_output_shape():
    layer = Conv2d(1, 5, (4, 4), (2, 2), (1, 1))
    shape = layer._compute_output_shape((50, 1, 28, 28))
    assert shape == (50, 5, 14, 14) and all(type(v) is int for v in shape)


def test_input_cache_holds_the_padded_input():
    x = np.arange(32, dtype=float).reshape(2, 1, 4, 4)
    layer = Conv2d(1, 2, (3, 3))
    layer(x)
    assert layer.input_cache is x  # no padding, no copy
    layer = Conv2d(1, 2, (3, 3), padding=(1, 1))
    layer(x)
    expected = np.zeros((2, 1, 6, 6))
    expected[:, :, 1:5, 1:5] = x
    np.testing.assert_array_equal(layer.input_cache, expected)


# ------------------------------------------------------------------ values against PyTorch (fixtures)
def test_fixtures_cover_the_course_and_at_least_twenty_more_configurations():
    assert len(FIXTURES) >= 24
    kernel_sizes = {config["kernel"] for config, _ in FIXTURES}
    assert (1, 1) in kernel_sizes and any(kh != kw for kh, kw in kernel_sizes)
    assert any(arrays["x"].shape[0] == 1 for _, arrays in FIXTURES)
    assert any(min(c["stride"]) > max(c["kernel"]) for c, _ in FIXTURES)
    assert any(2 * c["padding"][0] > c["kernel"][0] for c, _ in FIXTURES)


def test_course_fixtures_replay_the_course_random_draws():
    np.random.seed(9001)
    x = np.random.rand(2, 3, 11, 11)
    layers = [Conv2d(3, 10, (3, 3)), Conv2d(3, 10, (3, 3), stride=(2, 2)),
              Conv2d(3, 10, (3, 3), padding=(1, 1)), Conv2d(3, 10, (3, 3), stride=(2, 2), padding=(1, 1))]
    for layer, (config, arrays) in zip(layers, FIXTURES[:4]):
        assert (layer.kernel_size, layer.stride, layer.pad) == (config["kernel"], config["stride"], config["padding"])
        np.testing.assert_array_equal(arrays["x"], x)
        np.testing.assert_array_equal(arrays["W"], layer.W.data)
        np.testing.assert_allclose(layer(x), arrays["out"], rtol=1e-10, atol=0)
        np.testing.assert_allclose(layer.backward(arrays["grad_out"]), arrays["grad_x"], rtol=1e-10, atol=0)


@pytest.mark.parametrize("position, name", list(enumerate(["conv", "conv_stride", "conv_pad", "conv_stride_pad"])))
def test_course_named_fixtures_hold_the_course_forward_outputs(position, name):
    """The course's own test loads <name>.npy next to it (tests/handout/ here, tests/ in the handout); each must
    equal the layer's output on the course's input."""
    stored = np.load(FIXTURE_DIR / "handout" / (name + ".npy"), allow_pickle=False)
    _, arrays = FIXTURES[position]
    np.testing.assert_array_equal(stored, arrays["out"])
    np.random.seed(9001)
    x = np.random.rand(2, 3, 11, 11)
    layers = [Conv2d(3, 10, (3, 3)), Conv2d(3, 10, (3, 3), stride=(2, 2)),
              Conv2d(3, 10, (3, 3), padding=(1, 1)), Conv2d(3, 10, (3, 3), stride=(2, 2), padding=(1, 1))]
    np.testing.assert_allclose(layers[position](x), stored, rtol=1e-10, atol=0)


@pytest.mark.parametrize("index", range(len(FIXTURES)))
def test_forward_and_gradients_match_pytorch(index):
    config, arrays = FIXTURES[index]
    f, c = arrays["W"].shape[:2]
    layer = Conv2d(c, f, config["kernel"], config["stride"], config["padding"])
    layer.W.data, layer.b.data = arrays["W"].copy(), arrays["b"].copy()
    out = layer(arrays["x"])
    grad_x = layer.backward(arrays["grad_out"])
    np.testing.assert_allclose(out, arrays["out"], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grad_x, arrays["grad_x"], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(layer.W.grad, arrays["grad_W"], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(layer.b.grad, arrays["grad_b"], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("index", range(len(FIXTURES)))
def test_the_naive_functions_match_pytorch(index):
    config, arrays = FIXTURES[index]
    out = conv2d_forward_naive(arrays["x"], arrays["W"], arrays["b"], config["stride"], config["padding"])
    grad_x, grad_w, grad_b = conv2d_backward_naive(arrays["x"], arrays["W"], arrays["grad_out"], config["stride"],
                                                   config["padding"])
    np.testing.assert_allclose(out, arrays["out"], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grad_x, arrays["grad_x"], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grad_w, arrays["grad_W"], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grad_b, arrays["grad_b"], rtol=1e-10, atol=1e-13)


# ------------------------------------------------------------------ values against the naive reference (lib)
@pytest.mark.parametrize("n, c, h, w, f, kernel, stride, padding", SWEEP)
def test_forward_and_backward_match_the_naive_reference(n, c, h, w, f, kernel, stride, padding):
    layer = make_layer(c, f, kernel, stride, padding)
    rng = np.random.default_rng(1)
    assert_layer_matches_naive(layer, rng.standard_normal((n, c, h, w)), rng)
    assert layer.b.grad.shape == (f, 1, 1)


def test_gradients_accumulate_across_backward_calls():
    layer = make_layer(2, 3, (3, 3), (2, 2), (1, 1))
    x = np.random.default_rng(2).standard_normal((2, 2, 6, 6))
    grad = np.ones(layer(x).shape)
    dx_first = layer.backward(grad)
    w_grad, b_grad = layer.W.grad.copy(), layer.b.grad.copy()
    dx_second = layer.backward(grad)  # same forward, second backward: rebuilds the patches from the cached input
    np.testing.assert_allclose(layer.W.grad, 2 * w_grad, rtol=1e-14)
    np.testing.assert_allclose(layer.b.grad, 2 * b_grad, rtol=1e-14)
    np.testing.assert_array_equal(dx_first, dx_second)


def test_eval_mode_gives_the_same_values_and_gradients():
    x = np.random.default_rng(3).standard_normal((2, 3, 7, 7))
    train_layer = make_layer(3, 4, (3, 2), (2, 1), (1, 1))
    eval_layer = make_layer(3, 4, (3, 2), (2, 1), (1, 1)).eval()
    out_train, out_eval = train_layer(x), eval_layer(x)
    np.testing.assert_array_equal(out_train, out_eval)
    np.testing.assert_array_equal(train_layer.backward(out_train), eval_layer.backward(out_eval))
    np.testing.assert_array_equal(train_layer.W.grad, eval_layer.W.grad)


def test_outputs_are_not_overwritten_by_later_calls():
    layer = make_layer(1, 2, (3, 3), (1, 1), (1, 1))
    rng = np.random.default_rng(4)
    x1, x2 = rng.standard_normal((2, 1, 5, 5)), rng.standard_normal((2, 1, 5, 5))
    out1 = layer(x1)
    dx1 = layer.backward(np.ones(out1.shape))
    out1_copy, dx1_copy = out1.copy(), dx1.copy()
    out2 = layer(x2)
    layer.backward(out2)
    np.testing.assert_array_equal(out1, out1_copy)
    np.testing.assert_array_equal(dx1, dx1_copy)


@pytest.mark.parametrize("kernel, stride, padding", [((3, 3), (1, 1), (1, 1)), ((3, 2), (2, 1), (1, 0))])
def test_blocks_of_output_rows_give_the_same_results_as_one_block(monkeypatch, kernel, stride, padding):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 2, 9, 8))
    grad = rng.standard_normal(make_layer(2, 4, kernel, stride, padding)(x).shape)
    results = []
    for block_bytes in (1 << 30, 1):  # everything in one block; one output row per block
        monkeypatch.setattr(conv_kernels, "BLOCK_BYTES", block_bytes)
        layer = make_layer(2, 4, kernel, stride, padding)
        out = layer(x)  # training mode: backward works in blocks
        results.append((out, layer.backward(grad), layer.W.grad, layer.b.grad, layer.eval()(x)))  # eval: forward
    for whole, by_rows in zip(*results):
        np.testing.assert_allclose(by_rows, whole, rtol=1e-12, atol=1e-12)


def test_one_product_per_output_row_gives_the_same_results_as_one_product(monkeypatch):
    rng = np.random.default_rng(14)
    x = rng.standard_normal((3, 2, 9, 8))
    grad = rng.standard_normal(make_layer(2, 4, (3, 2), (2, 1), (1, 0))(x).shape)
    results = []
    for max_macs in (0, 1 << 60):  # every product as one BLAS call; one call per output row
        monkeypatch.setattr(conv_kernels, "ROW_PRODUCT_MAX_MACS", max_macs)
        layer = make_layer(2, 4, (3, 2), (2, 1), (1, 0))
        out = layer(x)
        results.append((out, layer.backward(grad), layer.W.grad, layer.b.grad, layer.eval()(x)))
    for whole, by_rows in zip(*results):
        np.testing.assert_allclose(by_rows, whole, rtol=1e-12, atol=1e-12)


def test_backward_params_accumulates_the_same_parameter_gradients_as_backward():
    x = np.random.default_rng(5).standard_normal((3, 1, 8, 8))
    with_input_grad = make_layer(1, 5, (4, 4), (2, 2), (1, 1))
    params_only = make_layer(1, 5, (4, 4), (2, 2), (1, 1))
    grad = np.random.default_rng(6).standard_normal(with_input_grad(x).shape)
    params_only(x)
    assert with_input_grad.backward(grad).shape == x.shape
    params_only.backward_params(grad)
    np.testing.assert_array_equal(params_only.W.grad, with_input_grad.W.grad)
    np.testing.assert_array_equal(params_only.b.grad, with_input_grad.b.grad)
    assert params_only.backward(grad).shape == x.shape  # the layer still gives input gradients afterwards


# ------------------------------------------------------------------ without a bias (PyTorch's bias=False)
def test_a_layer_without_bias_has_only_filters_drawn_as_the_course_draws_them():
    np.random.seed(0)
    with_bias = Conv2d(2, 3, (3, 3), padding=(1, 1))
    np.random.seed(0)
    without = Conv2d(2, 3, (3, 3), padding=(1, 1), bias=False)
    assert without.b is None
    assert len(without.parameters()) == 1 and without.parameters()[0] is without.W
    np.testing.assert_array_equal(without.W.data, with_bias.W.data)
    assert repr(without) == "Conv2d(in=2,out=3,kernel=(3, 3),stride=(1, 1),pad=(1, 1),bias=False)"


def test_without_bias_the_layer_computes_as_with_a_zero_bias():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, 2, 5, 6))
    with_bias, without = make_layer(2, 3, (3, 3), (1, 1), (1, 1)), Conv2d(2, 3, (3, 3), (1, 1), (1, 1), bias=False)
    with_bias.b.data[...] = 0.0
    without.W.data = with_bias.W.data.copy()
    out = without(x)
    np.testing.assert_array_equal(out, with_bias(x))
    grad = rng.standard_normal(out.shape)
    np.testing.assert_array_equal(without.backward(grad), with_bias.backward(grad))
    np.testing.assert_array_equal(without.W.grad, with_bias.W.grad)
    without.backward_params(grad)
    np.testing.assert_array_equal(without.W.grad, 2 * with_bias.W.grad)
    without.check_gradients((x,))


def test_without_bias_the_layer_matches_the_naive_reference():
    rng = np.random.default_rng(13)
    layer = Conv2d(2, 3, (3, 2), (2, 1), (1, 1), bias=False)
    layer.W.data = rng.standard_normal(layer.W.data.shape)
    assert_layer_matches_naive(layer, rng.standard_normal((2, 2, 7, 6)), rng)


@pytest.mark.parametrize("bias", [1, 0, "no", None])
def test_bias_must_be_true_or_false(bias):
    with pytest.raises(TypeError, match="bias must be True or False"):
        Conv2d(1, 1, (3, 3), bias=bias)


# ------------------------------------------------------------------ numerical gradient checks
def test_conv2d_check_gradients():
    rng = np.random.default_rng(7)
    make_layer(2, 3, (3, 2), (2, 1), (1, 2)).check_gradients((rng.standard_normal((2, 2, 5, 4)),))
    make_layer(1, 2, (4, 4), (2, 2), (1, 1)).check_gradients((rng.standard_normal((1, 1, 6, 6)),))


@pytest.mark.parametrize("channels, kernel, stride, padding, shape", [
    ((2, 3), (3, 2), (2, 1), (1, 2), (2, 2, 5, 4)), ((1, 2), (4, 4), (2, 2), (1, 1), (1, 1, 6, 6)),
    ((3, 2), (2, 3), (1, 2), (0, 1), (2, 3, 4, 7)),
])
def test_conv2d_check_gradients_with_a_random_upstream_gradient(channels, kernel, stride, padding, shape):
    """All-ones weights sum every output alike; a random upstream gradient sees each output position's term."""
    x = np.random.default_rng(17).standard_normal(shape)
    layer = make_layer(*channels, kernel, stride, padding)
    layer.check_gradients((x,), upstream_seed=3)
    layer.eval().check_gradients((x,), upstream_seed=4)  # eval mode rebuilds the patches in backward
    Conv2d(*channels, kernel, stride, padding, bias=False).check_gradients((x,), upstream_seed=5)


def test_flatten_check_gradients_and_shapes():
    x = np.random.default_rng(8).standard_normal((3, 2, 4, 5))
    flatten = Flatten()
    out = flatten(x)
    assert out.shape == (3, 40) and flatten.input_cache == (3, 2, 4, 5)
    np.testing.assert_array_equal(out[1], x[1].ravel())
    assert flatten.backward(out).shape == x.shape
    np.testing.assert_array_equal(flatten.backward(out), x)
    flatten.check_gradients((x,))
    flatten.check_gradients((x,), upstream_seed=6)


def test_flatten_accepts_the_transposed_conv_output():
    layer = make_layer(2, 3, (3, 3), (1, 1), (0, 0))
    out = layer(np.random.default_rng(9).standard_normal((2, 2, 5, 5)))
    np.testing.assert_array_equal(Flatten()(out), np.ascontiguousarray(out).reshape(2, -1))


# ------------------------------------------------------------------ dtypes
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    layer = make_layer(2, 3, (3, 3), (2, 2), (1, 1))
    layer.W.data, layer.b.data = layer.W.data.astype(dtype), layer.b.data.astype(dtype)
    layer.W.grad, layer.b.grad = np.zeros_like(layer.W.data), np.zeros_like(layer.b.data)
    x = np.random.default_rng(10).standard_normal((2, 2, 7, 7)).astype(dtype)
    out = layer(x)
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == dtype and dx.dtype == dtype
    assert layer.W.grad.dtype == dtype and layer.b.grad.dtype == dtype
    assert layer.input_cache.dtype == dtype
    reference = conv2d_forward_naive(x, layer.W.data, layer.b.data, (2, 2), (1, 1))
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    assert rel_error(out, reference) < tolerance


def test_mixed_dtypes_follow_numpy_result_type():
    layer = make_layer(1, 2, (2, 2), (1, 1), (0, 0))  # float64 filters
    x = np.random.default_rng(11).random((2, 1, 4, 4)).astype(np.float32)  # like the course's MNIST
    out = layer(x)
    assert out.dtype == np.float64
    assert layer.backward(np.ones_like(out)).dtype == np.float64
    assert layer(np.ones((1, 1, 3, 3), dtype=np.uint8)).dtype == np.float64
    layer.to(np.float32)  # float32 filters
    assert layer(np.ones((1, 1, 3, 3))).dtype == np.float64 and layer(x).dtype == np.float32


# ------------------------------------------------------------------ bad input, one test each
def test_input_not_4d():
    with pytest.raises(ValueError, match=exactly("Conv2d expects a 4-D input (N, C, H, W), got a 3-D input of shape "
                                                 "(1, 5, 5)")):
        Conv2d(1, 2, (3, 3))(np.ones((1, 5, 5)))


def test_wrong_channel_count():
    with pytest.raises(ValueError, match=exactly("Conv2d expected input with 3 channels, got 1 (input shape "
                                                 "(2, 1, 5, 5))")):
        Conv2d(3, 2, (3, 3))(np.ones((2, 1, 5, 5)))


def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"kernel size 5 is larger than the padded input size 4 .* dimension 1"):
        Conv2d(1, 2, (3, 5), padding=(0, 1))(np.ones((1, 1, 5, 2)))


@pytest.mark.parametrize("dtype", [bool, complex, object])
def test_non_real_input(dtype):
    with pytest.raises(TypeError, match="real-valued input x, got dtype"):
        Conv2d(1, 2, (1, 1))(np.ones((1, 1, 2, 2), dtype=dtype))


def test_backward_before_forward_or_with_the_wrong_shape():
    layer = Conv2d(1, 2, (3, 3))
    with pytest.raises(RuntimeError, match="Conv2d.backward called before forward"):
        layer.backward(np.ones((1, 2, 2, 2)))
    layer(np.ones((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"Conv2d.backward expected grad of shape \(1, 2, 2, 2\), got \(1, 2, 3, 3\)"):
        layer.backward(np.ones((1, 2, 3, 3)))


def test_the_naive_functions_name_themselves_in_their_errors():
    with pytest.raises(ValueError, match="conv2d_forward_naive expected input with 1 channels, got 2"):
        conv2d_forward_naive(np.ones((1, 2, 5, 5)), np.ones((3, 1, 3, 3)), None, (1, 1), (0, 0))
    with pytest.raises(ValueError, match=r"conv2d_backward_naive expects a 4-D input \(N, C, H, W\), got a 3-D"):
        conv2d_backward_naive(np.ones((2, 5, 5)), np.ones((3, 1, 3, 3)), np.ones((2, 3, 3, 3)), (1, 1), (0, 0))


def test_flatten_backward_before_forward_or_with_the_wrong_size():
    flatten = Flatten()
    with pytest.raises(RuntimeError, match=exactly("Flatten.backward called before forward")):
        flatten.backward(np.ones((2, 3)))
    flatten(np.ones((2, 3, 4, 5)))
    with pytest.raises(ValueError, match=exactly("Flatten.backward expected grad of shape (2, 60), got (2, 59)")):
        flatten.backward(np.ones((2, 59)))


@pytest.mark.parametrize("stride", [(0, 1), (1, -2), 0])
def test_stride_not_positive(stride):
    with pytest.raises(ValueError, match="stride must be positive ints"):
        Conv2d(1, 2, (3, 3), stride=stride)


def test_negative_padding():
    with pytest.raises(ValueError, match=r"padding must be non-negative ints \(height, width\), got \(1, -1\)"):
        Conv2d(1, 2, (3, 3), padding=(1, -1))


@pytest.mark.parametrize("name", ["kernel_size", "stride", "padding"])
def test_pair_of_the_wrong_length(name):
    args = {"kernel_size": (3, 3), "stride": (1, 1), "padding": (0, 0)}
    args[name] = (1, 1, 1)
    with pytest.raises(ValueError, match=name + r" must be a tuple of 2 ints \(height, width\), got 3 values"):
        Conv2d(1, 2, **args)


@pytest.mark.parametrize("name, value", [("kernel_size", (3.0, 3)), ("stride", (1, "2")), ("padding", 0.5),
                                         ("kernel_size", None)])
def test_pair_not_integers(name, value):
    args = {"kernel_size": (3, 3), "stride": (1, 1), "padding": (0, 0)}
    args[name] = value
    with pytest.raises(TypeError, match=name):
        Conv2d(1, 2, **args)


@pytest.mark.parametrize("in_channels, out_channels, error", [(0, 2, ValueError), (1, -1, ValueError),
                                                              (1.0, 2, TypeError), (1, True, TypeError)])
def test_bad_channel_counts(in_channels, out_channels, error):
    with pytest.raises(error, match="in_channels|out_channels"):
        Conv2d(in_channels, out_channels, (3, 3))


def test_kernel_size_not_positive():
    with pytest.raises(ValueError, match=r"kernel_size must be positive ints \(height, width\), got \(0, 3\)"):
        Conv2d(1, 2, (0, 3))


def test_backward_with_a_wrong_gradient_shape_or_before_forward():
    layer = Conv2d(1, 2, (3, 3))
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((1, 2, 3, 3)))
    layer(np.ones((1, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"expected grad of shape \(1, 2, 3, 3\), got \(1, 2, 3\)"):
        layer.backward(np.ones((1, 2, 3)))


@pytest.mark.parametrize("padding", [(0, 0), (1, 2)])
def test_inputs_of_any_memory_layout(padding):
    rng = np.random.default_rng(12)
    base = rng.standard_normal((3, 2, 9, 8))
    layer = make_layer(2, 3, (3, 2), (2, 1), padding)
    expected = conv2d_forward_naive(base[:, :, ::-1, ::2], layer.W.data, layer.b.data, (2, 1), padding)
    for x in (base[:, :, ::-1, ::2], np.asfortranarray(base[:, :, ::-1, ::2])):  # negative strides, F order
        np.testing.assert_allclose(layer(x), expected, rtol=1e-12, atol=1e-12)
    first = make_layer(2, 2, (2, 2), (1, 1), (1, 1), seed=3)
    hidden = first(base)  # a (N, F, OH, OW) view of an (F, OH, OW, N) array, as the next layer receives it
    assert not hidden.flags.c_contiguous
    np.testing.assert_allclose(layer(hidden), conv2d_forward_naive(np.ascontiguousarray(hidden), layer.W.data,
                                                                   layer.b.data, (2, 1), padding),
                               rtol=1e-12, atol=1e-12)


def test_the_argument_errors_name_the_argument_exactly():
    with pytest.raises(TypeError, match=exactly("input_shape must be a list or tuple of ints, got 5")):
        calculate_conv_output(5, [3], [1], [0])
    with pytest.raises(TypeError, match=exactly("input_shape[0] must be an integer, got 'a' of type str")):
        calculate_conv_output(["a"], [3], [1], [0])
    with pytest.raises(ValueError, match=exactly("input_shape, kernel_size, stride and padding must have the same "
                                                 "length, got lengths {'input_shape': 1, 'kernel_size': 2, "
                                                 "'stride': 1, 'padding': 1}")):
        calculate_conv_output([5], [3, 3], [1], [0])
    with pytest.raises(ValueError, match=exactly("in_channels must be a positive int, got 0")):
        Conv2d(0, 1, 3)
    with pytest.raises(ValueError, match=exactly("out_channels must be a positive int, got -1")):
        Conv2d(1, -1, 3)


def test_the_input_gradient_has_the_result_dtype_of_grad_x_and_w():
    layer = make_layer(2, 3, (2, 2), (1, 1), (1, 0))
    out = layer(np.random.default_rng(19).standard_normal((2, 2, 4, 4)))
    assert layer.backward(np.ones(out.shape, dtype=np.float32)).dtype == np.float64  # W and x are float64
    layer32 = make_layer(2, 3, (2, 2), (1, 1), (1, 0)).to(np.float32)
    out32 = layer32(np.random.default_rng(19).standard_normal((2, 2, 4, 4)).astype(np.float32))
    grad = np.random.default_rng(20).standard_normal(out32.shape)
    dx = layer32.backward(grad)  # a float64 gradient into a float32 layer: computed in float64
    assert dx.dtype == np.float64 and layer32.W.grad.dtype == np.float32
    assert layer32.backward(grad.astype(np.float32)).dtype == np.float32


# ------------------------------------------------------------------ the course's code (fast_path off)
def course_layer(c, f, kernel, stride, padding, seed=0):
    """make_layer's layer running the course's forward and backward."""
    layer = make_layer(c, f, kernel, stride, padding, seed)
    layer.fast_path = False
    return layer


def test_the_course_backward_checks_its_gradient_exactly():
    layer = course_layer(1, 2, (3, 3), (1, 1), (0, 0))
    with pytest.raises(RuntimeError, match=exactly("Conv2d.backward called before forward")):
        layer.backward(np.ones((1, 2, 2, 2)))
    layer(np.ones((1, 1, 4, 4)))
    for shape in [(1, 2, 2), (1, 3, 2, 2), (2, 2, 2, 2)]:  # 3-D with the right N and F; wrong F; wrong N
        with pytest.raises(ValueError, match=exactly(f"Conv2d.backward expected grad of shape (1, 2, OH, OW), "
                                                     f"got {shape}")):
            layer.backward(np.ones(shape))


def test_the_course_backward_accumulates_and_backward_params_runs_it():
    x = np.random.default_rng(21).standard_normal((2, 2, 5, 5))
    layer, params_only = course_layer(2, 3, (3, 3), (2, 2), (1, 1)), course_layer(2, 3, (3, 3), (2, 2), (1, 1))
    grad = np.random.default_rng(22).standard_normal(layer(x).shape)
    params_only(x)
    layer.backward(grad)
    params_only.backward_params(grad)
    np.testing.assert_array_equal(params_only.W.grad, layer.W.grad)
    np.testing.assert_array_equal(params_only.b.grad, layer.b.grad)
    w_grad, b_grad = layer.W.grad.copy(), layer.b.grad.copy()
    layer.backward(grad)
    np.testing.assert_allclose(layer.W.grad, 2 * w_grad, rtol=1e-14)
    np.testing.assert_allclose(layer.b.grad, 2 * b_grad, rtol=1e-14)


@pytest.mark.parametrize("float64", [None, "grad", "x", "W"])
def test_the_course_backward_gives_the_input_gradient_the_result_dtype_of_grad_x_and_w(float64):
    layer = course_layer(2, 3, (2, 2), (1, 1), (1, 0))
    if float64 != "W":
        layer.to(np.float32)
    x = np.random.default_rng(23).standard_normal((2, 2, 4, 4)).astype(np.float64 if float64 == "x" else np.float32)
    out = layer(x)
    dx = layer.backward(np.ones(out.shape, dtype=np.float64 if float64 == "grad" else np.float32))
    assert dx.dtype == (np.float32 if float64 is None else np.float64)


def test_flatten_needs_a_batch_axis():
    with pytest.raises(ValueError, match=exactly("Flatten expects an input with a batch axis, got a 0-D array")):
        Flatten()(np.float64(3.0))
    np.testing.assert_array_equal(Flatten()(np.arange(3.0)), [[0.0], [1.0], [2.0]])  # a 1-D batch of numbers
