"""Tests of the warm-up: zero padding, and the dot product of filters with one window of the input.

Shapes: X is (C, H, W) for one image or (B, C, H, W) for a batch, a filter F is (C, KH, KW), a stack of
filters (K, C, KH, KW); `index` (i, j) is the top-left corner of the window X[..., i:i+KH, j:j+KW].
"""
import numpy as np
import pytest

from lib.convolution_warmup import *  # noqa: F401,F403  (the course's tests import the module this way)
from lib.convolution_warmup import (dot_product_multiple_filters_with_batches, dot_product_single_filter,
                                    dot_product_single_filter_with_batches, pad_array)

PAD = pytest.mark.gap("pad_array")
SINGLE = pytest.mark.gap("single_filter")
SINGLE_BATCH = pytest.mark.gap("single_filter_batch")
MULTI_BATCH = pytest.mark.gap("multi_filter_batch")

# The course's data: integers, so the expected sums are exact.
X = np.arange(50).reshape(2, 5, 5)  # (C, H, W)
X2 = np.arange(100).reshape(2, 2, 5, 5)  # (B, C, H, W)
F = np.arange(18).reshape(2, 3, 3)  # (C, KH, KW)
F2 = np.arange(18 * 3).reshape(3, 2, 3, 3)  # (K, C, KH, KW)
ONES = np.ones((2, 2, 2))
ONES_1_2_3 = np.ones((3, 2, 2, 2)) * np.array([1, 2, 3]).reshape(3, 1, 1, 1)  # filter k is all k + 1

# Float data with a filter that is not square (2 rows, 3 columns); all values are multiples of 1/8,
# so the expected sums below are exact.
X_FLOAT = np.arange(40).reshape(2, 4, 5) * 0.5  # (C, H, W) = (2, 4, 5)
F_WIDE = np.arange(12).reshape(2, 2, 3) * 0.25 - 1  # (C, KH, KW) = (2, 2, 3)
XB_FLOAT = np.arange(120).reshape(3, 2, 4, 5) * 0.5 - 10  # (B, C, H, W) = (3, 2, 4, 5)
FS_WIDE = np.arange(48).reshape(4, 2, 2, 3) * 0.25 - 5  # (K, C, KH, KW) = (4, 2, 2, 3)


def assert_unchanged(arrays, copies, function):
    for name, array, copy in zip(("X", "the filters"), arrays, copies):
        np.testing.assert_array_equal(array, copy, err_msg=f"{function} changed {name} it was given; leave its "
                                                           "inputs as they are and compute the result in new arrays")


# ------------------------------------------------------------------ pad_array
@PAD
@pytest.mark.course
def test_course_pad_array_pads_height_by_2_and_width_by_1():
    X = np.arange(18).reshape(1, 2, 3, 3)
    pad_output = pad_array(X, (2, 1))
    X_expected = np.array(
        [[[[0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0],
           [0, 0, 1, 2, 0],
           [0, 3, 4, 5, 0],
           [0, 6, 7, 8, 0],
           [0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0]],

          [[0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0],
           [0, 9, 10, 11, 0],
           [0, 12, 13, 14, 0],
           [0, 15, 16, 17, 0],
           [0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0]]]]
    )
    assert np.shape(pad_output) == (1, 2, 7, 5), (
        f"pad_array of a (1, 2, 3, 3) array with pad (2, 1) should have shape (1, 2, 7, 5): pad[0] zeros above and "
        f"below (height), pad[1] zeros left and right (width), the other axes unchanged; got {np.shape(pad_output)}")
    np.testing.assert_equal(pad_output, X_expected, err_msg="pad_array() not implemented correctly")


@PAD
def test_pad_array_of_a_batch_of_non_square_images_pads_only_height_and_width():
    x = np.random.default_rng(0).random((2, 3, 4, 5))
    padded = pad_array(x, (2, 1))
    assert np.shape(padded) == (2, 3, 8, 7), (
        f"pad_array pads only the last two axes (height by pad[0], width by pad[1]): a (2, 3, 4, 5) array with "
        f"pad (2, 1) becomes (2, 3, 8, 7), got {np.shape(padded)}")
    np.testing.assert_array_equal(padded[:, :, 2:6, 1:6], x,
                                  err_msg="the input must sit in the middle, unchanged (float values kept as they are)")
    border = np.ones((2, 3, 8, 7), dtype=bool)
    border[:, :, 2:6, 1:6] = False
    assert np.all(padded[border] == 0), "everything around the input must be zeros"


@PAD
def test_pad_array_keeps_float_values():
    x = np.random.default_rng(1).random((2, 1, 3, 4))
    padded = pad_array(x, (1, 3))
    assert np.shape(padded) == (2, 1, 5, 10), f"expected shape (2, 1, 5, 10), got {np.shape(padded)}"
    np.testing.assert_array_equal(padded[:, :, 1:4, 3:7], x, err_msg=(
        "pad_array must keep the input's values: float inputs stay floats (is the result created with an integer "
        "dtype?)"))


