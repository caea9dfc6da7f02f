"""The kernels' promises that the layers' tests cannot see, and the textbook functions' dtypes and messages.

`lib/kernels/batchnorm.py` promises float64 sums over the batch and statistics used in x's dtype: a float32
batch norm would give nearly the same numbers without them, so the layer tests pass either way; here the
numbers are chosen where float32 rounding shows. `im2col` copies into the dtype asked for, and max pooling keeps
its argmax in the smallest unsigned type (both invisible in the layers' values). The textbook functions of
`lib/naive_layers.py` return float64 and name themselves in their error messages.
"""
import numpy as np
import pytest

from exact_messages import exactly
from lib.kernels.batchnorm import channel_dot, channel_sum, scale_shift
from lib.kernels.im2col import im2col, windows
from lib.naive_layers import (conv2d_backward_naive, conv2d_forward_naive, max_pool2d_backward_naive,
                              max_pool2d_forward_naive)
from lib.pooling import MaxPool2d

BIG = 2.0 ** 24  # float32 holds every integer up to here, and BIG + 1 rounds back to BIG


def test_channel_sum_adds_the_images_partial_sums_in_float64():
    a = np.array([BIG, 1.0, 1.0], dtype=np.float32).reshape(3, 1, 1, 1)  # (N, C, H, W): one value per image
    total = channel_sum(a)
    assert total.dtype == np.float64 and total.shape == (1,)
    assert total[0] == BIG + 2  # in float32, BIG + 1 + 1 would stay BIG
    np.testing.assert_array_equal(channel_sum(np.arange(24.0).reshape(2, 3, 2, 2)), [60.0, 92.0, 124.0])


def test_channel_dot_adds_the_images_partial_sums_in_float64():
    a = np.array([4096.0, 1.0, 1.0], dtype=np.float32).reshape(3, 1, 1, 1)  # products BIG, 1, 1
    total = channel_dot(a, a)
    assert total.dtype == np.float64 and total[0] == BIG + 2
    b = np.arange(24.0).reshape(2, 3, 2, 2)
    np.testing.assert_array_equal(channel_dot(b, np.ones_like(b)), channel_sum(b))
    np.testing.assert_array_equal(channel_dot(b, b), (b * b).sum(axis=(0, 2, 3)))


def test_scale_shift_adds_the_shift_in_the_dtype_of_x():
    x = np.ones((1, 1, 1, 1), dtype=np.float32)
    shift = np.array([2.0 ** -24 + 2.0 ** -50])  # rounds to 2**-24 in float32; 1 + 2**-24 then rounds to 1
    out = scale_shift(x, np.ones(1), shift)
    assert out.dtype == np.float32
    assert out[0, 0, 0, 0] == np.float32(1.0) + np.float32(shift[0])  # not float32(1 + shift), which is above 1
    np.testing.assert_array_equal(scale_shift(np.arange(4.0).reshape(1, 2, 1, 2), np.array([2.0, -1.0]),
                                              np.array([0.5, 3.0])), [[[[0.5, 2.5]], [[1.0, 0.0]]]])


def test_the_naive_convolution_gradients_are_float64_for_a_float32_upstream_gradient():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 2, 4, 4)), rng.standard_normal((3, 2, 2, 2))
    grad = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    dx, dw, db = conv2d_backward_naive(x, w, grad, (1, 1), (0, 0))
    assert dx.dtype == dw.dtype == db.dtype == np.float64
    np.testing.assert_array_equal(db, grad.astype(np.float64).sum(axis=(0, 2, 3)).reshape(3, 1, 1))


