"""Tests of `Conv2d.forward`: cross-correlation plus bias, with stride and zero padding, and its `input_cache`.

The expected values are PyTorch's (float64): the course's conv*.npy files, and conv2d_cases.npz, which holds
for a few layers with different height and width settings the input x, the filters W, the biases b, the
output out, an output gradient grad_out and the gradients grad_x, grad_W and grad_b that follow from it
(keys caseNN/<name>, with the layer's kernel, stride and padding as (height, width)).
"""
import ast
import inspect
import os
import textwrap
from pathlib import Path

import numpy as np
import pytest

from lib.convolutions import Conv2d

pytestmark = pytest.mark.gap("conv_forward")

HERE = Path(__file__).parent
RTOL = ATOL = 1e-5  # any float dtype passes; a wrong window, stride, padding or bias is off by far more


def load_cases():
    cases = {}
    with np.load(HERE / "conv2d_cases.npz", allow_pickle=False) as saved:
        for key in sorted(saved.files):
            case, name = key.split("/")
            cases.setdefault(case, {})[name] = saved[key]
    for arrays in cases.values():
        for name in ("kernel", "stride", "padding"):
            arrays[name] = tuple(int(v) for v in arrays[name])
    return list(cases.values())


CASES = load_cases()
CASE_IDS = ["x{}-kernel{}x{}-stride{}x{}-pad{}x{}".format("x".join(map(str, case["x"].shape)), *case["kernel"],
                                                          *case["stride"], *case["padding"]) for case in CASES]


def layer_for(case):
    """The Conv2d of a case, with the case's filters and biases."""
    out_channels, in_channels = case["W"].shape[:2]
    layer = Conv2d(in_channels, out_channels, case["kernel"], stride=case["stride"], padding=case["padding"])
    layer.W.data, layer.b.data = case["W"].copy(), case["b"].copy()
    return layer


def describe(case):
    return "Conv2d(kernel_size={}, stride={}, padding={}) with {} filters on an input of shape {}".format(
        case["kernel"], case["stride"], case["padding"], case["W"].shape[0], case["x"].shape)


def where_wrong(actual, expected):
    wrong = ~np.isclose(actual, expected, rtol=RTOL, atol=ATOL)
    first = tuple(int(i) for i in np.argwhere(wrong)[0])
    largest = float(np.max(np.abs(actual - expected)))
    return f"{int(wrong.sum())} of {wrong.size} values differ (largest difference {largest:.3g}, first at {first})"


def assert_output_shape(out, expected_shape, context):
    assert np.shape(out) == tuple(expected_shape), (
        f"{context}: forward should return shape (N, F, OH, OW) = {tuple(expected_shape)}, got {np.shape(out)}")


def run_forward(layer, x, context):
    """layer(x); an error inside forward becomes a failure that names the layer and the input."""
    try:
        return layer(x)
    except Exception as error:  # raised by the code under test: say where, and what usually causes it
        raise AssertionError(
            f"{context}: forward raised {type(error).__name__}: {error}. An error about shapes often means a window "
            f"that is not kernel_size[0] x kernel_size[1]: for output (i, j) take rows i*stride[0] to "
            f"i*stride[0]+kernel_size[0] and columns j*stride[1] to j*stride[1]+kernel_size[1] of the input padded "
            f"with pad[0] zero rows (top and bottom) and pad[1] zero columns (left and right)") from error


def random_layer(in_channels, out_channels, kernel, stride, padding, seed):
    layer = Conv2d(in_channels, out_channels, kernel, stride=stride, padding=padding)
    layer.W.data = np.random.default_rng(seed).standard_normal(layer.W.data.shape)
    return layer