@PAD
def test_pad_array_with_zero_padding_gives_the_same_values():
    x = np.arange(24, dtype=float).reshape(1, 2, 3, 4) / 3
    padded = pad_array(x, (0, 0))
    assert np.shape(padded) == (1, 2, 3, 4), f"pad (0, 0) must keep the shape (1, 2, 3, 4), got {np.shape(padded)}"
    np.testing.assert_array_equal(padded, x, err_msg="pad (0, 0) must give the input's values unchanged")


@PAD
def test_pad_array_with_padding_of_the_width_only():
    padded = pad_array(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), (0, 2))
    expected = [[[[0, 0, 1, 2, 0, 0],
                  [0, 0, 3, 4, 0, 0]]]]
    assert np.shape(padded) == (1, 1, 2, 6), (
        f"pad (0, 2) adds 2 columns on each side and no rows: (1, 1, 2, 2) becomes (1, 1, 2, 6), "
        f"got {np.shape(padded)}")
    np.testing.assert_array_equal(padded, expected, err_msg="pad (0, 2): two zero columns left and right")


@PAD
def test_pad_array_leaves_its_input_unchanged():
    x = np.arange(18, dtype=float).reshape(1, 2, 3, 3)
    copy = x.copy()
    pad_array(x, (2, 1))
    np.testing.assert_array_equal(x, copy, err_msg="pad_array changed the array it was given; return a new array")


# ------------------------------------------------------------------ dot_product_single_filter
@SINGLE
@pytest.mark.course
def test_course_single_filter():
    result = dot_product_single_filter(X, F, (2, 1))
    np.testing.assert_equal(result, 5718.0, err_msg="dot_product_single_filter() not implemented correctly")


@SINGLE
@pytest.mark.course
def test_course_single_filter_of_ones():
    result = dot_product_single_filter(X, ONES, (2, 1))
    np.testing.assert_equal(result, 212.0, err_msg="dot_product_single_filter() not implemented correctly")


@SINGLE
def test_single_filter_returns_one_number():
    result = dot_product_single_filter(X, F, (2, 1))
    assert np.ndim(result) == 0, (
        f"dot_product_single_filter returns one number, the sum over channels, rows and columns of the window "
        f"times the filter; got an array of shape {np.shape(result)}")


@SINGLE
def test_single_filter_that_is_wider_than_high_on_floats():
    """The window has the filter's 2 rows (from i = 1) and 3 columns (from j = 2)."""
    result = dot_product_single_filter(X_FLOAT, F_WIDE, (1, 2))
    np.testing.assert_allclose(result, 97.75, rtol=1e-6, err_msg=(
        "a (2, 2, 3) filter at index (1, 2): the window is X[:, 1:3, 2:5] (rows from index[0], as many as the "
        "filter's height F.shape[1]; columns from index[1], as many as its width F.shape[2])"))


@SINGLE
def test_single_filter_in_the_bottom_right_corner():
    result = dot_product_single_filter(X_FLOAT, F_WIDE, (2, 2))
    np.testing.assert_allclose(result, 109.0, rtol=1e-6, err_msg=(
        "a (2, 2, 3) filter at index (2, 2) covers the last rows and columns X[:, 2:4, 2:5]; "
        "is the window one row or column too short or long?"))


@SINGLE
def test_single_filter_of_size_1x1_weights_each_channel():
    x = np.arange(60).reshape(3, 4, 5) / 4
    result = dot_product_single_filter(x, np.array([2.0, -1.0, 0.5]).reshape(3, 1, 1), (2, 3))
    np.testing.assert_allclose(result, 2 * 3.25 - 8.25 + 0.5 * 13.25, rtol=1e-6, err_msg=(
        "a 1x1 filter (2, -1, 0.5) at index (2, 3) gives 2 * X[0, 2, 3] - X[1, 2, 3] + 0.5 * X[2, 2, 3]: "
        "every channel is multiplied by its own filter channel and all are summed"))


@SINGLE
def test_single_filter_leaves_its_inputs_unchanged():
    x, f = X_FLOAT.copy(), F_WIDE.copy()
    dot_product_single_filter(x, f, (1, 2))
    assert_unchanged((x, f), (X_FLOAT, F_WIDE), "dot_product_single_filter")


# ------------------------------------------------------------------ dot_product_single_filter_with_batches
@SINGLE_BATCH
@pytest.mark.course
def test_course_single_filter_with_batches():
    result = dot_product_single_filter_with_batches(X2, F, (2, 1))
    np.testing.assert_equal(result, np.array([5718, 13368]))


@SINGLE_BATCH
@pytest.mark.course
def test_course_single_filter_of_ones_with_batches():
    result = dot_product_single_filter_with_batches(X2, ONES, (2, 1))
    np.testing.assert_equal(result, np.array([212., 612.]))


