"""Specification of lib.shifts: exact shifts with zero fill, random shifts from a given generator, re-centring."""
import warnings

import numpy as np
import pytest

from lib.shifts import (Recentre, augment_with_shifts, centre_of_mass, random_offsets, random_shifts, recentre,
                        shift_each, shift_images)
from lib.utilities import one_hot_encoding

from exact_messages import exactly


@pytest.mark.parametrize("dy, dx, expected", [
    (0, 1, [[0, 1, 2], [0, 4, 5], [0, 7, 8]]),  # right
    (1, 0, [[0, 0, 0], [1, 2, 3], [4, 5, 6]]),  # down
    (-1, -1, [[5, 6, 0], [8, 9, 0], [0, 0, 0]]),  # up-left
    (-1, 2, [[0, 0, 4], [0, 0, 7], [0, 0, 0]]),  # up, two right
    (0, -3, np.zeros((3, 3))),  # out of the image
])
def test_shift_images_moves_by_signed_offsets(dy, dx, expected):
    x = np.arange(1, 10, dtype=float).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(shift_images(x, dy, dx)[0, 0], expected)


def test_shift_images_rejects_non_integer_offsets():
    with pytest.raises(TypeError, match="dx must be an integer, got 1.5"):
        shift_images(np.zeros((1, 1, 3, 3)), 1, 1.5)


def test_shift_each_moves_every_image_by_its_own_offset():
    x = np.random.RandomState(0).rand(5, 2, 6, 7)
    offsets = np.array([[0, 0], [1, -2], [-3, 1], [1, -2], [6, 0]])
    out = shift_each(x, offsets)
    for image, shifted, (dy, dx) in zip(x, out, offsets):
        np.testing.assert_array_equal(shifted, shift_images(image[None], int(dy), int(dx))[0])


def test_augmentation_uses_the_given_generator_and_shifts_by_at_most_three_pixels():
    x = np.zeros((200, 1, 28, 28))
    x[:, 0, 14, 14] = 1.0  # one bright pixel in the middle
    y = one_hot_encoding(np.arange(200) % 10, 10)
    state = np.random.get_state()
    x_aug, y_aug = augment_with_shifts(x, y, np.random.RandomState(0), copies=2, max_shift=3)
    assert np.random.get_state()[1].tolist() == state[1].tolist()  # the global stream is untouched
    assert x_aug.shape == (600, 1, 28, 28) and y_aug.shape == (600, 10)
    np.testing.assert_array_equal(x_aug[:200], x)
    rows, cols = np.nonzero(x_aug[200:, 0].sum(axis=0))
    assert rows.min() == 11 and rows.max() == 17 and cols.min() == 11 and cols.max() == 17
    assert x_aug.sum() == 600  # nothing left the image


def test_centre_of_mass_is_the_intensity_weighted_mean_position():
    images = np.zeros((3, 1, 5, 7))
    images[0, 0, 1, 2] = 1.0
    images[1, 0, 4, 0] = images[1, 0, 2, 6] = 2.0  # two equal masses: the midpoint
    np.testing.assert_allclose(centre_of_mass(images), [[1, 2], [3, 3], [2, 3]])  # empty image: the middle


def test_recentre_undoes_a_shift_of_a_centred_digit():
    image = np.zeros((1, 1, 28, 28))
    image[0, 0, 10:18, 12:16] = 1.0  # centre of mass (13.5, 13.5), the middle of the image
    for dy, dx in [(2, 2), (-3, 1), (0, 4)]:
        np.testing.assert_array_equal(recentre(shift_images(image, dy, dx)), image)


# --- random draws: a Generator or a RandomState, through one helper -----------------------------------