# ------------------------------------------------------------------ the course's tests
@pytest.mark.course
@pytest.mark.parametrize("position, conv_name", list(enumerate(["conv", "conv_stride", "conv_pad", "conv_stride_pad"])))
def test_course_convolutions_match_pytorch(position, conv_name):
    """The course's four layers, created in this order after seeding, so their filters are the course's."""
    np.random.seed(9001)
    x = np.random.rand(2, 3, 11, 11)
    conv = Conv2d(3, 10, (3, 3))
    conv_stride = Conv2d(3, 10, (3, 3), stride=(2, 2))
    conv_pad = Conv2d(3, 10, (3, 3), padding=(1, 1))
    conv_stride_pad = Conv2d(3, 10, (3, 3), stride=(2, 2), padding=(1, 1))
    layer = [conv, conv_stride, conv_pad, conv_stride_pad][position]
    y_torch = np.load(HERE / (conv_name + ".npy"), allow_pickle=False)
    y_pred = run_forward(layer, x, f"{layer} on an input of shape (2, 3, 11, 11)")
    assert_output_shape(y_pred, y_torch.shape, f"{layer} on an input of shape (2, 3, 11, 11)")
    np.testing.assert_allclose(y_pred, y_torch, rtol=10e-4, err_msg="Forward pass implementation is not correct")


@pytest.mark.course
def test_course_input_cache_without_padding_is_the_input():
    x = np.arange(16).reshape(1, 1, 4, 4)
    conv = Conv2d(1, 1, (3, 3))
    run_forward(conv, x, "Conv2d(1, 1, (3, 3)) on an input of shape (1, 1, 4, 4)")
    assert np.shape(conv.input_cache) == (1, 1, 4, 4), (
        f"without padding, forward must store the input itself in self.input_cache (shape (1, 1, 4, 4)); "
        f"got {type(conv.input_cache).__name__} of shape {np.shape(conv.input_cache)}")
    assert (conv.input_cache == x).all(), "without padding, self.input_cache must hold the input x"


@pytest.mark.course
def test_course_input_cache_with_padding_is_the_zero_padded_input():
    x = np.arange(16).reshape(1, 1, 4, 4)
    conv_pad = Conv2d(1, 1, (3, 3), padding=(1, 1))
    run_forward(conv_pad, x, "Conv2d(1, 1, (3, 3), padding=(1, 1)) on an input of shape (1, 1, 4, 4)")
    x_padded = np.array([[[[0, 0, 0, 0, 0, 0],
                           [0, 0, 1, 2, 3, 0],
                           [0, 4, 5, 6, 7, 0],
                           [0, 8, 9, 10, 11, 0],
                           [0, 12, 13, 14, 15, 0],
                           [0, 0, 0, 0, 0, 0]]]])
    assert np.shape(conv_pad.input_cache) == (1, 1, 6, 6), (
        f"with padding (1, 1), self.input_cache must hold the zero-padded input, shape (1, 1, 6, 6); got "
        f"{type(conv_pad.input_cache).__name__} of shape {np.shape(conv_pad.input_cache)} (the provided backward "
        f"reads the padded input from it)")
    assert (conv_pad.input_cache == x_padded).all(), "self.input_cache must hold the input padded with zeros"


