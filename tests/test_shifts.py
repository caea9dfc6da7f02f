"""Specification of lib.shifts: exact shifts with zero fill, random shifts from a given generator, re-centring."""
import numpy as np
import pytest

from lib.shifts import augment_with_shifts, centre_of_mass, recentre, shift_each, shift_images
from lib.utilities import one_hot_encoding


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
