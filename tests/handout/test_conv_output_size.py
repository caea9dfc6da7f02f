"""Tests of `calculate_conv_output`: the output size `(I + 2P - K) // S + 1` of a convolution, per dimension."""
import pytest

from lib.convolutions import calculate_conv_output

pytestmark = pytest.mark.gap("conv_output")


def assert_sizes(output, expected, arguments):
    """Check the value and the type of every size, with a message that shows the call."""
    assert list(output) == expected, (
        f"calculate_conv_output({arguments}) should be {expected}, got {output}; "
        f"the formula per dimension is (input + 2 * padding - kernel) // stride + 1")
    for size in output:
        assert isinstance(size, int), (
            f"every output size must be a Python int, got {size!r} of type {type(size).__name__} "
            f"(use // for the division, and int(...) around numpy results)")


# ------------------------------------------------------------------ the course's tests
@pytest.mark.course
@pytest.mark.parametrize("size, kernel, stride, padding, expected", [
    (11, 3, 1, 0, 9),
    (11, 3, 1, 1, 11),
    (11, 3, 2, 1, 6),
    (7, 3, 1, 2, 9),
])
def test_course_output_sizes_of_square_images_are_python_ints(size, kernel, stride, padding, expected):
    output = calculate_conv_output(input_shape=[size, size], kernel_size=[kernel, kernel], stride=[stride, stride],
                                   padding=[padding, padding])
    assert_sizes(output, [expected, expected], f"[{size}, {size}], [{kernel}, {kernel}], [{stride}, {stride}], "
                                               f"[{padding}, {padding}]")


@pytest.mark.course
def test_course_output_size_in_one_dimension():
    assert_sizes(calculate_conv_output(input_shape=[11], kernel_size=[3], stride=[2], padding=[1]), [6],
                 "[11], [3], [2], [1]")


@pytest.mark.course
def test_course_output_size_in_ten_dimensions():
    output = calculate_conv_output(input_shape=[11] * 10, kernel_size=[3] * 10, stride=[1] * 10, padding=[1] * 10)
    assert_sizes(output, [11] * 10, "[11] * 10, [3] * 10, [1] * 10, [1] * 10")


# ------------------------------------------------------------------ the formula, dimension by dimension
@pytest.mark.parametrize("size, kernel, stride, padding, expected", [
    (8, 3, 3, 0, 2),  # (8 - 3) / 3 = 1.67: floor gives 1 + 1
    (10, 4, 3, 1, 3),  # (10 + 2 - 4) / 3 = 2.67
    (7, 2, 2, 0, 3),  # (7 - 2) / 2 = 2.5
    (10, 2, 4, 0, 3),  # a stride larger than the kernel skips pixels: (10 - 2) / 4 = 2
])
def test_a_stride_that_does_not_divide_rounds_down(size, kernel, stride, padding, expected):
    output = calculate_conv_output([size], [kernel], [stride], [padding])
    assert list(output) == [expected], (
        f"with input {size}, kernel {kernel}, stride {stride}, padding {padding} the stride does not divide "
        f"input + 2 * padding - kernel = {size + 2 * padding - kernel}: the output size must be rounded down "
        f"(the last positions where no whole window fits are dropped), so {expected}, got {output}")
    assert_sizes(output, [expected], f"[{size}], [{kernel}], [{stride}], [{padding}]")


@pytest.mark.parametrize("size, kernel, stride, padding, expected", [
    (5, 3, 1, 2, 7),  # 2 zeros on each side: the padded input has 9 pixels
    (6, 2, 2, 2, 5),
])
def test_the_padding_is_added_on_both_sides(size, kernel, stride, padding, expected):
    output = calculate_conv_output([size], [kernel], [stride], [padding])
    assert list(output) == [expected], (
        f"with input {size}, kernel {kernel}, stride {stride}, padding {padding} the output size is {expected}, "
        f"got {output}: the padding adds zeros on both sides, so the padded input has input + 2 * padding pixels")


def test_each_dimension_uses_its_own_input_size_kernel_stride_and_padding():
    """Height and width differ in everything, so using one dimension's numbers for the other fails."""
    output = calculate_conv_output([11, 7], [3, 5], [2, 1], [1, 2])
    assert list(output) == [6, 7], (
        "input [11, 7], kernel [3, 5], stride [2, 1], padding [1, 2] should give [6, 7] "
        f"((11 + 2 - 3) // 2 + 1 and (7 + 4 - 5) // 1 + 1), got {output}: every dimension d must use "
        "input_shape[d], kernel_size[d], stride[d] and padding[d]")
    assert_sizes(output, [6, 7], "[11, 7], [3, 5], [2, 1], [1, 2]")


def test_three_dimensions_that_all_differ():
    output = calculate_conv_output([9, 12, 6], [3, 4, 1], [3, 2, 1], [0, 1, 2])
    assert_sizes(output, [3, 6, 10], "[9, 12, 6], [3, 4, 1], [3, 2, 1], [0, 1, 2]")


@pytest.mark.parametrize("size, stride, padding, expected", [(5, 1, 0, 5), (5, 2, 0, 3), (5, 2, 1, 4)])
def test_a_1x1_kernel(size, stride, padding, expected):
    output = calculate_conv_output([size, size], [1, 1], [stride, stride], [padding, padding])
    assert_sizes(output, [expected, expected], f"[{size}, {size}], [1, 1], [{stride}, {stride}], "
                                               f"[{padding}, {padding}]")


def test_a_kernel_that_exactly_fills_the_padded_input_gives_one_position():
    assert_sizes(calculate_conv_output([3, 4], [5, 4], [1, 3], [1, 0]), [1, 1], "[3, 4], [5, 4], [1, 3], [1, 0]")


def test_tuples_are_accepted_as_well_as_lists():
    assert_sizes(calculate_conv_output((11, 7), (3, 5), (2, 1), (1, 2)), [6, 7], "(11, 7), (3, 5), (2, 1), (1, 2)")


def test_returns_a_list():
    output = calculate_conv_output([11, 11], [3, 3], [1, 1], [0, 0])
    assert isinstance(output, list), (
        f"calculate_conv_output should return a list such as [9, 9], got {type(output).__name__} {output!r}")
