"""Specification of the numerical gradient and the two error measures of lib.gradient_check."""
import numpy as np
import pytest

from lib.gradient_check import course_gradient_error, numerical_gradient, rel_error

from exact_messages import exactly


def test_numerical_gradient_is_float64_and_works_for_float32_arrays():
    x = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    grad = numerical_gradient(lambda: float(np.sum(x.astype(np.float64) ** 2)), x, h=1e-2)
    assert grad.dtype == np.float64 and grad.shape == (2, 2)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-5)
    np.testing.assert_array_equal(x, np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32))


def test_numerical_gradient_perturbs_each_entry_by_h_both_ways():
    x = np.array([1.0, 2.0, 3.0])
    calls = []
    numerical_gradient(lambda: calls.append(x.copy()) or 0.0, x, h=0.5)
    np.testing.assert_array_equal(calls, [[1.5, 2, 3], [0.5, 2, 3], [1, 2.5, 3], [1, 1.5, 3], [1, 2, 3.5], [1, 2, 2.5]])


def test_numerical_gradient_exact_messages():
    with pytest.raises(TypeError, match=exactly("x must be a floating-point numpy array, got int64")):
        numerical_gradient(lambda: 0.0, np.arange(3))
    with pytest.raises(TypeError, match=exactly("x must be a floating-point numpy array, got list")):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])
    with pytest.raises(ValueError, match=exactly("x must be contiguous so that it can be perturbed in place")):
        numerical_gradient(lambda: 0.0, np.zeros((3, 4)).T)


def test_course_gradient_error_is_the_norm_per_output():
    assert course_gradient_error(np.array([3.0, 1.0]), np.array([0.0, 1.0]), 1) == 3.0
    assert course_gradient_error(np.array([[3.0, 4.0]]), np.zeros(2), 5) == 1.0
    assert course_gradient_error(np.array([3.0]), np.zeros(1), 0) == 3.0  # no outputs: no division by 0


def test_rel_error_in_float64_with_a_floor_of_1e_8():
    assert rel_error(np.array([1], dtype=np.uint8), np.array([3], dtype=np.uint8)) == 0.5  # no wrap-around
    assert rel_error(np.array([0.0]), np.array([1e-9])) == pytest.approx(0.1)  # |a| + |b| below the floor
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 4.2)