def test_the_naive_functions_name_themselves_in_their_errors():
    x3, w = np.zeros((1, 4, 4)), np.zeros((1, 2, 2, 2))
    with pytest.raises(ValueError, match=exactly("conv2d_forward_naive expected input with 2 channels, got 1 "
                                                 "(input shape (1, 1, 4, 4))")):
        conv2d_forward_naive(np.zeros((1, 1, 4, 4)), w, None, (1, 1), (0, 0))
    with pytest.raises(ValueError, match=exactly("conv2d_backward_naive expected input with 2 channels, got 1 "
                                                 "(input shape (1, 1, 4, 4))")):
        conv2d_backward_naive(np.zeros((1, 1, 4, 4)), w, np.zeros((1, 1, 3, 3)), (1, 1), (0, 0))
    for function, args in ((max_pool2d_forward_naive, ()), (max_pool2d_backward_naive, (np.zeros((1, 1, 2, 2)),))):
        with pytest.raises(ValueError, match=exactly(f"{function.__name__} expects a 4-D input (N, C, H, W), got a "
                                                     f"3-D input of shape (1, 4, 4)")):
            function(x3, *args, (2, 2), (2, 2), (0, 0))


def test_the_naive_functions_compute_in_float64_whatever_the_input_dtype():
    rng = np.random.default_rng(1)
    x32, w = rng.standard_normal((1, 2, 4, 4)).astype(np.float32), rng.standard_normal((3, 2, 2, 2))
    dx, dw, _ = conv2d_backward_naive(x32, w, np.ones((1, 3, 4, 4)), (1, 1), (1, 1))
    assert dx.dtype == dw.dtype == np.float64
    grad_x = max_pool2d_backward_naive(x32, np.ones((1, 2, 3, 3)), (2, 2), (2, 2), (1, 1))
    assert grad_x.dtype == np.float64 and grad_x.sum() == 18.0  # every window's gradient reaches a real pixel
    ints = np.arange(-8, 8).reshape(1, 1, 4, 4)  # -inf padding needs a float array
    np.testing.assert_array_equal(max_pool2d_forward_naive(ints, (2, 2), (2, 2), (1, 1))[0, 0],
                                  [[-8, -6, -5], [-0, 2, 3], [4, 6, 7]])


def test_im2col_copies_into_a_matrix_of_the_dtype_asked_for():
    xp = np.arange(2 * 3 * 3 * 1, dtype=np.float64).reshape(2, 3, 3, 1)  # (C, HP, WP, N)
    matrix = im2col(xp, (2, 2), (1, 1), (2, 2), np.float32)
    assert matrix.dtype == np.float32 and matrix.shape == (2 * 2 * 2, 2 * 2 * 1)
    np.testing.assert_array_equal(matrix[:4, 0], [0, 1, 3, 4])  # channel 0, window (0, 0): rows 0-1, columns 0-1
    np.testing.assert_array_equal(matrix[4:, 3], [13, 14, 16, 17])  # channel 1, window (1, 1)
    assert im2col(xp.astype(np.float32), (2, 2), (1, 1), (2, 2)).dtype == np.float32  # by default xp's
    buffer = np.full((3, 12), np.nan, dtype=np.float32)  # any contiguous buffer with room for the matrix
    into_buffer = im2col(xp, (2, 2), (1, 1), (2, 2), np.float32, out=buffer)
    np.testing.assert_array_equal(into_buffer, matrix)
    assert np.shares_memory(into_buffer, buffer) and np.isnan(buffer.reshape(-1)[matrix.size:]).all()
    assert not windows(xp, (2, 2), (1, 1), (2, 2)).flags.writeable  # overlapping windows: writing would corrupt xp


@pytest.mark.parametrize("kernel, dtype", [((2, 2), np.uint8), ((16, 16), np.uint8), ((16, 17), np.uint16),
                                           ((17, 16), np.uint16), ((1, 257), np.uint16)])
def test_max_pooling_keeps_the_argmax_in_the_smallest_unsigned_type(kernel, dtype):
    layer = MaxPool2d(kernel)
    x = np.random.default_rng(2).standard_normal((1, 1) + kernel)  # one window
    x[0, 0, -1, -1] = 100.0  # the maximum at the window's last entry, KH*KW - 1: 3, 255, 271, 271, 256
    layer(x)
    assert layer.argmax.dtype == dtype and layer.argmax[0, 0, 0, 0] == kernel[0] * kernel[1] - 1
    grad_x = layer.backward(np.ones((1, 1, 1, 1)))
    assert grad_x[0, 0, -1, -1] == 1.0 and grad_x.sum() == 1.0
