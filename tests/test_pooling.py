"""Specification of the pooling layers: MaxPool2d, AvgPool2d, BlurPool2d and GlobalAvgPool2d.

Values and gradients are checked against PyTorch (float64 fixtures written by
tools/generate_layer_fixtures.py into tests/fixtures/; the tests never need torch), against the textbook
max pooling of `lib.naive_layers` and the loop reference `pool_loops` below on random cases, and against
centred differences.
"""
from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from layer_fixtures import batch_innermost, load_cases
from lib.kernels import pool as pool_kernels
from lib.convolutions import Conv2d, Flatten
from lib.gradient_check import numerical_gradient, rel_error
from lib.naive_layers import max_pool2d_backward_naive, max_pool2d_forward_naive
from lib.network import Linear, Sequential
from lib.pooling import AvgPool2d, BlurPool2d, GlobalAvgPool2d, MaxPool2d
from recording import record

MAX_CASES = load_cases("max_pool2d.npz")
AVG_CASES = load_cases("avg_pool2d.npz")
BLUR_CASES = load_cases("blur_pool2d.npz")


def pool_loops(x, kernel, stride, padding, grad_out, average):
    """Loop reference of max / average pooling and its input gradient.

    The first maximum of a window's real pixels wins: padding never does, as in PyTorch, which does not pad
    but clips the window (this matters when all of a window's real pixels are -inf).
    """
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    out, grad_xp = np.empty((n, c, oh, ow)), np.zeros(xp.shape)
    for b, ch, i, j in product(range(n), range(c), range(oh), range(ow)):
        if average:
            out[b, ch, i, j] = xp[b, ch, i * sh:i * sh + kh, j * sw:j * sw + kw].sum() / (kh * kw)
            grad_xp[b, ch, i * sh:i * sh + kh, j * sw:j * sw + kw] += grad_out[b, ch, i, j] / (kh * kw)
        else:
            top, left = max(i * sh, ph), max(j * sw, pw)  # the first real row and column of the window in xp
            window = xp[b, ch, top:min(i * sh + kh, ph + h), left:min(j * sw + kw, pw + w)]
            u, v = divmod(int(np.argmax(window)), window.shape[1])  # np.argmax: the first maximum, row-major
            out[b, ch, i, j] = window[u, v]
            grad_xp[b, ch, top + u, left + v] += grad_out[b, ch, i, j]
    return out, grad_xp[:, :, ph:ph + h, pw:pw + w]


