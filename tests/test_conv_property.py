"""Property test: `Conv2d` equals the naive reference on random shapes, strides and paddings (hypothesis)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from conv_checks import assert_layer_matches_naive
from lib.convolutions import Conv2d, calculate_conv_output


@st.composite
def conv_cases(draw):
    """A small convolution problem whose kernel fits the padded input, plus a seed for its values."""
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    # the smallest input the kernel fits once padded, up to a few pixels more
    size = tuple(max(1, k - 2 * p) + draw(st.integers(0, 4)) for k, p in zip(kernel, padding))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) + size  # (N, C, H, W)
    return shape, draw(st.integers(1, 3)), kernel, stride, padding, draw(st.integers(0, 2 ** 32 - 1))


@settings(max_examples=200, deadline=None)
@given(conv_cases())
def test_conv2d_matches_the_naive_reference(case):
    shape, filters, kernel, stride, padding, seed = case
    rng = np.random.default_rng(seed)
    layer = Conv2d(shape[1], filters, kernel, stride, padding)
    layer.W.data = rng.standard_normal(layer.W.data.shape)
    layer.b.data = rng.standard_normal(layer.b.data.shape)
    x = rng.standard_normal(shape)

    out = assert_layer_matches_naive(layer, x, rng)
    expected_hw = calculate_conv_output(shape[2:], kernel, stride, padding)
    assert out.shape == (shape[0], filters, *expected_hw)
