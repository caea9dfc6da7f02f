"""Specification of the convolution warm-up: padding and filter dot products (the course's numbers)."""
import numpy as np
import pytest

from exact_messages import exactly
from lib.convolution_warmup import *  # noqa: F401,F403  (the course's test imports the module this way)
from lib.convolution_warmup import (dot_product_multiple_filters_with_batches,
                                    dot_product_single_filter, dot_product_single_filter_with_batches, pad_array)

X = np.arange(50).reshape(2, 5, 5)  # (C, H, W)
X2 = np.arange(100).reshape(2, 2, 5, 5)  # (B, C, H, W)
F = np.arange(18).reshape(2, 3, 3)  # (C, KH, KW)
F2 = np.arange(54).reshape(3, 2, 3, 3)  # (K, C, KH, KW)
ONES_SCALED = np.ones((3, 2, 2, 2)) * np.array([1, 2, 3]).reshape(3, 1, 1, 1)


def test_pad_array_pads_only_the_last_two_axes():
    x = np.arange(18, dtype=float).reshape(1, 2, 3, 3)
    padded = pad_array(x, (2, 1))
    assert padded.shape == (1, 2, 7, 5)
    np.testing.assert_array_equal(padded[:, :, 2:5, 1:4], x)
    assert padded.sum() == x.sum() and padded[0, 0, 0].tolist() == [0, 0, 0, 0, 0]
    assert pad_array(np.ones((2, 2)), (0, 0)).shape == (2, 2)


def test_single_filter_course_numbers():
    assert dot_product_single_filter(X, F, (2, 1)) == 5718
    assert dot_product_single_filter(X, np.ones((2, 2, 2)), (2, 1)) == 212


def test_single_filter_small_hand_computed_case():
    x = np.array([[[1, 2], [3, 4]]])  # (1, 2, 2)
    assert dot_product_single_filter(x, np.array([[[1, -1]]]), (1, 0)) == 3 - 4
    assert dot_product_single_filter(x, np.ones((1, 2, 2)), (0, 0)) == 10


def test_single_filter_with_batches_course_numbers():
    np.testing.assert_array_equal(dot_product_single_filter_with_batches(X2, F, (2, 1)), [5718, 13368])
    np.testing.assert_array_equal(dot_product_single_filter_with_batches(X2, np.ones((2, 2, 2)), (2, 1)), [212, 612])


def test_multiple_filters_with_batches_course_numbers():
    np.testing.assert_array_equal(dot_product_multiple_filters_with_batches(X2, F2, (2, 1)),
                                  [[5718, 15276, 24834], [13368, 39126, 64884]])
    np.testing.assert_array_equal(dot_product_multiple_filters_with_batches(X2, ONES_SCALED, (2, 1)),
                                  [[212, 424, 636], [612, 1224, 1836]])


def test_multiple_filters_agree_with_the_single_filter_version():
    rng = np.random.default_rng(0)
    x, filters = rng.standard_normal((4, 3, 6, 7)), rng.standard_normal((5, 3, 2, 3))
    out = dot_product_multiple_filters_with_batches(x, filters, (3, 4))
    assert out.shape == (4, 5)
    for k in range(5):
        np.testing.assert_allclose(out[:, k], dot_product_single_filter_with_batches(x, filters[k], (3, 4)))
        np.testing.assert_allclose(out[1, k], dot_product_single_filter(x[1], filters[k], (3, 4)))


def test_bad_input():
    with pytest.raises(ValueError, match=r"a 3x3 filter at index \(3, 1\) does not fit"):
        dot_product_single_filter(X, F, (3, 1))
    with pytest.raises(ValueError, match="expected input with 3 channels"):
        dot_product_multiple_filters_with_batches(X2, np.ones((2, 3, 2, 2)), (0, 0))
    with pytest.raises(ValueError, match="expected a 4-D input and a 3-D filter"):
        dot_product_single_filter_with_batches(X, F, (0, 0))
    with pytest.raises(ValueError, match=r"pad must be non-negative ints \(height, width\), got \(1, -1\)"):
        pad_array(X, (1, -1))
    with pytest.raises(TypeError, match="index must hold ints"):
        dot_product_single_filter(X, F, (0.5, 1))
    with pytest.raises(ValueError, match=r"pad must be a tuple of 2 ints"):
        pad_array(X, 1)


def test_bad_input_messages_exactly():
    with pytest.raises(ValueError, match=exactly("X must have at least 2 axes (..., H, W), got shape (3,)")):
        pad_array(np.ones(3), (1, 1))
    with pytest.raises(ValueError, match=exactly("expected input with 3 channels (as the filter), got 2")):
        dot_product_single_filter(np.ones((2, 5, 5)), np.ones((3, 2, 2)), (0, 0))
    with pytest.raises(ValueError, match=exactly("index must be non-negative ints (height, width), got (-1, 0)")):
        dot_product_single_filter(X, F, (-1, 0))
    with pytest.raises(ValueError, match=exactly("index must be a tuple of 2 ints (height, width), got 1")):
        dot_product_single_filter(X, F, 1)  # one int does not stand for a pair here
    with pytest.raises(ValueError, match=exactly("a 3x3 filter at index (0, 3) does not fit an input of height 5 "
                                                 "and width 5")):
        dot_product_single_filter(X, F, (0, 3))  # too far right only