def test_random_offsets_draws_with_randint_from_a_random_state_and_integers_from_a_generator():
    offsets = random_offsets(np.random.RandomState(3), 2, (50, 2))
    np.testing.assert_array_equal(offsets, np.random.RandomState(3).randint(-2, 3, size=(50, 2)))
    offsets = random_offsets(np.random.default_rng(3), 2, (50, 2))
    np.testing.assert_array_equal(offsets, np.random.default_rng(3).integers(-2, 3, size=(50, 2)))
    assert offsets.min() == -2 and offsets.max() == 2
    np.testing.assert_array_equal(random_offsets(np.random.default_rng(0), 0, (4, 2)), np.zeros((4, 2)))


@pytest.mark.parametrize("rng", [np.random.RandomState(4), np.random.default_rng(4)])
def test_random_shifts_accepts_a_generator_or_a_random_state(rng):
    x = np.zeros((30, 1, 9, 9))
    x[:, 0, 4, 4] = 1.0
    out = random_shifts(x, 2, rng)
    rows, cols = np.nonzero(out[:, 0].sum(axis=0))
    assert rows.min() >= 2 and rows.max() <= 6 and cols.min() >= 2 and cols.max() <= 6
    assert out.sum() == 30


def test_random_shifts_of_a_random_state_are_the_ones_of_randint():
    x = np.random.RandomState(0).rand(6, 1, 7, 7)
    offsets = np.random.RandomState(8).randint(-3, 4, size=(6, 2))
    np.testing.assert_array_equal(random_shifts(x, 3, np.random.RandomState(8)), shift_each(x, offsets))


def test_augmentation_with_no_copies_returns_the_data():
    x, y = np.random.RandomState(0).rand(4, 1, 5, 5), np.arange(4)
    x_aug, y_aug = augment_with_shifts(x, y, np.random.default_rng(0), copies=0, max_shift=2)
    np.testing.assert_array_equal(x_aug, x)
    np.testing.assert_array_equal(y_aug, y)


# --- bad input -------------------------------------------------------------------------------------------

IMAGES = np.zeros((3, 1, 5, 5))