@SINGLE_BATCH
def test_single_filter_with_batches_gives_one_number_per_image():
    result = dot_product_single_filter_with_batches(XB_FLOAT, F_WIDE, (1, 2))
    assert np.shape(result) == (3,), (
        f"a batch of 3 images gives 3 numbers, one per image (shape (B,)), got shape {np.shape(result)}; "
        f"sum over channels, rows and columns only, not over the batch")
    np.testing.assert_allclose(result, [52.75, 142.75, 232.75], rtol=1e-6, err_msg=(
        "entry b is the sum of X[b, :, 1:3, 2:5] * F for the (2, 2, 3) filter at index (1, 2); the sums of these "
        "float images are not whole numbers"))


@SINGLE_BATCH
def test_single_filter_with_a_batch_of_one():
    result = dot_product_single_filter_with_batches(XB_FLOAT[1:2], F_WIDE, (1, 2))
    assert np.shape(result) == (1,), f"a batch of one image gives shape (1,), got {np.shape(result)}"
    np.testing.assert_allclose(result, [142.75], rtol=1e-6)


@SINGLE_BATCH
def test_single_filter_with_batches_leaves_its_inputs_unchanged():
    x, f = XB_FLOAT.copy(), F_WIDE.copy()
    dot_product_single_filter_with_batches(x, f, (1, 2))
    assert_unchanged((x, f), (XB_FLOAT, F_WIDE), "dot_product_single_filter_with_batches")


# ------------------------------------------------------------------ dot_product_multiple_filters_with_batches
@MULTI_BATCH
@pytest.mark.course
def test_course_multiple_filters_with_batches():
    result = dot_product_multiple_filters_with_batches(X2, F2, (2, 1))
    np.testing.assert_equal(result, np.array([[5718, 15276, 24834],
                                              [13368, 39126, 64884]]))


@MULTI_BATCH
@pytest.mark.course
def test_course_multiple_filters_of_ones_times_1_2_3_with_batches():
    result = dot_product_multiple_filters_with_batches(X2, ONES_1_2_3, (2, 1))
    np.testing.assert_equal(result, np.array([[212., 424., 636.],
                                              [612., 1224., 1836.]]))


@MULTI_BATCH
def test_multiple_filters_give_one_row_per_image_and_one_column_per_filter():
    result = dot_product_multiple_filters_with_batches(XB_FLOAT, FS_WIDE, (2, 1))
    assert np.shape(result) == (3, 4), (
        f"3 images and 4 filters give shape (B, K) = (3, 4): row b for image b, column k for filter k; "
        f"got shape {np.shape(result)}")
    np.testing.assert_allclose(result, [[-46.25, 34.75, 115.75, 196.75],
                                        [-916.25, -115.25, 685.75, 1486.75],
                                        [-1786.25, -265.25, 1255.75, 2776.75]], rtol=1e-6, err_msg=(
        "entry [b, k] is the sum of X[b, :, 2:4, 1:4] * filters[k] for (2, 2, 3) filters at index (2, 1); the sums "
        "of these float images are not whole numbers"))


@MULTI_BATCH
def test_one_filter_and_one_image_give_a_1x1_result():
    result = dot_product_multiple_filters_with_batches(XB_FLOAT[2:3], FS_WIDE[1:2], (2, 1))
    assert np.shape(result) == (1, 1), f"one image and one filter give shape (1, 1), got {np.shape(result)}"
    np.testing.assert_allclose(result, [[-265.25]], rtol=1e-6)


@MULTI_BATCH
def test_multiple_filters_of_size_1x1_on_three_channels():
    x = np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2) * 0.5  # (B, C, H, W) = (2, 3, 2, 2)
    filters = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, -1.0, 0.5]]).reshape(3, 3, 1, 1)
    result = dot_product_multiple_filters_with_batches(x, filters, (1, 0))
    # x[b, :, 1, 0] is (1, 3, 5) for image 0 and (7, 9, 11) for image 1
    np.testing.assert_allclose(result, [[1.0, 5.0, 1 - 3 + 2.5], [7.0, 11.0, 7 - 9 + 5.5]], rtol=1e-6, err_msg=(
        "1x1 filters at index (1, 0) weight the channels of pixel X[b, :, 1, 0]: filter (1, 0, 0) picks channel 0, "
        "(0, 0, 1) channel 2, (1, -1, 0.5) gives channel 0 - channel 1 + 0.5 * channel 2"))


@MULTI_BATCH
def test_multiple_filters_with_batches_leaves_its_inputs_unchanged():
    x, filters = XB_FLOAT.copy(), FS_WIDE.copy()
    dot_product_multiple_filters_with_batches(x, filters, (2, 1))
    assert_unchanged((x, filters), (XB_FLOAT, FS_WIDE), "dot_product_multiple_filters_with_batches")