def distinct_values(rng, shape):
    """Values at least 0.01 apart in random order: no ties, not even within a gradient-check step."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.01


# ------------------------------------------------------------------ MaxPool2d and AvgPool2d: interface
@pytest.mark.parametrize("layer, text", [
    (MaxPool2d(2), "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"),
    (MaxPool2d((3, 2), 1, (1, 0)), "MaxPool2d(kernel_size=(3, 2), stride=(1, 1), padding=(1, 0))"),
    (AvgPool2d([4, 4], [2, 1], 2), "AvgPool2d(kernel_size=(4, 4), stride=(2, 1), padding=(2, 2))"),
])
def test_repr_like_pytorch(layer, text):
    assert repr(layer) == text


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
def test_stride_defaults_to_the_kernel_size_and_there_are_no_parameters(cls):
    layer = cls((3, 2))
    assert (layer.kernel_size, layer.stride, layer.padding) == ((3, 2), (3, 2), (0, 0))
    assert layer.parameters() == [] and layer.buffers() == []


@pytest.mark.parametrize("index", range(len(MAX_CASES)))
@pytest.mark.parametrize("cls, cases", [(MaxPool2d, MAX_CASES), (AvgPool2d, AVG_CASES)])
def test_forward_and_input_gradient_match_pytorch(cls, cases, index):
    case = cases[index]
    layer = cls(tuple(case["kernel_size"]), tuple(case["stride"]), tuple(case["padding"]))
    for x in (case["x"], batch_innermost(case["x"])):
        np.testing.assert_allclose(layer(x), case["out"], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(layer.backward(case["grad_out"]), case["grad_x"], rtol=1e-13, atol=1e-15)


def test_max_pool_fixtures_cover_ties_overlaps_padding_and_odd_shapes():
    windows_with_ties = 0
    for case in MAX_CASES:
        (kh, kw), (sh, sw), (ph, pw) = case["kernel_size"], case["stride"], case["padding"]
        x = case["x"]
        oh, ow = case["out"].shape[2:]
        for i, j in product(range(oh), range(ow)):
            top, left = i * sh - ph, j * sw - pw
            window = x[:, :, max(top, 0):top + kh, max(left, 0):left + kw].reshape(x.shape[0], x.shape[1], -1)
            windows_with_ties += int(np.sum(np.sum(window == window.max(axis=2, keepdims=True), axis=2) > 1))
    assert windows_with_ties > 100
    configs = [(tuple(c["kernel_size"]), tuple(c["stride"]), tuple(c["padding"]), c["x"].shape) for c in MAX_CASES]
    assert any(s[0] < k[0] for k, s, _, _ in configs)  # overlapping windows
    assert any(max(p) > 0 for _, _, p, _ in configs)
    assert any(k[0] != k[1] for k, _, _, _ in configs) and any(k == (1, 1) for k, _, _, _ in configs)
    assert any((x[2] - k[0]) % s[0] != 0 for k, s, p, x in configs if p == (0, 0))  # stride not dividing
    assert any(x[0] == 1 for *_, x in configs) and any(x[1] == 1 for *_, x in configs)


@settings(max_examples=60, deadline=None)
@given(kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)), stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       extra=st.tuples(st.integers(0, 3), st.integers(0, 3)), batch=st.integers(1, 3), channels=st.integers(1, 3),
       pad=st.tuples(st.booleans(), st.booleans()), seed=st.integers(0, 2 ** 32 - 1))
def test_pooling_matches_the_loop_reference_on_random_cases_with_ties(kernel, stride, extra, batch, channels, pad,
                                                                      seed):
    padding = tuple(k // 2 if p else 0 for k, p in zip(kernel, pad))
    shape = (batch, channels) + tuple(max(1, k - 2 * p) + e for k, p, e in zip(kernel, padding, extra))
    rng = np.random.default_rng(seed)
    x = rng.integers(-1, 2, size=shape).astype(float)  # three values: ties everywhere
    for cls, average in ((MaxPool2d, False), (AvgPool2d, True)):
        layer = cls(kernel, stride, padding)
        out = layer(x)
        grad_out = rng.standard_normal(out.shape)
        expected_out, expected_grad = pool_loops(x, kernel, stride, padding, grad_out, average)
        np.testing.assert_allclose(out, expected_out, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(layer.backward(grad_out), expected_grad, rtol=1e-13, atol=1e-15)


# ------------------------------------------------------------------ MaxPool2d against the textbook version
@pytest.mark.parametrize("index", range(len(MAX_CASES)))
def test_the_naive_max_pooling_matches_pytorch(index):
    case = MAX_CASES[index]
    args = tuple(case["kernel_size"]), tuple(case["stride"]), tuple(case["padding"])
    np.testing.assert_allclose(max_pool2d_forward_naive(case["x"], *args), case["out"], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(max_pool2d_backward_naive(case["x"], case["grad_out"], *args), case["grad_x"],
                               rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("kernel, stride, padding, shape", [
    (2, None, 0, (2, 3, 8, 6)),  # windows that tile the input
    (2, None, 0, (1, 2, 7, 9)),  # stride not dividing H and W, batch 1
    (3, 2, 1, (3, 2, 9, 8)),  # overlapping, padded
    ((3, 2), (1, 2), (1, 1), (2, 1, 6, 7)),  # non-square kernel and stride, one channel
    ((2, 5), (3, 1), (0, 2), (1, 3, 8, 5)),
    (1, 2, 0, (2, 2, 5, 4)),  # 1x1 windows
    ((4, 4), (4, 3), (2, 1), (2, 2, 10, 11)),
])
@pytest.mark.parametrize("kind", ["normal", "ties"])
@pytest.mark.parametrize("layout", [np.ascontiguousarray, batch_innermost])
def test_max_pooling_matches_the_naive_functions(kernel, stride, padding, shape, kind, layout):
    rng = np.random.default_rng(10)
    x = rng.standard_normal(shape) if kind == "normal" else rng.integers(-1, 2, shape).astype(float)
    layer = MaxPool2d(kernel, stride, padding)
    args = layer.kernel_size, layer.stride, layer.padding
    for training in (True, False):  # the argmax from forward, and recomputed by backward
        layer.training = training
        out = layer(layout(x))
        grad_out = rng.standard_normal(out.shape)
        np.testing.assert_array_equal(out, max_pool2d_forward_naive(x, *args))
        # overlapping windows add their gradients in another order than the naive loop: a last-digit difference
        np.testing.assert_allclose(layer.backward(grad_out), max_pool2d_backward_naive(x, grad_out, *args),
                                   rtol=1e-13, atol=1e-15)


# ------------------------------------------------------------------ the fast path of windows that tile the input
@pytest.mark.parametrize("kernel, stride, padding, shape, tiles", [
    (2, None, 0, (2, 3, 8, 6), True), ((3, 2), None, 0, (1, 1, 6, 4), True), (2, None, 0, (1, 1, 5, 6), False),
    (2, 1, 0, (1, 1, 6, 6), False), (2, None, 1, (1, 1, 6, 6), False),
])
def test_windows_that_tile_the_input_take_the_fast_path(kernel, stride, padding, shape, tiles):
    layer = MaxPool2d(kernel, stride, padding)
    assert pool_kernels.pool_tiles(shape, layer.kernel_size, layer.stride, layer.padding) is tiles


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
@pytest.mark.parametrize("layer_args, tiles", [((2,), True), ((2, 1), False), ((2, 2, 1), False)])
def test_windows_that_tile_the_input_are_read_and_written_through_a_reshape_of_it(monkeypatch, cls, layer_args,
                                                                                  tiles):
    general = []  # the general path's calls: the batch-innermost (padded) copy, col2im
    for name in ("pad_batch_inner", "col2im"):
        record(monkeypatch, pool_kernels, name, general, keep=lambda arguments, name=name: name)
    layer = cls(*layer_args)
    layer.backward(np.ones(layer(np.zeros((2, 3, 4, 4))).shape))
    assert general == ([] if tiles else ["pad_batch_inner", "col2im"])


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
@pytest.mark.parametrize("kind", ["ints", "relu", "zeros", "normal"])
@pytest.mark.parametrize("layout", [np.ascontiguousarray, batch_innermost])
def test_fast_path_and_general_path_agree_including_ties(cls, kind, layout, monkeypatch):
    rng = np.random.default_rng(3)
    shape = (3, 4, 8, 6)
    x = {"ints": rng.integers(-2, 3, shape).astype(float), "relu": np.maximum(rng.standard_normal(shape), 0),
         "zeros": np.zeros(shape), "normal": rng.standard_normal(shape)}[kind]
    x = layout(x)
    grad_out = rng.standard_normal((3, 4, 4, 3))
    fast, general = cls(2), cls(2)
    assert pool_kernels.pool_tiles(x.shape, fast.kernel_size, fast.stride, fast.padding)
    fast_out, fast_grad = fast(x), fast.backward(grad_out)
    monkeypatch.setattr(pool_kernels, "pool_tiles", lambda *args: False)  # force the im2col path
    np.testing.assert_array_equal(fast_out, general(x))
    np.testing.assert_array_equal(fast_grad, general.backward(grad_out))


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
@pytest.mark.parametrize("padding", [0, 1])
def test_output_and_gradient_keep_the_memory_layout_of_the_input(cls, padding):
    x = batch_innermost(np.random.default_rng(4).standard_normal((4, 3, 6, 6)))
    layer = cls(2, padding=padding)
    out = layer(x)
    grad_x = layer.backward(np.ones(out.shape))
    assert out.transpose(1, 2, 3, 0).flags.c_contiguous  # (C, OH, OW, N) in memory, like x
    assert padding or grad_x.transpose(1, 2, 3, 0).flags.c_contiguous


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
def test_a_plain_input_gives_a_plain_output_and_gradient(cls):
    layer = cls(2)
    assert layer(np.zeros((2, 3, 4, 4))).flags.c_contiguous  # (N, C, H, W) in memory, like x
    assert layer.backward(np.ones((2, 3, 2, 2))).flags.c_contiguous


# ------------------------------------------------------------------ gradients, modes, dtypes
@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
@pytest.mark.parametrize("kernel, stride, padding, shape", [
    (2, None, 0, (2, 3, 4, 6)), (3, 2, 1, (2, 2, 7, 6)), ((2, 3), (1, 2), (1, 1), (1, 2, 5, 5)),
    (2, 3, 0, (1, 1, 7, 7)),
])
def test_gradient_check(cls, kernel, stride, padding, shape):
    cls(kernel, stride, padding).check_gradients((distinct_values(np.random.default_rng(5), shape),))
    # a random upstream gradient tells the windows' outputs apart (all ones gives each the same weight)
    cls(kernel, stride, padding).check_gradients((distinct_values(np.random.default_rng(5), shape),), upstream_seed=7)


def test_gradient_check_inside_a_network():
    np.random.seed(2)
    network = Sequential(Conv2d(2, 3, 3, padding=1), MaxPool2d(2), Conv2d(3, 2, 2), AvgPool2d(3, 1, 1), Flatten(),
                         Linear(2 * 3 * 3, 2))
    network.check_gradients((np.random.default_rng(6).standard_normal((2, 2, 8, 8)),))
    network.check_gradients((np.random.default_rng(6).standard_normal((2, 2, 8, 8)),), upstream_seed=8)


def test_max_pool_in_eval_mode_skips_the_argmax_but_backward_still_works():
    x = np.random.default_rng(7).integers(0, 3, (2, 2, 5, 5)).astype(float)
    grad_out = np.arange(2 * 2 * 2 * 2, dtype=float).reshape(2, 2, 2, 2)
    trained = MaxPool2d(3, 2, 1)
    trained(x)
    assert trained.argmax.shape == (2, 2, 3, 3)
    evaluated = MaxPool2d(2).eval()
    assert evaluated.argmax is None  # nothing cached before the first forward
    evaluated(x)
    assert evaluated.argmax is None
    _, expected = pool_loops(x, (2, 2), (2, 2), (0, 0), grad_out, average=False)
    np.testing.assert_array_equal(evaluated.backward(grad_out), expected)


@pytest.mark.parametrize("layer", [MaxPool2d(2), AvgPool2d(3, 1, 1), BlurPool2d(3)])
def test_float32_stays_float32_and_integers_are_pooled_in_float64(layer):
    x64 = np.random.default_rng(8).standard_normal((2, 3, 6, 6))
    out32 = layer(x64.astype(np.float32))
    grad32 = layer.backward(np.ones(out32.shape, dtype=np.float32))
    assert out32.dtype == grad32.dtype == np.float32
    np.testing.assert_allclose(out32, layer(x64), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad32, layer.backward(np.ones(out32.shape)), rtol=1e-5, atol=1e-6)
    assert layer(np.ones((1, 3, 4, 4), dtype=np.int64)).dtype == np.float64


@pytest.mark.parametrize("layer", [MaxPool2d(2), MaxPool2d(3, 1, 1), AvgPool2d(2), AvgPool2d(3, 1, 1)])
@pytest.mark.parametrize("x_dtype, grad_dtype", [(np.float32, np.float64), (np.float64, np.float32)])
def test_the_input_gradient_has_the_result_dtype_of_grad_and_x(layer, x_dtype, grad_dtype):
    x = np.random.default_rng(9).standard_normal((2, 3, 6, 6))
    grad = np.random.default_rng(10).standard_normal(layer(x).shape)
    expected = layer.backward(grad)
    layer(x.astype(x_dtype))
    grad_x = layer.backward(grad.astype(grad_dtype))
    assert grad_x.dtype == np.float64
    np.testing.assert_allclose(grad_x, expected, rtol=1e-6, atol=1e-6)


def test_overlapping_windows_add_their_gradients():
    layer = MaxPool2d(2, 1)
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # the maximum of all four windows
    layer(x)
    grad_x = layer.backward(np.ones((1, 1, 2, 2)))
    assert grad_x[0, 0, 1, 1] == 4.0 and grad_x.sum() == 4.0


def test_average_pooling_counts_padded_zeros():
    out = AvgPool2d(3, 1, 1)(np.ones((1, 1, 3, 3)))
    np.testing.assert_allclose(out[0, 0], [[4 / 9, 6 / 9, 4 / 9], [6 / 9, 1, 6 / 9], [4 / 9, 6 / 9, 4 / 9]])


def max_pool_both_modes(layer, x, grad_out):
    """(output, input gradient) of a training forward and of an eval forward (argmax recomputed), checked equal."""
    results = []
    for training in (True, False):
        layer.training = training
        out = layer(x)
        results.append((out, layer.backward(grad_out)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    return results[0]


@pytest.mark.parametrize("kernel, stride, padding, x, grad_x", [
    ((1, 2), None, 0, [1.0, np.nan], [0, 1]),  # the windows tile the input
    ((1, 2), 1, 0, [1.0, np.nan, 2.0], [0, 2, 0]),
    ((1, 4), None, 0, [np.nan, 3.0, np.nan, 5.0], [0, 0, 1, 0]),  # the last NaN of the window
    ((1, 3), 1, (0, 1), [np.nan, 3.0, np.nan, 5.0], [1, 0, 3, 0]),  # PyTorch's answer, padding included
])
def test_max_pooling_sends_the_gradient_to_a_nan_like_pytorch(kernel, stride, padding, x, grad_x):
    layer = MaxPool2d(kernel, stride, padding)
    x = np.array(x).reshape(1, 1, 1, -1)
    out, grad = max_pool_both_modes(layer, x, np.ones(layer(x).shape))
    assert np.isnan(out).all()
    np.testing.assert_array_equal(grad[0, 0, 0], grad_x)


def test_max_pooling_never_sends_the_gradient_into_the_padding():
    layer = MaxPool2d(3, 1, 1)
    out, grad = max_pool_both_modes(layer, np.full((1, 1, 3, 3), -np.inf), np.ones((1, 1, 3, 3)))
    assert (out == -np.inf).all()
    # PyTorch's nn.MaxPool2d(3, 1, 1) on torch.full((1, 1, 3, 3), -inf): each window's first real pixel
    np.testing.assert_array_equal(grad[0, 0], [[4, 2, 0], [2, 1, 0], [0, 0, 0]])


@pytest.mark.parametrize("kernel, stride, padding, shape", [
    (3, 1, 1, (2, 3, 5, 6)), ((3, 2), 2, (1, 1), (1, 2, 5, 4)), ((4, 5), (3, 2), (2, 2), (2, 1, 7, 6)),
    (2, 2, 1, (1, 1, 4, 4)), (2, 2, (1, 0), (1, 2, 4, 4)), (2, 2, (0, 1), (1, 2, 4, 4)),
])
def test_windows_of_minus_infinity_keep_their_gradient_on_real_pixels(kernel, stride, padding, shape):
    rng = np.random.default_rng(9)
    x = np.where(rng.random(shape) < 0.7, -np.inf, rng.standard_normal(shape))  # many windows all -inf
    x[0, 0] = -np.inf
    layer = MaxPool2d(kernel, stride, padding)
    out_shape = layer(x).shape
    out, grad = max_pool_both_modes(layer, x, np.ones(out_shape))
    assert grad.sum() == out.size  # one unit per window, none lost in the padding
    expected_out, expected_grad = pool_loops(x, layer.kernel_size, layer.stride, layer.padding, np.ones(out_shape),
                                             average=False)
    np.testing.assert_array_equal(out, expected_out)
    np.testing.assert_array_equal(grad, expected_grad)


# ------------------------------------------------------------------ bad arguments and inputs
@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
@pytest.mark.parametrize("kwargs, error, match", [
    ({"kernel_size": 3, "padding": 2}, ValueError,
     r"padding must be at most half of kernel_size, got padding=\(2, 2\) and kernel_size=\(3, 3\)"),
    ({"kernel_size": (2, 4), "padding": (1, 3)}, ValueError, "padding must be at most half of kernel_size"),
    ({"kernel_size": 0}, ValueError, r"kernel_size must be positive ints \(height, width\), got \(0, 0\)"),
    ({"kernel_size": 2, "stride": 0}, ValueError, "stride must be positive ints"),
    ({"kernel_size": 2, "padding": -1}, ValueError, "padding must be non-negative ints"),
    ({"kernel_size": (2, 2, 2)}, ValueError, "kernel_size must be a tuple of 2 ints"),
    ({"kernel_size": True}, TypeError, "kernel_size"),
    ({"kernel_size": 2.0}, TypeError, "kernel_size"),
    ({"kernel_size": 2, "stride": (1.0, 1)}, TypeError, "stride must hold ints"),
    ({"kernel_size": 2, "padding": False}, TypeError, "padding"),
])
def test_bad_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d])
def test_bad_inputs(cls):
    name = cls.__name__
    with pytest.raises(ValueError, match=name + r" expects a 4-D input \(N, C, H, W\), got a 3-D input"):
        cls(2)(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match=r"cannot be applied to an input of shape \(1, 1, 3, 3\): kernel size 5 is "
                                         r"larger than the padded input size 3"):
        cls(5)(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="kernel size 4 is larger than the padded input size 3"):
        cls((2, 4), padding=(0, 1))(np.zeros((1, 1, 3, 1)))
    with pytest.raises(TypeError, match=name + " expects a real-valued input x, got dtype complex128"):
        cls(2)(np.zeros((1, 1, 4, 4), dtype=complex))


@pytest.mark.parametrize("cls", [MaxPool2d, AvgPool2d, BlurPool2d])
def test_backward_before_forward_or_with_the_wrong_grad_shape(cls):
    layer = cls(2)  # a fresh layer per run: an instance made at collection keeps its cache between runs
    name = cls.__name__
    with pytest.raises(RuntimeError, match=name + ".backward called before forward"):
        layer.backward(np.ones((1, 2, 2, 2)))
    layer(np.ones((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=name + r".backward expected grad of shape \(1, 2, 2, 2\), got \(1, 2, 2\)"):
        layer.backward(np.ones((1, 2, 2)))


# ------------------------------------------------------------------ BlurPool2d
def test_blur_filter_is_the_normalised_binomial_and_the_layer_has_no_parameters():
    layer = BlurPool2d(3)
    np.testing.assert_allclose(layer.filt, np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64)
    np.testing.assert_allclose(BlurPool2d(1, filt_size=3).filt, np.outer([1, 2, 1], [1, 2, 1]) / 16)
    assert (layer.channels, layer.filt_size, layer.stride, layer.pad_type) == (3, 4, 2, "reflect")
    assert (layer.kernel_size, layer.pad_sizes, layer.padding) == ((4, 4), (1, 2), (1, 1))
    assert layer.parameters() == [] and layer.buffers() == []
    assert repr(layer) == "BlurPool2d(channels=3, filt_size=4, stride=2, pad_type='reflect')"


@pytest.mark.parametrize("index", range(len(BLUR_CASES)))
def test_blur_pool_matches_the_papers_padding_and_depthwise_convolution_in_pytorch(index):
    case = BLUR_CASES[index]
    layer = BlurPool2d(case["x"].shape[1], int(case["filt_size"]), int(case["stride"]),
                       "reflect" if case["reflect"] else "zero")
    np.testing.assert_allclose(layer.filt, case["filt"], rtol=1e-15)
    for x in (case["x"], batch_innermost(case["x"])):
        np.testing.assert_allclose(layer(x), case["out"], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.backward(case["grad_out"]), case["grad_x"], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape, stride, expected", [((1, 1, 7, 8), 2, (4, 4)), ((1, 1, 9, 3), 3, (3, 1)),
                                                     ((2, 1, 5, 5), 1, (5, 5))])
def test_blur_output_size_is_the_input_size_over_the_stride_rounded_up(shape, stride, expected):
    assert BlurPool2d(1, stride=stride)(np.zeros(shape)).shape[2:] == expected


def test_reflect_padding_keeps_a_constant_map_constant_and_zero_padding_darkens_the_border():
    x = np.full((1, 1, 6, 6), 2.0)
    np.testing.assert_allclose(BlurPool2d(1)(x), 2.0)
    border = BlurPool2d(1, pad_type="zero")(x)
    assert border[0, 0, 0, 0] < 2.0 and border[0, 0, -1, -1] < 2.0


@pytest.mark.parametrize("filt_size, stride, pad_type, shape", [
    (4, 2, "reflect", (2, 2, 6, 5)), (3, 1, "reflect", (1, 2, 4, 4)), (5, 3, "zero", (2, 1, 7, 4)),
    (4, 2, "zero", (1, 1, 1, 2)), (2, 2, "reflect", (1, 3, 2, 3)),
])
def test_blur_pool_gradient_check(filt_size, stride, pad_type, shape):
    x = np.random.default_rng(9).standard_normal(shape)
    BlurPool2d(shape[1], filt_size, stride, pad_type).check_gradients((x,))
    BlurPool2d(shape[1], filt_size, stride, pad_type).check_gradients((x,), upstream_seed=9)


def test_blur_pool_rejects_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="channels must be a positive int, got 0"):
        BlurPool2d(0)
    with pytest.raises(TypeError, match="filt_size must be a positive int"):
        BlurPool2d(2, filt_size=4.0)
    with pytest.raises(TypeError, match="stride must be a positive int"):
        BlurPool2d(2, stride=True)
    with pytest.raises(ValueError, match="filt_size must be at most 32, got 2000: the binomial filter is a small"):
        BlurPool2d(2, filt_size=2000)
    with pytest.raises(ValueError, match="filt_size must be at most 32, got 33"):
        BlurPool2d(2, filt_size=33)
    assert BlurPool2d(2, filt_size=32).taps.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="pad_type must be 'reflect' or 'zero', got 'circular'"):
        BlurPool2d(2, pad_type="circular")
    with pytest.raises(ValueError, match="BlurPool2d expected input with 3 channels, got 2"):
        BlurPool2d(3)(np.zeros((1, 2, 8, 8)))
    with pytest.raises(ValueError, match=r"larger than 2x2 to reflect 2 pixels .* got shape \(1, 1, 2, 8\)"):
        BlurPool2d(1)(np.zeros((1, 1, 2, 8)))
    with pytest.raises(ValueError, match="BlurPool2d expects a 4-D input"):
        BlurPool2d(1)(np.zeros((8, 8)))


def test_blurring_before_subsampling_keeps_the_output_when_the_input_moves_by_one_pixel():
    x = np.zeros((1, 1, 16, 16))
    x[0, 0, ::2, :] = 1.0  # stripes on even rows: plain stride-2 subsampling sees all of them ...
    moved = np.roll(x, 1, axis=2)  # ... and, one row lower, none

    def change(layer):
        return np.abs(layer(moved) - layer(x)).sum() / np.abs(layer(x)).sum()

    assert change(MaxPool2d(1, stride=2)) == 1.0
    assert change(BlurPool2d(1)) < 1e-12  # the taps [1, 3, 3, 1] give stripes 4/8 on even and on odd rows


# ------------------------------------------------------------------ GlobalAvgPool2d
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


def test_global_average_pooling_names_itself():
    assert repr(GlobalAvgPool2d()) == "GlobalAvgPool2d()"


def test_module_gradient_check_passes_alone_and_inside_a_network():
    rng = np.random.RandomState(1)
    GlobalAvgPool2d().check_gradients((rng.randn(2, 3, 4, 4),))
    GlobalAvgPool2d().check_gradients((np.random.RandomState(2).randn(2, 3, 4, 4),), upstream_seed=10)
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


@pytest.mark.parametrize("x, error, message", [
    (np.zeros((2, 3, 4)), ValueError, r"GlobalAvgPool2d expects a 4-D input \(N, C, H, W\), got a 3-D input"),
    (np.zeros((2, 3, 0, 4)), ValueError, r"GlobalAvgPool2d expects non-empty feature maps, got shape \(2, 3, 0, 4\)"),
    (np.zeros((1, 2, 3, 3), dtype=complex), TypeError,
     "GlobalAvgPool2d expects a real-valued input x, got dtype complex128"),
    (np.full((1, 2, 3, 3), "a"), TypeError, "GlobalAvgPool2d expects a real-valued input x, got dtype <U1"),
    (np.zeros((1, 2, 3, 3), dtype=bool), TypeError, "GlobalAvgPool2d expects a real-valued input x, got dtype bool"),
])
def test_bad_inputs_are_refused_like_the_other_layers(x, error, message):
    with pytest.raises(error, match=message):
        GlobalAvgPool2d()(x)


def test_a_nested_list_and_integers_are_averaged_in_float64():
    x = np.arange(8).reshape(1, 2, 2, 2)
    out = GlobalAvgPool2d()(x.tolist())
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[1.5, 5.5]])


def test_backward_before_forward_or_with_the_wrong_shape():
    pool = GlobalAvgPool2d()
    with pytest.raises(RuntimeError, match="GlobalAvgPool2d.backward called before forward"):
        pool.backward(np.ones((2, 3)))
    pool(np.ones((2, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"GlobalAvgPool2d.backward expected grad of shape \(2, 3\), got \(3, 2\)"):
        pool.backward(np.ones((3, 2)))