@pytest.mark.parametrize("call, error, message", [
    (lambda: shift_images(np.zeros((1, 5, 5)), 1, 0), ValueError,
     r"shift_images expects a 4-D input \(N, C, H, W\), got a 3-D input of shape \(1, 5, 5\)"),
    (lambda: shift_images([[1.0, 2.0]], 1, 0), ValueError, r"shift_images expects a 4-D input .* 2-D input"),
    (lambda: shift_images(IMAGES.astype(complex), 1, 0), TypeError, "shift_images expects a real-valued input"),
    (lambda: shift_each(IMAGES, np.zeros((2, 2), dtype=int)), ValueError,
     r"offsets must be an integer array of shape \(N, 2\) = \(3, 2\), got shape \(2, 2\)"),
    (lambda: shift_each(IMAGES, np.zeros(6, dtype=int)), ValueError,
     r"offsets must be an integer array of shape \(N, 2\) = \(3, 2\), got shape \(6,\)"),
    (lambda: shift_each(IMAGES, np.zeros((3, 3), dtype=int)), ValueError, r"got shape \(3, 3\)"),
    (lambda: shift_each(IMAGES, np.ones((3, 2))), TypeError,
     r"offsets must be an integer array of shape \(N, 2\) = \(3, 2\), got dtype float64"),
    (lambda: shift_each(IMAGES, np.ones((3, 2), dtype=bool)), TypeError, "got dtype bool"),
    (lambda: shift_each(IMAGES[0], np.zeros((1, 2), dtype=int)), ValueError, "shift_each expects a 4-D input"),
    (lambda: random_shifts(IMAGES, -1, np.random.default_rng(0)), ValueError, "max_shift must be >= 0, got -1"),
    (lambda: random_shifts(IMAGES, 1.5, np.random.default_rng(0)), TypeError,
     "max_shift must be an integer, got 1.5"),
    (lambda: random_shifts(IMAGES, 1, 0), TypeError, "rng must be a numpy Generator or RandomState, got int"),
    (lambda: random_shifts(IMAGES, 1, np.random), TypeError, "rng must be a numpy Generator or RandomState"),
    (lambda: random_shifts(IMAGES[0], 1, np.random.default_rng(0)), ValueError,
     r"random_shifts expects a 4-D input"),
    (lambda: augment_with_shifts(IMAGES, np.arange(3), np.random.default_rng(0), -1, 2), ValueError,
     "copies must be >= 0, got -1"),
    (lambda: augment_with_shifts(IMAGES, np.arange(3), np.random.default_rng(0), 1.0, 2), TypeError,
     "copies must be an integer, got 1.0"),
    (lambda: augment_with_shifts(IMAGES, np.arange(3), np.random.default_rng(0), 0, -2), ValueError,
     "max_shift must be >= 0, got -2"),
    (lambda: augment_with_shifts(IMAGES, np.arange(4), np.random.default_rng(0), 1, 2), ValueError,
     "x and y must have the same length, got 3 and 4"),
    (lambda: augment_with_shifts(IMAGES[0], np.arange(1), np.random.default_rng(0), 1, 2), ValueError,
     "augment_with_shifts expects a 4-D input"),
    (lambda: centre_of_mass(IMAGES[0]), ValueError, "centre_of_mass expects a 4-D input"),
    (lambda: recentre(IMAGES[0]), ValueError, r"recentre expects a 4-D input \(N, C, H, W\), got a 3-D input"),
    (lambda: recentre([1.0, 2.0]), ValueError, r"recentre expects a 4-D input .* 1-D input"),
    (lambda: centre_of_mass(IMAGES - 1.0), ValueError,
     "images must be non-negative intensities for a centre of mass, got a minimum of -1.0"),
    (lambda: recentre(np.where(np.eye(5) > 0, np.nan, 0.0)[None, None]), ValueError,
     "images must be non-negative intensities for a centre of mass, got a minimum of nan"),
])
def test_bad_input_is_refused_with_a_message_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_list_of_images_is_shifted_like_an_array():
    images = np.arange(8.0).reshape(1, 2, 2, 2)
    np.testing.assert_array_equal(shift_images(images.tolist(), 0, 1), shift_images(images, 0, 1))
    np.testing.assert_array_equal(shift_each(images, [[1, 0]]), shift_images(images, 1, 0))


@pytest.mark.parametrize("dy, dx", [(7, 0), (0, -5), (-4, 1)])
def test_a_shift_beyond_the_image_along_one_axis_leaves_only_zeros(dy, dx):
    x = np.arange(1, 10, dtype=float).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(shift_images(x, dy, dx), np.zeros((1, 1, 3, 3)))


def test_shift_images_names_dy_in_its_message():
    with pytest.raises(TypeError, match=exactly("dy must be an integer, got 0.5 of type float")):
        shift_images(np.zeros((1, 1, 3, 3)), 0.5, 1)


def test_the_centre_of_a_light_image_and_of_an_empty_one():
    images = np.zeros((2, 1, 4, 5))
    images[0, 0, 3, 1] = 0.25  # a total mass below 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the empty image must not divide by zero on the way
        np.testing.assert_array_equal(centre_of_mass(images), [[3.0, 1.0], [1.5, 2.0]])


def test_the_recentre_layer():
    image = np.zeros((2, 1, 9, 9))
    image[0, 0, 0:2, 0:2] = 1.0
    image[1, 0, 6:9, 5:8] = 2.0
    layer = Recentre()
    np.testing.assert_array_equal(layer(image), recentre(image))
    assert layer.parameters() == [] and repr(layer) == "Recentre()"
    assert layer.backward_params(np.ones((2, 1, 9, 9))) is None
    with pytest.raises(NotImplementedError, match=exactly("Recentre has no input gradient; use it as the first layer "
                                                          "of a model")):
        layer.backward(np.ones((2, 1, 9, 9)))