# ------------------------------------------------------------------ against PyTorch, height and width differing
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_forward_returns_the_output_shape(case):
    layer = layer_for(case)
    assert_output_shape(run_forward(layer, case["x"], describe(case)), case["out"].shape, describe(case))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_forward_matches_pytorch(case):
    layer = layer_for(case)
    out = run_forward(layer, case["x"], describe(case))
    assert_output_shape(out, case["out"].shape, describe(case))
    expected, bias = case["out"], case["b"].reshape(1, -1, 1, 1)
    if np.allclose(out, expected - bias, rtol=RTOL, atol=ATOL):
        hint = "the output lacks the bias: add self.b.data[f] to every output of filter f"
    elif np.allclose(out, expected - bias + bias[:, :1], rtol=RTOL, atol=ATOL):
        hint = "every filter got the bias of filter 0: filter f needs its own bias self.b.data[f]"
    else:
        hint = ("check, for output (i, j), the window rows i*stride[0] to i*stride[0]+kernel_size[0] and columns "
                "j*stride[1] to j*stride[1]+kernel_size[1] of the input zero-padded by pad[0] rows (top and bottom) "
                "and pad[1] columns (left and right); the sum over channels and window; no flipped filters; "
                "one bias per filter")
    assert np.allclose(out, expected, rtol=RTOL, atol=ATOL), (
        f"{describe(case)}: {where_wrong(out, expected)} from PyTorch's; {hint}")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_input_cache_is_the_zero_padded_input(case):
    layer = layer_for(case)
    x = case["x"]
    run_forward(layer, x, describe(case))
    (pad_h, pad_w), (n, c, h, w) = case["padding"], x.shape
    expected_shape = (n, c, h + 2 * pad_h, w + 2 * pad_w)
    cache = layer.input_cache
    assert np.shape(cache) == expected_shape, (
        f"{describe(case)}: self.input_cache must be the input padded with {pad_h} rows of zeros above and below "
        f"and {pad_w} columns left and right, shape {expected_shape}; got shape {np.shape(cache)}")
    np.testing.assert_allclose(cache[:, :, pad_h:pad_h + h, pad_w:pad_w + w], x, rtol=RTOL, atol=ATOL, err_msg=(
        f"{describe(case)}: the middle of self.input_cache must be the input itself"))
    border = np.ones(expected_shape, dtype=bool)
    border[:, :, pad_h:pad_h + h, pad_w:pad_w + w] = False
    assert np.all(np.asarray(cache)[border] == 0), f"{describe(case)}: the padding in self.input_cache must be zeros"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_backward_after_forward_gives_pytorchs_gradients(case):
    """The provided backward reads self.input_cache, so these fail when the cache is not the padded input."""
    layer = layer_for(case)
    run_forward(layer, case["x"], describe(case))
    (pad_h, pad_w), (n, c, h, w) = case["padding"], case["x"].shape
    assert np.shape(layer.input_cache) == (n, c, h + 2 * pad_h, w + 2 * pad_w), (
        f"{describe(case)}: the provided backward needs the zero-padded input in self.input_cache, shape "
        f"{(n, c, h + 2 * pad_h, w + 2 * pad_w)}; got shape {np.shape(layer.input_cache)}")
    grad_x = layer.backward(case["grad_out"])
    for name, actual, expected in (("the input", grad_x, case["grad_x"]), ("W", layer.W.grad, case["grad_W"]),
                                   ("b", layer.b.grad, case["grad_b"])):
        assert np.shape(actual) == expected.shape and np.allclose(actual, expected, rtol=RTOL, atol=ATOL), (
            f"{describe(case)}: after your forward, the provided backward gives a wrong gradient w.r.t. {name}; "
            f"it reads self.input_cache, which must be the zero-padded input of this forward call")


# ------------------------------------------------------------------ the bias
def test_the_bias_is_added_to_every_output():
    x = np.random.default_rng(2).standard_normal((2, 3, 7, 6))
    layer = random_layer(3, 4, (3, 2), (2, 1), (1, 2), seed=3)
    without_bias = np.array(layer(x), dtype=float)
    layer.b.data = np.ones((4, 1, 1))
    with_bias = np.array(layer(x), dtype=float)
    assert np.allclose(with_bias, without_bias + 1, rtol=RTOL, atol=ATOL), (
        "the output ignores the bias: with every bias 1 each output should be 1 larger than with every bias 0")


def test_each_filter_adds_its_own_bias():
    x = np.random.default_rng(4).standard_normal((2, 2, 5, 8))
    layer = random_layer(2, 3, (2, 3), (1, 2), (0, 1), seed=5)
    without_bias = np.array(layer(x), dtype=float)
    layer.b.data = np.array([0.5, -1.0, 2.0]).reshape(3, 1, 1)
    added = np.array(layer(x), dtype=float) - without_bias
    for f, bias in enumerate((0.5, -1.0, 2.0)):
        assert np.allclose(added[:, f], bias, rtol=RTOL, atol=ATOL), (
            f"with biases (0.5, -1.0, 2.0) for the 3 filters, every output of filter {f} (output channel {f}) "
            f"should grow by {bias}; got increases between {added[:, f].min():.3g} and {added[:, f].max():.3g} "
            f"(is self.b.data, shape (F, 1, 1), added along the filter axis, axis 1 of the output?)")


