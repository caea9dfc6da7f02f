"""Specification of `calculate_conv_output`, the one output-size formula `(I + 2P - K) // S + 1`."""
import numpy as np
import pytest

from lib.convolutions import calculate_conv_output


@pytest.mark.parametrize("size, kernel, stride, padding, expected", [
    (11, 3, 1, 0, 9),
    (11, 3, 1, 1, 11),
    (11, 3, 2, 1, 6),
    (7, 3, 1, 2, 9),
    (28, 4, 2, 1, 14),  # the course model's first layer
    (14, 4, 2, 1, 7),  # and its second
    (8, 3, 3, 0, 2),  # the stride does not divide 8 - 3: floor, like PyTorch
    (3, 5, 1, 1, 1),  # the kernel exactly fills the padded input
])
def test_course_values_as_python_ints(size, kernel, stride, padding, expected):
    out = calculate_conv_output([size], [kernel], [stride], [padding])
    assert out == [expected]
    assert isinstance(out[0], int)


def test_any_number_of_dimensions_tuples_lists_and_numpy_ints():
    out = calculate_conv_output((11, 7, 28), [3, 3, 4], (2, 1, 2), [1, 2, 1])
    assert out == [6, 9, 14]
    assert all(isinstance(v, int) for v in out)
    out = calculate_conv_output(np.array([11, 11]), np.array([3, 3]), np.array([2, 2]), np.array([1, 1]))
    assert out == [6, 6] and all(type(v) is int for v in out)
    assert calculate_conv_output([], [], [], []) == []


def test_different_lengths_raise():
    with pytest.raises(ValueError, match="same length"):
        calculate_conv_output([11, 11], [3, 3], [1], [0, 0])


def test_non_positive_stride_names_the_dimension():
    with pytest.raises(ValueError, match="stride must be positive, got 0 in dimension 1"):
        calculate_conv_output([11, 11], [3, 3], [1, 0], [0, 0])
    with pytest.raises(ValueError, match="stride must be positive, got -2 in dimension 0"):
        calculate_conv_output([11], [3], [-2], [0])


def test_negative_padding_names_the_dimension():
    with pytest.raises(ValueError, match="padding must be non-negative, got -1 in dimension 0"):
        calculate_conv_output([11, 11], [3, 3], [1, 1], [-1, 0])


def test_kernel_larger_than_padded_input_names_the_dimension():
    with pytest.raises(ValueError, match=r"kernel size 6 is larger than the padded input size 5 .* dimension 1"):
        calculate_conv_output([7, 3], [3, 6], [1, 1], [0, 1])


def test_non_positive_kernel_and_negative_input_raise():
    with pytest.raises(ValueError, match="kernel_size must be positive, got 0 in dimension 0"):
        calculate_conv_output([7], [0], [1], [0])
    with pytest.raises(ValueError, match="input_shape must be non-negative, got -7 in dimension 0"):
        calculate_conv_output([-7], [3], [1], [0])


def test_an_empty_input_has_an_output_where_the_padding_alone_holds_the_kernel():
    assert calculate_conv_output([0, 0], [1, 3], [1, 2], [1, 2]) == [2, 1]  # (0 + 2 - 1) // 1 + 1, (0 + 4 - 3) // 2 + 1


def test_non_integers_raise_type_error():
    with pytest.raises(TypeError, match=r"stride\[0\] must be an integer, got 1.5"):
        calculate_conv_output([11], [3], [1.5], [0])
    with pytest.raises(TypeError, match="padding must be a list or tuple of ints"):
        calculate_conv_output([11], [3], [1], 0)
    with pytest.raises(TypeError, match=r"kernel_size\[0\] must be an integer, got True"):
        calculate_conv_output([11], [True], [1], [0])