# ------------------------------------------------------------------ small cases worked out by hand
def test_the_filters_are_not_flipped_and_each_axis_has_its_own_stride():
    """A filter that is 1 in its top-left corner copies the top-left pixel of every window."""
    x = np.arange(20, dtype=float).reshape(1, 1, 4, 5)  # rows 0-4, 5-9, 10-14, 15-19
    layer = Conv2d(1, 1, (2, 3), stride=(2, 1))
    layer.W.data = np.zeros((1, 1, 2, 3))
    layer.W.data[0, 0, 0, 0] = 1.0
    out = layer(x)
    assert_output_shape(out, (1, 1, 2, 3), "kernel (2, 3), stride (2, 1) on a 4x5 image")
    np.testing.assert_allclose(out[0, 0], [[0, 1, 2], [10, 11, 12]], rtol=RTOL, atol=ATOL, err_msg=(
        "kernel (2, 3) with a 1 at its top-left corner, stride (2, 1): output (i, j) is x[2 * i, j], the top-left "
        "pixel of the window starting at row i * stride[0] and column j * stride[1]. [[7, 8, 9], [17, 18, 19]] "
        "would mean a flipped filter (this is cross-correlation: no flip), [[0, 2, 4], [5, 7, 9]] swapped strides"))


def test_the_padding_of_height_and_width_differ():
    """Padding (1, 0): one zero row above and below, no zero columns."""
    x = np.arange(12, dtype=float).reshape(1, 1, 3, 4)  # [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    layer = Conv2d(1, 1, (2, 2), stride=(1, 2), padding=(1, 0))
    layer.W.data = np.zeros((1, 1, 2, 2))
    layer.W.data[0, 0, 1, 1] = 1.0  # copies the bottom-right pixel of every window
    out = layer(x)
    assert_output_shape(out, (1, 1, 4, 2), "kernel (2, 2), stride (1, 2), padding (1, 0) on a 3x4 image")
    np.testing.assert_allclose(out[0, 0], [[1, 3], [5, 7], [9, 11], [0, 0]], rtol=RTOL, atol=ATOL, err_msg=(
        "kernel (2, 2) with a 1 at its bottom-right corner, stride (1, 2), padding (1, 0): the padded image has a "
        "zero row above and below and no zero columns; output (i, j) is its pixel (i + 1, 2 * j + 1)"))


def test_a_1x1_kernel_weights_the_channels_of_each_pixel():
    x = np.arange(2 * 3 * 2 * 3, dtype=float).reshape(2, 3, 2, 3) / 2
    layer = Conv2d(3, 2, (1, 1))
    layer.W.data = np.array([[1.0, 0.0, 0.0], [1.0, -1.0, 2.0]]).reshape(2, 3, 1, 1)
    layer.b.data = np.array([0.0, 10.0]).reshape(2, 1, 1)
    out = layer(x)
    assert_output_shape(out, (2, 2, 2, 3), "a 1x1 kernel with 2 filters on a (2, 3, 2, 3) input")
    # channel c of image n holds (n * 18 + c * 6 + k) / 2 at pixel k = 3 * row + column
    expected_image0 = [[[0, 0.5, 1], [1.5, 2, 2.5]], [[19, 20, 21], [22, 23, 24]]]
    np.testing.assert_allclose(out[0], expected_image0, rtol=RTOL, atol=ATOL, err_msg=(
        "1x1 filters (1, 0, 0) and (1, -1, 2) with biases 0 and 10: filter 0 copies channel 0, filter 1 gives "
        "channel 0 - channel 1 + 2 * channel 2 + 10 at every pixel"))
    np.testing.assert_allclose(out[1], np.asarray(expected_image0) + [[[9]], [[18]]], rtol=RTOL, atol=ATOL,
                               err_msg="the second image of the batch is wrong")


# ------------------------------------------------------------------ batch, input types, the input itself
def test_each_image_of_a_batch_is_convolved_on_its_own():
    x = np.random.default_rng(6).standard_normal((3, 2, 6, 5))
    layer = random_layer(2, 4, (3, 2), (2, 1), (1, 0), seed=7)
    layer.b.data = np.array([0.1, 0.2, 0.3, 0.4]).reshape(4, 1, 1)
    batch = np.array(layer(x), dtype=float)
    for n in range(3):
        alone = np.array(layer(x[n:n + 1]), dtype=float)
        assert alone.shape[0] == 1 and np.allclose(batch[n], alone[0], rtol=RTOL, atol=ATOL), (
            f"the output for image {n} of a batch of 3 differs from its output as a batch of one: every image must "
            f"be convolved on its own (sum over channels and the window, never over the batch)")


def test_an_integer_input_gives_the_same_output_as_the_same_values_as_floats():
    x = np.arange(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) % 7 - 3
    layer = random_layer(2, 3, (2, 3), (1, 2), (1, 1), seed=8)
    layer.b.data = np.array([0.25, -0.5, 1.5]).reshape(3, 1, 1)
    from_floats = np.array(layer(x.astype(float)), dtype=float)
    from_ints = np.array(layer(x), dtype=float)
    assert np.allclose(from_ints, from_floats, rtol=RTOL, atol=ATOL), (
        "an integer input must give the same output as the same numbers as floats: is an array created with the "
        "input's integer dtype (e.g. np.zeros_like(x)) and the float results rounded into it?")


def test_forward_leaves_its_input_unchanged():
    x = np.random.default_rng(9).standard_normal((2, 3, 5, 4))
    copy = x.copy()
    random_layer(3, 2, (3, 3), (1, 1), (2, 1), seed=10)(x)
    np.testing.assert_array_equal(x, copy, err_msg="forward changed its input x; pad and compute in new arrays")


def test_a_layer_can_be_called_again_on_another_batch():
    layer = random_layer(1, 2, (3, 2), (1, 2), (1, 1), seed=11)
    rng = np.random.default_rng(12)
    first, second = rng.standard_normal((3, 1, 6, 7)), rng.standard_normal((1, 1, 6, 7))
    expected = np.array(layer(second), dtype=float)
    layer(first)
    again = layer(second)
    assert np.shape(layer.input_cache) == (1, 1, 8, 9), (
        f"self.input_cache must hold the padded input of the latest call, shape (1, 1, 8, 9), "
        f"got {np.shape(layer.input_cache)}")
    assert np.allclose(again, expected, rtol=RTOL, atol=ATOL), "a second call on the same input gave another output"


# ------------------------------------------------------------------ the sheet's rule: at most two nested loops
LOOPS = (ast.For, ast.AsyncFor, ast.While)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def deepest_loop(node, depth=0):
    """The largest number of loops nested inside each other in `node` (`depth` loops surround it)."""
    if isinstance(node, LOOPS):
        depth += 1
    if isinstance(node, COMPREHENSIONS):
        depth += len(node.generators)  # `[... for a in b for c in d]` is two nested loops
    return max([depth] + [deepest_loop(child, depth) for child in ast.iter_child_nodes(node)])


def third_loop_line(node, depth=0):
    """Line of the first loop that is nested inside two others, or None."""
    if isinstance(node, LOOPS):
        depth += 1
        if depth == 3:
            return node.lineno
    if isinstance(node, COMPREHENSIONS):
        for generator in node.generators:
            depth += 1
            if depth == 3:
                return getattr(generator.target, "lineno", node.lineno)
    for child in ast.iter_child_nodes(node):
        line = third_loop_line(child, depth)
        if line is not None:
            return line
    return None


def test_forward_has_at_most_two_nested_loops():
    """The sheet's rule: loop over the output rows and columns; the batch, channels and filters in one step."""
    lines, first_line = inspect.getsourcelines(Conv2d.forward)
    tree = ast.parse(textwrap.dedent("".join(lines)))
    raised = [node.exc for node in ast.walk(tree) if isinstance(node, ast.Raise) and node.exc is not None]
    if any("NotImplementedError" in ast.dump(exc) for exc in raised):
        pytest.fail("Conv2d.forward still raises NotImplementedError: the rule is checked once the forward is written")
    depth = deepest_loop(tree)
    if depth > 2:
        line = third_loop_line(tree) + first_line - 1
        path = os.path.relpath(inspect.getsourcefile(Conv2d.forward))
        pytest.fail(f"Conv2d.forward has {depth} loops nested inside each other; the sheet allows at most two "
                    f"(over the output rows and columns). The third starts on line {line} of {path}: compute "
                    f"the batch, channels and filters of each output position at once with numpy instead")
